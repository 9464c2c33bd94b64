"""The chat's handlers: ask (extractive or AI生成, optionally scoped to documents), save the turn
to the user's conversation, show sources, vote, and the reason box of a 👎.

Handlers are plain functions over rag's public API and the page's state (`turns`, the
conversation id `conv`), so tests call them directly; `request` (a gr.Request, or None outside
a page) says whose conversation it is (`ui.access.owner_of`). A turn is a dict:

    {"question", "history", "docs", "answer": <ask --json>, "server_ms", "time", "vote", "reason"}

Every answered turn is saved at once (`ui.conversations`); without an identity (direct calls)
the conversation gets a local id and lives only in the page. Library errors become their
Chinese message, anything unexpected a generic one (the traceback goes to stderr only).
"""

from __future__ import annotations

import secrets
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import gradio as gr

from rag.config import AnswerMode, Settings
from rag.errors import DangjianError
from rag.eval import feedback
from rag.llm import stream_llm_answer, unavailable_note
from rag.query import Options
from rag.records import Answer
from rag.render import answer_json
from rag.timing import with_total

from . import conversations
from .access import owner_of
from .render import status_html, unit_panel
from .runtime import GENERIC_ERROR, HISTORY_TURNS, ask, get_assistant, llm_enabled, runtime_settings
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


def answer(question: str, history: Sequence[str], docs: Sequence[str] = ()) -> Answer:
    """The one place the page asks, within the documents the page's selector names (none: all)."""
    return ask(question, history, options=Options(docs=tuple(docs)))


def _docs(scope: object) -> tuple[str, ...]:
    """The document scope from the page's selector: a list of doc_ids (unknown ones are refused by
    the Assistant with a Chinese message)."""
    if isinstance(scope, str):
        scope = [scope] if scope else []
    return tuple(dict.fromkeys(str(d) for d in scope or () if d)) if isinstance(scope, (list, tuple)) else ()


def _store(settings: Settings | None) -> conversations.Store:
    return conversations.store_for(runtime_settings(settings))


def save_turn(turns: list[dict[str, Any]], conv: str, request: Any,
              settings: Settings | None = None) -> tuple[str, str]:
    """Save the last turn of `turns` → (conversation id, warning or ""). A new or foreign id starts a
    new conversation; without an identity the id is local to the page."""
    owner = owner_of(request)
    if owner is None:
        return conv or f"local-{secrets.token_urlsafe(9)}", ""
    store = _store(settings)
    try:
        if conv and not conv.startswith("local-"):
            if store.add_turn(owner, conv, turns[-1]) is not None:
                return conv, ""
        conv = store.create(owner, turns[0]["question"])
        for turn in turns:  # a conversation begun unsaved (or deleted meanwhile) is saved whole
            store.add_turn(owner, conv, turn)
        return conv, ""
    except conversations.ConversationFull as err:  # saved up to the limit: says what to do itself
        return conv, str(err)
    except DangjianError as err:
        return conv or f"local-{secrets.token_urlsafe(9)}", UNSAVED.format(err)


def _turn(
    text: str, history: list[str], docs: tuple[str, ...], ans: Answer, started: float
) -> dict[str, Any]:
    return {"question": text.strip(), "history": history, "docs": list(docs), "answer": answer_json(ans),
            "server_ms": round((time.perf_counter() - started) * 1000, 2),
            "time": datetime.now().astimezone().isoformat(timespec="seconds"), "vote": None, "reason": ""}


def _first_panel(turns: list[dict[str, Any]], ans: Answer) -> Any:
    if not ans.citations:
        return gr.skip()
    first = ans.citations[0]
    return source_panel(turns, len(turns) - 1, f"{first.doc_id}#{first.ref}")


def _failed(err: Exception, turns: list[dict[str, Any]], text: str, conv: str) -> ChatOut:
    message = str(err) if isinstance(err, DangjianError) else GENERIC_ERROR
    if not isinstance(err, DangjianError):
        traceback.print_exception(err, file=sys.stderr)
    warn(message)
    return gr.skip(), turns, gr.skip(), text, status_html(message), conv


def chat(question: str | None, turns: list[dict[str, Any]] | None, conv: str = "", scope: object = (),
         request: Any = None, *, settings: Settings | None = None) -> ChatOut:
    """Ask `question` after the earlier turns; returns the re-rendered page parts."""
    started = time.perf_counter()
    turns = list(turns or [])
    text = question if isinstance(question, str) else ""
    if not text.strip():  # empty message: nothing is sent
        return render_transcript(turns), turns, gr.skip(), "", "", conv
    history = [t["question"] for t in turns][-HISTORY_TURNS:]
    docs = _docs(scope)
    try:
        ans = answer(text, history, docs)
    except Exception as err:  # noqa: BLE001 - never a stack trace on the page
        return _failed(err, turns, text, conv)
    turns.append(_turn(text, history, docs, ans, started))
    conv, problem = save_turn(turns, conv, request, settings)
    if problem:
        warn(problem)
    return (render_transcript(turns, title=_title(turns)), turns, _first_panel(turns, ans), gr.skip(),
            status_html(problem) if problem else "", conv)


def _title(turns: Sequence[dict[str, Any]]) -> str:
    return conversations.title_of(turns[0]["question"]) if turns else ""


def chat_stream(question: str | None, turns: list[dict[str, Any]] | None, conv: str = "",
                mode: AnswerMode | None = "extractive", scope: object = (), request: Any = None,
                settings: Settings | None = None) -> Iterator[ChatOut]:
    """The chat handler of the page: `chat` in 摘录 mode, `chat_llm` in AI生成 mode (when configured)."""
    if mode == "llm" and llm_enabled(settings):
        yield from chat_llm(question, turns, conv, scope, request, settings=runtime_settings(settings))
    else:
        yield chat(question, turns, conv, scope, request, settings=settings)


def _stream(text: str, history: list[str], extractive: Answer, turns: list[dict[str, Any]],
            settings: Settings) -> Iterator[tuple[str, Answer | None]]:
    """Transcript updates while the model writes; the last item carries the final answer."""
    pending: dict[str, Any] = {"question": text.strip(), "sources": [], "text": ""}
    yield render_transcript(turns, pending), None
    last = 0.0
    try:
        for event in stream_llm_answer(
            get_assistant(), text, history, settings=settings, extractive=extractive
        ):
            if event.kind == "sources":
                pending["sources"] = [
                    {"doc_id": s.doc_id, "ref": s.ref, "marker": s.marker} for s in event.sources
                ]
                yield render_transcript(turns, pending), None
            elif event.kind == "token":  # the first token shows at once, later ones in batches
                pending["text"] += event.delta
                if time.monotonic() - last >= STREAM_EVERY_S:
                    yield render_transcript(turns, pending), None
                    last = time.monotonic()
            elif event.answer is not None:
                yield "", event.answer
                return
    except Exception:  # noqa: BLE001 - fall back to the answer we already have
        traceback.print_exc(file=sys.stderr)
        yield "", replace(extractive, notes=(unavailable_note("内部错误"),))
        return
    yield "", extractive


def chat_llm(question: str | None, turns: list[dict[str, Any]] | None, conv: str = "", scope: object = (),
             request: Any = None, *, settings: Settings | None = None) -> Iterator[ChatOut]:
    """AI生成: yields the page parts as the answer streams in; the last yield has the final answer.

    Retrieval (and its refusals and input errors) is the extractive path's; the model call runs
    outside the ask lock. Endpoint faults come back from rag.llm as the extractive answer with a
    note; anything unexpected does too, with the traceback on stderr only.
    """
    started = time.perf_counter()
    settings = runtime_settings(settings)
    turns = list(turns or [])
    text = question if isinstance(question, str) else ""
    if not text.strip():
        yield render_transcript(turns), turns, gr.skip(), "", "", conv
        return
    history = [t["question"] for t in turns][-HISTORY_TURNS:]
    docs = _docs(scope)
    try:
        extractive = answer(text, history, docs)
    except Exception as err:  # noqa: BLE001 - never a stack trace on the page
        yield _failed(err, turns, text, conv)
        return
    final = extractive
    if not extractive.abstained:  # a refusal stays a refusal: no model call, nothing to stream
        for html, done in _stream(text, history, extractive, turns, settings):
            if done is not None:
                final = done
                break
            yield html, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    final = with_total(final, started)  # what the server spent, retrieval included
    turns.append(_turn(text, history, docs, final, started))
    conv, problem = save_turn(turns, conv, request, settings)
    yield (render_transcript(turns, title=_title(turns)), turns, _first_panel(turns, final), gr.skip(),
           status_html(problem) if problem else "", conv)


def source_panel(turns: Sequence[dict[str, Any]] | None, turn: int, key: str) -> str:
    """Panel for `key`, highlighting what answer number `turn` quoted from it."""
    quotes: list[str] = []
    turns = turns or []
    if 0 <= turn < len(turns):
        doc_id, _, ref = key.rpartition("#")
        quotes = [c["quote"] for c in turns[turn]["answer"].get("citations", [])
                  if c["doc_id"] == doc_id and c["ref"] == ref]
    return unit_panel(key, quotes)


# -- feedback ------------------------------------------------------------------------------------


def _record_vote(
    turn: dict[str, Any], conv: str, index: int, vote: str | None, settings: Settings | None
) -> None:
    ans = turn["answer"]
    assistant = get_assistant()
    feedback.set_vote(
        runtime_settings(settings).feedback_path, conversation=conv, turn=index, vote=vote,
        question=turn["question"], history=turn.get("history", []), answer=ans.get("answer", ""),
        abstained=ans.get("abstained", False), kind=ans.get("kind", ""),
        citations=[f"{c['doc_id']}#{c['ref']}" for c in ans.get("citations", [])],
        primary_doc=assistant.primary.doc_id, reason=turn.get("reason", ""))


def _update(turns: list[dict[str, Any]], conv: str, index: int, changes: dict[str, Any], request: Any,
            settings: Settings | None) -> tuple[str, list[dict[str, Any]], str]:
    """Apply `changes` to turn `index`, record the vote, save the turn → (transcript, turns, status)."""
    turn = {**turns[index], **changes}
    conv = conv or f"local-{secrets.token_urlsafe(9)}"
    try:
        _record_vote(turn, conv, index, turn.get("vote"), settings)
    except DangjianError as err:
        warn(str(err))
        return render_transcript(turns, title=_title(turns)), turns, status_html(str(err))
    turns = [*turns[:index], turn, *turns[index + 1:]]
    owner = owner_of(request)
    if owner and not conv.startswith("local-"):
        stored = {k: v for k, v in turn.items() if k != "reason_open"}
        try:
            _store(settings).set_turn(owner, conv, index, stored)
        except DangjianError as err:
            warn(str(err))
    return render_transcript(turns, title=_title(turns)), turns, ""


def vote(turns: list[dict[str, Any]] | None, turn: int, value: str, conv: str = "", request: Any = None, *,
         settings: Settings | None = None) -> tuple[str, list[dict[str, Any]], str]:
    """👍/👎 on answer number `turn`: a click toggles (the same vote again undoes it); 👎 opens the
    optional reason box. One feedback record per (conversation, turn), the last state wins."""
    turns = list(turns or [])
    if not 0 <= turn < len(turns) or value not in feedback.VOTES:
        return render_transcript(turns, title=_title(turns)), turns, ""
    undo = turns[turn].get("vote") == value
    changes: dict[str, Any] = {"vote": None if undo else value, "reason_open": value == "down" and not undo}
    if undo or value == "up":
        changes["reason"] = ""
    return _update(turns, conv, turn, changes, request, settings)


def reason(
    turns: list[dict[str, Any]] | None,
    turn: int,
    text: str | None,
    conv: str = "",
    request: Any = None,
    *,
    settings: Settings | None = None,
) -> tuple[str, list[dict[str, Any]], str]:
    """The 👎 reason box: submit (text kept with the vote) or close it (text None)."""
    turns = list(turns or [])
    if not 0 <= turn < len(turns) or turns[turn].get("vote") != "down":
        return render_transcript(turns, title=_title(turns)), turns, ""
    changes: dict[str, Any] = {"reason_open": False}
    if text is not None:
        changes["reason"] = " ".join(str(text).split())[:feedback.MAX_REASON]
    return _update(turns, conv, turn, changes, request, settings)
