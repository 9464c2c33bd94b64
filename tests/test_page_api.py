"""The page's own asking route, POST /api/page/ask (ui/page_api.py), over real HTTP: refused from
another site, saved to the asker's conversation, follow-ups from the state the page sends, the AI
mode streamed line by line against the fake OpenAI endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fake_openai import GOOD_8, FakeOpenAI, fake_openai  # noqa: F401 - fixture
from page_client import PageTab, lines, turn_state
from testserver import running

from rag import Settings
from ui.runtime import AppState

Q8 = "第8条要求什么？"


@pytest.fixture()
def visitor(base_url: str) -> Iterator[httpx.Client]:
    """A browser tab's HTTP client: a new visitor cookie, same-origin requests."""
    with httpx.Client(base_url=base_url, timeout=60, headers={"Origin": base_url}) as client:
        assert client.get("/api/session").status_code == 200 and client.cookies.get("dj_visitor")
        yield client


def tab_of(client: httpx.Client) -> PageTab:
    def post(body: dict[str, Any]) -> list[dict[str, Any]]:
        r = client.post("/api/page/ask", json=body)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson"), r.text
        return lines(r.content)

    return PageTab(post)


def saved(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/api/conversations").json()["conversations"])


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "null"}])
def test_a_question_from_another_site_is_refused_and_nothing_is_saved(visitor: httpx.Client,
                                                                      headers: dict[str, str]) -> None:
    r = visitor.post("/api/page/ask", json={"question": Q8, "seq": "x", "qid": "x"}, headers=headers)
    assert r.status_code == 403 and r.json()["error"].startswith("拒绝跨站请求")
    assert saved(visitor) == []


def test_an_answer_is_saved_to_the_visitors_conversation_and_only_theirs(visitor: httpx.Client,
                                                                         base_url: str) -> None:
    tab = tab_of(visitor)
    (line,) = tab.ask(Q8)
    assert line["kind"] == "turn" and line["status"] == "" and 'class="dj-conv dj-current"' in line["sidebar"]
    assert "第8条" in line["panel"]  # the side panel shows the unit quoted first
    (conv,) = saved(visitor)
    assert conv["id"] == tab.conv and conv["turns"] == 1 and conv["title"] == Q8
    turn = visitor.get(f"/api/conversations/{tab.conv}").json()["turns"][0]
    assert turn["question"] == Q8 and turn["qid"] == "q1" and turn["state"] == tab.state
    with httpx.Client(base_url=base_url, timeout=60) as other:  # another browser: not its conversation
        other.get("/api/session")
        assert saved(other) == [] and other.get(f"/api/conversations/{tab.conv}").status_code == 404
        (theirs,) = tab_of(other).post({"question": "下一条呢？", "conv": tab.conv, "seq": "o", "qid": "o"})
        assert theirs["conv"] != tab.conv  # a conversation id of someone else starts a new one
    assert saved(visitor)[0]["turns"] == 1


def test_follow_ups_start_from_the_state_the_page_sends(visitor: httpx.Client) -> None:
    tab = tab_of(visitor)
    for question, ref in [(Q8, "8"), ("下一条呢？", "9"), ("那第12条呢？", "12"), ("它的下一条呢？", "13")]:
        (line,) = tab.ask(question)
        assert tab.state is not None and tab.state["refs"] == [ref], question
        assert line.get("meta", "").startswith(f"{len(tab.asked)} 问") or "sidebar" in line
    turns = visitor.get(f"/api/conversations/{tab.conv}").json()["turns"]
    assert [t["state"]["refs"] for t in turns] == [["8"], ["9"], ["12"], ["13"]]
    assert [turn_state(x)[0] for x in [tab.ask("下一条呢？")[0]["html"]]] == [4]
    # the state wins over the questions: the same 下一条 after a state naming 党章第四十条
    tab.state = {"doc_id": "dangzhang-2022", "refs": ["40"]}
    tab.ask("下一条呢？")
    assert tab.state == {"doc_id": "dangzhang-2022", "refs": ["41"]}


def test_a_question_sent_again_after_a_lost_answer_is_not_answered_twice(visitor: httpx.Client) -> None:
    tab = tab_of(visitor)
    tab.ask(Q8)
    (first,) = tab.ask("下一条呢？", qid="lost")
    (again,) = tab.ask("下一条呢？", qid="lost", retry=True)
    assert turn_state(again["html"]) == turn_state(first["html"]) and "meta" not in again
    assert saved(visitor)[0]["turns"] == 2


@pytest.mark.parametrize("body, status", [({"question": 8}, 422), ({"question": Q8, "mode": "fast"}, 422),
                                          ({"question": Q8, "extra": 1}, 422), ({"seq": "x"}, 422)])
def test_a_malformed_request_gets_a_chinese_error(visitor: httpx.Client, body: dict[str, Any], status: int) -> None:
    r = visitor.post("/api/page/ask", json=body)
    assert r.status_code == status and "请求格式错误" in r.json()["error"]


def test_an_empty_question_or_a_bad_scope_comes_back_as_a_failed_line(visitor: httpx.Client) -> None:
    tab = tab_of(visitor)
    (empty,) = tab.ask("   ")
    assert empty["kind"] == "failed" and 'data-kind="failed"' in empty["html"]
    (scoped,) = tab.ask(Q8, docs=["no-such-document"])
    assert scoped["kind"] == "failed" and scoped["status"] and "data-question=" in scoped["html"]
    assert saved(visitor) == []


def test_the_ai_mode_streams_its_pending_turn_then_saves_the_verified_one(
        server: AppState, settings: Settings, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    llm = replace(settings, llm_base_url=fake_openai.base_url, llm_model="good_8", llm_timeout_s=20)
    from ui.app import build_app

    with running(build_app(AppState(llm, server.assistant()))) as url, \
            httpx.Client(base_url=url, timeout=60, headers={"Origin": url}) as client:
        client.get("/api/session")
        out = tab_of(client).ask(Q8, mode="llm")
        assert [x["kind"] for x in out[:-1]] == ["pending"] * (len(out) - 1) and len(out) >= 2
        assert out[-1]["kind"] == "turn" and "dj-gen" in out[-1]["html"]
        (turn,) = client.get(f"/api/conversations/{out[-1]['conv']}").json()["turns"]
        assert turn["answer"]["generated"] is True
        # a slow model: its first words arrive long before it ends (15 s), each as a line of its own
        fake_openai.force = "trickle"
        try:
            body = {"question": Q8, "seq": "t", "qid": "t", "mode": "llm"}
            with client.stream("POST", "/api/page/ask", json=body, timeout=10) as r:
                for raw in r.iter_lines():
                    line = lines(raw)[0]
                    assert line["kind"] == "pending"
                    if GOOD_8[:7] in line["html"]:  # the model's first words, shown as they come
                        break
                else:
                    raise AssertionError("the stream ended without the model's words")
        finally:
            fake_openai.reset()
