"""The chat's handlers: ask (extractive or AI生成, optionally scoped to documents), save the turn
to the user's conversation, show sources, vote, and the reason box of a 👎.

Handlers are plain functions over the server's state (`server`, the AppState the page was built
with) and the page's state (`turns`, the conversation id `conv`), so tests call them directly;
`request` (a gr.Request, or None outside a page) says whose conversation it is
(`ui.access.owner_of`). A turn is a dict:

    {"question", "history", "docs", "answer": <ask --json>, "state": {"doc_id", "refs"}, "server_ms",
     "time", "vote", "reason", "qid"?}

"state" is the conversation state after the turn (`rag.query.next_state`), saved with the turn in
the conversation's store: the next question starts from the last turn's, exactly as `dangjian chat`
and an API client carrying "state" do, so 那第9条呢 / 下一条 / 它的下一条 behave the same on every
surface and survive a restart. Nothing is replayed: a state that no longer names units of the index
(a document removed since) starts the conversation afresh. "history" (the earlier questions, within
the limits of rag/inputs.py) is kept for the AI mode's prompt and the feedback records only.

Two renderings of the same turn: `chat` / `chat_llm` return the whole transcript (the Gradio API,
`?q=`); the page's own asking (ui/page_api.py, POST /api/page/ask) sends only the new turn
(`ui.turns.append_html`), which the page's script appends, so an answer costs the same at turn 40
as at turn 1. Both answer through `answer_turn`.

Every answered turn is saved at once (`rag.db.conversations`); without an identity (direct calls)
the conversation gets a local id and lives only in the page. Library errors become their
Chinese message, anything unexpected a generic one (the traceback goes to stderr only).
"""

from __future__ import annotations

import secrets
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import gradio as gr

from rag.config import AnswerMode
from rag.db import conversations
from rag.db.feedback import votes_for
from rag.errors import DangjianError
from rag.eval import feedback
from rag.inputs import check_state, fit_history, state_json
from rag.llm import stream_llm_answer, unavailable_note
from rag.query import Options, State, next_state
from rag.records import Answer
from rag.render import answer_json
from rag.timing import with_total

from .access import owner_of
from .jobs import GENERIC_ERROR
from .render import status_html, unit_panel
from .runtime import AppState
from .turns import render_transcript

# (transcript html, turns, side panel html, question box — left alone on success: the page emptied it
#  when the question was sent; an error puts the question back —, status html, conversation id)
ChatOut = tuple[Any, Any, Any, Any, Any, Any]
STREAM_EVERY_S = 0.05  # at most ~20 transcript updates a second while tokens stream in
UNSAVED = "对话未能保存（{}），刷新页面后将不再显示。"


def warn(message: str, title: str = "提示") -> None:
    """A toast with a Chinese title; outside a Gradio request (direct calls, tests) nothing shows."""
    from gradio.context import LocalContext

    if LocalContext.blocks.get(None) is None or LocalContext.event_id.get(None) is None:
        return
    try:
        gr.Warning(message, title=title)
    except Exception:  # noqa: BLE001 - a toast is optional; the status line carries the message
        pass


def answer(server: AppState, question: str, state: State, docs: Sequence[str] = ()) -> Answer:
    """The one place the page asks: in the conversation `state`, within the documents the page's
    selector names (none: all)."""
    return server.ask(question, state=state, options=Options(docs=tuple(docs)))


def state_of(server: AppState, turns: Sequence[dict[str, Any]]) -> State:
    """The conversation state saved with the last turn; a new conversation's (`State()`) when there
    is none or it no longer names units the index has (a document removed since)."""
    saved = turns[-1].get("state") if turns else None
    if not isinstance(saved, dict):
        return State()
    try:
        return check_state(saved.get("doc_id", ""), saved.get("refs", []), server.assistant().catalog)
    except DangjianError:
        return State()


def _docs(scope: object) -> tuple[str, ...]:
    """The document scope from the page's selector: a list of doc_ids (unknown ones are refused by
    the Assistant with a Chinese message)."""
    if isinstance(scope, str):
        scope = [scope] if scope else []
    return tuple(dict.fromkeys(str(d) for d in scope or () if d)) if isinstance(scope, (list, tuple)) else ()


def _store(server: AppState) -> conversations.Store:
    return conversations.store_for(server.settings)


def save_turn(server: AppState, turns: list[dict[str, Any]], conv: str, request: Any) -> tuple[str, str]:
    """Save the last turn of `turns` → (conversation id, warning or ""). A new or foreign id starts a
    new conversation; without an identity the id is local to the page."""
    conv, problem, _index = save_last(server, turns, conv, request)
    return conv, problem


def save_last(server: AppState, turns: list[dict[str, Any]], conv: str,
              request: Any) -> tuple[str, str, int | None]:
    """`save_turn` plus the index the last turn was stored under (None: not stored)."""
    owner = owner_of(request)
    if owner is None:
        return conv or f"local-{secrets.token_urlsafe(9)}", "", None
    store = _store(server)
    try:
        if conv and not conv.startswith("local-"):
            if (n := store.add_turn(owner, conv, turns[-1])) is not None:
                return conv, "", n
        conv = store.create(owner, turns[0]["question"])
        for turn in turns:  # a conversation begun unsaved (or deleted meanwhile) is saved whole
            n = store.add_turn(owner, conv, turn)
        return conv, "", n
    except conversations.ConversationFull as err:  # saved up to the limit: says what to do itself
        return conv, str(err), None
    except DangjianError as err:
        return conv or f"local-{secrets.token_urlsafe(9)}", UNSAVED.format(err), None


def _turn(
    text: str, history: list[str], docs: tuple[str, ...], ans: Answer, started: float, before: State
) -> dict[str, Any]:
    after = next_state(before, ans.focus)
    return {"question": text.strip(), "history": history, "docs": list(docs), "answer": answer_json(ans),
            "state": state_json(after), "server_ms": round((time.perf_counter() - started) * 1000, 2),
            "time": datetime.now().astimezone().isoformat(timespec="seconds"), "vote": None, "reason": ""}


def _first_panel(server: AppState, turns: list[dict[str, Any]], ans: Answer) -> Any:
    if not ans.citations:
        return gr.skip()
    first = ans.citations[0]
    return source_panel(server, turns, len(turns) - 1, f"{first.doc_id}#{first.ref}")


def _failed(err: Exception, turns: list[dict[str, Any]], text: str, conv: str) -> ChatOut:
    message = failure_message(err)
    warn(message)
    return gr.skip(), turns, gr.skip(), text, status_html(message), conv


def failure_message(err: Exception) -> str:
    """The Chinese message of a failed ask (the traceback of an unexpected one goes to stderr only)."""
    if isinstance(err, DangjianError):
        return str(err)
    traceback.print_exception(err, file=sys.stderr)
    return GENERIC_ERROR


@dataclass(slots=True)
class Done:
    """A turn answered and saved (or not: `problem` says why)."""

    turns: list[dict[str, Any]]
    conv: str
    answer: Answer
    problem: str
    stored: int | None = None  # the index the turn was saved under (None: not saved)


@dataclass(slots=True)
class Failed:
    """The question could not be answered: the Chinese message, the question to give back."""

    error: Exception
    text: str


def _run(server: AppState, question: str | None, turns: list[dict[str, Any]], conv: str, scope: object,
         request: Any, *, llm: bool, qid: str = "") -> Iterator[dict[str, Any] | Done | Failed]:
    """One question after the page state's `turns`, whatever renders it: see `answer_turn`."""
    history = fit_history([t["question"] for t in turns])  # for the AI mode's prompt; nothing is replayed
    yield from answer_turn(server, question, history, state_of(server, turns), turns, conv, scope, request,
                           llm=llm, qid=qid)


def answer_turn(server: AppState, question: str | None, history: list[str], before: State,
                earlier: list[dict[str, Any]], conv: str, scope: object, request: Any, *, llm: bool,
                qid: str = "") -> Iterator[dict[str, Any] | Done | Failed]:
    """One question in the conversation `before` (its state) and `history` (its earlier questions):
    pending AI answers (dicts, see `render_pending`) while the model writes, then `Done` (the turn
    saved after `earlier`, the turns this process holds of conversation `conv`) or `Failed`.
    Nothing for an empty question."""
    started = time.perf_counter()
    text = question if isinstance(question, str) else ""
    if not text.strip():
        return
    docs = _docs(scope)
    try:
        extractive = answer(server, text, before, docs)
    except Exception as err:  # noqa: BLE001 - never a stack trace on the page
        yield Failed(err, text)
        return
    final = extractive
    if llm and not extractive.abstained:  # a refusal stays a refusal: no model call, nothing to stream
        for pending, done in _stream(server, text, history, extractive):
            if done is not None:
                final = done
                break
            yield pending
    if llm:
        final = with_total(final, started)  # what the server spent, retrieval included
    turn = _turn(text, history, docs, final, started, before)
    if qid:
        turn["qid"] = qid
    turns = [*earlier, turn]
    conv, problem, stored = save_last(server, turns, conv, request)
    yield Done(turns, conv, final, problem, stored)


def chat(server: AppState, question: str | None, turns: list[dict[str, Any]] | None, conv: str = "",
         scope: object = (), request: Any = None) -> ChatOut:
    """Ask `question` after the earlier turns; returns the re-rendered page parts."""
    turns = list(turns or [])
    for out in _run(server, question, turns, conv, scope, request, llm=False):
        if isinstance(out, Failed):
            return _failed(out.error, turns, out.text, conv)
        if isinstance(out, Done):
            if out.problem:
                warn(out.problem)
            return (render_transcript(server, out.turns, title=_title(out.turns)), out.turns,
                    _first_panel(server, out.turns, out.answer), gr.skip(),
                    status_html(out.problem) if out.problem else "", out.conv)
    return render_transcript(server, turns), turns, gr.skip(), "", "", conv  # empty message: nothing is sent


def _title(turns: Sequence[dict[str, Any]]) -> str:
    return conversations.title_of(turns[0]["question"]) if turns else ""


def chat_stream(server: AppState, question: str | None, turns: list[dict[str, Any]] | None, conv: str = "",
                mode: AnswerMode | None = "extractive", scope: object = (),
                request: Any = None) -> Iterator[ChatOut]:
    """The chat handler of the page: `chat` in 摘录 mode, `chat_llm` in AI生成 mode (when configured)."""
    if mode == "llm" and server.settings.llm_configured:
        yield from chat_llm(server, question, turns, conv, scope, request)
    else:
        yield chat(server, question, turns, conv, scope, request)


def _stream(server: AppState, text: str, history: list[str],
            extractive: Answer) -> Iterator[tuple[dict[str, Any], Answer | None]]:
    """The pending turn while the model writes (at most every STREAM_EVERY_S once tokens flow);
    the last item carries the final answer."""
    pending: dict[str, Any] = {"question": text.strip(), "sources": [], "text": ""}
    yield pending, None  # the pending turn shows while this one waits for a slot
    with server.llm_slots:  # the page's events have no concurrency limit; the model calls do
        yield from _stream_held(server, text, history, extractive, pending)


def _stream_held(server: AppState, text: str, history: list[str], extractive: Answer,
                 pending: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Answer | None]]:
    """`_stream` once it holds one of the server's LLM_CONCURRENCY slots."""
    last = 0.0
    try:
        for event in stream_llm_answer(
            server.assistant(), text, history, settings=server.settings, extractive=extractive
        ):
            if event.kind == "sources":
                pending["sources"] = [
                    {"doc_id": s.doc_id, "ref": s.ref, "marker": s.marker} for s in event.sources
                ]
                yield pending, None
            elif event.kind == "token":  # the first token shows at once, later ones in batches
                pending["text"] += event.delta
                if time.monotonic() - last >= STREAM_EVERY_S:
                    yield pending, None
                    last = time.monotonic()
            elif event.answer is not None:
                yield pending, event.answer
                return
    except Exception:  # noqa: BLE001 - fall back to the answer we already have
        traceback.print_exc(file=sys.stderr)
        yield pending, replace(extractive, notes=(unavailable_note("内部错误"),))
        return
    yield pending, extractive


def chat_llm(server: AppState, question: str | None, turns: list[dict[str, Any]] | None, conv: str = "",
             scope: object = (), request: Any = None) -> Iterator[ChatOut]:
    """AI生成: yields the page parts as the answer streams in; the last yield has the final answer.

    Retrieval (and its refusals and input errors) is the extractive path's; the model call runs
    outside the ask lock. Endpoint faults come back from rag.llm as the extractive answer with a
    note; anything unexpected does too, with the traceback on stderr only.
    """
    turns = list(turns or [])
    for out in _run(server, question, turns, conv, scope, request, llm=True):
        if isinstance(out, Failed):
            yield _failed(out.error, turns, out.text, conv)
            return
        if isinstance(out, Done):
            yield (render_transcript(server, out.turns, title=_title(out.turns)), out.turns,
                   _first_panel(server, out.turns, out.answer), gr.skip(),
                   status_html(out.problem) if out.problem else "", out.conv)
            return
        yield render_transcript(server, turns, out), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    yield render_transcript(server, turns), turns, gr.skip(), "", "", conv


# -- the page's conversation, which the store holds --------------------------------------------


def rehydrate(server: AppState, turns: list[dict[str, Any]] | None, conv: str, shown: str,
              request: Any) -> tuple[list[dict[str, Any]], str]:
    """The conversation the page shows (`shown`, the id its script sends with every event), read
    from the store: the page asks through its own route (ui/page_api.py), so this session's copy of
    the page state (`turns`, `conv`) may lack its latest turns, or after a restart be empty. An
    unsaved (local) conversation, or none named, is the session's copy."""
    turns = list(turns or [])
    owner = owner_of(request)
    if not shown or shown.startswith("local-") or owner is None:
        return turns, conv
    try:
        saved = _store(server).get(owner, shown)
    except DangjianError:
        saved = None
    return (list(saved.turns), saved.id) if saved is not None else (turns, conv)


def source_panel(server: AppState, turns: Sequence[dict[str, Any]] | None, turn: int, key: str) -> str:
    """Panel for `key`, highlighting what answer number `turn` quoted from it."""
    quotes: list[str] = []
    turns = turns or []
    if 0 <= turn < len(turns):
        doc_id, _, ref = key.rpartition("#")
        quotes = [c["quote"] for c in turns[turn]["answer"].get("citations", [])
                  if c["doc_id"] == doc_id and c["ref"] == ref]
    return unit_panel(server, key, quotes)


# -- feedback ------------------------------------------------------------------------------------


def _record_vote(server: AppState, turn: dict[str, Any], conv: str, index: int, vote: str | None) -> None:
    ans = turn["answer"]
    assistant = server.assistant()
    votes_for(server.settings).set_vote(
        conversation=conv, turn=index, vote=vote,
        question=turn["question"], history=turn.get("history", []), answer=ans.get("answer", ""),
        abstained=ans.get("abstained", False), kind=ans.get("kind", ""),
        citations=[f"{c['doc_id']}#{c['ref']}" for c in ans.get("citations", [])],
        primary_doc=assistant.primary.doc_id, reason=turn.get("reason", ""))


def _update(server: AppState, turns: list[dict[str, Any]], conv: str, index: int, changes: dict[str, Any],
            request: Any) -> tuple[str, list[dict[str, Any]], str]:
    """Apply `changes` to turn `index`, record the vote, save the turn → (transcript, turns, status)."""
    turn = {**turns[index], **changes}
    conv = conv or f"local-{secrets.token_urlsafe(9)}"
    try:
        _record_vote(server, turn, conv, index, turn.get("vote"))
    except DangjianError as err:
        warn(str(err))
        return render_transcript(server, turns, title=_title(turns)), turns, status_html(str(err))
    turns = [*turns[:index], turn, *turns[index + 1:]]
    owner = owner_of(request)
    if owner and not conv.startswith("local-"):
        stored = {k: v for k, v in turn.items() if k != "reason_open"}
        try:
            _store(server).set_turn(owner, conv, index, stored)
        except DangjianError as err:
            warn(str(err))
    return render_transcript(server, turns, title=_title(turns)), turns, ""


def vote(server: AppState, turns: list[dict[str, Any]] | None, turn: int, value: str, conv: str = "",
         request: Any = None) -> tuple[str, list[dict[str, Any]], str]:
    """👍/👎 on answer number `turn`: a click toggles (the same vote again undoes it); 👎 opens the
    optional reason box. One feedback record per (conversation, turn), the last state wins."""
    turns = list(turns or [])
    if not 0 <= turn < len(turns) or value not in feedback.VOTES:
        return render_transcript(server, turns, title=_title(turns)), turns, ""
    undo = turns[turn].get("vote") == value
    changes: dict[str, Any] = {"vote": None if undo else value, "reason_open": value == "down" and not undo}
    if undo or value == "up":
        changes["reason"] = ""
    return _update(server, turns, conv, turn, changes, request)


def reason(
    server: AppState,
    turns: list[dict[str, Any]] | None,
    turn: int,
    text: str | None,
    conv: str = "",
    request: Any = None,
) -> tuple[str, list[dict[str, Any]], str]:
    """The 👎 reason box: submit (text kept with the vote) or close it (text None)."""
    turns = list(turns or [])
    if not 0 <= turn < len(turns) or turns[turn].get("vote") != "down":
        return render_transcript(server, turns, title=_title(turns)), turns, ""
    changes: dict[str, Any] = {"reason_open": False}
    if text is not None:
        changes["reason"] = " ".join(str(text).split())[:feedback.MAX_REASON]
    return _update(server, turns, conv, turn, changes, request)
