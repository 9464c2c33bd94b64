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

Layout: `runtime.py` holds the process's Assistant, `render.py` the HTML pieces, `api.py` the
JSON routes; this module has the handlers, the Blocks layout and `serve`.
Handlers are plain functions over rag's public API, so tests call them directly. Everything a
user typed is HTML-escaped before it reaches the page; library errors become their Chinese
message, anything unexpected a generic one (the traceback goes to stderr only).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import gradio as gr

from rag.eval import feedback
from rag.config import Settings
from rag.errors import DangjianError
from rag.llm import stream_llm_answer, unavailable_note
from rag.records import Answer
from rag.render import answer_json

from .api import create_app, parse_auth
from .render import (
    PANEL_EMPTY,
    esc,
    question_for,
    render_transcript,
    status_html,
    unit_panel,
)
from .runtime import (
    APP_TITLE,
    EXAMPLES,
    GENERIC_ERROR,
    HISTORY_TURNS,
    ask,
    get_assistant,
    llm_enabled,
    open_assistant,
    runtime_settings,
    set_assistant,
)

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


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, auth: str = "") -> int:
    """Take the port, load the index (building it first when missing, stale or corrupt), then
    serve the UI and API until interrupted, rebuilding in the background when the corpus changes.
    A busy port or bad credentials fail before anything is loaded or announced. Returns an exit code."""
    import uvicorn

    from .auth import credentials_for
    from .runtime import AppState, stderr_notify, stderr_progress, use_state

    if auth:
        print("注意：--auth 的密码在进程列表（ps）中对本机其他用户可见；请改用环境变量 DANGJIAN_AUTH，"
              "或用 dangjian passwd 生成密码文件并设置 DANGJIAN_AUTH_FILE。", file=sys.stderr, flush=True)
    credentials = credentials_for(auth or settings.auth, settings.auth_file)
    sock = _bind(host, port)
    state = AppState(settings)
    try:
        print(f"正在加载索引 {settings.index_dir} …", file=sys.stderr, flush=True)
        state.open(stderr_progress, stderr_notify)
        use_state(state)  # the page's handlers answer from the same state
        app = create_app(auth=credentials, settings=settings, blocks=build_demo(settings), state=state)
        where = f"http://{host}:{port}/"
        print(f"{APP_TITLE} 已启动：{where}（API 文档 {where}docs；Ctrl-C 退出）"
              + ("，已启用登录" if credentials else ""), file=sys.stderr, flush=True)
        if host not in ("127.0.0.1", "localhost", "::1") and not credentials:
            print("注意：服务监听在非本机地址且未设置登录（DANGJIAN_AUTH 或 DANGJIAN_AUTH_FILE）。",
                  file=sys.stderr, flush=True)
        state.watch(settings.watch_interval_s)
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        state.stop()
        sock.close()
    return 0


def _bind(host: str, port: int) -> Any:
    """The listening address, taken now: DangjianError (one line) when it is busy or invalid."""
    import errno
    import socket

    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, OverflowError) as err:
        raise DangjianError(f"无法监听 {host}:{port}：地址无效") from err
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise DangjianError(f"端口 {port} 已被占用（{host}）：请用 --port 换一个端口，或先停止占用它的程序") from err
        raise DangjianError(f"无法监听 {host}:{port}：{err.strerror or err}") from err
    return sock
