"""`dangjian add`, `index` (registration) and `remove` as the user runs them (hash embedder: fast)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_ingest import SAMPLE_TEXT, variant
from test_ingest_faults import template

from rag.cli import main


@pytest.fixture()
def args(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    corpus = template(tmp_path)  # the notice and one regulation
    return ["--corpus", str(corpus), "--index", str(tmp_path / "ix")]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def documents(args: list[str]) -> int:
    manifest = json.loads((Path(args[3]) / "manifest.json").read_text(encoding="utf-8"))
    return int(manifest["counts"]["documents"])


def test_add_twice_is_idempotent_and_remove_undoes_it(args: list[str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "shequ-gbk.txt"
    src.write_bytes(variant("甲乙社区").encode("gbk"))
    code, out, _ = run(["add", str(src), *args], capsys)
    assert code == 0 and out.startswith("✓ shequ-gbk（9 个条目") and "索引已重建" in out
    assert documents(args) == 3
    code, out, _ = run(["add", str(src), *args], capsys)
    assert code == 0 and out.splitlines() == [f"= {src}：已收录（shequ-gbk，shequ-gbk.txt），未重复添加"]
    code, out, err = run(["remove", "shequ-gbk", *args], capsys)
    assert code == 0 and out.splitlines() == [
        f"已移除 shequ-gbk（《中国共产党甲乙社区党建工作条例》），已删除文件：shequ-gbk.txt、"
        f"originals/shequ-gbk.txt；索引已重建：{args[3]}"]
    assert documents(args) == 2 and "Traceback" not in err
    corpus = Path(args[1])
    assert not (corpus / "shequ-gbk.txt").exists() and not (corpus / "originals" / "shequ-gbk.txt").exists()
    code, out, _ = run(["ask", "甲乙社区党建工作条例第八条", *args], capsys)
    assert code == 0 and "本条例自2021年3月1日起施行。" not in out


def test_remove_keep_files(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = Path(args[1])
    (corpus / "shequ.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    assert run(["index", *args], capsys)[0] == 0 and documents(args) == 3
    code, out, _ = run(["remove", "shequ", "--keep-files", *args], capsys)
    assert code == 0 and "文件已移入 removed/：shequ.txt" in out and len(out.splitlines()) == 1
    assert (corpus / "removed" / "shequ.txt").read_text(encoding="utf-8") == SAMPLE_TEXT
    code, out, _ = run(["index", *args], capsys)  # not registered again
    assert code == 0 and "shequ" not in out and documents(args) == 2


@pytest.mark.parametrize(("doc_id", "message"), [
    ("dongzhi-2025-3", "不能删除主文件 dongzhi-2025-3（《2025年市直机关党的建设要点》，primary = true）"),
    ("nope", "语料中没有 doc_id 为 nope 的文件；"
             "现有：dongzhi-2025-3、dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024"),
])
def test_remove_errors_are_one_line(args: list[str], capsys: pytest.CaptureFixture[str], doc_id: str,
                                    message: str) -> None:
    before = (Path(args[1]) / "manifest.toml").read_bytes()
    code, out, err = run(["remove", doc_id, *args], capsys)
    assert code == 1 and out == "" and message in err and len(err.strip().splitlines()) == 1
    assert (Path(args[1]) / "manifest.toml").read_bytes() == before


def test_index_recovers_leftovers_and_says_so(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    corpus = Path(args[1])
    (corpus / ".manifest.toml.tmp-999999999-aa").write_text("junk", encoding="utf-8")
    hidden = corpus / ".register-x1"
    hidden.mkdir()
    shutil.copy(Path(__file__).parent / "data" / "sample-regulation.txt", hidden / "shequ.txt")
    code, out, err = run(["index", *args], capsys)
    assert code == 0 and "已把上次中断时移走的文件放回原处：shequ.txt" in err
    assert "已清理上次中断留下的临时文件 1 个" in err
    assert "✓ shequ" in out and documents(args) == 3
    assert sorted(p.name for p in corpus.iterdir() if p.name.startswith(".")) == []
