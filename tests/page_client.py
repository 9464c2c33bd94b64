"""What the page's script (ui/static/flow.js) does with POST /api/page/ask, for tests: keep the open
conversation's id, the state the last answered turn carries (its data-state) and the questions
shown, send them with the next question, read the NDJSON lines."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

_TURN_STATE = re.compile(r'<div class="dj-turn" data-turn="(\d+)" data-state="([^"]*)"')


def lines(raw: str | bytes | Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """An NDJSON body (or the route's items) → its objects."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if isinstance(raw, str):
        return [json.loads(x) for x in raw.splitlines() if x.strip()]
    return list(raw)


def turn_state(turn_html: str) -> tuple[int, dict[str, Any] | None]:
    """(the turn's index, the conversation state it carries) from an answered turn's HTML."""
    m = _TURN_STATE.search(turn_html)
    assert m is not None, turn_html[:200]
    return int(m.group(1)), json.loads(html.unescape(m.group(2)))


@dataclass
class PageTab:
    """One browser tab's conversation as the page's script keeps it; `post(body) → lines`."""

    post: Callable[[dict[str, Any]], list[dict[str, Any]]]
    conv: str = ""
    state: dict[str, Any] | None = None
    asked: list[str] = field(default_factory=list)
    n: int = 0

    def ask(self, question: str, *, qid: str = "", retry: bool = False, mode: str = "extractive",
            docs: list[str] | None = None) -> list[dict[str, Any]]:
        self.n += 1
        body = {"question": question, "seq": f"s{self.n}", "qid": qid or f"q{self.n}", "conv": self.conv,
                "docs": docs or [], "mode": mode, "state": self.state, "history": self.asked,
                "n": len(self.asked), "retry": retry}
        out = self.post(body)
        last = out[-1]
        if last["kind"] == "turn":
            self.conv = last["conv"]
            _index, self.state = turn_state(last["html"])
            if not retry:
                self.asked.append(question)
        return out
