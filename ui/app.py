"""Web UI (Gradio) and HTTP API (FastAPI) on one server.

    serve(settings, host="127.0.0.1", port=7860, auth="")   # blocks; returns an exit code

One FastAPI app carries the JSON API (`POST /api/ask`, `GET /api/items/{ref}`, `GET /healthz`,
OpenAPI docs at `/docs`) and the Gradio Blocks `demo` mounted at "/". Building `demo` (at import)
never loads the index: handlers fetch the `Assistant` from a module-level holder that `serve`
fills, or that opens it on first use.

Optional LLM mode (rag/llm.py): when the settings name an OpenAI-compatible endpoint
(`Settings.llm_configured`) the page shows a 摘录 / AI生成 switch and `POST /api/ask` accepts
`"mode": "llm"`. In AI mode the chat handler is a generator: the retrieved sources appear first,
then the tokens stream into the answer bubble, then the verified `Answer` replaces the streamed
text (flagged sentences marked ⚠, fabricated citations removed, or the extractive fallback with
its one-line note). `build_demo(settings)` binds the LLM settings of one page; `build_demo()`
(the import-time `demo`) uses the process settings that `serve` sets.

Handlers are plain functions over rag's public API, so tests call them directly. Everything a
user typed is HTML-escaped before it reaches the page; library errors become their Chinese
message, anything unexpected a generic one (the traceback goes to stderr only).
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import html
import re
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Literal

import gradio as gr
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import feedback
from rag.answer import marker, section_path, unit_heading
from rag.config import Settings
from rag.errors import DangjianError, InputError
from rag.llm import AI_NOTE, llm_answer, stream_llm_answer, unavailable_note
from rag.pipeline import Assistant
from rag.records import Answer, Document, Unit
from rag.render import answer_json

from .style import CSS

APP_TITLE = "党建文件问答"
HISTORY_TURNS = 8  # earlier questions replayed for follow-ups (那第9条呢、下一条)
MAX_HISTORY = 20  # API limit on the history list
GENERIC_ERROR = "系统出现问题，暂时无法回答，请稍后再试。"
EXAMPLES = (
    "第8条要求什么？",
    "我是新任支部书记，要抓哪些工作？",
    "第三部分讲什么？",
    "这个文件是谁印发的？",
    "What does item 12 require?",
)

# -- the assistant holder -------------------------------------------------------------------


class _Runtime:
    """The one Assistant of the process, and the lock that serialises `ask`.

    `Assistant.ask` is pure over a read-only index, but the default embedder initialises lazily
    and numpy/threadpoolctl limits are process-global, so asks are serialised: they take
    milliseconds, and the machine has two cores anyway.
    """

    def __init__(self) -> None:
        self.assistant: Assistant | None = None
        self.settings: Settings | None = None
        self.open_lock = threading.Lock()
        self.ask_lock = threading.Lock()


_rt = _Runtime()


def _stderr_progress(stage: str, done: int, total: int) -> None:
    names = {"parse": "解析文件", "embed": "计算向量", "save": "写入索引"}
    end = "\n" if done >= total else ""
    print(f"\r{names.get(stage, stage)} {done}/{total}", end=end, file=sys.stderr, flush=True)


def _stderr_notify(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_assistant(settings: Settings) -> Assistant:
    """Open (building if absent) the index, with progress on stderr, and warm the embedder up."""
    print(f"正在加载索引 {settings.index_dir} …", file=sys.stderr, flush=True)
    assistant = Assistant.open(settings, progress=_stderr_progress, notify=_stderr_notify)
    assistant.search("党建工作")  # first embedding call initialises the model: do it now
    counts = assistant.index.manifest.get("counts", {})
    print(f"索引已就绪：{counts.get('documents', len(assistant.index.docs))} 个文件，"
          f"{counts.get('units', '?')} 个条目", file=sys.stderr, flush=True)
    return assistant


def set_assistant(assistant: Assistant | None, settings: Settings | None = None) -> None:
    _rt.assistant = assistant
    _rt.settings = settings or (assistant.settings if assistant else None)


def get_assistant() -> Assistant:
    if _rt.assistant is None:
        with _rt.open_lock:
            if _rt.assistant is None:
                settings = _rt.settings or Settings.from_env()
                _rt.assistant = open_assistant(settings)
                _rt.settings = settings
    return _rt.assistant


def ask(question: str, history: Sequence[str] = ()) -> Answer:
    assistant = get_assistant()
    with _rt.ask_lock:
        return assistant.ask(question, list(history))


def runtime_settings(settings: Settings | None = None) -> Settings:
    """`settings` when given, else the process settings (those `serve` set, or the environment)."""
    if settings is not None:
        return settings
    if _rt.settings is not None:
        return _rt.settings
    if _rt.assistant is not None:
        return _rt.assistant.settings
    return Settings.from_env()


def llm_enabled(settings: Settings | None = None) -> bool:
    """Is an LLM endpoint configured (not: is it reachable)? Decides whether the mode switch shows."""
    return runtime_settings(settings).llm_configured


# -- HTML pieces ----------------------------------------------------------------------------


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _unit(key: str) -> tuple[Document, Unit] | None:
    try:
        return get_assistant().unit(key)
    except DangjianError:
        return None


def unit_name(doc: Document, unit: Unit) -> str:
    """第8条 for the primary notice, 《条例》第三十条 for other documents."""
    return unit.label if doc.meta.primary else f"《{doc.meta.title}》{unit.label}"


def question_for(key: str) -> str:
    """The question that "asks about" a unit key (suggestion buttons, 就此条提问)."""
    doc_id, _, ref = key.rpartition("#")
    if ref.startswith("section:"):
        found_doc = get_assistant().index.doc(doc_id) or get_assistant().primary
        section = found_doc.section(int(ref.split(":", 1)[1]))
        label = section.label.rstrip("、 ") if section else ref.split(":", 1)[1]
        return f"第{label}部分讲什么？"
    found = _unit(key)
    if found is None:
        return f"{ref}讲了什么？"
    doc, unit = found
    if unit.kind == "header":
        return "这个文件是谁印发的？"
    if unit.kind == "preamble":
        return "总体要求是什么？"
    return f"{unit_name(doc, unit)}要求什么？"


def _highlight(text: str, quotes: Sequence[str]) -> tuple[str, int]:
    """Escape `text`, wrapping each occurrence of a quoted sentence in <mark>."""
    spans: list[tuple[int, int]] = []
    for quote in dict.fromkeys(q for q in quotes if q):
        start = text.find(quote)
        while start >= 0:
            end = start + len(quote)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
                break
            start = text.find(quote, start + 1)
    spans.sort()
    out, pos = [], 0
    for start, end in spans:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out), len(spans)


PANEL_EMPTY = (
    '<div class="dj-panel dj-panel-empty"><div class="dj-panel-title">原文</div>'
    "<p>点击答案里的〔第N条〕标记或下方“来源”，这里会显示该条原文全文，"
    "答案引用的句子用<mark>黄色</mark>标出。</p></div>"
)


def unit_panel(key: str, quotes: Sequence[str] = (), *, note: str = "") -> str:
    """The side panel for one unit: document, section path, heading, full text with <mark>s."""
    found = _unit(key)
    if found is None:
        return (f'<div class="dj-panel"><div class="dj-panel-title">原文</div>'
                f"<p>没有找到条目“{esc(key)}”。</p></div>")
    doc, unit = found
    body, marked = _highlight(unit.text, quotes)
    meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer) if x)
    path = [f"《{doc.meta.title}》", *(unit.path or ((section_path(doc, unit),) if unit.section_no else ())),
            unit_name(doc, unit)]
    crumbs = '<span class="dj-sep">›</span>'.join(f"<span>{esc(p)}</span>" for p in path if p)
    hint = f'<div class="dj-panel-note">黄色标出的是答案引用的 {marked} 句原文。</div>' if marked else ""
    title = unit.title if unit.kind in ("item", "article") else ""
    heading = f"{unit_name(doc, unit)} {title}".strip()
    return (
        f'<div class="dj-panel" data-key="{esc(unit.key)}">'
        f'<div class="dj-panel-title">原文{f" · {esc(meta)}" if meta else ""}</div>'
        f'<div class="dj-crumbs">{crumbs}</div>'
        f'<h3 class="dj-unit-h">{esc(heading)}</h3>'
        f'<div class="dj-fulltext">{body}</div>{hint}'
        f'{f"<div class=dj-panel-note>{esc(note)}</div>" if note else ""}</div>'
    )


_MARKER = re.compile(r"〔[^〔〕<>]{1,80}〕")
_NUMBERED = re.compile(r"^(\d+)\.\s(.*)$")


def _marker_links(citations: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Escaped marker text (〔第8条〕) → unit key, for the units an answer cites."""
    links: dict[str, str] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        found = _unit(key)
        if found is not None:
            links.setdefault(esc(marker(*found)), key)
    return links


FLAG_TITLE = "此句未能在所引原文中核实，请以原文为准"


def _linkify(escaped: str, links: dict[str, str], turn: int) -> str:
    def repl(m: re.Match[str]) -> str:
        key = links.get(m.group(0))
        if key is None:
            return m.group(0)
        return (f'<a class="dj-cite" href="#" role="button" data-action="source" data-turn="{turn}" '
                f'data-key="{esc(key)}" title="查看原文">{m.group(0)}</a>')
    out = _MARKER.sub(repl, escaped)
    if "⚠" in out:  # a generated sentence that failed the check (rag.verify.FLAG_MARK)
        out = out.replace("⚠", f'<span class="dj-flag" title="{FLAG_TITLE}">⚠</span>')
    return out


def answer_body(text: str, links: dict[str, str], turn: int) -> str:
    """The answer's plain text as HTML: headings, numbered and bulleted quotes, linked markers."""
    parts: list[str] = []
    for block in text.split("\n\n"):
        list_tag = ""
        for line in block.split("\n"):
            if not line.strip():
                continue
            m = _NUMBERED.match(line)
            tag = "ol" if m else "ul" if line.startswith("- ") else ""
            if tag != list_tag:
                if list_tag:
                    parts.append(f"</{list_tag}>")
                if tag:
                    parts.append(f"<{tag}>")
                list_tag = tag
            if m:
                parts.append(f'<li value="{m.group(1)}">{_linkify(esc(m.group(2)), links, turn)}</li>')
            elif tag == "ul":
                parts.append(f"<li>{_linkify(esc(line[2:]), links, turn)}</li>")
            else:
                cls = "dj-head" if line.rstrip().endswith(("：", ":")) else "dj-p"
                parts.append(f'<p class="{cls}">{_linkify(esc(line), links, turn)}</p>')
        if list_tag:
            parts.append(f"</{list_tag}>")
    return "".join(parts)


def _sources(citations: Sequence[dict[str, Any]], turn: int, *, heading: str = "来源",
             counted: bool = True) -> str:
    """The 来源 list: one clickable row per cited unit (with "引用 N 句" when `counted`)."""
    counts: dict[str, int] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return ""
    rows = []
    for n, (key, count) in enumerate(counts.items(), 1):
        found = _unit(key)
        if found is None:
            continue
        doc, unit = found
        section = section_path(doc, unit)
        title = unit.title if unit.kind in ("item", "article") else ""
        rows.append(
            f'<li><a class="dj-src" href="#" role="button" data-action="source" data-turn="{turn}" '
            f'data-key="{esc(key)}"><b>{esc(unit_name(doc, unit))}</b> {esc(title)}</a>'
            f'<span class="dj-src-meta">{esc(" · ".join(x for x in (section, f"引用 {count} 句" if counted else "") if x))}'
            '</span></li>')
    return f'<div class="dj-sources"><div class="dj-sources-h">{esc(heading)}</div><ol>{"".join(rows)}</ol></div>'


def _suggestions(keys: Sequence[str]) -> str:
    buttons = []
    for key in keys:
        found = _unit(key)
        if found is None:
            continue
        doc, unit = found
        q = question_for(key)
        buttons.append(f'<button class="dj-chip" data-action="ask" data-question="{esc(q)}" '
                       f'title="{esc(unit_heading(doc, unit))}">{esc(q)}</button>')
    if not buttons:
        return ""
    return f'<div class="dj-sugg"><span>可以直接问：</span>{"".join(buttons)}</div>'


def _timing(ms: object) -> str:
    if not isinstance(ms, (int, float)):
        return ""
    if ms >= 1000:
        return f"用时 {ms / 1000:.1f} 秒"
    return f"用时 {ms:.0f} 毫秒" if ms >= 10 else f"用时 {ms:.1f} 毫秒"


AI_BADGE = f'<div class="dj-ai-h" title="由大模型依据检索到的原文撰写，出处已逐句核验">{esc(AI_NOTE)}</div>'


def render_turn(turn: dict[str, Any], index: int) -> str:
    ans = turn["answer"]
    abstained = bool(ans.get("abstained"))
    generated = bool(ans.get("generated"))
    links = _marker_links(ans.get("citations", []))
    notes = "".join(f'<div class="dj-note" role="note">{esc(n)}</div>' for n in ans.get("notes", [])
                    if not (generated and n == AI_NOTE))  # the badge already says it
    vote = turn.get("vote")
    votes = "".join(
        f'<button class="dj-vote{" on" if vote == v else ""}" data-action="vote" data-vote="{v}" '
        f'data-turn="{index}" title="{label}">{icon} {label}</button>'
        for v, icon, label in (("up", "👍", "有帮助"), ("down", "👎", "没帮助")))
    thanks = '<span class="dj-thanks">已记录，谢谢反馈</span>' if vote else ""
    head = ('<div class="dj-abstain-h">未找到直接依据</div>' if abstained else "") + (AI_BADGE if generated else "")
    classes = "dj-a" + (" dj-abstain" if abstained else "") + (" dj-gen" if generated else "")
    return (
        f'<div class="dj-turn" data-turn="{index}">'
        f'<div class="dj-q"><div class="dj-bubble">{esc(turn["question"])}</div></div>'
        f'<div class="{classes}">{head}{notes}'
        f'<div class="dj-text">{answer_body(ans.get("answer", ""), links, index)}</div>'
        f"{_suggestions(ans.get('suggestions', []))}{_sources(ans.get('citations', []), index)}"
        f'<div class="dj-meta"><span class="dj-time">{esc(_timing(ans.get("timings_ms", {}).get("total")))}</span>'
        f'<span class="dj-spacer"></span>{thanks}{votes}</div>'
        f"</div></div>"
    )


WELCOME = (
    '<div class="dj-welcome"><div class="dj-welcome-h">您好！请直接提问。</div>'
    "<p>回答中的每一句话都逐字摘自原文，并用〔第N条〕标明出处；点击出处即可在右侧查看原文全文。"
    "找不到依据时会直接说明，不会编造。</p>"
    "<p>可以按编号问（“第8条要求什么？”“那第9条呢？”），按部分问（“第三部分讲什么？”），"
    "也可以直接问工作内容（“怎样加强党员教育管理？”）。</p></div>"
)
WELCOME_AI = (
    "<p>选择“AI生成”时，答案由大模型依据原文撰写，不再是逐字摘录；每处引用都经代码核验，"
    "未通过核验时自动改为原文摘录。请以原文为准。</p>"
)


def welcome_html(settings: Settings | None = None) -> str:
    """The empty-chat greeting; it mentions the AI mode only where that mode exists."""
    return WELCOME.replace("</p></div>", "</p>" + WELCOME_AI + "</div>") if llm_enabled(settings) else WELCOME


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def render_pending(pending: dict[str, Any], index: int) -> str:
    """An AI answer being written: the sources first, then the text streamed so far."""
    sources = pending.get("sources", [])
    links = {esc(s["marker"]): f"{s['doc_id']}#{s['ref']}" for s in sources}
    raw = pending.get("text", "")
    text = _THINK.sub("", raw)  # a reasoning model's <think> block is not shown
    if not sources:
        status = "正在检索原文…"
    elif not text.strip():
        status = "正在思考…" if raw.strip() else "已找到相关原文，正在生成答案…"
    else:
        status = "正在生成…"
    return (
        f'<div class="dj-turn dj-pending" data-turn="{index}" aria-busy="true">'
        f'<div class="dj-q"><div class="dj-bubble">{esc(pending["question"])}</div></div>'
        f'<div class="dj-a dj-gen">{AI_BADGE}'
        f'<div class="dj-text dj-stream">{answer_body(text, links, index)}</div>'
        f'<div class="dj-typing">{esc(status)}</div>'
        f"{_sources(sources, index, heading='参考原文', counted=False)}"
        f"</div></div>"
    )


def render_transcript(turns: Sequence[dict[str, Any]], pending: dict[str, Any] | None = None) -> str:
    if not turns and pending is None:
        return f'<div class="dj-chat">{welcome_html()}</div>'
    body = "".join(render_turn(t, i) for i, t in enumerate(turns))
    if pending is not None:
        body += render_pending(pending, len(turns))
    return f'<div class="dj-chat">{body}</div>'


def status_html(message: str, kind: Literal["error", "info"] = "error") -> str:
    return f'<div class="dj-status dj-status-{kind}" role="alert">{esc(message)}</div>' if message else ""


# -- chat handlers ----------------------------------------------------------------------------

# (transcript html, turns, side panel html, question box, status html)
ChatOut = tuple[Any, Any, Any, Any, Any]


def _warn(message: str) -> None:
    """A toast in the page; outside a Gradio request (direct calls, tests) only the status line shows."""
    from gradio.context import LocalContext

    if LocalContext.blocks.get(None) is None or LocalContext.event_id.get(None) is None:
        return
    try:
        gr.Warning(message, title="提示")
    except Exception:  # noqa: BLE001 - a toast is optional; the status line carries the message
        pass


def chat(question: str | None, turns: list[dict[str, Any]] | None) -> ChatOut:
    """Ask `question` after the earlier turns; returns the re-rendered page parts."""
    turns = list(turns or [])
    text = question if isinstance(question, str) else ""
    if not text.strip():  # empty message: nothing is sent
        return render_transcript(turns), turns, gr.skip(), "", ""
    history = [t["question"] for t in turns][-HISTORY_TURNS:]
    try:
        ans = ask(text, history)
    except DangjianError as err:
        _warn(str(err))
        return gr.skip(), turns, gr.skip(), text, status_html(str(err))
    except Exception:  # noqa: BLE001 - never show a stack trace on the page
        traceback.print_exc(file=sys.stderr)
        _warn(GENERIC_ERROR)
        return gr.skip(), turns, gr.skip(), text, status_html(GENERIC_ERROR)
    turns.append({"question": text.strip(), "history": history, "answer": answer_json(ans), "vote": None})
    panel: Any = gr.skip()
    if ans.citations:  # open the first cited unit in the side panel
        first = ans.citations[0]
        panel = source_panel(turns, len(turns) - 1, f"{first.doc_id}#{first.ref}")
    return render_transcript(turns), turns, panel, "", ""


MODES: tuple[tuple[str, str], ...] = (("摘录", "extractive"), ("AI生成", "llm"))
MODE_HINT = "AI生成：大模型依据检索到的原文撰写答案，出处逐句核验；未通过核验或模型不可用时改为原文摘录。"
STREAM_EVERY_S = 0.05  # at most ~20 transcript updates a second while tokens stream in


def chat_stream(question: str | None, turns: list[dict[str, Any]] | None, mode: str | None = "extractive",
                settings: Settings | None = None) -> Iterator[ChatOut]:
    """The chat handler of the page: `chat` in 摘录 mode, `chat_llm` in AI生成 mode (when configured)."""
    if mode == "llm" and llm_enabled(settings):
        yield from chat_llm(question, turns, settings=runtime_settings(settings))
    else:
        yield chat(question, turns)


def chat_llm(question: str | None, turns: list[dict[str, Any]] | None, *,
             settings: Settings | None = None) -> Iterator[ChatOut]:
    """AI生成: yields the page parts as the answer streams in; the last yield has the final answer.

    Retrieval (and its refusals and input errors) is the extractive path's, under the ask lock;
    the model call runs outside the lock. Endpoint faults come back from rag.llm as the extractive
    answer with a note; anything unexpected does too, with the traceback on stderr only.
    """
    settings = runtime_settings(settings)
    turns = list(turns or [])
    text = question if isinstance(question, str) else ""
    if not text.strip():
        yield render_transcript(turns), turns, gr.skip(), "", ""
        return
    history = [t["question"] for t in turns][-HISTORY_TURNS:]
    start = time.perf_counter()
    try:
        extractive = ask(text, history)
    except DangjianError as err:
        _warn(str(err))
        yield gr.skip(), turns, gr.skip(), text, status_html(str(err))
        return
    except Exception:  # noqa: BLE001 - never show a stack trace on the page
        traceback.print_exc(file=sys.stderr)
        _warn(GENERIC_ERROR)
        yield gr.skip(), turns, gr.skip(), text, status_html(GENERIC_ERROR)
        return
    pending: dict[str, Any] = {"question": text.strip(), "sources": [], "text": ""}
    final: Answer | None = None
    if not extractive.abstained:  # a refusal stays a refusal: no model call, nothing to stream
        yield render_transcript(turns, pending), gr.skip(), gr.skip(), "", ""
        last = 0.0
        try:
            for event in stream_llm_answer(get_assistant(), text, history, settings=settings,
                                           extractive=extractive):
                if event.kind == "sources":
                    pending["sources"] = [{"doc_id": s.doc_id, "ref": s.ref, "marker": s.marker}
                                          for s in event.sources]
                    yield render_transcript(turns, pending), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                elif event.kind == "token":  # the first token shows at once, later ones in batches
                    pending["text"] += event.delta
                    if time.monotonic() - last >= STREAM_EVERY_S:
                        yield render_transcript(turns, pending), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                        last = time.monotonic()
                elif event.answer is not None:
                    final = event.answer
        except Exception:  # noqa: BLE001 - fall back to the answer we already have
            traceback.print_exc(file=sys.stderr)
            final = replace(extractive, notes=(unavailable_note("内部错误"),))
    ans = final or extractive
    total = round((time.perf_counter() - start) * 1000, 2)  # what the user waited, retrieval included
    ans = replace(ans, timings_ms={**ans.timings_ms, "total": total})
    turns.append({"question": text.strip(), "history": history, "answer": answer_json(ans), "vote": None})
    panel: Any = gr.skip()
    if ans.citations:
        first = ans.citations[0]
        panel = source_panel(turns, len(turns) - 1, f"{first.doc_id}#{first.ref}")
    yield render_transcript(turns), turns, panel, "", ""


def source_panel(turns: Sequence[dict[str, Any]] | None, turn: int, key: str) -> str:
    """Side panel for `key`, highlighting what answer number `turn` quoted from it."""
    quotes: list[str] = []
    turns = turns or []
    if 0 <= turn < len(turns):
        doc_id, _, ref = key.rpartition("#")
        quotes = [c["quote"] for c in turns[turn]["answer"].get("citations", [])
                  if c["doc_id"] == doc_id and c["ref"] == ref]
    return unit_panel(key, quotes)


def vote(turns: list[dict[str, Any]] | None, turn: int, value: str) -> tuple[str, list[dict[str, Any]], str]:
    """Record 👍/👎 for answer number `turn` in the feedback file → (transcript, turns, status)."""
    turns = list(turns or [])
    if not 0 <= turn < len(turns) or value not in feedback.VOTES:
        return render_transcript(turns), turns, ""
    t = dict(turns[turn])
    ans = t["answer"]
    assistant = get_assistant()
    try:
        feedback.record(
            assistant.settings.feedback_path, question=t["question"], history=t.get("history", []),
            answer=ans.get("answer", ""), abstained=ans.get("abstained", False), kind=ans.get("kind", ""),
            citations=[f"{c['doc_id']}#{c['ref']}" for c in ans.get("citations", [])],
            primary_doc=assistant.primary.doc_id, vote=value)
    except DangjianError as err:
        _warn(str(err))
        return render_transcript(turns), turns, status_html(str(err))
    t["vote"] = value
    turns[turn] = t
    return render_transcript(turns), turns, ""


def _event_data(evt: gr.EventData | None) -> dict[str, Any]:
    data = getattr(evt, "_data", None) if evt is not None else None
    return data if isinstance(data, dict) else {}


def _int(value: object, default: int = -1) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return default


def on_transcript_click(turns: list[dict[str, Any]] | None, evt: gr.EventData) -> ChatOut:
    """Clicks inside the transcript: suggestion chips ("ask") and 👍/👎 ("vote")."""
    data = _event_data(evt)
    action = data.get("action")
    if action == "ask":
        return chat(str(data.get("question", "")), turns)
    if action == "vote":
        transcript, new_turns, status = vote(turns, _int(data.get("turn")), str(data.get("vote", "")))
        return transcript, new_turns, gr.skip(), gr.skip(), status
    return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()


def on_source_select(turns: list[dict[str, Any]] | None, evt: gr.EventData) -> Any:
    """Clicks on a 〔第N条〕 marker or a 来源 entry: show the unit in the side panel."""
    data = _event_data(evt)
    key = str(data.get("key", ""))
    if not key:
        return gr.skip()
    return source_panel(turns, _int(data.get("turn")), key)


def clear_chat() -> ChatOut:
    return render_transcript([]), [], PANEL_EMPTY, "", ""


# -- item browser (目录) -------------------------------------------------------------------


def catalog() -> list[dict[str, Any]]:
    """The documents' trees: [{doc_id, title, meta, groups: [{key, label, title, units: [...]}]}]."""
    out = []
    for doc in get_assistant().index.docs:
        in_sections = {r for s in doc.sections for r in s.refs}
        loose = [u for u in doc.units if u.ref not in in_sections and u.number is None]
        groups: list[dict[str, Any]] = [{"key": "", "label": "", "title": "", "units": loose}]
        for s in doc.sections:
            units = [u for r in s.refs if (u := doc.unit(r)) is not None]
            groups.append({"key": f"{doc.doc_id}#section:{s.no}", "label": s.label, "title": s.title,
                           "units": units})
        rest = [u for u in doc.units if u.ref not in in_sections and u.number is not None]
        if rest:
            groups.append({"key": "", "label": "", "title": "其他条目", "units": rest})
        meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer, doc.meta.date) if x)
        out.append({"doc_id": doc.doc_id, "title": doc.meta.title, "meta": meta, "groups": groups,
                    "primary": doc.meta.primary})
    return out


def tree_html() -> str:
    parts = ['<div class="dj-tree">']
    for doc in catalog():
        parts.append(f'<div class="dj-tree-doc">《{esc(doc["title"])}》<small>{esc(doc["meta"])}</small></div>')
        for group in doc["groups"]:
            if group["title"]:
                label = f'{group["label"]}{group["title"]}'
                if group["key"]:
                    parts.append(f'<a class="dj-tree-sec" href="#" role="button" data-key="{esc(group["key"])}">'
                                 f"{esc(label)}</a>")
                else:
                    parts.append(f'<div class="dj-tree-sec">{esc(label)}</div>')
            parts.append('<ul class="dj-tree-units">')
            for u in group["units"]:
                no = f'<span class="dj-no">{u.number}</span>' if u.number is not None else ""
                title = u.title if u.kind in ("item", "article") else u.label
                parts.append(f'<li><a class="dj-tree-item" href="#" role="button" data-key="{esc(u.key)}">'
                             f"{no}{esc(title)}</a></li>")
            parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


ITEM_EMPTY = '<div class="dj-panel dj-panel-empty"><p>在左侧目录中点选一条，这里显示全文。</p></div>'


def section_view(key: str) -> str:
    doc_id, _, ref = key.rpartition("#")
    assistant = get_assistant()
    doc = assistant.index.doc(doc_id) or assistant.primary
    section = doc.section(_int(ref.split(":", 1)[-1]))
    if section is None:
        return f'<div class="dj-panel"><p>没有找到“{esc(key)}”。</p></div>'
    rows = "".join(f"<li><b>{esc(u.label)}</b> {esc(u.title)}</li>"
                   for r in section.refs if (u := doc.unit(r)) is not None)
    return (f'<div class="dj-panel"><div class="dj-panel-title">《{esc(doc.meta.title)}》</div>'
            f'<h3 class="dj-unit-h">{esc(section.label + section.title)}</h3>'
            f'<p>本部分共 {len(section.refs)} 条：</p><ul class="dj-sec-list">{rows}</ul></div>')


def show_item(key: str) -> tuple[str, str, Any]:
    """Catalog click → (item view html, selected key, 就此条提问 button update)."""
    if not key:
        return ITEM_EMPTY, "", gr.update(interactive=False, value="就此条提问")
    view = section_view(key) if "#section:" in key else unit_panel(key)
    return view, key, gr.update(interactive=True, value=f"就此条提问：{question_for(key)}")


def on_tree_select(evt: gr.EventData) -> tuple[str, str, Any]:
    return show_item(str(_event_data(evt).get("key", "")))


def ask_about(key: str | None, turns: list[dict[str, Any]] | None) -> tuple[Any, ...]:
    """就此条提问: ask the unit's question in the chat and switch to the chat tab."""
    if not key:
        return (gr.skip(),) * 5 + (gr.skip(),)
    return (*chat(question_for(key), turns), gr.Tabs(selected="chat"))


def header_html() -> str:
    try:
        doc = get_assistant().primary
        meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer, doc.meta.date) if x)
        source = f"依据《{esc(doc.meta.title)}》<span>{esc(meta)}</span>"
    except DangjianError as err:
        source = f"索引不可用：{esc(err)}"
    return (f'<div class="dj-header"><div class="dj-logo">党</div><div><div class="dj-title">{APP_TITLE}</div>'
            f'<div class="dj-sub">{source} · {"摘录逐字引用，AI生成经核验" if llm_enabled() else "逐字引用，注明出处"}'
            '</div></div></div>')


def on_load() -> tuple[str, str]:
    return header_html(), tree_html()


# -- layout --------------------------------------------------------------------------------

_DELEGATE_JS = """
element.addEventListener('click', (ev) => {
  const el = ev.target.closest('[data-action], [data-key]');
  if (!el || !element.contains(el)) return;
  ev.preventDefault();
  const d = el.dataset;
  const action = d.action || 'item';
  const payload = {action, key: d.key || '', turn: d.turn || '', question: d.question || '', vote: d.vote || ''};
  if (action === 'source' || action === 'item') {
    window.__djShowPanel = true;
    element.querySelectorAll('.dj-active').forEach((x) => x.classList.remove('dj-active'));
    el.classList.add('dj-active');
    trigger('select', payload);
  } else {
    trigger('click', payload);
  }
});
"""



# When a new turn appears, scroll the transcript so its question sits at the top of the view
# (once per turn: not again while an AI answer streams into it, nor on a vote).
_SCROLL_JS = """
watch('value', () => {
  const turns = element.querySelectorAll('.dj-turn');
  const last = turns[turns.length - 1];
  const seen = element.__djLastTurn;
  element.__djLastTurn = last ? last.dataset.turn : null;
  if (!last || seen === last.dataset.turn) return;
  let box = element;
  while (box && box !== document.body) {
    const style = getComputedStyle(box);
    if (/(auto|scroll)/.test(style.overflowY) && box.scrollHeight > box.clientHeight) break;
    box = box.parentElement;
  }
  if (!box || box === document.body) return;
  box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
});
"""


# On narrow screens the side panel sits below the chat: bring it into view after a click.
_PANEL_JS = """
watch('value', () => {
  if (!window.__djShowPanel) return;
  window.__djShowPanel = false;
  const r = element.getBoundingClientRect();
  if (r.top > window.innerHeight || r.bottom < 0) element.scrollIntoView({behavior: 'smooth', block: 'start'});
});
"""


CHAT_CONCURRENCY = 4  # AI answers stream for seconds; retrieval itself is serialised by the ask lock


def build_demo(settings: Settings | None = None) -> gr.Blocks:
    """The page. `settings` decides the LLM mode; None → the process settings, looked up per request."""
    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as blocks:
        turns = gr.State([])
        selected = gr.State("")
        header = gr.HTML(header_html_placeholder(), elem_id="dj-header", js_on_load=None)
        with gr.Tabs(selected="chat") as tabs:
            with gr.Tab("问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        transcript = gr.HTML(render_transcript([]), elem_id="dj-transcript",
                                             js_on_load=_DELEGATE_JS + _SCROLL_JS, max_height=640,
                                             apply_default_css=False)
                        with gr.Row(elem_id="dj-mode-row", visible=bool(settings and settings.llm_configured),
                                    equal_height=True) as mode_row:
                            mode = gr.Radio(list(MODES), value="extractive", show_label=False, container=False,
                                            elem_id="dj-mode", scale=0, min_width=190)
                            gr.HTML(f'<div class="dj-mode-hint">{esc(MODE_HINT)}</div>', elem_id="dj-mode-hint",
                                    apply_default_css=False)
                        with gr.Row(elem_id="dj-input-row"):
                            question = gr.Textbox(placeholder="输入问题，回车发送。例如：第8条要求什么？",
                                                  show_label=False, lines=1, max_lines=6, scale=8,
                                                  elem_id="dj-question", autofocus=True)
                            send = gr.Button("提问", variant="primary", scale=1, min_width=80,
                                             elem_id="dj-send")
                        status = gr.HTML("", elem_id="dj-status", js_on_load=None)
                        examples = gr.HTML(examples_html(), elem_id="dj-examples", js_on_load=_DELEGATE_JS,
                                           apply_default_css=False)
                        clear = gr.Button("清空对话", size="sm", elem_id="dj-clear", variant="secondary")
                    with gr.Column(scale=2, min_width=300, elem_id="dj-side"):
                        panel = gr.HTML(PANEL_EMPTY, elem_id="dj-panel", js_on_load=_PANEL_JS)
            with gr.Tab("目录", id="browse"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=300):
                        tree = gr.HTML("", elem_id="dj-tree", js_on_load=_DELEGATE_JS, max_height=720,
                                       apply_default_css=False)
                    with gr.Column(scale=3, min_width=360):
                        item_view = gr.HTML(ITEM_EMPTY, elem_id="dj-item", js_on_load=_PANEL_JS)
                        ask_btn = gr.Button("就此条提问", variant="primary", interactive=False,
                                            elem_id="dj-ask-item")

        def on_ask(question: str | None, turns: list[dict[str, Any]] | None,
                   mode: str | None = "extractive") -> Iterator[ChatOut]:
            yield from chat_stream(question, turns, mode, settings)

        def on_click(turns: list[dict[str, Any]] | None, mode: str | None,
                     evt: gr.EventData) -> Iterator[ChatOut]:
            data = _event_data(evt)
            if data.get("action") == "ask":
                yield from chat_stream(str(data.get("question", "")), turns, mode, settings)
            else:
                yield on_transcript_click(turns, evt)

        def on_ask_about(key: str | None, turns: list[dict[str, Any]] | None,
                         mode: str | None) -> Iterator[tuple[Any, ...]]:
            if not key:
                yield (gr.skip(),) * 6
                return
            tab: Any = gr.Tabs(selected="chat")
            for out in chat_stream(question_for(key), turns, mode, settings):
                yield (*out, tab)
                tab = gr.skip()

        def on_page_load() -> tuple[Any, ...]:
            return (*on_load(), gr.update(visible=llm_enabled(settings)))

        chat_outputs = [transcript, turns, panel, question, status]
        chat_opts: dict[str, Any] = {"show_progress": "minimal", "concurrency_limit": CHAT_CONCURRENCY,
                                     "concurrency_id": "chat"}
        question.submit(on_ask, [question, turns, mode], chat_outputs, api_name="ask", **chat_opts)
        send.click(on_ask, [question, turns, mode], chat_outputs, api_visibility="private", **chat_opts)
        examples.click(on_click, [turns, mode], chat_outputs, api_visibility="private", **chat_opts)
        transcript.click(on_click, [turns, mode], chat_outputs, api_visibility="private", **chat_opts)
        transcript.select(on_source_select, [turns], [panel], api_visibility="private", show_progress="hidden")
        clear.click(clear_chat, None, chat_outputs, api_visibility="private", show_progress="hidden")
        tree.select(on_tree_select, None, [item_view, selected, ask_btn], api_visibility="private",
                    show_progress="hidden")
        ask_btn.click(on_ask_about, [selected, turns, mode], [*chat_outputs, tabs], api_visibility="private",
                      **chat_opts)
        blocks.load(on_page_load, None, [header, tree, mode_row], api_visibility="private",
                    show_progress="hidden")
    built: gr.Blocks = blocks
    return built


def header_html_placeholder() -> str:
    return (f'<div class="dj-header"><div class="dj-logo">党</div><div><div class="dj-title">{APP_TITLE}</div>'
            '<div class="dj-sub">逐字引用，注明出处</div></div></div>')


def examples_html() -> str:
    chips = "".join(f'<button class="dj-chip" data-action="ask" data-question="{esc(q)}">{esc(q)}</button>'
                    for q in EXAMPLES)
    return f'<div class="dj-examples"><span class="dj-ex-label">新任书记入门：</span>{chips}</div>'


demo = build_demo()

# -- HTTP API --------------------------------------------------------------------------------


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr
    history: list[StrictStr] = Field(default_factory=list, max_length=MAX_HISTORY)
    mode: Literal["extractive", "llm"] = Field(
        "extractive", description="extractive：逐字摘录原文；llm：大模型依据原文生成并核验引用（需配置 DANGJIAN_LLM_*）")


LLM_NOT_CONFIGURED = ("未配置大模型，无法使用 mode: llm：请设置 DANGJIAN_LLM_BASE_URL 和 DANGJIAN_LLM_MODEL 后重启服务，"
                      "或改用 mode: extractive")


def item_json(doc: Document, unit: Unit) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "ref": unit.ref, "label": unit.label, "title": unit.title,
            "section": section_path(doc, unit), "text": unit.text, "sentences": list(unit.sentences)}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


_FIELD_NAMES = {"question": "question（问题）", "history": "history（之前的提问）", "mode": "mode（模式）"}


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "请求体不是合法的 JSON"
    msgs = []
    for e in errors[:3]:
        loc = [str(x) for x in e.get("loc", ()) if x != "body"]
        if not loc:
            msgs.append('请求体应为 JSON 对象，例如 {"question": "第8条要求什么？", "history": []}')
            continue
        field = _FIELD_NAMES.get(loc[0], loc[0])
        kind = str(e.get("type", ""))
        if kind == "missing":
            msgs.append(f"缺少字段 {field}")
        elif kind == "extra_forbidden":
            msgs.append(f"不认识的字段 {field}")
        elif kind == "literal_error":
            msgs.append(f"{field} 只能是 extractive 或 llm")
        elif kind == "too_long":
            msgs.append(f"{field} 最多 {MAX_HISTORY} 条")
        elif kind in ("string_type", "list_type", "model_attributes_type", "dict_type"):
            msgs.append(f"{field} 类型不对（question 应为字符串，history 应为字符串列表）")
        else:
            msgs.append(f"{field} 无效")
    return 422, "请求格式错误：" + "；".join(msgs)


def _basic_auth(credentials: tuple[str, str] | None) -> Callable[..., None]:
    security = HTTPBasic(auto_error=False)

    def check(creds: HTTPBasicCredentials | None = Depends(security)) -> None:
        if credentials is None:
            return
        ok = creds is not None and secrets.compare_digest(creds.username.encode(), credentials[0].encode()) \
            and secrets.compare_digest(creds.password.encode(), credentials[1].encode())
        if not ok:
            raise StarletteHTTPException(401, "需要登录：请使用 HTTP Basic 认证（与网页相同的用户名和密码）",
                                         headers={"WWW-Authenticate": 'Basic realm="dangjian"'})
    return check


def parse_auth(auth: str) -> tuple[str, str] | None:
    auth = (auth or "").strip()
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise DangjianError("认证设置应为“用户名:密码”格式（--auth 或 DANGJIAN_AUTH）")
    return user, password


def create_app(*, auth: tuple[str, str] | None = None, settings: Settings | None = None,
               blocks: gr.Blocks | None = None) -> FastAPI:
    """The FastAPI app with the API routes and `blocks` (default `demo`) mounted at "/".

    No server is started. Mounting configures the Blocks object, so a second app in the same
    process (tests) should pass its own `build_demo()`. `settings` decide the API's LLM mode; the
    page's comes from `blocks` (pass `build_demo(settings)` when they differ from the process's).
    """
    settings = settings or _rt.settings or (_rt.assistant.settings if _rt.assistant else Settings.from_env())
    app = FastAPI(title=f"{APP_TITLE} API", version="1.0",
                  description="党建文件问答的 HTTP 接口：答案逐字引用原文并注明出处。")
    guard = Depends(_basic_auth(auth))

    @app.exception_handler(RequestValidationError)
    async def _on_validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(*_validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else "未找到"
        if exc.status_code == 405:
            message = "不支持的请求方法"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _on_error(_req: Request, exc: Exception) -> JSONResponse:
        traceback.print_exception(exc, file=sys.stderr)
        return _error(500, GENERIC_ERROR)

    @app.post("/api/ask", dependencies=[guard], summary="提问（可带之前的提问作为上下文）")
    def api_ask(body: AskRequest) -> Any:
        if body.mode == "llm" and not settings.llm_configured:
            return _error(400, LLM_NOT_CONFIGURED)
        start = time.perf_counter()
        try:
            ans = ask(body.question, body.history)
        except InputError as err:
            return _error(400, str(err))
        except DangjianError as err:
            return _error(503, str(err))
        if body.mode == "llm":  # retrieval above under the ask lock; the model call outside it
            try:
                ans = llm_answer(get_assistant(), body.question, body.history, settings=settings,
                                 extractive=ans)
            except Exception:  # noqa: BLE001 - endpoint faults are handled in rag.llm; this is a bug
                traceback.print_exc(file=sys.stderr)
                ans = replace(ans, notes=(unavailable_note("内部错误"),))
            ans = replace(ans, timings_ms={**ans.timings_ms,
                                           "total": round((time.perf_counter() - start) * 1000, 2)})
        return answer_json(ans)

    def _item(ref: str) -> Any:
        try:
            found = get_assistant().unit(ref.strip())
        except DangjianError as err:
            return _error(503, str(err))
        if found is None:
            count = len(get_assistant().primary.numbered)
            return _error(404, f"没有条目“{ref}”：可用 1–{count} 的编号、header、preamble 或 doc_id#ref")
        return item_json(*found)

    @app.get("/api/items/{ref}", dependencies=[guard], summary="取一条原文（8、header、preamble 或 doc_id#ref）")
    def api_item(ref: str) -> Any:
        return _item(ref)

    @app.get("/api/items/{doc_id}/{ref}", dependencies=[guard], summary="取某个文件的一条原文")
    def api_doc_item(doc_id: str, ref: str) -> Any:
        return _item(f"{doc_id}#{ref}")

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def api_fallback(rest: str, request: Request) -> Any:
        """Anything else under /api/ is a JSON error, never the Gradio page's own 404."""
        if rest == "ask" or rest.startswith("items/"):
            return _error(405, f"不支持 {request.method} 方法：/api/ask 请用 POST，/api/items 请用 GET")
        return _error(404, "没有这个接口：可用 POST /api/ask、GET /api/items/{ref}、GET /healthz")

    @app.get("/healthz", summary="健康检查")
    def healthz() -> Any:
        try:
            assistant = get_assistant()
        except DangjianError as err:
            return _error(503, str(err))
        counts = assistant.index.manifest.get("counts", {})
        return {"status": "ok", "documents": len(assistant.index.docs),
                **{k: v for k, v in counts.items() if k != "documents"},
                "llm": settings.llm_configured}  # configured, not necessarily reachable

    blocked = [str(p.resolve()) for p in (settings.corpus_dir, settings.index_dir)]
    mounted: FastAPI = gr.mount_gradio_app(
        app, blocks or demo, path="/", auth=auth, auth_message=f"{APP_TITLE}：请登录",
        footer_links=[], run_history=False, allowed_paths=[], blocked_paths=blocked,
        show_error=False, ssr_mode=False, mcp_server=False, pwa=False,
        theme=_theme(), css=CSS, head='<meta name="robots" content="noindex">',
    )
    return mounted


def _theme() -> gr.themes.Base:
    fonts = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "sans-serif"]
    return gr.themes.Default(primary_hue="red", neutral_hue="stone", font=fonts,
                             font_mono=["Noto Sans Mono CJK SC", "monospace"])


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, auth: str = "") -> int:
    """Load the index once, then serve the UI and API until interrupted. Returns an exit code."""
    import uvicorn

    credentials = parse_auth(auth or os.environ.get("DANGJIAN_AUTH", ""))
    set_assistant(open_assistant(settings), settings)
    app = create_app(auth=credentials, settings=settings, blocks=build_demo(settings))
    where = f"http://{host}:{port}/"
    print(f"{APP_TITLE} 已启动：{where}（API 文档 {where}docs；Ctrl-C 退出）"
          + ("，已启用登录" if credentials else ""), file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1") and not credentials:
        print("注意：服务监听在非本机地址且未设置登录（--auth user:password）。", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    try:
        uvicorn.Server(config).run()
    except OSError as err:
        raise DangjianError(f"无法在 {host}:{port} 启动服务：{err.strerror or err}") from err
    return 0
