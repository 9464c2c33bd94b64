"""rag.eval.feedback: the feedback.jsonl log older versions of the page wrote (one vote per
(conversation, turn), undo, concurrency, compaction), which the database imports, and the export.
The page's votes in the database: tests/test_db.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli import main
from rag.errors import DangjianError
from rag.eval import feedback

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
    _vote(path, "党费怎么交？", "down", citations=[f"{DOC}#9"])
    rows = feedback.to_eval(feedback.read(path))
    assert [r["question"] for r in rows] == ["党章第三十二条怎么说", "今天天气怎么样？", "第8条要求什么？", "党费怎么交？"]
    for row in rows[:3]:  # 👍: the eval schema, ready to promote
        assert set(row) == {"id", "question", "history", "gold", "answerable", "must_include", "category", "vote"}
        assert row["category"] == "feedback" and row["must_include"] == [] and row["id"].startswith("fb-")
    by_q = {r["question"]: r for r in rows}
    assert by_q["第8条要求什么？"]["gold"] == [8] and by_q["第8条要求什么？"]["vote"] == "up"  # latest wins
    assert by_q["党章第三十二条怎么说"]["gold"] == ["dangzhang-2022#32", f"{DOC}#header"]
    assert by_q["今天天气怎么样？"]["answerable"] is False and by_q["今天天气怎么样？"]["gold"] == []
    # 👎: needs review, no gold (a wrong answer's citations are not the right ones)
    review = by_q["党费怎么交？"]
    assert review["category"] == feedback.REVIEW and review["vote"] == "down" and "gold" not in review
    assert review["citations"] == [f"{DOC}#9"] and review["answer"] == "答案〔第8条〕"
    assert len({r["id"] for r in rows}) == 4


def _set(path: Path, conversation: str, turn: int, vote: str | None, reason: str = "") -> dict | None:
    return feedback.set_vote(path, conversation=conversation, turn=turn, vote=vote, question=f"问题{turn}",
                             history=[], answer="答案〔第8条〕", abstained=False, kind="item",
                             citations=[f"{DOC}#8"], primary_doc=DOC, reason=reason)


def test_one_record_per_conversation_turn_last_state_wins_and_undo(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    for _ in range(5):  # repeated clicks: still one record, and the log stays compact
        _set(path, "c1", 0, "up")
    assert len(feedback.read(path)) == 1 and len(path.read_text(encoding="utf-8").splitlines()) <= 2
    _set(path, "c1", 1, "up")
    _set(path, "c2", 0, "up")
    rec = _set(path, "c1", 0, "down", reason="  引用的条目\n不对  ")
    assert rec is not None and rec["reason"] == "引用的条目 不对"
    recs = feedback.read(path)
    assert [(r["conversation"], r["turn"], r["vote"]) for r in recs] == [("c1", 1, "up"), ("c2", 0, "up"),
                                                                        ("c1", 0, "down")]
    assert _set(path, "c1", 1, None) is None  # undo removes the record
    assert [(r["conversation"], r["turn"]) for r in feedback.read(path)] == [("c2", 0), ("c1", 0)]
    _set(path, "c9", 3, None)  # undoing what was never voted changes nothing
    assert len(feedback.read(path)) == 2
    # an older record without a conversation is kept through later writes
    _vote(path, "旧问题", "up")
    _set(path, "c2", 0, None)
    assert [r["question"] for r in feedback.read(path)] == ["问题0", "旧问题"]
    assert not list(tmp_path.glob(".f.jsonl.tmp-*"))  # written aside and renamed: no leftovers


def test_concurrent_votes_are_neither_lost_nor_duplicated(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "f.jsonl"
    errors: list[BaseException] = []

    def click(worker: int) -> None:
        try:
            for i in range(15):
                _set(path, f"c{worker}", i % 5, "up" if i % 2 else "down")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=click, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    recs = feedback.read(path)
    keys = [(r["conversation"], r["turn"]) for r in recs]
    assert sorted(keys) == sorted((f"c{w}", t) for w in range(6) for t in range(5))  # 30, none twice
    last = {t: ("up" if i % 2 else "down") for i in range(15) for t in [i % 5]}
    assert all(r["vote"] == last[r["turn"]] for r in recs)


def test_concurrent_votes_from_two_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "f.jsonl"
    code = ("import sys; from pathlib import Path; from rag.eval import feedback as f\n"
            "for i in range(40):\n"
            "    f.set_vote(Path(sys.argv[1]), conversation=sys.argv[2], turn=i, vote='up', question='q',"
            " history=[], answer='a', abstained=False, citations=[])\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), name]) for name in ("p1", "p2")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    keys = {(r["conversation"], r["turn"]) for r in feedback.read(path)}
    assert len(feedback.read(path)) == 80 and len(keys) == 80


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
    # by default the votes in the database, into which the older log DANGJIAN_FEEDBACK_PATH names is
    # imported on first use (and set aside); output to stdout
    monkeypatch.setenv("DANGJIAN_FEEDBACK_PATH", str(path))
    monkeypatch.setenv("DANGJIAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DANGJIAN_DATABASE_URL", raising=False)
    assert main(["feedback-export"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[0])["question"] == "第8条要求什么？"
    assert "来自 数据库 sqlite:///" in captured.err and not path.exists()
    assert main(["feedback-export"]) == 0  # imported once: the database still holds it
    assert len(capsys.readouterr().out.splitlines()) == 1
    # a missing file is an error with a message (exit 1), not an empty export
    assert main(["feedback-export", "--feedback", str(tmp_path / "none.jsonl")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "找不到反馈文件" in captured.err and "none.jsonl" in captured.err


def test_cli_export_separates_candidates_from_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "f.jsonl"
    _set(path, "c1", 0, "up")
    _set(path, "c1", 1, "down", reason="答非所问")
    out = tmp_path / "cand.jsonl"
    assert main(["feedback-export", "--feedback", str(path), "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["category"] for r in rows] == ["feedback", feedback.REVIEW]
    assert rows[0]["gold"] == [8] and "gold" not in rows[1] and rows[1]["reason"] == "答非所问"
    assert "1 条候选评测题" in capsys.readouterr().err


# -- the append-only log ---------------------------------------------------------------------------


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_vote_appends_a_line_instead_of_rewriting_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    for t in range(20):
        _set(path, "c1", t, "up")
    before, inode = path.read_bytes(), path.stat().st_ino
    _set(path, "c1", 3, "down")
    _set(path, "c1", 4, None)
    after = path.read_bytes()
    assert path.stat().st_ino == inode and after.startswith(before)  # appended, not rewritten
    assert [(r["turn"], r["vote"]) for r in _lines(path)[-2:]] == [(3, "down"), (4, None)]
    retraction = _lines(path)[-1]
    assert set(retraction) == {"time", "conversation", "turn", "vote"}  # a retraction names its key only
    recs = feedback.read(path)
    assert len(recs) == 19 and recs[-1]["turn"] == 3 and recs[-1]["vote"] == "down"
    assert 4 not in {r["turn"] for r in recs}


def test_compaction_keeps_the_live_records_and_bounds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    _vote(path, "旧问题", "up")  # an older version's record (no conversation): kept through compactions
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")  # an unreadable line: kept as it is (not ours to drop), skipped by read
    expected: dict[tuple[str, int], str | None] = {}
    for i in range(300):
        key = ("c1" if i % 3 else "c2", i % 7)
        vote = (None, "up", "down")[i % 3] if i % 5 else "up"
        _set(path, key[0], key[1], vote)
        if vote is None:
            expected.pop(key, None)
        else:
            expected[key] = vote
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) <= 2 * (len(expected) + 2)  # compacted whenever over twice the live records
    assert "{not json" in path.read_text(encoding="utf-8")
    recs = feedback.read(path)
    assert recs[0]["question"] == "旧问题"
    assert {(r["conversation"], r["turn"]): r["vote"] for r in recs[1:]} == expected
    assert not list(tmp_path.glob(".f.jsonl.tmp-*"))  # compacted aside and renamed


def test_a_file_in_the_older_format_reads_and_takes_votes(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    old = [feedback.make_record(vote=v, conversation="c1", turn=t, question=f"问题{t}", history=[], answer="a",
                                abstained=False, citations=[]) for t, v in enumerate(["up", "down", "up"])]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in old), encoding="utf-8")
    assert feedback.read(path) == old
    _set(path, "c1", 1, None)
    _set(path, "c1", 0, "down")
    assert [(r["turn"], r["vote"]) for r in feedback.read(path)] == [(2, "up"), (0, "down")]


def test_a_broken_last_line_does_not_swallow_the_next_vote(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    _set(path, "c1", 0, "up")
    _set(path, "c1", 1, "up")
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"time": "2025-05-0')  # a writer that died mid-line
    _set(path, "c1", 2, "down")
    assert [(r["turn"], r["vote"]) for r in feedback.read(path)] == [(0, "up"), (1, "up"), (2, "down")]


def test_votes_after_another_process_compacted_the_file(tmp_path: Path) -> None:
    """This process remembers what it read; another process's compaction replaces the file with a
    shorter one, and the next vote here must notice (it reads the file again) rather than read on
    from a stale offset, missing the other process's votes (an undo of one would then be skipped)."""
    import subprocess
    import sys

    path = tmp_path / "f.jsonl"
    for t in range(10):
        _set(path, "here", t, "up")
    for t in range(5):
        _set(path, "here", t, "down")  # 15 lines, 10 live: compaction will shorten what this process read
    code = ("import sys; from pathlib import Path; from rag.eval import feedback as f\n"
            "def vote(t, v): f.set_vote(Path(sys.argv[1]), conversation='there', turn=t, vote=v, question='q',"
            " history=[], answer='a', abstained=False, citations=[])\n"
            "for i in range(60):\n"
            "    vote(i // 2 % 3, None if i % 2 else 'up')\n"
            "for t in range(3):\n"
            "    vote(t, 'up')\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    # the other process compacted it (81 lines appended in all; an inode number can be reused,
    # so the line count says it, not the inode)
    assert len(path.read_text(encoding="utf-8").splitlines()) < 15 + 66
    assert sorted((r["conversation"], r["turn"]) for r in feedback.read(path) if r["conversation"] == "there") \
        == [("there", 0), ("there", 1), ("there", 2)]
    for t in range(3):
        _set(path, "there", t, None)  # a stale view would skip these as never voted
    for t in range(10):
        _set(path, "here", t, None)
    assert feedback.read(path) == []
    _set(path, "here", 5, "down")
    assert [(r["conversation"], r["turn"], r["vote"]) for r in feedback.read(path)] == [("here", 5, "down")]


def test_export_reads_the_latest_state_of_the_log(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    _set(path, "c1", 0, "up")
    _set(path, "c1", 1, "up")
    _set(path, "c1", 0, "down", reason="答非所问")
    _set(path, "c1", 1, None)
    rows, _text = feedback.export(path)
    assert [(r["question"], r["category"]) for r in rows] == [("问题0", feedback.REVIEW)]
