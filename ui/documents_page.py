"""The 文件 tab: the documents being served, upload (the `dangjian add` path, one report line per
file), removal, and the rebuild's progress while the old index keeps answering.

Only `ui.access.can_manage` requests see the tab or reach these handlers (an admin with --auth;
without auth a loopback client of a loopback server); every handler checks again.
"""

from __future__ import annotations

import time
from typing import Any

from rag import kinds
from rag.errors import DangjianError

from .access import can_manage
from .documents import rows
from .jobs import JobStatus
from .page_js import script
from .render import esc, status_html
from .runtime import AppState

DENIED = "只有管理员可以管理文件（未启用登录时，只能在本机访问时管理）。"
SOURCE_SHORT = 30  # characters of 来源 shown in the table; the rest on demand
_CLAUSE_ENDS = "，；。,;"


def short_source(source: str) -> str:
    """The first clause of a provenance note, at most SOURCE_SHORT characters: the manifest's notes
    run to repository names and commit hashes ("新华社发布文本，经 GitHub 仓库 …（a73197e4）…"), which
    filled the column with hashes; the table shows "新华社发布文本" and keeps the whole note a click
    away."""
    text = " ".join(source.split())
    cut = min((i for i in (text.find(c) for c in _CLAUSE_ENDS) if i > 0), default=len(text))
    first = text[:cut]
    return first if len(first) <= SOURCE_SHORT else first[: SOURCE_SHORT - 1] + "…"


def source_cell(source: str) -> str:
    """The 来源 cell: the short form, and when it leaves something out, a <details> that opens the
    whole note in place (keyboard-reachable, unlike a title tooltip, which is there too)."""
    short = short_source(source)
    if not source.strip():
        return '<td class="dj-src-cell">—</td>'
    if short == " ".join(source.split()):
        return f'<td class="dj-src-cell">{esc(short)}</td>'
    return (f'<td class="dj-src-cell"><details class="dj-src-more" title="{esc(source)}">'
            f"<summary>{esc(short)}</summary><div>{esc(source)}</div></details></td>")


# The job's status box, once on the page: when a job starts or ends (its state changes, or a refusal
# such as "请先选择要上传的文件" replaces it), it is scrolled into view — the 添加 button and a row's
# 移除 can be far from it on a long table. Progress ticks of the same state do not move the page.
JOB_JS = script("job.js")


def docs_html(server: AppState) -> str:
    """The served documents as a table; the primary cannot be removed (bare 第8条 points to it)."""
    try:
        items = rows(server.assistant())
    except DangjianError as err:
        return status_html(str(err))
    body = []
    for r in items:
        mark = ' data-pending="1"' if r.pending else ""
        pending = (' <b class="dj-pending" title="已加入语料，但索引还没有重建成功：暂时无法对它提问">'
                   "待完成</b>" if r.pending else "")
        action = (
            '<span class="dj-muted">主文件</span>'
            if r.primary
            else f'<button type="button" class="dj-mini dj-danger" data-action="remove-doc" '
                 f'data-doc="{esc(r.doc_id)}" '
            f'data-title="{esc(r.title)}" aria-label="移除《{esc(r.title)}》">移除</button>'
        )
        kind = k.display if (k := kinds.get(r.kind)) else r.kind
        body.append(
            f'<tr{mark}><th scope="row">'
            f'<span class="dj-doc-title">《{esc(r.title)}》</span>{pending}'
            f'<small class="dj-muted">{esc(r.doc_id)} · {esc(kind)}</small></th>'
            f"<td>{esc(r.doc_number or '—')}</td><td>{esc(r.issuer or '—')}</td>"
            f'<td class="dj-nowrap">{esc(r.date or "—")}</td>'
            f"<td>{'—' if r.pending else r.articles}</td>"
            f"{source_cell(r.source)}<td>{action}</td></tr>")
    waiting = sum(r.pending for r in items)
    note = f"，{waiting} 个待完成（重建索引成功后才能提问）" if waiting else ""
    served = len(items) - waiting
    return (f'<table class="dj-docs"><caption>已收录 {served} 个文件（正在服务的索引）{note}</caption>'
            "<thead><tr><th scope=\"col\">标题</th><th scope=\"col\">文号</th><th scope=\"col\">发文机关</th>"
            "<th scope=\"col\">日期</th><th scope=\"col\">条数</th><th scope=\"col\">来源</th>"
            f"<th scope=\"col\">操作</th></tr></thead><tbody>{''.join(body)}</tbody></table>")


def index_html(server: AppState) -> str:
    """A failed rebuild, for the administrator: the reason, that the old index still answers, and
    when it is retried ("" unless the last rebuild failed)."""
    st = server.status
    if st.state != "failed":
        return ""
    at = time.strftime("%H:%M:%S", time.localtime(st.retry_at))
    when = f"下次自动重试：{at}（已连续失败 {st.failures} 次）" if st.retry_at else ""
    text = st.message if not when else f"{st.message} {when}"
    return f'<p class="dj-status dj-status-error" role="alert">{esc(text)}</p>'


def job_html(server: AppState, status: JobStatus | None = None) -> str:
    """The running or last job: stage and progress, the message, one line per uploaded file; above
    it, a failed rebuild's reason (`index_html`)."""
    s = status or server.jobs.status()
    failed = index_html(server) if not s.running else ""
    if s.state == "idle":
        return (f'<div class="dj-job" role="status">{failed}'
                '<p class="dj-muted">支持 .txt .md .docx .pdf .html；'
                "添加后自动重建索引，重建期间照常回答，完成后无需重启即可对新文件提问。</p></div>")
    if s.running:
        pct = int(100 * s.done / s.total) if s.total else 0
        head = (f'<p><b>正在处理：{esc(s.stage_name)}</b>{f"（{s.done}/{s.total}）" if s.total else ""}'
                f'，已用 {time.time() - s.started:.0f} 秒</p>'
                f'<progress max="100" value="{pct}" aria-label="重建进度"></progress>')
    else:
        cls = "dj-status-error" if s.state == "error" else "dj-status-info"
        head = f'<p class="dj-status {cls}">{esc(s.message)}</p>'
        head = head if s.state == "error" and failed else failed + head
    lines = "".join(
        f'<li class="dj-rep-{esc(r["status"])}"><b>{esc(r["file"])}</b>：{esc(r["text"])}</li>'
        for r in s.report
    )
    report = f'<ul class="dj-report">{lines}</ul>' if lines else ""
    return f'<div class="dj-job" role="status" aria-live="polite" data-state="{s.state}">{head}{report}</div>'


def upload_paths(files: object) -> list[str]:
    """Paths of the files a gr.File handed over (strings, or objects with a .name / path)."""
    items = files if isinstance(files, (list, tuple)) else [files] if files else []
    out = []
    for f in items:
        path = f if isinstance(f, str) else getattr(f, "path", None) or getattr(f, "name", None)
        if path:
            out.append(str(path))
    return out


def start_add(server: AppState, files: object, request: Any) -> tuple[str, bool]:
    """→ (job html, whether polling should run). Refused for non-admins and while a job runs."""
    if not can_manage(request, server.settings):
        return status_html(DENIED), False
    paths = upload_paths(files)
    if not paths:
        return status_html("请先选择要上传的文件。"), False
    if not server.jobs.start_add(paths):
        return status_html("正在处理另一批文件，请等它完成后再试。"), True
    return job_html(server), True


def start_remove(server: AppState, doc_id: str, request: Any) -> tuple[str, bool]:
    if not can_manage(request, server.settings):
        return status_html(DENIED), False
    if not server.jobs.start_remove(doc_id):
        return status_html("正在处理另一批文件，请等它完成后再试。"), True
    return job_html(server), True

