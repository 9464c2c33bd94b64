"""An add that did not finish is visible and resumable; an upload never takes a collected document's
title or doc_id (issue #20). Small corpus (the notice and one regulation), hash embedder: fast."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ingest import SAMPLE_TEXT
from test_ingest_faults import template

from rag.cli import main
from rag.index import pending_documents
from rag.ingest import add_files, read_entries

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = "中国共产党发展党员工作细则"  # in the shipped corpus as fazhan-dangyuan-gongzuo-xize-2026
QUOTE = "本条例自2021年3月1日起施行。"  # the sample regulation's last article
EMBEDDING = b"<embedding>"

# `dangjian add` as the console script runs it, except that the hash embedder announces the
# embedding stage on stderr and then sleeps: the test kills the process there, deterministically.
SLOW_EMBED = f"""
import sys, time
from rag import embed
def encode(self, texts, _real=embed.HashEmbedder.encode):
    sys.stderr.write({EMBEDDING.decode()!r}); sys.stderr.flush()
    time.sleep(120)
    return _real(self, texts)
embed.HashEmbedder.encode = encode
from rag.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cli(args: list[str], *, prelude: str | None = None) -> list[str]:
    code = ["-c", prelude] if prelude else ["-m", "rag"]
    return [sys.executable, *code, *args]


def env() -> dict[str, str]:
    return {**os.environ, "DANGJIAN_EMBED_BACKEND": "hash", "PYTHONPATH": str(ROOT)}


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(args), capture_output=True, text=True, env=env(), cwd=ROOT, timeout=120,
                          check=False)


def kill_while_embedding(args: list[str]) -> bytes:
    """Start `dangjian …`, SIGKILL it once it is embedding; returns what it wrote to stderr."""
    proc = subprocess.Popen(cli(args, prelude=SLOW_EMBED), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env(), cwd=ROOT)
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while EMBEDDING not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen.decode(errors="replace")
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if ready:
                seen += os.read(proc.stderr.fileno(), 4096)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    return seen


@pytest.fixture()
def where(tmp_path: Path) -> list[str]:
    corpus = template(tmp_path)
    return ["--corpus", str(corpus), "--index", str(tmp_path / "ix")]


def test_add_killed_while_embedding_is_pending_until_added_again(where: list[str], tmp_path: Path) -> None:
    corpus, index = Path(where[1]), Path(where[3])
    src = tmp_path / "shequ.txt"
    src.write_text(SAMPLE_TEXT, encoding="utf-8")
    assert run(["index", *where]).returncode == 0
    kill_while_embedding(["add", str(src), *where])
    assert "shequ" in {e["doc_id"] for e in read_entries(corpus)}  # committed to the corpus…
    assert pending_documents(index, corpus) == ["shequ"]  # …but not answerable: pending

    asked = run(["ask", "示范社区党建工作条例第八条", *where])
    assert asked.returncode == 1 and "Traceback" not in asked.stderr
    assert "以下文件的添加没有完成，暂时无法回答：《中国共产党示范社区党建工作条例》（shequ）" in asked.stderr
    assert "`dangjian add 同一文件`" in asked.stderr and "`dangjian index`" in asked.stderr

    again = run(["add", str(src), *where])
    assert again.returncode == 0, again.stderr
    assert "已收录" not in again.stdout
    assert f"↻ {src}：shequ 已在语料中，但上次添加没有完成" in again.stdout
    assert "✓ shequ 已完成添加，现在可以提问" in again.stdout
    assert pending_documents(index, corpus) == []
    answer = run(["ask", "示范社区党建工作条例第八条", *where])
    assert answer.returncode == 0 and QUOTE in answer.stdout, answer.stderr

    third = run(["add", str(src), *where])  # now it really is there: said so, nothing rebuilt
    assert third.returncode == 0 and third.stdout.splitlines() == [f"= {src}：已收录（shequ，shequ.txt），未重复添加"]


def test_add_again_rebuilds_when_there_is_no_index(where: list[str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No index at all (killed during the first build): the document is not answerable, so no 已收录."""
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    src = tmp_path / "shequ.txt"
    src.write_text(SAMPLE_TEXT, encoding="utf-8")
    add_files([src], where[1])  # the corpus half of `dangjian add`, as if killed before building
    assert main(["add", str(src), *where]) == 0
    out = capsys.readouterr().out
    assert "已收录" not in out and "索引已重建" in out
    assert main(["ask", "示范社区党建工作条例第八条", *where]) == 0 and QUOTE in capsys.readouterr().out


# -- an upload never takes a collected document's title or doc_id ---------------------------------


def impostor(tmp_path: Path, name: str = "xize.txt") -> Path:
    """Not the official text, but titled 《中国共产党发展党员工作细则》."""
    src = tmp_path / "in" / name
    src.parent.mkdir(exist_ok=True)
    src.write_text(SAMPLE_TEXT.replace("中国共产党示范社区党建工作条例", OFFICIAL), encoding="utf-8")
    return src


@pytest.fixture()
def shipped(tmp_path: Path) -> list[str]:
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "ix")]


def test_cli_add_refuses_a_collected_title_and_takes_another_with_title(
        shipped: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    corpus = Path(shipped[1])
    official = next(e for e in read_entries(corpus) if e["title"] == OFFICIAL)
    before = (corpus / "manifest.toml").read_bytes()
    src = impostor(tmp_path)
    assert main(["add", str(src), *shipped]) == 1
    out = capsys.readouterr().out
    assert f"✗ {src}：语料中已有同名文件《{OFFICIAL}》（doc_id：{official['doc_id']}），内容与这个文件不同，未添加" in out
    assert "--title 新标题" in out and "索引已重建" not in out
    assert (corpus / "manifest.toml").read_bytes() == before and not (corpus / "xize.txt").exists()
    # with quotes or spaces it is still the same title
    assert main(["add", str(src), "--title", f"《{OFFICIAL} 》", *shipped]) == 1
    assert "语料中已有同名文件" in capsys.readouterr().out

    assert main(["add", str(src), "--title", "某支部发展党员工作细则（试行）", *shipped]) == 0
    assert "✓ xize" in capsys.readouterr().out
    titles = {e["doc_id"]: e["title"] for e in read_entries(corpus)}
    assert titles["xize"] == "某支部发展党员工作细则（试行）" and titles[official["doc_id"]] == OFFICIAL


def test_cli_add_refuses_a_collected_doc_id_naming_the_document(
        shipped: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = Path(shipped[1])
    official = next(e for e in read_entries(corpus) if e["title"] == OFFICIAL)
    src = impostor(tmp_path, f"{official['doc_id']}.txt")  # the file name's slug is the doc_id
    assert main(["add", str(src), "--title", "另一份细则", *shipped]) == 1
    out = capsys.readouterr().out
    assert f"语料中已有 doc_id 为 {official['doc_id']} 的文件《{OFFICIAL}》，未添加" in out and "--doc-id" in out
    assert main(["add", str(src), "--title", "另一份细则", "--doc-id", official["doc_id"], *shipped]) == 1
    assert f"已有 doc_id 为 {official['doc_id']} 的文件《{OFFICIAL}》" in capsys.readouterr().out
    assert [e["doc_id"] for e in read_entries(corpus)].count(official["doc_id"]) == 1


def test_web_upload_refuses_a_collected_title(shipped: list[str], tmp_path: Path) -> None:
    from rag.config import Settings
    from ui.runtime import AppState

    settings = Settings(embed_backend="hash", corpus_dir=Path(shipped[1]), index_dir=Path(shipped[3]))
    jobs = AppState(settings).jobs
    manifest = (settings.corpus_dir / "manifest.toml").read_bytes()
    assert jobs.start_add([impostor(tmp_path)])
    job = jobs.wait(60)
    assert job.state == "done" and job.message == "没有新增文件（1 个失败）"
    [line] = job.report
    assert line["status"] == "error" and line["text"].startswith(f"语料中已有同名文件《{OFFICIAL}》（doc_id：")
    assert (settings.corpus_dir / "manifest.toml").read_bytes() == manifest
