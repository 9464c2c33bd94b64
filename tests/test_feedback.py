"""rag.feedback: append-only JSONL votes and their export as candidate eval questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.eval import feedback
from rag.cli import main
from rag.errors import DangjianError

DOC = "dongzhi-2025-3"


def _vote(path: Path, question: str, vote: str, *, history: list[str] | None = None,
          citations: list[str] | None = None, abstained: bool = False, time: str = "") -> dict:
    return feedback.record(path, question=question, history=history or [], answer="答案〔第8条〕",
                           abstained=abstained, kind="item", citations=citations or [],
                           primary_doc=DOC, vote=vote, time=time or None)


def test_record_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "feedback.jsonl"
    rec = _vote(path, "第8条要求什么？", "up", citations=[f"{DOC}#8", f"{DOC}#8"])
    _vote(path, "那第9条呢？", "down", history=["第8条要求什么？"], citations=[f"{DOC}#9"])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first == rec
    assert set(first) >= {"time", "question", "history", "answer", "citations", "vote"}
    assert first["citations"] == [f"{DOC}#8"]  # duplicates dropped
    assert "第8条要求什么？" in lines[0]  # UTF-8, not \\u escapes
    assert feedback.read(path)[1]["history"] == ["第8条要求什么？"]


def test_invalid_vote_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DangjianError):
        _vote(tmp_path / "f.jsonl", "q", "maybe")
    assert not (tmp_path / "f.jsonl").exists()


def test_read_skips_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    _vote(path, "第8条要求什么？", "up")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n[1, 2]\n" + json.dumps({"question": "x", "vote": "sideways"}) + "\n")
    assert [r["question"] for r in feedback.read(path)] == ["第8条要求什么？"]
    assert feedback.read(tmp_path / "missing.jsonl") == []


def test_to_eval_schema_gold_and_dedup(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    _vote(path, "第8条要求什么？", "down", citations=[f"{DOC}#8"], time="2025-05-01T10:00:00+08:00")
    _vote(path, "党章第三十二条怎么说", "up", citations=["dangzhang-2022#32", f"{DOC}#header"])
    _vote(path, "今天天气怎么样？", "up", abstained=True)
    _vote(path, "第8条要求什么？", "up", citations=[f"{DOC}#8"], time="2025-05-02T10:00:00+08:00")
    rows = feedback.to_eval(feedback.read(path))
    assert [r["question"] for r in rows] == ["党章第三十二条怎么说", "今天天气怎么样？", "第8条要求什么？"]
    for row in rows:
        assert set(row) == {"id", "question", "history", "gold", "answerable", "must_include", "category", "vote"}
        assert row["category"] == "feedback" and row["must_include"] == [] and row["id"].startswith("fb-")
    by_q = {r["question"]: r for r in rows}
    assert by_q["第8条要求什么？"]["gold"] == [8] and by_q["第8条要求什么？"]["vote"] == "up"  # latest wins
    assert by_q["党章第三十二条怎么说"]["gold"] == ["dangzhang-2022#32", f"{DOC}#header"]
    assert by_q["今天天气怎么样？"]["answerable"] is False and by_q["今天天气怎么样？"]["gold"] == []
    assert len({r["id"] for r in rows}) == 3


def test_same_question_with_other_history_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    _vote(path, "那第9条呢？", "up", citations=[f"{DOC}#9"], history=["第8条要求什么？"])
    _vote(path, "那第9条呢？", "up", citations=[f"{DOC}#9"])
    rows = feedback.to_eval(feedback.read(path))
    assert len(rows) == 2 and rows[0]["history"] == ["第8条要求什么？"]


def test_cli_feedback_export(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.jsonl"
    _vote(path, "第8条要求什么？", "up", citations=[f"{DOC}#8"])
    out = tmp_path / "out" / "cand.jsonl"
    assert main(["feedback-export", "--feedback", str(path), "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["gold"] == [8] and rows[0]["answerable"] is True
    assert "已导出 1 条" in capsys.readouterr().err
    # default input comes from DANGJIAN_FEEDBACK_PATH; output to stdout
    monkeypatch.setenv("DANGJIAN_FEEDBACK_PATH", str(path))
    assert main(["feedback-export"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["question"] == "第8条要求什么？"
    # a missing file exports nothing, without error
    assert main(["feedback-export", "--feedback", str(tmp_path / "none.jsonl")]) == 0
    assert capsys.readouterr().out == ""
