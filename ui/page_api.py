"""The page's own asking: one same-origin JSON route instead of a Gradio event per question.

    POST /api/page/ask {"question", "seq", "qid", "conv", "docs", "mode", "state", "history", "n", "retry"}
        → application/x-ndjson, one JSON object a line:
          {"kind": "pending", "html"}      an AI answer being written (AI生成 mode only, repeated)
          {"kind": "turn", "html", "conv", "status", "panel"?, "sidebar"?, "meta"?}   the last line
          {"kind": "failed", "html", "status"}                                         the last line

A question through Gradio's queue paid for its machinery — the app_id check, queue/join, the
session's event stream, per-event bookkeeping — about four times what answering costs
(eval/bench.md, "网页：多人同时提问"). Here the page's script (ui/static/flow.js) posts the question
with what it already shows: the open conversation's id (`conv`), its state after the last turn
(each rendered turn carries it, ui/turns.py `data-state`), its earlier questions (`history`, for the
AI mode's prompt), the document scope and the answer mode. The answer goes through the same
`ui.chat.answer_turn` as the Gradio handlers, is saved to the asker's conversation the same way
(`ui.access.owner_of`: the logged-in user or the visitor cookie), and comes back as the one new
turn (`ui.turns.append_html`). One wire format for both modes: 摘录 is a stream of one line; AI生成
streams pending turns while the model writes, its model calls bounded by `AppState.llm_slots`.

`retry` marks a question sent again after its answer was lost (a dropped connection, a restart):
when the conversation already holds a turn with that `qid`, that turn is sent again instead of
answering twice. The conversation list is sent whole only when this answer opened a conversation;
otherwise `meta` is the open row's new "N 问 · 时间" and the script moves that row to the top.

Everything in front of the app applies as to every route (ui/api.py): same-origin check (a
cross-site POST is refused 403 before it is read), login, body limits. Errors of the request itself
are {"error": "中文说明"} like the API's; an answer that fails is a "failed" line, the question
going back into the box.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from rag.config import MAX_STATE_REFS, AnswerMode
from rag.db import conversations
from rag.errors import DangjianError
from rag.inputs import fit_history

from . import chat, sidebar
from .access import owner_of
from .limits import Workload, is_heavy
from .render import status_html
from .runtime import AppState
from .turns import append_failed, append_html, append_pending

NDJSON = "application/x-ndjson; charset=utf-8"
MAX_SCOPE = 50
MAX_PAGE_HISTORY = 50  # the page sends what it shows; fit_history keeps the recent ones within limits


class PageState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: StrictStr = ""
    refs: list[StrictStr] = Field(default_factory=list, max_length=MAX_STATE_REFS)


class PageAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr
    seq: StrictStr = Field("", max_length=40)
    qid: StrictStr = Field("", max_length=40)
    conv: StrictStr = Field("", max_length=40)
    docs: list[StrictStr] = Field(default_factory=list, max_length=MAX_SCOPE)
    mode: AnswerMode = "extractive"
    state: PageState | None = None
    history: list[StrictStr] = Field(default_factory=list, max_length=MAX_PAGE_HISTORY)
    n: StrictInt = Field(0, ge=0)
    retry: StrictBool = False


def page_answers(server: AppState, body: PageAsk, request: Any) -> Iterator[dict[str, Any]]:
    """The lines of one answer (see the module doc); the last is a "turn" or a "failed"."""
    if body.retry and (again := _answered(server, body, request)) is not None:
        yield again
        return
    before = chat.state_of(server, [{"state": body.state.model_dump()}] if body.state else [])
    llm = body.mode == "llm" and server.settings.llm_configured
    for out in chat.answer_turn(server, body.question, fit_history(body.history), before, [], body.conv,
                                body.docs, request, llm=llm, qid=body.qid):
        if isinstance(out, chat.Failed):
            message = chat.failure_message(out.error)
            yield {"kind": "failed", "html": append_failed(body.seq, message, out.text),
                   "status": status_html(message)}
            return
        if isinstance(out, chat.Done):
            yield _done(server, body, out, request)
            return
        yield {"kind": "pending", "html": append_pending(server, body.seq, out, body.n)}
    yield {"kind": "failed", "html": append_failed(body.seq, "", ""), "status": ""}  # an empty question


def _done(server: AppState, body: PageAsk, out: chat.Done, request: Any) -> dict[str, Any]:
    turn = out.turns[-1]
    index = out.stored if out.stored is not None else body.n
    title = conversations.title_of(turn["question"]) if index == 0 else ""
    line: dict[str, Any] = {"kind": "turn", "html": append_html(server, body.seq, turn, index, title),
                            "conv": out.conv, "status": status_html(out.problem) if out.problem else ""}
    if out.answer.citations:  # the side panel shows the first unit quoted
        first = out.answer.citations[0]
        line["panel"] = chat.source_panel(server, [turn], 0, f"{first.doc_id}#{first.ref}")
    if out.conv != body.conv:
        line["sidebar"] = sidebar.sidebar_html(server, request, out.conv)
    elif out.stored is not None:
        line["meta"] = sidebar.row_meta(out.stored + 1, time.time())
    return line


def _answered(server: AppState, body: PageAsk, request: Any) -> dict[str, Any] | None:
    """The turn already saved under `body.qid` in the page's conversation, as a "turn" line."""
    owner = owner_of(request)
    if not body.qid or not body.conv or body.conv.startswith("local-") or owner is None:
        return None
    try:
        saved = conversations.store_for(server.settings).get(owner, body.conv)
    except DangjianError:
        return None
    for i, turn in enumerate(saved.turns if saved is not None else ()):
        if turn.get("qid") == body.qid:
            title = saved.title if saved is not None and i == 0 else ""
            return {"kind": "turn", "html": append_html(server, body.seq, turn, i, title), "conv": body.conv,
                    "status": ""}
    return None


def _lines(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        yield json.dumps(item, ensure_ascii=False) + "\n"


def page_router(server: AppState) -> APIRouter:
    """The route; login and the same-origin check are the app's middleware (ui/api.py)."""
    router = APIRouter()
    workload = Workload()

    @router.post("/api/page/ask", include_in_schema=False)
    async def page_ask(body: PageAsk, request: Request) -> Response:
        if body.mode == "llm" and server.settings.llm_configured:  # streamed as the model writes
            return StreamingResponse(_lines(page_answers(server, body, request)), media_type=NDJSON,
                                     headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        text = await workload.run(lambda: "".join(_lines(page_answers(server, body, request))),
                                  heavy=is_heavy(body.question, []))
        return Response(text, media_type=NDJSON, headers={"Cache-Control": "no-store"})

    return router
