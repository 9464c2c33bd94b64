"""The JSON API on the same server as the page: /api/ask, /api/items/{ref}, /healthz, /docs."""

from __future__ import annotations

import secrets
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

import gradio as gr
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answer import section_path
from rag.config import Settings
from rag.errors import DangjianError, InputError
from rag.llm import llm_answer, unavailable_note
from rag.records import Document, Unit
from rag.render import answer_json

from .office_api import office_router
from .onboarding_api import onboarding_router
from .runtime import APP_TITLE, GENERIC_ERROR, MAX_HISTORY, _rt, ask, get_assistant
from .style import CSS

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
               blocks: gr.Blocks) -> FastAPI:
    """The FastAPI app with the API routes and `blocks` (the page, from `ui.app.build_demo`) mounted at "/".

    No server is started. Mounting configures the Blocks object, so a second app in the same
    process (tests) should pass its own `build_demo()`. `settings` decide the API's LLM mode; the
    page's comes from `blocks` (pass `build_demo(settings)` when they differ from the process's).
    """
    settings = settings or _rt.settings or (_rt.assistant.settings if _rt.assistant else Settings.from_env())
    app = FastAPI(title=f"{APP_TITLE} API", version="1.0",
                  description="党建文件问答的 HTTP 接口：答案逐字引用原文并注明出处。")
    guard = Depends(_basic_auth(auth))
    app.include_router(onboarding_router(guard))  # 新任书记入门: /api/tour, /api/duties, /api/glossary, /api/quiz
    app.include_router(office_router(guard, auth=auth))  # conversations, exports, documents (ui/office_api.py)

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
        app, blocks, path="/", auth=auth, auth_message=f"{APP_TITLE}：请登录",
        footer_links=[], run_history=False, allowed_paths=[], blocked_paths=blocked,
        show_error=False, ssr_mode=False, mcp_server=False, pwa=False,
        theme=_theme(), css=CSS, head='<meta name="robots" content="noindex">',
    )
    return mounted


def _theme() -> gr.themes.Base:
    fonts = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "sans-serif"]
    return gr.themes.Default(primary_hue="red", neutral_hue="stone", font=fonts,
                             font_mono=["Noto Sans Mono CJK SC", "monospace"])

