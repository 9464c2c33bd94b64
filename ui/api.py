"""The JSON API on the same server as the page: /api/ask, /api/items/{ref}, /healthz, /livez, /docs.

    POST /api/ask {"question", "history"?, "state"?, "mode"?}
        → the `ask --json` answer plus "state": {"doc_id", "refs"}, to send back with the next
          question instead of replaying "history" (history stays for clients that keep only that,
          bounded: rag/inputs.py)
    GET  /api/items/8 · /api/items/{doc_id}/{ref}   one unit's text
    GET  /healthz   index status (ready / rebuilding with progress / failed) and counts
    GET  /livez     {"status": "ok"} — the one route without login, it reveals nothing
    GET  /docs      Swagger UI from local files (package fastapi-offline); /openapi.json
    POST /api/page/ask   the page's own asking (ui/page_api.py; not in /docs: the page's script is its client)

Every error is {"error": "中文说明"} (4xx: what to fix; 503: no usable index; 500: a bug, whose
traceback goes to stderr only). In front of everything, outermost first: `origin.ClientAddress`
(the client's real address; X-Forwarded-For only from DANGJIAN_TRUSTED_PROXIES), `origin.SameOrigin`
(a state-changing request from another site's page → 403 {"error": "拒绝跨站请求：…"}), when
credentials are set `auth.BasicAuth` (every route but /livez), `limits.InputGuard` (body size, JSON
shape, broken characters).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Any

import anyio.to_thread
import gradio as gr
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answer import section_path
from rag.config import MAX_HISTORY_TURNS, MAX_STATE_REFS, AnswerMode, Settings
from rag.errors import DangjianError, InputError
from rag.ingest.limits import DEFAULT_LIMITS
from rag.inputs import check_history, check_state, state_json
from rag.llm import llm_answer, unavailable_note
from rag.query import next_state
from rag.records import Document, Unit
from rag.render import answer_json
from rag.timing import with_total

from .auth import BasicAuth, Credentials, parse_auth
from .gradio_startup import skip_event_statistics
from .head import PageHead, favicon_path
from .jobs import GENERIC_ERROR
from .limits import STATUS_MESSAGES, ChineseErrors, InputGuard, Workload, is_heavy
from .office_api import MAX_UPLOADS, AdminUploads, office_router
from .onboarding_api import onboarding_router
from .origin import ClientAddress, Proxies, SameOrigin, parse_networks
from .page_api import page_router
from .runtime import APP_TITLE, AppState
from .style import CSS

__all__ = ["create_app", "parse_auth"]

# -- HTTP API --------------------------------------------------------------------------------


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: StrictStr = Field("", description="对话所在文件的 doc_id（上一次回答返回的 state.doc_id）")
    refs: list[StrictStr] = Field(default_factory=list, max_length=MAX_STATE_REFS,
                                  description="对话正在谈论的条目编号，如 [\"8\"]")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr
    history: list[StrictStr] = Field(default_factory=list,
                                     description=f"之前的提问（按时间顺序逐条回放，"
                                                 f"最多 {MAX_HISTORY_TURNS} 条；有 state 时不需要）")
    state: StateIn | None = Field(None, description="上一次回答返回的 state：追问“下一条”时代替 history")
    mode: AnswerMode = Field(
        "extractive",
        description="extractive：逐字摘录原文；llm：大模型依据原文生成并核验引用（需配置 DANGJIAN_LLM_*）")


LLM_NOT_CONFIGURED = (
    "未配置大模型，无法使用 mode: llm：请设置 DANGJIAN_LLM_BASE_URL 和 DANGJIAN_LLM_MODEL 后重启服务，"
    "或改用 mode: extractive"
)
ROUTES_HINT = "可用 POST /api/ask、GET /api/items/{ref}、GET /api/items/{doc_id}/{ref}、GET /healthz"


def item_json(doc: Document, unit: Unit) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "ref": unit.ref, "label": unit.label, "title": unit.title,
            "section": section_path(doc, unit), "text": unit.text, "sentences": list(unit.sentences)}


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


_FIELD_NAMES = {"question": "question（问题）", "history": "history（之前的提问）", "mode": "mode（模式）",
                "state": "state（对话状态）"}


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
        field = _FIELD_NAMES.get(loc[0], loc[0]) + "".join(f".{x}" for x in loc[1:2] if not x.isdigit())
        kind = str(e.get("type", ""))
        if kind == "missing":
            msgs.append(f"缺少字段 {field}")
        elif kind == "extra_forbidden":
            msgs.append(f"不认识的字段 {field}")
        elif kind == "literal_error":
            msgs.append(f"{field} 只能是 extractive 或 llm")
        elif kind == "too_long":
            msgs.append(f"{field} 最多 {MAX_STATE_REFS} 条")
        elif kind in ("string_type", "list_type", "model_attributes_type", "model_type", "dict_type"):
            msgs.append(f"{field} 类型不对（question 应为字符串，history 应为字符串列表，state 应为对象）")
        else:
            msgs.append(f"{field} 无效")
    return 422, "请求格式错误：" + "；".join(msgs)


def _http_message(exc: StarletteHTTPException) -> str:
    """Starlette's and FastAPI's own details are English ("There was an error parsing the body"):
    our messages are Chinese, theirs become the status's Chinese message."""
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if detail and any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        return detail
    if exc.status_code == 400:
        return "请求体不是合法的 JSON（须为 UTF-8 编码、嵌套不过深）"
    return STATUS_MESSAGES.get(exc.status_code, "请求无法处理")


# -- /docs from local files ----------------------------------------------------------------------

DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
               "swagger-ui.css": "text/css; charset=utf-8", "favicon.png": "image/png"}


def _docs_asset(name: str) -> bytes:
    """A Swagger UI file shipped in the `fastapi-offline` wheel (no CDN at run time)."""
    return (resources.files("fastapi_offline") / "static" / name).read_bytes()


def _add_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{APP_TITLE} API",
                                   swagger_js_url="/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/docs/swagger-ui.css",
                                   swagger_favicon_url="/docs/favicon.png")

    @app.get("/docs/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        if name not in DOCS_ASSETS:
            return _error(404, "未找到")
        return Response(_docs_asset(name), media_type=DOCS_ASSETS[name],
                        headers={"cache-control": "public, max-age=86400"})


# -- the app -------------------------------------------------------------------------------------


def _no_guard() -> None:
    """Routes need no guard of their own: `BasicAuth` wraps the whole app."""


def _credentials(auth: tuple[str, str] | Credentials | None) -> Credentials:
    if isinstance(auth, Credentials):
        return auth
    creds = Credentials()
    if auth is not None:
        creds.plain[auth[0]] = auth[1]
    return creds


def create_app(state: AppState, *, blocks: gr.Blocks,
               auth: tuple[str, str] | Credentials | None = None) -> FastAPI:
    """The FastAPI app with the API routes and `blocks` (the page) mounted at "/"; no server started.

    `state` is what every route answers from (the page is built over the same one:
    `ui.app.build_app`); its settings decide the API's LLM mode and body limit. Mounting configures
    the Blocks object, so each app needs its own. `auth`: a (user, password) pair or `Credentials`
    (`auth.credentials_for`); none → no login.
    """
    settings = state.settings
    app = FastAPI(title=f"{APP_TITLE} API", version="1.0", docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None,
                  description="党建文件问答的 HTTP 接口：答案逐字引用原文并注明出处。")
    _add_handlers(app)
    _add_docs(app)
    # 新任书记入门 (/api/tour, /api/duties, …): login is the app's middleware, so no per-route guard
    app.include_router(onboarding_router(Depends(_no_guard), state.assistant))
    app.include_router(
        office_router(Depends(_no_guard), state)
    )  # conversations, exports, documents (ui/office_api.py)
    app.include_router(page_router(state))  # the page's own asking (ui/page_api.py)
    _add_routes(app, state, settings)
    blocked = [str(p.resolve()) for p in (settings.corpus_dir, settings.index_dir)]
    mounted: FastAPI = gr.mount_gradio_app(
        app, blocks, path="/", footer_links=[], run_history=False, allowed_paths=[], blocked_paths=blocked,
        show_error=False, ssr_mode=False, mcp_server=False, pwa=False, enable_monitoring=False,
        theme=_theme(), css=CSS, favicon_path=str(favicon_path()),
    )
    skip_event_statistics(blocks)  # kept for a dashboard that is off (ui/gradio_startup.py)
    mounted.add_middleware(PageHead)  # the page's own title, favicon, preview tags; light theme
    mounted.add_middleware(ChineseErrors)
    mounted.add_middleware(InputGuard, max_body=settings.max_body_bytes,
                           max_upload=MAX_UPLOADS * DEFAULT_LIMITS.max_bytes + 64 * 1024)
    mounted.add_middleware(AdminUploads, server=state)  # outside InputGuard: refused uploads are never read
    creds = _credentials(auth)
    if creds:
        mounted.add_middleware(BasicAuth, credentials=creds)
    # outermost: a forged cross-site request is refused before it can count as a login attempt,
    # and every layer sees the client's real address
    proxies = Proxies(parse_networks(settings.trusted_proxies))
    mounted.add_middleware(SameOrigin, proxies=proxies)
    mounted.add_middleware(ClientAddress, proxies=proxies)  # added last: the outermost layer
    return mounted


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _on_validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(*_validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, _http_message(exc), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _on_error(_req: Request, exc: Exception) -> JSONResponse:
        traceback.print_exception(exc, file=sys.stderr)
        return _error(500, GENERIC_ERROR)


def _add_routes(app: FastAPI, state: AppState, settings: Settings) -> None:
    workload = Workload()

    @app.post("/api/ask", summary="提问（可带上一次回答的 state，或之前的提问 history）")
    async def api_ask(body: AskRequest) -> Any:
        if body.mode == "llm" and not settings.llm_configured:
            return _error(400, LLM_NOT_CONFIGURED)
        start = time.perf_counter()
        heavy = is_heavy(body.question, [] if body.state else body.history)
        found = await workload.run(lambda: _retrieve(state, body), heavy=heavy)
        if isinstance(found, JSONResponse):
            return found
        assistant, history, before, ans = found
        if body.mode == "llm":  # the model call waits on the network: outside the answer threads
            extractive = ans
            ans = await anyio.to_thread.run_sync(
                lambda: _llm(assistant, body.question, history, settings, extractive))
            ans = with_total(ans, start)
        return {**answer_json(ans), "state": state_json(next_state(before, ans.focus))}

    def _item(ref: str) -> Any:
        try:
            assistant = state.assistant()
        except DangjianError as err:
            return _error(503, str(err))
        found = assistant.unit(ref.strip())
        if found is None:
            count = len(assistant.primary.numbered)
            return _error(404, f"没有条目“{ref[:40]}”：可用 1–{count} 的编号、header、preamble 或 doc_id#ref")
        return item_json(*found)

    @app.get("/api/items/{ref}", summary="取一条原文（8、header、preamble 或 doc_id#ref）")
    def api_item(ref: str) -> Any:
        return _item(ref)

    @app.get("/api/items/{doc_id}/{ref}", summary="取某个文件的一条原文")
    def api_doc_item(doc_id: str, ref: str) -> Any:
        return _item(f"{doc_id}#{ref}")

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
                   include_in_schema=False)
    def api_fallback(rest: str, request: Request) -> Any:
        """Anything else under /api/ is a JSON error, never the Gradio page's own 404."""
        known = (rest == "ask" and request.method != "POST") or \
            (rest.startswith("items/") and rest.count("/") <= 2 and request.method != "GET")
        if known:
            return _error(405, f"不支持 {request.method} 方法：/api/ask 请用 POST，/api/items 请用 GET")
        return _error(404, f"没有这个接口：{ROUTES_HINT}")

    @app.get("/healthz", summary="健康检查：索引状态（ready / rebuilding 及进度 / failed）与数量")
    def healthz() -> Any:
        current = state.loaded
        if current is None:
            try:
                current = state.assistant()
            except DangjianError as err:
                return JSONResponse({"status": "unavailable", **state.health(), "error": str(err)},
                                    status_code=503)
        counts = current.index.manifest.get("counts", {})
        return {"status": "ok", **state.health(), "documents": len(current.index.docs),
                **{k: v for k, v in counts.items() if k != "documents"},
                "llm": settings.llm_configured}  # configured, not necessarily reachable

    @app.get("/livez", include_in_schema=False)
    def livez() -> Any:
        return {"status": "ok"}

    @app.api_route("/healthz", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @app.api_route("/livez", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def health_methods(request: Request) -> Any:
        return _error(405, f"不支持 {request.method} 方法：{request.url.path} 请用 GET")


def _retrieve(state: AppState, body: AskRequest) -> Any:
    """/api/ask's answering, on an answer thread → (assistant, history, state before, answer), or a
    JSON error (400 bad input, 503 no usable index)."""
    try:
        assistant = state.assistant()
    except DangjianError as err:
        return _error(503, str(err))
    try:
        history = check_history(body.history)
        before = (check_state(body.state.doc_id, body.state.refs, assistant.catalog) if body.state
                  else assistant.state_after(history))
        return assistant, history, before, assistant.ask(body.question, state=before)
    except InputError as err:
        return _error(400, str(err))
    except DangjianError as err:
        return _error(503, str(err))


def _llm(assistant: Any, question: str, history: list[str], settings: Settings, extractive: Any) -> Any:
    try:
        return llm_answer(assistant, question, history, settings=settings, extractive=extractive)
    except Exception:  # noqa: BLE001 - endpoint faults are handled in rag.llm; this is a bug
        traceback.print_exc(file=sys.stderr)
        return replace(extractive, notes=(unavailable_note("内部错误"),))


def _theme() -> gr.themes.Base:
    fonts = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", "sans-serif"]
    return gr.themes.Default(primary_hue="red", neutral_hue="stone", font=fonts,
                             font_mono=["Noto Sans Mono CJK SC", "monospace"])

