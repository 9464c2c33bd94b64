"""Optional LLM answers: the extractive path retrieves, an OpenAI-compatible model writes, code verifies.

    extractive = assistant.ask(q, history)          the same retrieval (and refusals) as always
    sources    = cited units + top retrieved (≤ 5)  numbered blocks with their 〔第8条〕 markers
    reply      = (prompt | ChatOpenAI | StrOutputParser).stream(...)   tokens streamed to the caller
    verdict    = verify.verify(reply, sources)      citations and details checked in code

The user sees the generated text only when the verdict passes (`verify.THRESHOLD`); otherwise, and
on any endpoint fault (refused connection, timeout, HTTP 429/5xx, malformed JSON, a stream cut off,
an empty reply), the extractive answer is returned with a one-line note. A refusal of the extractive
path (out of range, out of scope) is returned as is and the model is never called.

`llm_answer` never raises for endpoint faults; the whole model call is bounded by
`settings.llm_timeout_s` (client retries included: `llm_chain.MAX_RETRIES` = 1 for connection errors,
429 and 5xx). The LangChain side (prompt, model, deadline, health check) is rag/llm_chain.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from . import answer as compose
from .config import Settings
from .records import Answer, Block, Citation, Document, Unit
from .timing import with_total
from .verify import Source, Verdict, supporting_quotes, verify

if TYPE_CHECKING:
    from .pipeline import Assistant

__all__ = [
    "AI_NOTE",
    "FAILED_CHECK_NOTE",
    "MAX_SOURCES",
    "REFUSAL",
    "LLMEvent",
    "finish_answer",
    "llm_answer",
    "llm_check",
    "make_source",
    "sources_for",
    "sources_from_answer",
    "stream_llm_answer",
    "unavailable_note",
]

MAX_SOURCES = 5
REFUSAL = "根据已收录文件无法回答"
AI_NOTE = "AI生成，请以原文为准"
FAILED_CHECK_NOTE = "生成答案未通过引用核验，已改为原文摘录。"


def unavailable_note(reason: str) -> str:
    return f"大模型暂不可用（{reason}），以下为原文摘录。"


# -- sources --------------------------------------------------------------------------------

def make_source(doc: Document, unit: Unit) -> Source:
    aliases = tuple(a for a in (*doc.meta.aliases, doc.meta.notice_title) if a)
    return Source(doc_id=doc.doc_id, ref=unit.ref, marker=compose.marker(doc, unit),
                  heading=compose.unit_heading(doc, unit), text=unit.text, title=doc.meta.title,
                  primary=doc.meta.primary, label=unit.label, unit_title=unit.title,
                  section=compose.section_path(doc, unit), sentences=unit.sentences, aliases=aliases)


def sources_from_answer(
    assistant: Assistant, extractive: Answer, *, limit: int = MAX_SOURCES
) -> list[Source]:
    """The extractive answer's cited units, then its top retrieved units up to `limit` in all.

    Empty when the extractive answer abstained: a refusal stays a refusal.
    """
    if extractive.abstained:
        return []
    keys = list(dict.fromkeys(f"{c.doc_id}#{c.ref}" for c in extractive.citations))
    for key in extractive.retrieved:
        if len(keys) >= limit:
            break
        if key not in keys:
            keys.append(key)
    return [make_source(*found) for key in keys if (found := assistant.unit(key))]


def sources_for(assistant: Assistant, question: str, history: Sequence[str] = ()) -> list[Source]:
    """Same retrieval as the extractive path (`assistant.ask`); [] when it abstains."""
    return sources_from_answer(assistant, assistant.ask(question, history))



@dataclass(frozen=True, slots=True)
class LLMEvent:
    """What `stream_llm_answer` yields: the sources, then tokens, then exactly one answer."""

    kind: Literal["sources", "token", "answer"]
    sources: tuple[Source, ...] = ()
    delta: str = ""
    answer: Answer | None = None


# -- answers --------------------------------------------------------------------------------

def _fallback(extractive: Answer, note: str, timings: dict[str, float],
              verification: dict[str, object] | None = None) -> Answer:
    return replace(extractive, notes=(note,), verification=verification,
                   timings_ms={**extractive.timings_ms, **timings})


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def _is_refusal(reply: str) -> bool:
    plain = "".join(ch for ch in reply if ch.isalnum())
    return plain.startswith(REFUSAL) and len(plain) <= len(REFUSAL) + 12


def _refusal(assistant: Assistant, extractive: Answer, sources: Sequence[Source],
             timings: dict[str, float]) -> Answer:
    sugg = [found for s in sources if (found := assistant.unit(s.key)) and found[1].number is not None]
    ans = compose.abstain(extractive.question, sugg, reason=f"{REFUSAL}。")
    return replace(ans, retrieved=extractive.retrieved, generated=True, notes=(AI_NOTE,),
                   verification={"ok": True, "refused": True},
                   timings_ms={**extractive.timings_ms, **timings})


def _citations(verdict: Verdict, sources: Sequence[Source]) -> tuple[Citation, ...]:
    return tuple(
        Citation(
            doc_id=s.doc_id, ref=s.ref, label=s.label, title=s.unit_title, section=s.section, quote=quote
        )
        for s, quote in supporting_quotes(verdict, sources)
    )


def finish_answer(assistant: Assistant, extractive: Answer, sources: Sequence[Source], reply: str,
                  timings: dict[str, float] | None = None) -> Answer:
    """A complete reply → the verified LLM answer, a refusal, or the extractive fallback."""
    timings = timings or {}
    reply = _THINK.sub("", reply)  # reasoning models served with their <think> block inline
    if not reply.strip():
        return _fallback(extractive, unavailable_note("回复为空"), timings)
    if _is_refusal(reply):
        return _refusal(assistant, extractive, sources, timings)
    verdict = verify(reply, sources)
    if not verdict.ok:
        return _fallback(extractive, FAILED_CHECK_NOTE, timings, verdict.as_dict())
    return Answer(
        question=extractive.question,
        text=verdict.text,
        abstained=False,
        kind="llm",
        route=extractive.route,
        citations=_citations(verdict, sources),
        retrieved=extractive.retrieved,
        timings_ms={**extractive.timings_ms, **timings},
        focus=extractive.focus,
        generated=True,
        verification=verdict.as_dict(),
        notes=(AI_NOTE,),
        blocks=(Block(kind="generated", text=verdict.text),),
    )


def stream_llm_answer(
    assistant: Assistant,
    question: str,
    history: Sequence[str] = (),
    *,
    settings: Settings | None = None,
    extractive: Answer | None = None,
) -> Iterator[LLMEvent]:
    """Generator for streaming UIs: LLMEvent("sources"), LLMEvent("token")…, LLMEvent("answer").

    The last event always carries the Answer to show; it replaces the streamed tokens (a flagged
    sentence gains ⚠, a fabricated marker disappears, a failed check becomes the extractive answer).
    Pass `extractive` when `assistant.ask(question, history)` was already computed.
    InputError from `assistant.ask` propagates as on the extractive path.
    """
    settings = settings or assistant.settings
    t_all = time.perf_counter()
    earlier_ms = extractive.timings_ms.get("total", 0.0) if extractive is not None else 0.0
    extractive = extractive or assistant.ask(question, history)
    sources = sources_from_answer(assistant, extractive)
    if not sources:
        yield LLMEvent("answer", answer=extractive)
        return
    if not settings.llm_configured:
        yield LLMEvent("answer", answer=_fallback(extractive, unavailable_note("未配置"), {}))
        return
    try:
        from .llm_chain import build_chain, stream_reply  # LangChain: only when a model is asked

        chain = build_chain(settings)
    except ImportError:
        yield LLMEvent(
            "answer", answer=_fallback(extractive, unavailable_note("未安装 langchain-openai"), {})
        )
        return
    yield LLMEvent("sources", sources=tuple(sources))
    inputs = {"question": extractive.question, "sources": sources, "history": list(history)}
    start = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    result: Answer | None = None
    for kind, value in stream_reply(chain, inputs, float(settings.llm_timeout_s)):
        if kind == "token":
            first = first if first is not None else time.perf_counter()
            parts.append(value)
            yield LLMEvent("token", delta=value)
            continue
        timings = {"llm": round((time.perf_counter() - start) * 1000, 2)}
        if first is not None:
            timings["llm_first_token"] = round((first - start) * 1000, 2)
        if kind == "fault":
            result = _fallback(extractive, unavailable_note(value), timings)
        elif value is None:  # the stream ended without a finish_reason: cut off
            result = _fallback(extractive, unavailable_note("回复中断"), timings)
        else:
            result = finish_answer(assistant, extractive, sources, "".join(parts), timings)
    assert result is not None
    yield LLMEvent("answer", answer=with_total(result, t_all, earlier_ms=earlier_ms))  # retrieval included


def llm_answer(assistant: Assistant, question: str, history: Sequence[str] = (), *,
               settings: Settings | None = None, on_token: Callable[[str], None] | None = None,
               on_sources: Callable[[Sequence[Source]], None] | None = None,
               extractive: Answer | None = None) -> Answer:
    """Answer with the LLM; see the module docstring. `on_token(delta)` gets each new piece of text."""
    answer: Answer | None = None
    for event in stream_llm_answer(assistant, question, history, settings=settings, extractive=extractive):
        if event.kind == "sources" and on_sources is not None:
            on_sources(event.sources)
        elif event.kind == "token" and on_token is not None:
            on_token(event.delta)
        elif event.kind == "answer":
            answer = event.answer
    assert answer is not None
    return answer


def llm_check(settings: Settings) -> tuple[bool, str]:
    """Whether the configured endpoint answers (rag.llm_chain; LangChain is imported only here)."""
    try:
        from .llm_chain import llm_check as check
    except ImportError:
        return False, "未安装 LangChain：请运行 pip install -e '.[llm]'"
    return check(settings)
