"""The page's event handlers, outside the layout (ui/app.py wires them): boot from the link, ask
and list, transcript clicks, downloads, the catalog tree, 入门 jumps and the rebuild poll.

Each takes the server's state (`server`, the AppState the page was built with) first: what it
answers from, its settings and its corpus jobs."""

from __future__ import annotations

import base64
import itertools
import json
import secrets
from collections.abc import Iterator
from typing import Any

import gradio as gr

from rag.config import AnswerMode
from rag.db import conversations
from rag.errors import DangjianError

from . import catalog_page, chat, documents_page, export, onboarding_page, sidebar
from .access import can_manage, owner_of
from .catalog_page import ALL, doc_choices, link_key, tree_html
from .chat import chat_stream, warn
from .render import esc, scope_html
from .runtime import APP_TITLE, AppState
from .turns import render_transcript


def event_data(evt: gr.EventData | None) -> dict[str, Any]:
    data = getattr(evt, "_data", None) if evt is not None else None
    return data if isinstance(data, dict) else {}


def as_int(value: object, default: int = -1) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def serve_html_in_chinese() -> None:
    """Gradio's page template says lang="en"; screen readers choose their voice from it. Wrap the
    template loader once so the served page says lang="zh-CN" (process-wide: one UI per process)."""
    import jinja2
    from gradio import routes

    env = routes.templates.env
    if getattr(env.loader, "dj_chinese", False):
        return
    inner = env.loader

    class _Chinese(jinja2.BaseLoader):
        dj_chinese = True

        def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
            source, filename, uptodate = inner.get_source(environment, template)  # type: ignore[union-attr]
            if template.endswith("index.html"):
                source = source.replace('lang="en"', 'lang="zh-CN"', 1)
            return source, filename, uptodate

    env.loader = _Chinese()


def header_html(server: AppState | None, request: Any = None) -> str:
    """The page head: title, the documents answered from, the user; no `server` at build time
    (building the page must not load the index)."""
    try:
        if server is None:
            raise LookupError
        assistant = server.assistant()
        doc = assistant.primary
        meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer, doc.meta.date) if x)
        count = len(assistant.index.docs)
        source = f"依据《{esc(doc.meta.title)}》<span>{esc(meta)}</span> 等 {count} 个文件"
    except DangjianError as err:
        source = f"索引不可用：{esc(err)}"
    except LookupError:
        source = "党建文件"
    owner = owner_of(request)
    who = f'<span class="dj-user">{esc(owner[5:])}</span>' if owner and owner.startswith("user:") else ""
    return (
        f'<header class="dj-header"><div class="dj-logo" aria-hidden="true">党</div>'
        f'<div class="dj-head-text">'
        f'<h1 class="dj-title">{APP_TITLE}</h1><div class="dj-sub">{source} · 逐字引用，注明出处</div></div>'
        f'{who}<button type="button" class="dj-act dj-drawer-btn" data-action="drawer" '
        f'aria-controls="dj-sidebar">'
        "历史对话</button></header>"
    )


def download_payload(name: str, data: bytes, media: str) -> str:
    """What the hidden download part turns into a file save (a nonce makes each one new)."""
    return json.dumps({"name": name, "mime": media, "b64": base64.b64encode(data).decode("ascii"),
                       "nonce": secrets.token_hex(6)})


def _conv_title(server: AppState, conv: str, turns: list[dict[str, Any]], request: Any) -> str:
    owner = owner_of(request)
    if owner and conv and not conv.startswith("local-"):
        try:
            saved = conversations.store_for(server.settings).get(owner, conv)
        except DangjianError:
            saved = None
        if saved is not None:
            return saved.title
    return conversations.title_of(turns[0]["question"]) if turns else APP_TITLE


def export_file(
    server: AppState,
    data: dict[str, Any],
    turns: list[dict[str, Any]] | None,
    conv: str,
    ob_state: dict[str, Any] | None,
    request: Any = None,
) -> tuple[str, bytes, str] | None:
    """(name, bytes, media) for an export click: an answer, the conversation, an item, a checklist."""
    action, turns = str(data.get("action", "")), list(turns or [])
    resolve = server.assistant().unit
    if action == "export-answer" and 0 <= (n := as_int(data.get("turn"))) < len(turns):
        name = export.file_name(f"答案-{turns[n]['question']}", ".docx")
        return name, export.answer_docx(turns[n], resolve), export.DOCX_MEDIA
    if action == "export-conversation" and turns:
        title = _conv_title(server, conv, turns, request)
        return (
            export.file_name(title, ".docx"),
            export.conversation_docx(title, turns, resolve),
            export.DOCX_MEDIA,
        )
    if action == "export-item" and (found := resolve(str(data.get("key", "")))) is not None:
        doc, unit = found
        name = export.file_name(f"{doc.meta.title}{unit.label}", ".docx")
        return name, export.item_docx(doc, unit), export.DOCX_MEDIA
    if action == "ob-export":
        return onboarding_page.checklist_export(server, ob_state or {}, str(data.get("fmt", "docx")))
    return None


def on_download(server: AppState, turns: list[dict[str, Any]] | None, conv: str,
                ob_state: dict[str, Any] | None, evt: gr.EventData, request: gr.Request) -> Any:
    data = event_data(evt)
    try:
        turns, conv = page_conversation(server, turns, conv, data, request)
        made = export_file(server, data, turns, conv, ob_state, request)
    except DangjianError as err:
        warn(str(err), "导出失败")
        return gr.skip()
    return download_payload(*made) if made else gr.skip()


def ask_and_list(server: AppState, text: str | None, turns: Any, conv: str, mode: AnswerMode | None,
                 scope: Any, request: Any) -> Iterator[tuple[Any, ...]]:
    """`chat_stream`'s updates plus the conversation list, redrawn with the final one (the only
    update that sets the turns)."""
    for out in chat_stream(server, text, turns, conv, mode, scope, request):
        final = isinstance(out[1], list) and isinstance(out[5], str)
        yield (*out, sidebar.sidebar_html(server, request, out[5]) if final else gr.skip())


FLOW_BOOTED = '<template class="dj-booted" data-n="{}"></template>'
FLOW_ASK = '<template class="dj-ask" data-n="{}" data-question="{}"></template>'
_boots = itertools.count()


def flow_ask(question: str) -> str:
    """For the page's script (ui/static/flow.js): ask `question` as if typed (就此条提问)."""
    return FLOW_ASK.format(next(_boots), esc(question))


def page_conversation(server: AppState, turns: Any, conv: str, data: dict[str, Any],
                      request: Any) -> tuple[list[dict[str, Any]], str]:
    """The conversation the page shows (its script sends the id with every event): the page asks
    outside Gradio's events (ui/page_api.py), so the session's `turns` may lag behind the store."""
    return chat.rehydrate(server, turns, conv, str(data.get("conv", "")), request)


def transcript_click(
    server: AppState,
    turns: Any,
    conv: str,
    mode: AnswerMode | None,
    scope: Any,
    data: dict[str, Any],
    request: Any = None,
) -> Iterator[tuple[Any, ...]]:
    """Clicks inside the conversation: a suggested question, a vote, the 👎 reason box."""
    action, n = data.get("action"), as_int(data.get("turn"))
    before = conv
    turns, conv = page_conversation(server, turns, conv, data, request)
    same: Any = gr.skip() if conv == before else conv
    if action == "ask":
        yield from ask_and_list(server, str(data.get("question", "")), turns, conv, mode, scope, request)
    elif action == "vote":
        t, new, s = chat.vote(server, turns, n, str(data.get("vote", "")), conv, request)
        yield t, new, gr.skip(), gr.skip(), s, same, gr.skip()
    elif action in ("reason", "reason-cancel"):
        text = str(data.get("text", "")) if action == "reason" else None
        t, new, s = chat.reason(server, turns, n, text, conv, request)
        yield t, new, gr.skip(), gr.skip(), s, same, gr.skip()
    else:
        yield (gr.skip(),) * 7


def boot(server: AppState, data: dict[str, Any], request: Any) -> dict[str, Any]:
    """Everything that depends on who is asking and what the index holds, plus the page's link:
    `q` asks in a new conversation, `item` (+ `doc`) opens the unit in the 目录; `conv` (the tab's
    open conversation, kept by the page's script across reloads) is shown again."""
    manage = can_manage(request, server.settings)
    choices = doc_choices(server)
    key = link_key(server, str(data.get("item", "")), str(data.get("doc", "")))
    doc_id = key.rpartition("#")[0] if key else server.assistant().primary.doc_id
    out: dict[str, Any] = {
        "header": header_html(server, request),
        "tree": tree_html(server, doc_id, "", key),
        "tree_doc": gr.update(choices=choices, value=doc_id),
        "scope_ui": scope_html([c for c in choices if c[1] != ALL]),
        "scope": [],
        "docs_tab": gr.update(visible=manage),
        "docs_list": documents_page.docs_html(server) if manage else "",
        "job": documents_page.job_html(server) if manage else "",
        "mode_row": gr.update(visible=server.settings.llm_configured),
    }
    conv = ""
    out["flow"] = FLOW_BOOTED.format(next(_boots))  # the page's script may now send queued questions
    shown = str(data.get("conv", ""))[:40]
    if str(data.get("q", "")).strip():
        chat_out = chat.chat(server, str(data["q"]), [], "", (), request)
        out.update(zip(("transcript", "turns", "panel", "question", "status", "conv"), chat_out, strict=True))
        conv = chat_out[5]
        out["tabs"] = gr.Tabs(selected="chat")
    elif key:
        shown_item = catalog_page.show_item(server, key)
        out.update(zip(("item_view", "selected", "ask_btn"), shown_item, strict=True))
        out["tabs"] = gr.Tabs(selected="browse")
    elif data.get("item"):
        chat.warn(f"链接中的条目“{data.get('item')}”不存在。")
    if shown and not str(data.get("q", "")).strip():  # a reload (Gradio's, after a lost connection):
        turns, conv = chat.rehydrate(server, [], "", shown, request)  # the open conversation again
        if conv:
            title = _conv_title(server, conv, turns, request)
            out.update(transcript=render_transcript(server, turns, title=title),
                       turns=turns, conv=conv)
    out["convs"] = sidebar.sidebar_html(server, request, conv)
    return out


def on_scope(evt: gr.EventData) -> list[str]:
    """The scope popover's checkboxes → the doc_ids later questions are limited to."""
    docs = event_data(evt).get("docs")
    return [str(d) for d in docs][:50] if isinstance(docs, list) else []


def on_tree_filter(server: AppState, doc_id: str | None, query: str | None, selected: str | None) -> str:
    return tree_html(server, doc_id or "", query or "", selected or "")


def on_tree_select(server: AppState, doc_id: str | None, query: str | None,
                   evt: gr.EventData) -> tuple[Any, ...]:
    """Tree clicks → (item view, selected, 就此条提问, tree, document picker)."""
    data = event_data(evt)
    if data.get("action") == "doc":
        picked = str(data.get("doc", ""))
        return gr.skip(), gr.skip(), gr.skip(), tree_html(server, picked, ""), gr.update(value=picked)
    view, key, button = catalog_page.show_item(server, str(data.get("key", "")))
    return view, key, button, gr.skip(), gr.skip()


def on_onboarding(server: AppState, state: dict[str, Any] | None,
                  evt: gr.EventData) -> tuple[str, dict[str, Any]]:
    new = onboarding_page.act(server, state, event_data(evt))
    return onboarding_page.render(server, new), new


def on_jump(server: AppState, state: dict[str, Any] | None, evt: gr.EventData) -> tuple[Any, Any, Any]:
    """From the chat: a role note opens that role's checklist; the welcome's 入门 link the tab."""
    data = event_data(evt)
    if data.get("action") == "duties":
        new = onboarding_page.act(server, state, {"action": "ob-role", "role": data.get("role", "")})
        return gr.Tabs(selected="onboard"), onboarding_page.render(server, new), new
    tab = str(data.get("tab", ""))
    if tab in ("chat", "browse", "onboard"):
        return gr.Tabs(selected=tab), gr.skip(), gr.skip()
    return gr.skip(), gr.skip(), gr.skip()


def on_poll(server: AppState, seen: int, request: gr.Request) -> tuple[Any, ...]:
    """While a job runs: its progress; when it ends, everything that shows the documents again."""
    status = server.jobs.status()
    job = documents_page.job_html(server, status)
    if status.running:
        return job, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), seen
    choices = doc_choices(server)
    return (job, gr.Timer(active=False), documents_page.docs_html(server), tree_html(server, "", ""),
            gr.update(choices=choices, value=server.assistant().primary.doc_id),
            scope_html([c for c in choices if c[1] != ALL]), [], header_html(server, request),
            status.generation)
