"""One conversation state on every surface: the same conversation asked through `dangjian chat`, the
HTTP API (carrying the returned "state", or sending only "history") and the page's own route gives the
same answers, turn by turn — follow-ups (那第9条呢、下一条、它的下一条) included."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from page_client import PageTab, lines, turn_state

from rag import Settings
from rag.cli import main
from rag.db import conversations
from ui.page_api import PageAsk, page_answers
from ui.runtime import AppState

CONVERSATIONS = {
    "notice": ["第8条要求什么？", "那第9条呢？", "下一条呢？", "它的下一条呢？"],
    "dangzhang": ["党章第三十二条怎么说", "下一条呢？", "那第8条呢？", "它的下一条呢？"],
}
EXPECTED = {  # the unit each turn is about
    "notice": ["dongzhi-2025-3#8", "dongzhi-2025-3#9", "dongzhi-2025-3#10", "dongzhi-2025-3#11"],
    "dangzhang": ["dangzhang-2022#32", "dangzhang-2022#33", "dangzhang-2022#8", "dangzhang-2022#9"],
}
VISITOR = type("Request", (), {"username": None, "cookies": {"dj_visitor": "state-visitor-0000000000001"},
                               "headers": {}, "scope": {"client": ("127.0.0.1", 1), "server": ("127.0.0.1", 7860)}})


def _cited(answer: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(f"{c['doc_id']}#{c['ref']}" for c in answer["citations"]))


def by_api_state(base_url: str, questions: list[str]) -> list[dict[str, Any]]:
    """Each question with the "state" the previous answer returned (what a client keeps)."""
    out, state = [], None
    for q in questions:
        body = httpx.post(f"{base_url}/api/ask", json={"question": q, **({"state": state} if state else {})},
                          timeout=60).json()
        out.append(body)
        state = body["state"]
    return out


def by_api_history(base_url: str, questions: list[str]) -> list[dict[str, Any]]:
    """Each question with only the earlier questions: turned into a state once, on the server."""
    return [httpx.post(f"{base_url}/api/ask", json={"question": q, "history": questions[:n]}, timeout=60).json()
            for n, q in enumerate(questions)]


def by_page(base_url: str, questions: list[str]) -> list[dict[str, Any]]:
    """The page's own route over HTTP (POST /api/page/ask with the visitor cookie, carrying the state
    the last answered turn shows), read back from the visitor's saved conversation."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        client.get("/api/session")
        tab = PageTab(lambda body: lines(client.post("/api/page/ask", json=body).content))
        for q in questions:
            assert tab.ask(q)[-1]["kind"] == "turn"
        return [t["answer"] for t in client.get(f"/api/conversations/{tab.conv}").json()["turns"]]


def by_cli(questions: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """`dangjian chat` over stdin: its prompt (问> ), each answer and a blank line."""
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(q + "\n" for q in questions) + "exit\n"))
    capsys.readouterr()
    assert main(["chat"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_the_same_conversation_gives_the_same_answers_on_every_surface(
        name: str, base_url: str, server: AppState, cli_env: Settings, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    questions = CONVERSATIONS[name]
    api = by_api_state(base_url, questions)
    assert [_cited(a)[0] for a in api] == EXPECTED[name]
    assert [a["state"]["refs"] for a in api] == [[key.rsplit("#", 1)[1]] for key in EXPECTED[name]]
    texts = [a["answer"] for a in api]
    assert [a["answer"] for a in by_api_history(base_url, questions)] == texts
    page = by_page(base_url, questions)
    assert [a["answer"] for a in page] == texts and [_cited(a) for a in page] == [_cited(a) for a in api]
    assert by_cli(questions, capsys, monkeypatch) == "".join(f"问> {t}\n\n" for t in texts) + "问> "


def test_the_page_continues_from_the_state_it_shows_not_from_replayed_questions(server: AppState) -> None:
    """The state the last turn carries (the page sends it back) is what the next question starts
    from: a turn whose state names 党章第四十条 is followed by 党章第四十一条, whatever questions
    came before it; a state that names no unit of the index (a document removed since) starts afresh
    instead of guessing."""
    ask = {"question": "下一条呢？", "seq": "a", "qid": "a", "history": ["第8条要求什么？"]}
    (line,) = page_answers(server, PageAsk(**ask, state={"doc_id": "dangzhang-2022", "refs": ["40"]}), VISITOR())
    saved = conversations.store_for(server.settings).get("visitor:state-visitor-0000000000001", line["conv"])
    assert saved is not None and _cited(saved.turns[-1]["answer"])[0] == "dangzhang-2022#41"
    assert turn_state(line["html"])[1] == {"doc_id": "dangzhang-2022", "refs": ["41"]}
    (gone,) = page_answers(server, PageAsk(**ask, state={"doc_id": "removed-doc", "refs": ["3"]}), VISITOR())
    fresh = conversations.store_for(server.settings).get("visitor:state-visitor-0000000000001", gone["conv"])
    assert fresh is not None and fresh.turns[-1]["answer"]["answer"] == server.ask("下一条呢？").text
