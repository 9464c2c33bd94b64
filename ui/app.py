"""Web UI (Gradio) and HTTP API (FastAPI) on one server.

    serve(settings, host="127.0.0.1", port=7860, auth="")   # blocks; returns an exit code

One FastAPI app carries the JSON API (`ui/api.py`, `ui/office_api.py`, `ui/onboarding_api.py`)
and the Gradio Blocks page mounted at "/". Both are built over one `runtime.AppState` (the
server's settings, current Assistant and corpus jobs) and every handler is handed it; building
them never loads the index (the state loads it on first use, or `serve` opens it first).

The page (`build_demo`): a conversation list (`sidebar.py`), the chat with its pinned question
box, document scope and source panel (`chat.py`, `render.py`; on phones the panel is a bottom
sheet), the 目录 (`catalog_page.py`), 入门 (`onboarding_page.py`) and, for admins, 文件
(`documents_page.py`). Scripts are in `page_js.py`, styles in `style.py`. The page boots after
its visitor cookie is set (`GET /api/session`), then opens what its link asks for: `?q=…`,
`?item=8`, `?doc=dangzhang-2022&item=32`.

Optional LLM mode (rag/llm.py): when the settings name an OpenAI-compatible endpoint the page
shows a 摘录 / AI生成 switch; in AI mode the answer streams in and is then replaced by the
verified `Answer`. `build_demo(state)` binds the page to one AppState; the module's `demo` (built on
first access over a state from the environment — `serve` builds its own, so importing this module
builds nothing) is for tools that import it.
Handlers live in `handlers.py`; this module lays out the page, wires them and serves it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import gradio as gr

from rag.config import AnswerMode, Settings
from rag.errors import DangjianError

from . import (
    documents_page,
    onboarding_page,
    page_js,
    sidebar,
)
from .api import create_app, parse_auth
from .auth import Credentials
from .catalog_page import ITEM_EMPTY
from .chat import source_panel, warn
from .handlers import (
    as_int,
    ask_and_list,
    boot,
    download_payload,
    event_data,
    export_file,
    flow_ask,
    header_html,
    on_download,
    on_jump,
    on_onboarding,
    on_poll,
    on_scope,
    on_tree_filter,
    on_tree_select,
    page_conversation,
    serve_html_in_chinese,
    transcript_click,
)
from .render import PANEL_EMPTY, esc, question_for, scope_html, status_html
from .runtime import APP_TITLE, AppState
from .turns import render_transcript

__all__ = ["AppState", "DangjianError", "boot", "build_app", "build_demo", "create_app", "download_payload",
           "export_file", "on_jump", "parse_auth", "serve", "transcript_click"]

MODES: tuple[tuple[str, AnswerMode], ...] = (
    ("摘录", "extractive"),
    ("AI生成", "llm"),
)  # labels for ANSWER_MODES
MODE_HINT = "AI生成：大模型依据检索到的原文撰写答案，出处逐句核验；未通过核验或模型不可用时改为原文摘录。"
POLL_S = 0.5
# Seconds Ctrl-C waits for requests in flight (an answer, a download) before `serve` exits anyway.
_SHUTDOWN_GRACE_S = 3
# the phone's way to the conversation list from the pinned question bar (the header scrolls away)
DRAWER_BUTTON = ('<button type="button" class="dj-act dj-drawer-btn dj-drawer-mini" data-action="drawer" '
                 'aria-controls="dj-sidebar" aria-label="历史对话" title="历史对话">☰</button>')


# -- layout ---------------------------------------------------------------------------------------


def _html(value: str, elem_id: str, js: str | None = None, **kw: Any) -> gr.HTML:
    return gr.HTML(value, elem_id=elem_id, js_on_load=js, apply_default_css=False, **kw)


def build_demo(server: AppState) -> gr.Blocks:
    """The page over `server`: what it answers from, its settings (the LLM mode), its corpus jobs."""
    serve_html_in_chinese()
    delegate = page_js.delegate()
    page = gr.Blocks(title=APP_TITLE, analytics_enabled=False)
    with page as blocks:
        turns, conv, selected, scope = gr.State([]), gr.State(""), gr.State(""), gr.State([])
        ob_state, generation = gr.State(onboarding_page.initial()), gr.State(0)
        header = _html(header_html(None), "dj-header", page_js.GLOBAL + delegate)
        with gr.Tabs(selected="chat", elem_id="dj-tabs") as tabs:
            with gr.Tab("问答", id="chat", elem_id="dj-tab-chat"):
                with gr.Row(equal_height=False, elem_id="dj-chat-row"):
                    with gr.Column(scale=0, min_width=200, elem_id="dj-sidebar"):
                        convs = _html(sidebar.sidebar_html(server, None), "dj-convs",
                                      delegate + page_js.settable("convs"))
                    with gr.Column(scale=3, min_width=340, elem_id="dj-main"):
                        transcript = _html(
                            render_transcript(server, []), "dj-transcript", delegate + page_js.TRANSCRIPT
                        )
                        with gr.Column(elem_id="dj-composer"):
                            # one row: (phone: 对话 list) question, scope, 提问 — the bar stays slim
                            with gr.Row(elem_id="dj-input-row", equal_height=True):
                                _html(DRAWER_BUTTON, "dj-drawer-open")
                                question = gr.Textbox(
                                    placeholder="输入问题，按回车发送",
                                    label="问题",
                                    show_label=False,
                                    lines=1,
                                    max_lines=6,
                                    scale=8,
                                    elem_id="dj-question",
                                    autofocus=True,
                                    container=False,
                                )
                                scope_ui = _html(scope_html([]), "dj-scope-ui", page_js.SCOPE)
                                send = gr.Button(
                                    "提问", variant="primary", scale=0, min_width=64, elem_id="dj-send"
                                )
                            with gr.Row(
                                elem_id="dj-mode-row",
                                visible=server.settings.llm_configured,
                                equal_height=True,
                            ) as mode_row:
                                mode = gr.Radio(list(MODES), value="extractive", label="回答方式",
                                                show_label=False, container=False, elem_id="dj-mode",
                                                scale=0, min_width=170)
                                _html(f'<div class="dj-mode-hint">{esc(MODE_HINT)}</div>', "dj-mode-hint")
                            status = _html("", "dj-status", page_js.settable("status"))
                    with gr.Column(scale=2, min_width=300, elem_id="dj-side"):
                        panel = _html(PANEL_EMPTY, "dj-panel",
                                      delegate + page_js.PANEL + page_js.settable("panel"))
            with gr.Tab("目录", id="browse", elem_id="dj-tab-browse"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=300, elem_id="dj-tree-col"):
                        tree_doc = gr.Dropdown(
                            choices=[], label="文件", elem_id="dj-tree-doc", filterable=False
                        )
                        tree_filter = gr.Textbox(
                            label="筛选目录（标题和正文）",
                            placeholder="例如：流动党员、三会一课",
                            elem_id="dj-filter",
                            lines=1,
                            max_lines=1,
                        )
                        tree = _html("", "dj-tree", delegate)
                    with gr.Column(scale=3, min_width=340, elem_id="dj-item-col"):
                        item_view = _html(ITEM_EMPTY, "dj-item", delegate + page_js.PANEL)
                        ask_btn = gr.Button(
                            "就此条提问", variant="primary", interactive=False, elem_id="dj-ask-item"
                        )
            with gr.Tab("入门", id="onboard", elem_id="dj-tab-onboard"):
                ob = _html("", "dj-onboard", delegate)
            with gr.Tab("文件", id="docs", elem_id="dj-tab-docs", visible=False) as docs_tab:
                # upload and its job's status first, the table under them: the status appears right
                # below the button just pressed (and scrolls into view after a row's 移除)
                with gr.Row(elem_id="dj-upload-row"):
                    upload = gr.File(file_count="multiple", label="上传文件（可多选）", elem_id="dj-upload",
                                     file_types=[".txt", ".md", ".docx", ".pdf", ".html", ".htm"], scale=3)
                    add_btn = gr.Button("添加并重建索引", variant="primary", elem_id="dj-add", scale=1)
                job = _html("", "dj-job", documents_page.JOB_JS)
                docs_list = _html("", "dj-doclist", delegate)
        download = _html("", "dj-download", page_js.DOWNLOAD)
        flow = _html("", "dj-flow", page_js.FLOW)  # the page's question queue; answers arrive one turn each
        timer = gr.Timer(POLL_S, active=False)
        _wire(
            SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, gr.blocks.Block)}), server
        )
    built: gr.Blocks = blocks
    return built


def _wire(c: SimpleNamespace, server: AppState) -> None:
    """The page's events (inside the Blocks context). `c` holds the components by name; every
    handler is bound to `server`."""
    chat_out = [c.transcript, c.turns, c.panel, c.question, c.status, c.conv]
    # No per-event limit (Gradio's default is one at a time per event): every handler is thread-safe
    # (ui/runtime.py), so sessions wait only for Gradio's worker pool; the AI mode's model calls are
    # bounded on their own (AppState.llm_slots, ui/runtime.LLM_CONCURRENCY). The 文件 tab's jobs keep
    # one at a time.
    chat_opts: dict[str, Any] = {"show_progress": "minimal", "concurrency_limit": None,
                                 "api_visibility": "private"}
    quiet: dict[str, Any] = {"show_progress": "hidden", "concurrency_limit": None,
                             "api_visibility": "private"}
    one_at_a_time = {**quiet, "concurrency_limit": 1}

    def on_ask(text: str | None, turns: Any, conv: str, mode: AnswerMode | None, scope: Any,
               request: gr.Request) -> Iterator[tuple[Any, ...]]:
        yield from ask_and_list(server, text, turns, conv, mode, scope, request)

    def on_click(turns: Any, conv: str, mode: AnswerMode | None, scope: Any, evt: gr.EventData,
                 request: gr.Request) -> Iterator[tuple[Any, ...]]:
        yield from transcript_click(server, turns, conv, mode, scope, event_data(evt), request)

    def on_source(turns: Any, conv: str, evt: gr.EventData, request: gr.Request) -> Any:
        data = event_data(evt)
        key = str(data.get("key", ""))
        if not key:
            return gr.skip()
        turns, _conv = page_conversation(server, turns, conv, data, request)
        return source_panel(server, turns, as_int(data.get("turn")), key)

    def on_convs(turns: Any, conv: str, evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        data = event_data(evt)
        action, cid = data.get("action"), str(data.get("id", ""))
        conv = str(data.get("conv", conv))  # the page's open conversation (its own asking moved it on)
        if action == "open":
            return sidebar.open_conversation(server, cid, request)
        if action == "new":
            return sidebar.new_conversation(server, request)
        if action == "delete":
            return sidebar.delete_conversation(server, cid, conv, turns, request)
        if action == "rename":
            side, _t = sidebar.rename_conversation(server, cid, str(data.get("title", "")), conv, request)
            return (*(gr.skip(),) * 6, side)
        return (gr.skip(),) * 7

    def on_download_(turns: Any, conv: str, ob_state: Any, evt: gr.EventData, request: gr.Request) -> Any:
        return on_download(server, turns, conv, ob_state, evt, request)

    def on_boot(evt: gr.EventData, request: gr.Request) -> dict[Any, Any]:
        try:
            out = boot(server, event_data(evt), request)
        except DangjianError as err:
            warn(str(err), "索引不可用")
            return {c.status: status_html(str(err))}
        out["ob"] = onboarding_page.render(server, None)
        return {getattr(c, name): value for name, value in out.items()}

    def on_ask_about(key: str | None) -> tuple[Any, Any]:
        # asked by the page's script like a typed question (its own route, its queue)
        if not key:
            return gr.skip(), gr.skip()
        return flow_ask(question_for(server, key)), gr.Tabs(selected="chat")

    def on_add(files: Any, request: gr.Request) -> tuple[Any, ...]:
        html, poll = documents_page.start_add(server, files, request)
        return html, gr.Timer(active=poll), gr.update(value=None) if poll else gr.skip()

    def on_docs_click(evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        data = event_data(evt)
        if data.get("action") != "remove-doc":
            return gr.skip(), gr.skip()
        html, poll = documents_page.start_remove(server, str(data.get("doc", "")), request)
        return html, gr.Timer(active=poll)

    def on_poll_(seen: int, request: gr.Request) -> tuple[Any, ...]:
        return on_poll(server, seen, request)

    def on_tree_select_(doc_id: str | None, query: str | None, evt: gr.EventData) -> tuple[Any, ...]:
        return on_tree_select(server, doc_id, query, evt)

    def on_tree_filter_(doc_id: str | None, query: str | None, selected: str | None) -> str:
        return on_tree_filter(server, doc_id, query, selected)

    def on_onboarding_(state: dict[str, Any] | None, evt: gr.EventData) -> tuple[str, dict[str, Any]]:
        return on_onboarding(server, state, evt)

    def on_jump_(state: dict[str, Any] | None, evt: gr.EventData) -> tuple[Any, Any, Any]:
        return on_jump(server, state, evt)

    sidebar_out = [*chat_out, c.convs]
    public = {k: v for k, v in chat_opts.items() if k != "api_visibility"}
    ask_in = [c.question, c.turns, c.conv, c.mode, c.scope]
    # a question sent while the last answer is still on its way runs after it ("once" dropped it)
    from_box: dict[str, Any] = {"trigger_mode": "always_last", "js": page_js.ask_from_box(len(ask_in))}
    c.question.submit(on_ask, ask_in, sidebar_out, api_name="ask", **public, **from_box)
    c.send.click(on_ask, ask_in, sidebar_out, **chat_opts, **from_box)
    # the page's own asking (page_js.FLOW queues questions, sends one at a time) is no Gradio event:
    # it posts to /api/page/ask (ui/page_api.py), which costs a fraction of a queued event
    c.transcript.click(on_click, [c.turns, c.conv, c.mode, c.scope], sidebar_out, **chat_opts)
    c.transcript.select(on_source, [c.turns, c.conv], [c.panel], **quiet)
    c.transcript.expand(on_jump_, [c.ob_state], [c.tabs, c.ob, c.ob_state], **quiet)
    for part in (c.transcript, c.panel, c.item_view, c.ob):
        part.download(on_download_, [c.turns, c.conv, c.ob_state], [c.download], **quiet)
    c.convs.select(on_convs, [c.turns, c.conv], sidebar_out, **quiet)
    c.convs.click(on_convs, [c.turns, c.conv], sidebar_out, **quiet)
    c.convs.submit(on_convs, [c.turns, c.conv], sidebar_out, **quiet)
    c.convs.delete(on_convs, [c.turns, c.conv], sidebar_out, **quiet)
    c.tree.select(
        on_tree_select_,
        [c.tree_doc, c.tree_filter],
        [c.item_view, c.selected, c.ask_btn, c.tree, c.tree_doc],
        **quiet,
    )
    c.item_view.select(on_tree_select_, [c.tree_doc, c.tree_filter],
                       [c.item_view, c.selected, c.ask_btn, c.tree, c.tree_doc], **quiet)
    # `.select` / `.change`: this Gradio version sends no `.input` event for these two (checked in Chromium)
    c.tree_doc.select(on_tree_filter_, [c.tree_doc, c.tree_filter, c.selected], [c.tree], **quiet)
    c.tree_filter.change(on_tree_filter_, [c.tree_doc, c.tree_filter, c.selected], [c.tree],
                         trigger_mode="always_last", **quiet)
    c.ask_btn.click(on_ask_about, [c.selected], [c.flow, c.tabs], **quiet)
    c.ob.click(on_onboarding_, [c.ob_state], [c.ob, c.ob_state], **quiet)
    c.add_btn.click(on_add, [c.upload], [c.job, c.timer, c.upload], **one_at_a_time)
    c.docs_list.click(on_docs_click, None, [c.job, c.timer], **one_at_a_time)
    c.timer.tick(
        on_poll_,
        [c.generation],
        [c.job, c.timer, c.docs_list, c.tree, c.tree_doc, c.scope_ui, c.scope, c.header, c.generation],
        **quiet,
    )
    c.scope_ui.input(on_scope, None, [c.scope], **quiet)
    c.header.submit(
        on_boot,
        None,
        [
            c.header,
            c.convs,
            c.tree,
            c.tree_doc,
            c.scope_ui,
            c.scope,
            c.docs_tab,
            c.docs_list,
            c.job,
            c.mode_row,
            c.tabs,
            c.item_view,
            c.selected,
            c.ask_btn,
            c.transcript,
            c.turns,
            c.panel,
            c.question,
            c.status,
            c.conv,
            c.ob,
            c.flow,
        ],
        **quiet,
    )


def build_app(state: AppState, *, auth: tuple[str, str] | Credentials | None = None) -> Any:
    """The API and the page over one `state`, in one FastAPI app (no server started)."""
    return create_app(state, blocks=build_demo(state), auth=auth)


def __getattr__(name: str) -> Any:
    """`demo` for tools that import it, built on first access over a state from the environment
    (`serve` builds its own page over its state)."""
    if name == "demo":
        built = globals()["demo"] = build_demo(AppState(Settings.from_env()))
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, auth: str = "",
          state: AppState | None = None) -> int:
    """Take the port, load the index (building it first when missing, stale or corrupt), then
    serve the UI and API until interrupted, rebuilding in the background when the corpus changes.
    A busy port or bad credentials fail before anything is loaded or announced. Returns an exit code."""
    import uvicorn

    from rag.progress import StderrProgress, stderr_notify

    from .auth import credentials_for

    if auth:
        print("注意：--auth 的密码在进程列表（ps）中对本机其他用户可见；请改用环境变量 DANGJIAN_AUTH，"
              "或用 dangjian passwd 生成密码文件并设置 DANGJIAN_AUTH_FILE。", file=sys.stderr, flush=True)
    credentials = credentials_for(auth or settings.auth, settings.auth_file)
    if credentials and not settings.admins:
        if len(credentials.users) == 1:  # the only user manages the documents
            settings = replace(settings, admins=tuple(credentials.users))
        else:
            print("注意：未设置 DANGJIAN_ADMINS，网页中没有用户可以管理文件（用逗号分隔列出管理员用户名）。",
                  file=sys.stderr, flush=True)
    sock = _bind(host, port)
    if state is None:
        state = AppState(settings)
    state.settings = settings  # with the admins decided above (the index dirs are the same)
    try:
        # the page and routes first: they need no index, and the preload may still be running
        app = build_app(state, auth=credentials)
        print(f"正在加载索引 {settings.index_dir} …", file=sys.stderr, flush=True)
        state.open(StderrProgress(), stderr_notify)
        where = f"http://{host}:{port}/"
        print(f"{APP_TITLE} 已启动：{where}（API 文档 {where}docs；Ctrl-C 退出）"
              + ("，已启用登录" if credentials else ""), file=sys.stderr, flush=True)
        if host not in ("127.0.0.1", "localhost", "::1") and not credentials:
            print("注意：服务监听在非本机地址且未设置登录（DANGJIAN_AUTH 或 DANGJIAN_AUTH_FILE）。",
                  file=sys.stderr, flush=True)
        state.watch(settings.watch_interval_s)
        state.follow(settings.sync_interval_s)  # only with a shared database (`cmd_serve` joined it)
        # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1 by default;
        # ui.origin.ClientAddress believes it only from DANGJIAN_TRUSTED_PROXIES
        # timeout_graceful_shutdown: an open page keeps Gradio's heartbeat stream open, and without a
        # bound uvicorn waits for it for ever: Ctrl-C did not stop `serve` while a page was open
        config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False,
                                timeout_graceful_shutdown=_SHUTDOWN_GRACE_S)
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
            raise DangjianError(
                f"端口 {port} 已被占用（{host}）：请用 --port 换一个端口，或先停止占用它的程序"
            ) from err
        raise DangjianError(f"无法监听 {host}:{port}：{err.strerror or err}") from err
    return sock
