"""Answers over a real index that holds a plain notice (cited by paragraph) beside the primary notice,
and `dangjian add` of one (the registry and the parser: test_kinds.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.assistant import open_assistant
from rag.ingest import add_files
from rag.query import State

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PLAIN = ROOT / "tests" / "data" / "plain-notice-dangfei.txt"
TITLE = "关于做好2025年党费收缴工作的通知"


@pytest.fixture(scope="module")
def plain_assistant(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Assistant:
    root = tmp_path_factory.mktemp("plain")
    corpus = root / "corpus"
    corpus.mkdir()
    manifest = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    head, _sep, _rest = manifest.partition("\n[[documents]]\ndoc_id = \"dangzhang-2022\"")
    (corpus / "manifest.toml").write_text(head + "\n", encoding="utf-8")
    (corpus / "notice-2025-dongzhi-3.txt").write_bytes((CORPUS / "notice-2025-dongzhi-3.txt").read_bytes())
    [res] = add_files([PLAIN], corpus, overrides={PLAIN.name: {"doc_id": "dangfei"}})
    assert res.status == "ok" and res.meta["kind"] == "plain" and res.articles == 9, res.reason
    return open_assistant(replace(settings, corpus_dir=corpus, index_dir=root / "index"), build_if_missing=True)


MARK = f"〔《{TITLE}》第3段〕"


def test_a_paragraph_is_quoted_and_cited_by_paragraph(plain_assistant: Assistant) -> None:
    ans = plain_assistant.ask(f"《{TITLE}》第3段讲什么？")
    assert ans.route == "reference" and not ans.abstained
    assert {(c.doc_id, c.ref) for c in ans.citations} == {("dangfei", "3")}
    assert MARK in ans.text and "在职党员以每月工资总额" in ans.text
    assert ans.blocks[0].heading == f"《{TITLE}》第3段（二、准确核定交纳基数）"
    follow = plain_assistant.ask("下一段呢", state=State("dangfei", ("3",)))
    assert [c.ref for c in follow.citations][:1] == ["4"] and f"〔《{TITLE}》第4段〕" in follow.text


def test_references_in_the_other_kinds_word_say_how_it_is_cited(plain_assistant: Assistant) -> None:
    wrong = plain_assistant.ask(f"《{TITLE}》第3条讲什么？")
    assert wrong.abstained and wrong.route == "reference"
    assert f"《{TITLE}》按段引用（共9段），没有“第N条”的说法" in wrong.text
    bare = plain_assistant.ask("第3段讲什么？")  # bare references point at the primary notice, cited by 条
    assert bare.abstained and "按条引用" in bare.text and f"按段引用的文件：《{TITLE}》" in bare.text
    beyond = plain_assistant.ask(f"《{TITLE}》第12段")
    assert beyond.kind == "out_of_range" and f"《{TITLE}》共9段（第1—9段），没有第12段" in beyond.text
    section = plain_assistant.ask(f"《{TITLE}》第三部分讲什么？")
    assert "三、规范收缴程序（共2段）" in section.text


def test_a_free_question_finds_the_paragraph(plain_assistant: Assistant) -> None:
    ans = plain_assistant.ask("党费最多可以预交几个月？")
    assert not ans.abstained and ans.citations[0].key == "dangfei#5"
    assert "预交时间一般不超过12个月" in ans.text and re.search(r"〔《关于做好2025年党费收缴工作的通知》第5段〕", ans.text)


def test_dangjian_add_takes_a_plain_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from test_ingest_faults import template

    from rag.cli import main

    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    where = ["--corpus", str(template(tmp_path)), "--index", str(tmp_path / "ix")]
    assert main(["add", str(PLAIN), "--doc-id", "dangfei", *where]) == 0
    out = capsys.readouterr().out
    assert out.startswith("✓ dangfei（11 个条目") and "索引已重建" in out
    assert main(["ask", f"《{TITLE}》第5段讲什么？", *where]) == 0
    out = capsys.readouterr().out
    assert f"〔《{TITLE}》第5段〕" in out and "预交时间一般不超过12个月" in out
    with pytest.raises(SystemExit):
        main(["add", "--help"])
    assert "plain——通知（按段）" in capsys.readouterr().out
