"""The JSON routes behind the page's office work: saved conversations, exports, documents.

`ui.api.create_app` includes `office_router(guard, server)` with one line, before its /api
fallback; `guard` is the app's auth dependency, `server` the AppState it answers from. Every error
is ``{"error": "中文说明"}``.

    GET    /api/session                         sets the visitor cookie (no auth needed: it reveals nothing)
    GET    /api/conversations                   {"conversations": [{"id", "title", "created", "updated",
                                                                    "turns"}]}
    GET    /api/conversations/{id}              {"id", "title", "created", "updated", "turns": [TURN…]}
    PATCH  /api/conversations/{id}              {"title": "…"} → the summary
    DELETE /api/conversations/{id}              {"deleted": true}
    GET    /api/conversations/{id}.docx | .txt  the whole conversation, quotes and citations included
    GET    /api/conversations/{id}/turns/{n}.docx | .txt   one answer
    GET    /api/export/items/{doc_id}/{ref}.docx | .txt    one unit's full text with its citation
    GET    /api/documents                       {"documents": [{"doc_id", "title", "doc_number", "issuer",
                                                 "date", "kind", "articles", "units", "source", "primary"}]}
    POST   /api/documents                       multipart `files` (1–MAX_UPLOADS, names ≤ MAX_NAME_BYTES)
                                                 → 202 JOB (?wait=1: 200 when done); 403 for a
                                                 non-administrator before the body is read
    DELETE /api/documents/{doc_id}              202 JOB (?wait=1: 200 when done)
    GET    /api/documents/job                   JOB = {"state", "action", "stage", "done", "total", "message",
                                                       "report"}

A conversation belongs to the logged-in user (HTTP Basic, checked by `ui.auth.BasicAuth`) or, without auth,
to the browser's visitor cookie (`ui.access`). Document routes need `ui.access.can_manage`.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, StrictStr
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from rag.db import conversations
from rag.errors import DangjianError
from rag.ingest import DEFAULT_LIMITS, SUPPORTED
from rag.inputs import has_broken_text

from . import export
from .access import VISITOR_COOKIE, can_manage, new_visitor_id, owner_of, visitor_of
from .auth import ASGIApp, Receive, Scope, Send, send_json
from .documents import rows
from .jobs import Jobs, JobStatus
from .limits import UPLOAD_PATHS
from .runtime import AppState

TEXT_MEDIA = "text/plain; charset=utf-8"
COOKIE_AGE_S = 365 * 24 * 3600
MAX_UPLOADS = 20
# An upload keeps its base name through the temporary folder and `dangjian add` (which writes
# `.<name>.tmp-<pid>-<random>` beside it): 200 bytes leaves room under the usual 255-byte limit.
MAX_NAME_BYTES = 200
DENIED = "只有管理员可以管理文件（未启用登录时，只能在本机访问时管理）"
_UPLOAD_BODY = {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                             "description": f"要加入语料的文件（最多 {MAX_UPLOADS} 个）"}}}}}}


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: StrictStr


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _file(name: str, data: bytes, media: str) -> Response:
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def job_json(s: JobStatus) -> dict[str, Any]:
    return {"state": s.state, "action": s.action, "stage": s.stage_name, "done": s.done, "total": s.total,
            "message": s.message, "report": list(s.report)}


def office_router(guard: Any, server: AppState) -> APIRouter:
    """The routes; `guard` is a per-route dependency (login itself is the app's middleware)."""
    router = APIRouter(tags=["办公：对话、导出、文件"])
    store = lambda: conversations.store_for(server.settings)  # noqa: E731 - read per request

    @router.get("/api/session", summary="设置浏览器标识（未启用登录时，对话按浏览器保存）")
    def api_session(request: Request) -> Any:
        response = JSONResponse({"ok": True})
        if visitor_of(request) is None:
            response.set_cookie(VISITOR_COOKIE, new_visitor_id(), max_age=COOKIE_AGE_S, httponly=True,
                                samesite="lax", path="/")
        return response

    def owner(request: Request) -> str | None:
        return owner_of(request)

    _conversations(router, guard, owner, store, server)
    _exports(router, guard, server)
    _documents(router, guard, server)
    return router


def _conversations(router: APIRouter, guard: Any, owner: Callable[[Request], str | None],
                   store: Callable[[], conversations.Store], server: AppState) -> None:
    missing = "没有这个对话（或它不属于当前用户）"

    @router.get("/api/conversations", dependencies=[guard], summary="当前用户保存的对话")
    def api_list(request: Request) -> Any:
        who = owner(request)
        items = store().list(who) if who else []
        return {"conversations": [dataclasses.asdict(s) for s in items]}

    @router.get("/api/conversations/{cid}.docx", dependencies=[guard], summary="整个对话导出为 Word")
    def api_conv_docx(cid: str, request: Request) -> Any:
        return _conv_export(server, owner(request), store, cid, "docx") or _error(404, missing)

    @router.get("/api/conversations/{cid}.txt", dependencies=[guard], summary="整个对话导出为纯文本")
    def api_conv_txt(cid: str, request: Request) -> Any:
        return _conv_export(server, owner(request), store, cid, "txt") or _error(404, missing)

    @router.get("/api/conversations/{cid}/turns/{n}.{fmt}", dependencies=[guard], summary="一个回答导出")
    def api_turn_export(cid: str, n: int, fmt: str, request: Request) -> Any:
        who = owner(request)
        conv = store().get(who, cid) if who else None
        if conv is None or not 0 <= n < len(conv.turns) or fmt not in ("docx", "txt"):
            return _error(404, missing if conv is None else f"没有第 {n} 个回答，或格式不是 docx/txt")
        turn, resolve = conv.turns[n], server.assistant().unit
        if fmt == "docx":
            return _file(
                export.file_name(f"答案-{turn['question']}", ".docx"),
                export.answer_docx(turn, resolve),
                export.DOCX_MEDIA,
            )
        return _file(export.file_name(f"答案-{turn['question']}", ".txt"),
                     export.answer_text(turn, resolve).encode("utf-8"), TEXT_MEDIA)

    @router.get("/api/conversations/{cid}", dependencies=[guard], summary="一个对话的全部问答")
    def api_get(cid: str, request: Request) -> Any:
        who = owner(request)
        conv = store().get(who, cid) if who else None
        return dataclasses.asdict(conv) if conv else _error(404, missing)

    @router.patch("/api/conversations/{cid}", dependencies=[guard], summary="重命名对话")
    def api_rename(cid: str, body: Rename, request: Request) -> Any:
        who = owner(request)
        if not body.title.strip():
            return _error(400, "对话名称不能为空")
        if not who or not store().rename(who, cid, body.title):
            return _error(404, missing)
        return next(dataclasses.asdict(s) for s in store().list(who) if s.id == cid)

    @router.delete("/api/conversations/{cid}", dependencies=[guard], summary="删除对话")
    def api_delete(cid: str, request: Request) -> Any:
        who = owner(request)
        return {"deleted": True} if who and store().delete(who, cid) else _error(404, missing)


def _conv_export(
    server: AppState, who: str | None, store: Callable[[], conversations.Store], cid: str, fmt: str
) -> Response | None:
    conv = store().get(who, cid) if who else None
    if conv is None:
        return None
    resolve = server.assistant().unit
    if fmt == "docx":
        return _file(
            export.file_name(conv.title, ".docx"),
            export.conversation_docx(conv.title, conv.turns, resolve),
            export.DOCX_MEDIA,
        )
    text = export.conversation_text(conv.title, conv.turns, resolve)
    return _file(export.file_name(conv.title, ".txt"), text.encode("utf-8"), TEXT_MEDIA)


def _exports(router: APIRouter, guard: Any, server: AppState) -> None:
    @router.get("/api/export/items/{doc_id}/{name}", dependencies=[guard],
                summary="一条原文导出（name 为 ref.docx 或 ref.txt，如 8.docx）")
    def api_item_export(doc_id: str, name: str) -> Any:
        ref, _, fmt = name.rpartition(".")
        try:
            found = server.assistant().unit(f"{doc_id}#{ref}")
        except DangjianError as err:
            return _error(503, str(err))
        if found is None or fmt not in ("docx", "txt"):
            return _error(404, f"没有条目 {doc_id}#{ref}，或格式不是 docx/txt")
        doc, unit = found
        stem = f"{doc.meta.title}{unit.label}"
        if fmt == "docx":
            return _file(export.file_name(stem, ".docx"), export.item_docx(doc, unit), export.DOCX_MEDIA)
        return _file(export.file_name(stem, ".txt"), export.item_text(doc, unit).encode("utf-8"), TEXT_MEDIA)


class AdminUploads:
    """ASGI middleware: an upload (a POST to `limits.UPLOAD_PATHS`, the API's and the 文件 tab's)
    from someone who may not manage documents gets 403 from its headers alone, before any byte of
    its body is read: otherwise a non-administrator could make the server spool hundreds of MB
    (the upload limit) only to be refused at the end. Runs inside `BasicAuth`, which records the
    checked user in the scope. `server`: the AppState whose settings name the administrators."""

    def __init__(self, app: ASGIApp, server: AppState) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path") in UPLOAD_PATHS
                and not can_manage(Request(scope), self.server.settings)):
            await send_json(send, 403, {"error": DENIED})  # the server discards the unread body
            return
        await self.app(scope, receive, send)


def _documents(router: APIRouter, guard: Any, server: AppState) -> None:
    denied = DENIED

    def allowed(request: Request) -> bool:
        return can_manage(request, server.settings)

    @router.get("/api/documents", dependencies=[guard], summary="已收录的文件")
    def api_docs() -> Any:
        try:
            return {"documents": [dataclasses.asdict(r) for r in rows(server.assistant())]}
        except DangjianError as err:
            return _error(503, str(err))

    @router.get("/api/documents/job", dependencies=[guard], summary="添加/移除文件的进度")
    def api_job() -> Any:
        return job_json(server.jobs.status())

    @router.post("/api/documents", dependencies=[guard], summary="上传文件加入语料并重建索引（管理员）",
                 openapi_extra={"requestBody": _UPLOAD_BODY})
    async def api_add(request: Request, wait: bool = False) -> Any:
        # The form is parsed here, not by FastAPI before the call: who may upload is decided from
        # the headers before the body is read, and the parser's limits answer in Chinese.
        if not allowed(request):
            return _error(403, denied)
        try:
            async with request.form(max_files=MAX_UPLOADS, max_fields=MAX_UPLOADS) as form:
                files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
                if not 1 <= len(files) <= MAX_UPLOADS:
                    return _error(400, f"请在表单字段 files 中上传 1 到 {MAX_UPLOADS} 个文件")
                return await _add(server.jobs, files, wait)
        except (MultiPartException, StarletteHTTPException) as err:
            return _error(400, _form_message(str(getattr(err, "detail", None) or err)))

    @router.delete(
        "/api/documents/{doc_id}", dependencies=[guard], summary="从语料中移除文件并重建索引（管理员）"
    )
    def api_remove(doc_id: str, request: Request, wait: bool = False) -> Any:
        if not allowed(request):
            return _error(403, denied)
        if not server.jobs.start_remove(doc_id):
            return _error(409, "正在处理另一批文件，请稍后再试")
        return _job_response(server.jobs, wait)


def _form_message(detail: str) -> str:
    """Starlette's English multipart errors ("Too many files. Maximum number of files is 20.") in Chinese."""
    if detail.startswith("Too many files"):
        return f"一次最多上传 {MAX_UPLOADS} 个文件"
    if detail.startswith("Too many fields"):
        return f"上传表单的字段过多（最多 {MAX_UPLOADS} 个）"
    return "上传内容格式错误：须为 multipart/form-data，文件放在字段 files 中"


async def _add(jobs: Jobs, files: list[UploadFile], wait: bool) -> JSONResponse:
    """Save the uploads in a temporary folder and start the job; the folder is removed on every
    path that does not hand it to the job (which removes it once the files are in the corpus)."""
    folder = Path(tempfile.mkdtemp(prefix="dangjian-upload-"))
    try:
        paths = [await _save(f, folder) for f in files]
    except DangjianError as err:
        shutil.rmtree(folder, ignore_errors=True)
        return _error(400, str(err))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not jobs.start_add(paths, cleanup=folder):
        shutil.rmtree(folder, ignore_errors=True)
        return _error(409, "正在处理另一批文件，请稍后再试")
    return _job_response(jobs, wait)


def _job_response(jobs: Jobs, wait: bool) -> JSONResponse:
    if wait:
        status = jobs.wait()
        if status.state == "done":
            return JSONResponse(job_json(status))
        return JSONResponse({"error": status.message, **job_json(status)}, status_code=400)
    return JSONResponse(job_json(jobs.status()), status_code=202)


async def _save(upload: UploadFile, folder: Path) -> Path:
    """Write one upload under its own base name (the doc_id comes from it), within the size limit."""
    name = Path((upload.filename or "").replace("\\", "/")).name.strip()
    if has_broken_text(name):
        raise DangjianError("文件名含有无法识别的字符，请改名后再上传")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise DangjianError(f"文件名过长（最多 {MAX_NAME_BYTES} 字节，约 {MAX_NAME_BYTES // 3} 个汉字）："
                            f"{name[:20]}…，请改名后再上传")
    if not name or name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED:
        raise DangjianError(f"不支持的文件：{name or '（无文件名）'}（支持 {'、'.join(sorted(SUPPORTED))}）")
    target = folder / name
    if target.exists():
        raise DangjianError(f"同一批上传中有重名文件：{name}")
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > DEFAULT_LIMITS.max_bytes:
                raise DangjianError(f"文件过大：{name}（上限 {DEFAULT_LIMITS.max_bytes // (1 << 20)} MB）")
            out.write(chunk)
    return target
