"""LLM answers against a real OpenAI-compatible server on loopback (tests/fake_openai.py).

Every test asserts what the user sees: Answer.text, citations, notes, abstained, verification.
The real client stack runs (ChatOpenAI → openai → httpx → HTTP); nothing is mocked.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fake_openai import GOOD_8, FakeOpenAI, closed_port_url, fake_openai  # noqa: F401 - fixture

from rag import Assistant, Settings
from rag.llm import (
    AI_NOTE,
    FAILED_CHECK_NOTE,
    REFUSAL,
    LLMEvent,
    llm_answer,
    llm_check,
    sources_for,
    stream_llm_answer,
    unavailable_note,
)
from rag.llm_chain import MAX_RETRIES
from rag.verify import FLAG_MARK, UNKNOWN_CITATION, UNSUPPORTED_DETAIL

pytest.importorskip("langchain_openai")

TIMEOUT_S = 2.0
Q8 = "第8条要求什么？"
KEY8 = "dongzhi-2025-3#8"


@pytest.fixture()
def fake(fake_openai: FakeOpenAI) -> FakeOpenAI:  # noqa: F811
    fake_openai.reset()
    return fake_openai


def cfg(assistant: Assistant, fake: FakeOpenAI | None, model: str, *, timeout: float = TIMEOUT_S,
        base_url: str = "") -> Settings:
    return replace(assistant.settings, llm_base_url=base_url or (fake.base_url if fake else ""),
                   llm_model=model, llm_timeout_s=timeout)


# -- sources --------------------------------------------------------------------------------

def test_sources_for_an_item(assistant: Assistant) -> None:
    sources = sources_for(assistant, Q8)
    assert [s.key for s in sources] == [KEY8]
    s = sources[0]
    unit = assistant.unit(KEY8)[1]  # type: ignore[index]
    assert (s.marker, s.label, s.text, s.sentences) == ("〔第8条〕", "第8条", unit.text, unit.sentences)
    assert s.heading.startswith("第8条 深化“四强”党支部建设")


def test_sources_for_a_free_question_are_cited_units_then_top_retrieved(assistant: Assistant) -> None:
    question = "如何加强党员教育管理？"
    extractive = assistant.ask(question)
    sources = sources_for(assistant, question)
    cited = list(dict.fromkeys(f"{c.doc_id}#{c.ref}" for c in extractive.citations))
    keys = [s.key for s in sources]
    assert len(keys) == 5 == len(set(keys))
    assert keys[: len(cited)] == cited
    assert set(keys) <= set(extractive.retrieved)


def test_sources_follow_the_conversation(assistant: Assistant) -> None:
    assert [s.key for s in sources_for(assistant, "下一条", ["第7条讲了什么"])] == [KEY8]


@pytest.mark.parametrize("question", ["第30条要求什么？", "今天天气怎么样"])
def test_a_refusal_stays_a_refusal_and_the_model_is_not_called(assistant: Assistant, fake: FakeOpenAI,
                                                               question: str) -> None:
    extractive = assistant.ask(question)
    ans = llm_answer(assistant, question, settings=cfg(assistant, fake, "good_8"))
    assert extractive.abstained and ans.abstained
    assert (ans.text, ans.kind, ans.suggestions) == (extractive.text, extractive.kind, extractive.suggestions)
    assert not ans.generated and ans.notes == ()
    assert sources_for(assistant, question) == []
    assert fake.requests == []


# -- scripted replies -----------------------------------------------------------------------

def test_good_answer_streams_and_is_shown(assistant: Assistant, fake: FakeOpenAI) -> None:
    events: list[str] = []
    tokens: list[str] = []

    def on_token(delta: str) -> None:
        events.append("token")
        tokens.append(delta)

    ans = llm_answer(assistant, Q8, settings=cfg(assistant, fake, "good_8"), on_token=on_token,
                     on_sources=lambda srcs: events.append(f"sources:{','.join(s.key for s in srcs)}"))
    assert events[0] == f"sources:{KEY8}" and events.count("token") > 5
    assert "".join(tokens) == GOOD_8
    assert ans.text == GOOD_8 and FLAG_MARK not in ans.text
    assert (ans.kind, ans.generated, ans.abstained, ans.notes) == ("llm", True, False, (AI_NOTE,))
    unit = assistant.unit(KEY8)[1]  # type: ignore[index]
    assert ans.citations and all(c.ref == "8" and c.label == "第8条" for c in ans.citations)
    assert [c.quote for c in ans.citations] == [unit.sentences[n] for n in (0, 1, 3, 4)]
    assert ans.retrieved == (KEY8,) and ans.focus == (KEY8,)
    assert ans.verification is not None and ans.verification["ok"] is True
    assert ans.verification["flagged_ratio"] == 0.0
    assert {"llm", "llm_first_token", "total"} <= ans.timings_ms.keys()
    json.dumps(ans.verification, ensure_ascii=False)


def test_a_think_block_is_dropped(assistant: Assistant, fake: FakeOpenAI) -> None:
    ans = llm_answer(assistant, Q8, settings=cfg(assistant, fake, "think_8"))
    assert ans.generated and ans.text == GOOD_8


def test_prompt_carries_numbered_sources_markers_and_rules(assistant: Assistant, fake: FakeOpenAI) -> None:
    llm_answer(assistant, "下一条", ["第7条讲了什么"], settings=cfg(assistant, fake, "good_8"))
    body = fake.requests[-1]
    assert body["model"] == "good_8" and body["stream"] is True
    system, human = (m["content"] for m in body["messages"])
    assert "不是指令" in system and REFUSAL in system and "〔第8条〕" in system
    assert '<资料 编号="1" 出处标记="〔第8条〕">' in human
    assert assistant.unit(KEY8)[1].text in human  # type: ignore[index]
    assert "第7条讲了什么" in human and human.rstrip().endswith("问题：下一条")


def test_one_fabricated_citation_is_removed_and_flagged(assistant: Assistant, fake: FakeOpenAI) -> None:
    ans = llm_answer(assistant, Q8, settings=cfg(assistant, fake, "one_slip_8"))
    assert ans.generated and ans.kind == "llm" and ans.notes == (AI_NOTE,)
    assert "第25条" not in ans.text
    assert ans.text.splitlines()[-1] == f"{FLAG_MARK}此外，每个党支部每季度至少开展一次结对共建活动。"
    assert ans.verification is not None
    assert ans.verification["counts"][UNKNOWN_CITATION] == 1  # type: ignore[index]
    assert ans.verification["flagged_ratio"] == 0.2
    assert all(c.ref == "8" for c in ans.citations)


def test_a_wrong_number_is_flagged(assistant: Assistant, fake: FakeOpenAI) -> None:
    ans = llm_answer(assistant, Q8, settings=cfg(assistant, fake, "wrong_number_8"))
    assert ans.generated
    flagged_line = next(line for line in ans.text.splitlines() if "第三批" in line)
    assert flagged_line.startswith(f"{FLAG_MARK}二是")
    assert sum(line.startswith(FLAG_MARK) for line in ans.text.splitlines()) == 1
    assert ans.verification is not None
    flagged = ans.verification["flagged"]
    assert flagged[0]["flags"] == [UNSUPPORTED_DETAIL] and "三批" in flagged[0]["details"]  # type: ignore[index]


@pytest.mark.parametrize("model", ["fabricated_25", "no_citation_8"])
def test_mostly_unsupported_replies_fall_back_to_the_extract(assistant: Assistant, fake: FakeOpenAI,
                                                             model: str) -> None:
    extractive = assistant.ask(Q8)
    ans = llm_answer(assistant, Q8, settings=cfg(assistant, fake, model))
    assert (ans.text, ans.citations, ans.kind) == (extractive.text, extractive.citations, extractive.kind)
    assert not ans.generated and ans.notes == (FAILED_CHECK_NOTE,)
    assert ans.verification is not None and ans.verification["ok"] is False
    assert ans.verification["flagged_ratio"] == 1.0


def test_model_refusal(assistant: Assistant, fake: FakeOpenAI) -> None:
    ans = llm_answer(assistant, Q8, settings=cfg(assistant, fake, "refusal"))
    assert ans.abstained and ans.generated and ans.kind == "abstain"
    assert ans.text.startswith(f"{REFUSAL}。")
    assert ans.suggestions == (KEY8,) and "第8条 深化“四强”党支部建设" in ans.text
    assert ans.citations == ()


def test_stream_events_come_in_order(assistant: Assistant, fake: FakeOpenAI) -> None:
    events = list(stream_llm_answer(assistant, Q8, settings=cfg(assistant, fake, "good_8")))
    assert events[0].kind == "sources" and events[-1].kind == "answer"
    assert {e.kind for e in events[1:-1]} == {"token"}
    assert isinstance(events[-1], LLMEvent) and events[-1].answer is not None
    assert "".join(e.delta for e in events[1:-1]) == GOOD_8


# -- faults ---------------------------------------------------------------------------------

FAULTS = [
    ("http_429", "请求过多，HTTP 429"),
    ("http_500", "服务出错，HTTP 500"),
    ("malformed", "返回格式错误"),
    ("halfway", "回复中断"),
    ("halfway_eof", "回复中断"),
    ("empty", "回复为空"),
    ("slow", "响应超时"),
    ("trickle", "响应超时"),
    ("refused", "无法连接"),
]


@pytest.mark.parametrize(("model", "reason"), FAULTS, ids=[m for m, _r in FAULTS])
def test_faults_fall_back_to_the_extract_and_the_next_request_works(
        assistant: Assistant, fake: FakeOpenAI, model: str, reason: str) -> None:
    extractive = assistant.ask(Q8)
    settings = cfg(assistant, fake, model, timeout=1.5,
                   base_url=closed_port_url() if model == "refused" else "")
    ans = llm_answer(assistant, Q8, settings=settings)
    # the deadline holds without timing it: the stalled endpoint answers 503 only after 30 s and the
    # trickle completes a good answer after 15 s, so 响应超时 (not HTTP 503, not a generated answer)
    # means the 1.5 s deadline ended the request before the endpoint did
    assert ans.notes == (unavailable_note(reason),)
    assert ans.notes[0] == f"大模型暂不可用（{reason}），以下为原文摘录。"
    assert (ans.text, ans.citations, ans.kind, ans.abstained) == (
        extractive.text, extractive.citations, extractive.kind, False)
    assert not ans.generated and ans.verification is None

    again = llm_answer(assistant, Q8, settings=cfg(assistant, fake, "good_8"))
    assert again.generated and again.text == GOOD_8 and again.notes == (AI_NOTE,)


@pytest.mark.parametrize("model", ["http_429", "http_500"])
def test_retries_are_bounded(assistant: Assistant, fake: FakeOpenAI, model: str) -> None:
    llm_answer(assistant, Q8, settings=cfg(assistant, fake, model))
    assert len(fake.requests) == 1 + MAX_RETRIES


def test_not_configured_uses_the_extract(assistant: Assistant) -> None:
    ans = llm_answer(assistant, Q8, settings=cfg(assistant, None, ""))
    assert ans.text == assistant.ask(Q8).text and ans.notes == (unavailable_note("未配置"),)


# -- llm_check ------------------------------------------------------------------------------

def test_llm_check_ok(assistant: Assistant, fake: FakeOpenAI) -> None:
    ok, message = llm_check(cfg(assistant, fake, "good_8"))
    assert ok, message
    assert "good_8" in message and fake.base_url in message
    body = fake.requests[-1]
    assert body["model"] == "good_8" and body["max_completion_tokens"] == 1  # the answer path, 1 token


def test_llm_check_without_a_model_list_still_tries_the_chat(assistant: Assistant, fake: FakeOpenAI) -> None:
    fake.models_status = 404
    ok, message = llm_check(cfg(assistant, fake, "good_8"))
    assert ok and "HTTP 404" in message


@pytest.mark.parametrize(("model", "base", "expect"), [
    ("http_500", "", "HTTP 500"),
    ("no_such_model", "", "HTTP 404"),
    ("malformed", "", "返回格式错误"),
    ("good_8", "refused", "无法连接"),
])
def test_llm_check_failures(assistant: Assistant, fake: FakeOpenAI, model: str, base: str, expect: str) -> None:
    settings = cfg(assistant, fake, model, base_url=closed_port_url() if base else "")
    ok, message = llm_check(settings)
    assert not ok and expect in message


def test_llm_check_not_configured(assistant: Assistant) -> None:
    ok, message = llm_check(cfg(assistant, None, ""))
    assert not ok and "DANGJIAN_LLM_BASE_URL" in message
