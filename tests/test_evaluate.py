from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import Settings
from rag.cli import main
from rag.eval import evaluate as ev

ROOT = Path(__file__).resolve().parent.parent
P = "dongzhi-2025-3"


def q(**kw: object) -> ev.Question:
    base: dict[str, object] = {"id": "t", "question": "x", "gold": (), "answerable": True}
    return ev.Question(**(base | kw))  # type: ignore[arg-type]


def test_perfect_answer_scores_one() -> None:
    s = ev.score(q(gold=(f"{P}#8",), must_include=("四强",)), "…四强…", False, [f"{P}#8"], [f"{P}#8", f"{P}#9"])
    assert s == {"abstention_accuracy": 1.0, "hit_at_1": 1.0, "recall_at_5": 1.0, "mrr": 1.0,
                 "citation_precision": 1.0, "must_include_rate": 1.0}


def test_partial_retrieval_and_citations() -> None:
    gold = (f"{P}#3", f"{P}#5")
    s = ev.score(q(gold=gold), "", False, [f"{P}#5", f"{P}#9"], [f"{P}#9", f"{P}#5", f"{P}#1"])
    assert s["hit_at_1"] == 0.0 and s["recall_at_5"] == 0.5 and s["mrr"] == 0.5
    assert s["citation_precision"] == 0.5


def test_empty_gold_checks_only_abstention_and_must_include() -> None:
    s = ev.score(q(must_include=("19",)), "共19条", False, [], [])
    assert s == {"abstention_accuracy": 1.0, "must_include_rate": 1.0}


def test_unanswerable_rewards_refusal() -> None:
    assert ev.score(q(answerable=False), "未找到", True, [], [f"{P}#1"]) == {"abstention_accuracy": 1.0}
    assert ev.score(q(answerable=False), "…", False, [f"{P}#1"], [f"{P}#1"]) == {"abstention_accuracy": 0.0}


def test_out_of_range_must_include_needs_refusal() -> None:
    assert ev.score(q(answerable=False, must_include=("19",)), "共19条", True, [], [])["must_include_rate"] == 1.0
    assert ev.score(q(answerable=False, must_include=("19",)), "第19条…", False, [], [])["must_include_rate"] == 0.0


def test_load_questions_maps_int_gold_and_keeps_history(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "下一条", "history": ["第8条"], "gold": [9, "x#header"],
                                "answerable": True}, ensure_ascii=False) + "\n", encoding="utf-8")
    (row,) = ev.load_questions(path, P)
    assert row.gold == (f"{P}#9", "x#header") and row.history == ("第8条",) and row.category == "uncategorized"


def test_load_questions_rejects_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(Exception, match="缺少字段"):
        ev.load_questions(path, P)


def test_gate() -> None:
    assert ev.gate({"hit_at_1": 0.95, "latency_ms_p95": 5}, {"hit_at_1": 0.9, "max:latency_ms_p95": 10}) == []
    assert len(ev.gate({"hit_at_1": 0.5, "latency_ms_p95": 50}, {"hit_at_1": 0.9, "max:latency_ms_p95": 10})) == 2


TINY = [
    {"id": "t1", "question": "第8条要求什么？", "history": [], "gold": [8], "answerable": True,
     "must_include": ["四强"], "category": "item_lookup"},
    {"id": "t2", "question": "那第9条呢？", "history": ["第8条要求什么？"], "gold": [9], "answerable": True,
     "must_include": [], "category": "followup"},
    {"id": "t3", "question": "第20条", "history": [], "gold": [], "answerable": False, "must_include": ["19"],
     "category": "out_of_range"},
]


@pytest.fixture()
def tiny(tmp_path: Path, shared_cli: Settings) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in TINY), encoding="utf-8")
    return path


def test_runner_json_contract(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--file", str(tiny), "--json", "--no-gate"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["primary_doc"] == P
    assert set(ev.METRICS) <= data["metrics"].keys()
    assert data["metrics"]["hit_at_1"] == 1.0 and data["metrics"]["abstention_accuracy"] == 1.0
    assert set(data["by_category"]) == {"item_lookup", "followup", "out_of_range"}
    r = data["results"][1]
    assert {"id", "question", "answer", "abstained", "citations", "retrieved", "latency_ms"} <= r.keys()
    assert r["citations"] == [f"{P}#9"]


def test_threshold_breach_exits_non_zero(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    strict = tmp_path / "t.toml"
    strict.write_text("[max]\nlatency_ms_p95 = 0.0001\n", encoding="utf-8")
    assert main(["eval", "--file", str(tiny), "--thresholds", str(strict)]) == 1
    assert "质量门槛未通过" in capsys.readouterr().err
    ok = tmp_path / "ok.toml"
    ok.write_text("[min]\nhit_at_1 = 0.9\n", encoding="utf-8")
    assert main(["eval", "--file", str(tiny), "--thresholds", str(ok)]) == 0


def test_eval_llm_mode_reports_verified_rate_against_the_test_server(
        tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`dangjian eval --mode llm` through the real HTTP client, against the scripted local server."""
    from fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    try:
        monkeypatch.setenv("DANGJIAN_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("DANGJIAN_LLM_MODEL", "good_8")  # a correct answer about item 8, whatever is asked
        assert main(["eval", "--file", str(tiny), "--json", "--no-gate", "--mode", "llm"]) == 0
        data = json.loads(capsys.readouterr().out)
        # t1 (item 8) verifies; t2 (item 9) gets the item-8 reply, which fails the check and falls back;
        # t3 (第20条) is refused before any model call.
        assert data["metrics"]["verified_rate"] == 0.5
        assert data["results"][1]["citations"] == [f"{P}#9"]  # the extractive fallback, still correct
        assert data["metrics"]["abstention_accuracy"] == 1.0
        assert len(server.requests) == 2
    finally:
        server.stop()


def test_extractive_mode_has_no_verified_rate(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--file", str(tiny), "--json", "--no-gate"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["verified_rate"] is None


def test_real_question_metrics_read_the_first_line_and_the_key() -> None:
    """answer_correct reads the option letters / 对错 the answer opens with; refusals are counted apart."""
    from rag.eval.evaluate import Question, score

    choice = Question("r1", "预备期为（ ）A.半年 B.一年", ("d#7",), True, must_include=("一年",),
                      form="single_choice", key="B")
    assert score(choice, "应选 B：B. 一年\n原文：预备党员的预备期为一年。", False, ("d#7",), ("d#7",))["answer_correct"] == 1
    assert score(choice, "应选 A：A. 半年\n原文：…一年…", False, ("d#7",), ("d#7",))["answer_correct"] == 0
    judged = Question("r2", "选举采用记名投票。（ ）", ("d#11",), True, form="true_false", key="错")
    assert score(judged, "错。原文：选举采用无记名投票的方式。", False, (), ())["answer_correct"] == 1
    assert score(judged, "对。原文：…", False, (), ())["answer_correct"] == 0
    # a question asked with its verb is answered with it: 没有 is its 错, 有 its 对
    worded = Question("r2b", "预备党员有表决权吗？", ("d#7",), True, form="true_false", key="错")
    assert score(worded, "没有。原文：预备党员的权利，除了没有表决权…", False, (), ())["answer_correct"] == 1
    assert score(worded, "有。原文：…", False, (), ())["answer_correct"] == 0
    late = Question("r3", "x", ("d#1",), True, must_include=("半数",), form="typed")
    s = score(late, "甲" * 200 + "半数", False, (), ())
    assert s["answer_correct"] == 1 and s["answer_first"] == 0  # right, but not first
    off = Question("r4", "党费标准", (), False, form="typed")
    assert score(off, "未在已收录文件中找到…", True, (), ())["refusal_rate"] == 1
    assert "refusal_rate" not in score(late, "…", True, (), ()) and score(late, "…", True, (), ())["false_refusal_rate"] == 1
