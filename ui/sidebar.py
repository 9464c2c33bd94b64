"""The conversation list beside the chat: reopen, rename, delete, start a new one.

Every handler reads and writes only the requesting owner's rows (`ui.access.owner_of`), so a
conversation id from someone else behaves like a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import gradio as gr

from rag.db import conversations
from rag.errors import DangjianError

from .access import owner_of
from .chat import warn
from .render import PANEL_EMPTY, esc, status_html
from .runtime import AppState
from .turns import render_transcript

# (transcript, turns, panel, box, status, conversation id, sidebar)
OpenOut = tuple[Any, Any, Any, Any, Any, Any, Any]


def _when(stamp: float) -> str:
    moment = datetime.fromtimestamp(stamp)
    return f"{moment:%H:%M}" if moment.date() == datetime.now().date() else f"{moment:%m-%d}"


def row_meta(turns: int, updated: float) -> str:
    """A row's "N 问 · 时间" (the page's script updates the open row with it after an answer)."""
    return f"{turns} 问 · {_when(updated)}"


def _row(s: conversations.Summary, current: str) -> str:
    here = s.id == current
    mark = ' aria-current="true"' if here else ""
    return (
        f'<li class="dj-conv{" dj-current" if here else ""}" data-id="{esc(s.id)}">'
        f'<button type="button" class="dj-conv-open" data-action="open" data-id="{esc(s.id)}"{mark}>'
        f'<span class="dj-conv-title">{esc(s.title)}</span>'
        f'<span class="dj-conv-meta">{row_meta(s.turns, s.updated)}</span></button>'
        f'<span class="dj-conv-tools">'
        f'<button type="button" class="dj-mini" data-action="rename" data-id="{esc(s.id)}" '
        f'data-title="{esc(s.title)}" aria-label="重命名对话：{esc(s.title)}">改名</button>'
        f'<button type="button" class="dj-mini" data-action="delete" data-id="{esc(s.id)}" '
        f'data-title="{esc(s.title)}" aria-label="删除对话：{esc(s.title)}">删除</button></span></li>')


def sidebar_html(server: AppState, request: Any, current: str = "") -> str:
    """The owner's conversations, newest first, the open one marked."""
    owner = owner_of(request)
    items: list[conversations.Summary] = []
    problem = ""
    if owner is not None:
        try:
            items = conversations.store_for(server.settings).list(owner)
        except DangjianError as err:
            problem = str(err)
    where = ("保存在您的账号下" if owner and owner.startswith("user:") else
             "保存在本浏览器中" if owner else "未能识别浏览器，对话不会保存")
    rows = "".join(_row(s, current) for s in items)
    empty = '<p class="dj-convs-empty">还没有保存的对话：提问后会自动保存。</p>' if not items else ""
    return (
        '<nav class="dj-convs" aria-label="历史对话">'
        '<div class="dj-convs-h"><h2 class="dj-convs-title">历史对话</h2>'
        '<button type="button" class="dj-act dj-primary" data-action="new">新对话</button></div>'
        f'<p class="dj-convs-where">{esc(where)}</p>{status_html(problem)}'
        f'<ul class="dj-convs-list">{rows}</ul>{empty}</nav>')


def _empty(server: AppState, sidebar: str, status: str = "") -> OpenOut:
    return render_transcript(server, []), [], PANEL_EMPTY, "", status, "", sidebar


def open_conversation(server: AppState, cid: str, request: Any) -> OpenOut:
    """Reopen a saved conversation: its turns become the page's state."""
    owner = owner_of(request)
    conv = None
    try:
        conv = conversations.store_for(server.settings).get(owner, cid) if owner else None
    except DangjianError as err:
        warn(str(err))
    if conv is None:
        message = "没有找到这个对话（可能已被删除）。"
        warn(message)
        return _empty(server, sidebar_html(server, request, ""), status_html(message))
    turns = list(conv.turns)
    return (render_transcript(server, turns, title=conv.title), turns, PANEL_EMPTY, gr.skip(), "", conv.id,
            sidebar_html(server, request, conv.id))


def new_conversation(server: AppState, request: Any) -> OpenOut:
    return _empty(server, sidebar_html(server, request, ""))


def rename_conversation(server: AppState, cid: str, title: str, current: str,
                        request: Any) -> tuple[str, Any]:
    """→ (sidebar, transcript update): the conversation bar's copy text carries the title."""
    owner = owner_of(request)
    if not conversations.title_of(title):
        warn("对话名称不能为空，已保留原来的名称。")
        return sidebar_html(server, request, current), gr.skip()
    try:
        done = bool(owner) and conversations.store_for(server.settings).rename(
            owner or "", cid, title
        )
    except DangjianError as err:
        warn(str(err))
        done = False
    if not done:
        warn("没能重命名：这个对话已不存在（可能已被删除）。")
    return sidebar_html(server, request, current), gr.skip()


def delete_conversation(server: AppState, cid: str, current: str, turns: list[dict[str, Any]] | None,
                        request: Any) -> OpenOut:
    """Delete a conversation; deleting the open one empties the chat."""
    owner = owner_of(request)
    try:
        if owner:
            conversations.store_for(server.settings).delete(owner, cid)
    except DangjianError as err:
        warn(str(err))
    if cid == current:
        return new_conversation(server, request)
    skip = gr.skip()
    return skip, skip, skip, skip, skip, skip, sidebar_html(server, request, current)
