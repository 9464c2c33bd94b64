"""`dangjian add` / `remove` / `index` with a shared database (--database-url, DANGJIAN_DATABASE_URL),
on SQLite and a real PostgreSQL: the folder follows the registry first, the change is published in
one transaction that bumps the generation (as the page's upload is), another replica's folder takes
it; a refused publish or an unreachable database leaves the folder and the registry consistent.
The hash embedder keeps the rebuilds fast; tests/test_replicas_cli.py runs the CLI against a
running `dangjian serve`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_ingest import make_docx, variant
from test_ingest_faults import template

from rag.cli import main
from rag.config import Settings
from rag.db import Database
from rag.db.registry import Registry
from rag.db.replica import Replica
from rag.ingest import read_entries


@pytest.fixture()
def side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(corpus, index) of the machine the CLI runs on: the notice and one regulation."""
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    monkeypatch.setenv("DANGJIAN_DATA_DIR", str(tmp_path / "data"))
    corpus = tmp_path / "a"
    shutil.copytree(template(tmp_path), corpus)
    return corpus, tmp_path / "ix"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _ids(corpus: Path) -> list[str]:
    return [str(e["doc_id"]) for e in read_entries(corpus)]


def _indexed(index: Path) -> int:
    return int(json.loads((index / "manifest.json").read_text(encoding="utf-8"))["counts"]["documents"])


def _other(tmp_path: Path, registry: Registry) -> Replica:
    """Another replica's folder (a copy of the same small corpus), joined to the registry."""
    folder = tmp_path / "b"
    shutil.copytree(tmp_path / "template", folder)
    replica = Replica(Settings(corpus_dir=folder), registry)
    replica.join()
    return replica


def test_add_and_remove_are_published_and_followed(db_url: str, side: tuple[Path, Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = side
    flags = ["--corpus", str(corpus), "--index", str(index), "--database-url", db_url]
    shipped = _ids(corpus)
    docx = make_docx(tmp_path / "shequ.docx", variant("滨江社区"))
    code, out, err = _run(["add", str(docx), *flags], capsys)
    assert code == 0, err
    assert "共享数据库的文件登记为空：已登记本语料目录的 2 个文件" in err  # the first one seeds it
    assert "已登记到共享数据库" in out and "（第 2 版）" in out and "索引已重建" in out
    registry = Registry(Database(db_url))
    assert registry.snapshot().doc_ids == [*shipped, "shequ"] == _ids(corpus) and _indexed(index) == 3
    other = _other(tmp_path, registry)
    assert _ids(other.corpus) == [*shipped, "shequ"]
    for rel in ("shequ.txt", "originals/shequ.docx"):  # the text and the kept original, byte for byte
        assert (other.corpus / rel).read_bytes() == (corpus / rel).read_bytes()
    code, out, err = _run(["remove", "shequ", *flags], capsys)
    assert code == 0, err
    assert "（第 3 版）" in out and "已移除 shequ" in out and _indexed(index) == 2
    assert registry.snapshot().doc_ids == shipped == _ids(corpus)
    assert other.poll() is True and _ids(other.corpus) == shipped
    code, _, err = _run(["remove", "nosuch", *flags], capsys)  # the change's own error reads as ever
    assert code == 1 and "nosuch" in err and "共享数据库" not in err and registry.generation() == 3
    local = ["--corpus", str(corpus), "--index", str(index)]
    monkeypatch.setenv("DANGJIAN_DATABASE_URL", db_url)  # the environment variable is the same switch
    code, out, _ = _run(["add", str(docx), *local, "--doc-id", "shequ2"], capsys)
    assert code == 0 and "（第 4 版）" in out and registry.snapshot().doc_ids == [*shipped, "shequ2"]
    monkeypatch.delenv("DANGJIAN_DATABASE_URL")
    code, out, _ = _run(["remove", "shequ2", *local], capsys)  # without a URL: the folder alone
    assert code == 0 and "共享数据库" not in out and registry.generation() == 4


def test_the_folder_follows_the_registry_before_it_changes(db_url: str, side: tuple[Path, Path], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A document another replica published while this machine's folder did not follow (no serve
    here): the CLI fetches it before its own change, and the rebuilt index holds both."""
    from rag.ingest import add_files

    corpus, index = side
    registry = Registry(Database(db_url))
    Replica(Settings(corpus_dir=corpus), registry).join()  # this folder seeded the registry earlier
    other = _other(tmp_path, registry)
    with other.changing():
        (r,) = add_files([make_docx(tmp_path / "jiangbei.docx", variant("江北社区"))], other.corpus)
        other.publish_added([r.doc_id])
    src = tmp_path / "binjiang.txt"
    src.write_text(variant("滨江社区"), encoding="utf-8")
    code, out, err = _run(["add", str(src), "--corpus", str(corpus), "--index", str(index),
                           "--database-url", db_url], capsys)
    assert code == 0, err
    assert "语料目录已按共享数据库的文件登记同步（第 2 版）：取回 jiangbei" in err
    assert _ids(corpus)[-2:] == ["jiangbei", "binjiang"] == registry.snapshot().doc_ids[-2:]
    assert _indexed(index) == 4 and "（第 3 版）" in out


_REFUSE = {  # a registry that refuses every change of its documents table, as a failing server would
    "postgresql": ["CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
                   "CREATE TRIGGER refuse BEFORE INSERT OR DELETE ON documents "
                   "FOR EACH ROW EXECUTE FUNCTION refuse()"],
    "sqlite": ["CREATE TRIGGER refuse_insert BEFORE INSERT ON documents BEGIN "
               "SELECT RAISE(ABORT, 'refused by the test'); END",
               "CREATE TRIGGER refuse_delete BEFORE DELETE ON documents BEGIN "
               "SELECT RAISE(ABORT, 'refused by the test'); END"],
}


@pytest.mark.parametrize("command", ["add", "remove"])
def test_a_failed_publish_leaves_folder_and_registry_consistent(db_url: str, side: tuple[Path, Path],
                                                                tmp_path: Path, command: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    corpus, index = side
    db = Database(db_url)
    registry = Registry(db)
    Replica(Settings(corpus_dir=corpus), registry).join()
    before = registry.snapshot()
    files = {p.relative_to(corpus).as_posix(): p.read_bytes() for p in corpus.rglob("*")
             if p.is_file() and p.name != "manifest.toml"}  # the manifest is compared by its tables
    entries = read_entries(corpus)
    with db.write() as conn:
        for statement in _REFUSE[db.dialect]:
            conn.exec_driver_sql(statement)
    src = tmp_path / "binjiang.txt"
    src.write_text(variant("滨江社区"), encoding="utf-8")
    target = [str(src)] if command == "add" else [before.doc_ids[-1]]
    code, out, err = _run([command, *target, "--corpus", str(corpus), "--index", str(index),
                           "--database-url", db_url], capsys)
    assert code == 1 and "refused by the test" in err and "没有登记到共享数据库" in err and "已撤销" in err
    assert "已登记到共享数据库" not in out and not index.exists()  # nothing rebuilt from a change undone
    assert registry.snapshot() == before and read_entries(corpus) == entries  # both as they were
    for rel, data in files.items():  # the registry's files are back, byte for byte
        assert (corpus / rel).read_bytes() == data
    if command == "add":
        assert (corpus / "removed" / "binjiang.txt").is_file()  # the refused add is set aside, not lost


def test_an_unreachable_database_changes_nothing(side: tuple[Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from pgcluster import _free_port

    corpus, index = side
    manifest = (corpus / "manifest.toml").read_bytes()
    src = tmp_path / "binjiang.txt"
    src.write_text(variant("滨江社区"), encoding="utf-8")
    url = f"postgresql://nobody:secret@127.0.0.1:{_free_port()}/none"
    for argv in (["add", str(src)], ["remove", _ids(corpus)[0]], ["index"]):
        code, out, err = _run([*argv, "--corpus", str(corpus), "--index", str(index), "--database-url", url],
                              capsys)
        assert code == 1 and "无法读写数据库" in err and "secret" not in err and out == ""
    assert (corpus / "manifest.toml").read_bytes() == manifest and not index.exists()


def test_index_registers_dropped_files_in_the_registry(db_url: str, side: tuple[Path, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A file dropped into the folder and registered by `dangjian index` reaches the registry too."""
    corpus, index = side
    flags = ["--corpus", str(corpus), "--index", str(index), "--database-url", db_url]
    assert _run(["index", *flags], capsys)[0] == 0
    (corpus / "binjiang.txt").write_text(variant("滨江社区"), encoding="utf-8")
    code, out, err = _run(["index", *flags], capsys)
    assert code == 0, err
    assert "binjiang" in out and "已登记到共享数据库" in out and _indexed(index) == 3
    registry = Registry(Database(db_url))
    assert registry.snapshot().doc_ids == _ids(corpus) and registry.generation() == 2
    with Database(db_url).read() as conn:  # the text is registered with its entry
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM document_files WHERE doc_id = 'binjiang'")) >= 1
