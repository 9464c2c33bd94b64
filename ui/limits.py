"""What the server accepts before any route sees a request: bounded bodies, and JSON that parses.

    every request         a body over `max_body` bytes → 413 (Content-Length is checked before
                          anything is read; a body without one is counted as it arrives)
    /api/… with a body    Content-Type JSON (or none) → else 415; UTF-8 → else 400; JSON → else
                          400; nested at most MAX_DEPTH deep → else 400; no lone surrogate in any
                          string (what undecodable text becomes) → else 400

Errors are {"error": "中文说明"} like the API's own; the routes never see such a request, so
neither pydantic nor a tokenizer meets text it cannot encode.

`Workload` decides where an answer runs (see rag/config.py: a few threads, one expensive request
at a time), so a client at the limits slows only clients like it.

`ChineseErrors` does the same for the 4xx answers of code that is not ours (Starlette's router,
the mounted Gradio app's 404 for unknown paths): {"detail": "Not Found"} or a plain-text body
becomes {"error": "未找到"}. Gradio's client protocol under /gradio_api/ is left as it is.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from rag.config import ANSWER_THREADS, HEAVY_CHARS, HEAVY_SLOTS, HEAVY_TURNS
from rag.inputs import BROKEN_TEXT, has_broken_text

from .auth import ASGIApp, Message, Receive, Scope, Send, send_json

_T = TypeVar("_T")
MAX_DEPTH = 32
JSON_TYPES = ("application/json",)
# Where files are uploaded (the 文件 tab through Gradio, and POST /api/documents): multipart bodies
# up to `max_upload` bytes, streamed to their handlers (each file is size-checked again there).
UPLOAD_PATHS = frozenset({"/api/documents", "/gradio_api/upload"})
STATUS_MESSAGES = {400: "请求格式错误", 401: "需要登录", 403: "禁止访问", 404: "未找到",
                   405: "不支持的请求方法", 406: "无法提供所要求的格式", 408: "请求超时",
                   411: "缺少 Content-Length", 413: "请求体过大", 414: "请求地址过长",
                   415: "请求体须为 JSON（Content-Type: application/json）", 422: "请求格式错误",
                   429: "请求过于频繁，请稍后再试", 431: "请求头过大"}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _where(path: list[str | int]) -> str:
    """["history", 2] → "history 第3条"; ["answers", 0, "answer"] → "answers 第1条 answer"."""
    parts = [f"第{p + 1}条" if isinstance(p, int) else p for p in path]
    return " ".join(parts) or "请求体"


def check_json(body: bytes) -> None:
    """_Refused(400, …) for a body that is not UTF-8 JSON, nests too deep or holds broken text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "请求体不是有效的 UTF-8 编码") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise _Refused(400, f"请求体 JSON 嵌套过深（最多 {MAX_DEPTH} 层）") from None
    except ValueError:
        raise _Refused(400, "请求体不是合法的 JSON") from None
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise _Refused(400, f"请求体 JSON 嵌套过深（最多 {MAX_DEPTH} 层）")
        if isinstance(value, str) and has_broken_text(value):
            raise _Refused(400, f"{_where(path)} {BROKEN_TEXT}")
        if isinstance(value, dict):
            for key, item in value.items():
                if has_broken_text(key):
                    raise _Refused(400, f"{_where(path)} 的字段名{BROKEN_TEXT}")
                stack.append((item, [*path, key]))
        elif isinstance(value, list):
            stack.extend((item, [*path, i]) for i, item in enumerate(value))


class InputGuard:
    """ASGI middleware applying the limits above."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int = 0) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max(max_upload, max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._body(scope, receive)
        except _Refused as refused:
            await send_json(send, refused.status, {"error": refused.message})
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        await self.app(scope, replay, send)

    async def _body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The checked body when it had to be read (API bodies, bodies of unknown length), else None."""
        declared = _header(scope, b"content-length")
        path = str(scope.get("path", ""))
        upload = path in UPLOAD_PATHS and scope.get("method") == "POST"
        limit = self.max_upload if upload else self.max_body
        if declared is not None:
            if not declared.strip().isdigit():
                raise _Refused(400, "Content-Length 无效")
            if int(declared) > limit:
                raise _Refused(413, f"请求体过大（{int(declared)} 字节），上限 {limit} 字节")
        if upload:
            kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if kind != "multipart/form-data":
                raise _Refused(415, "上传文件须为 multipart/form-data")
            if declared is None:
                raise _Refused(411, "上传文件须带 Content-Length")
            return None  # streamed to the handler, which checks each file's size
        api = path.startswith("/api/")
        chunked = "chunked" in (_header(scope, b"transfer-encoding") or "").lower()
        if not chunked and (declared is None or not api or int(declared) == 0):
            return None
        if api:
            kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if kind and kind not in JSON_TYPES and not kind.endswith("+json"):
                raise _Refused(415, "请求体须为 JSON（Content-Type: application/json）")
        body = await self._read(receive)
        if api and body:
            check_json(body)
        return body

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_body:
                raise _Refused(413, f"请求体过大（超过 {self.max_body} 字节）")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _ours(body: bytes) -> bool:
    """Already {"error": "…", …}: one of our own answers (a failed job adds its status fields)."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("error"), str)


def holding(send: Send, hold: Callable[[Message], bool],
            finish: Callable[[Message, bytes], Awaitable[None]]) -> Send:
    """A `send` that passes messages on, except a response whose start message `hold` accepts: that
    one is held until its whole body has arrived, then `finish(start, body)` sends what replaces it.
    What the error translation and the page's head rewriting both need."""
    held: dict[str, Message] = {}
    parts: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and hold(message):
            held["start"] = message
            return
        if "start" not in held or message["type"] != "http.response.body":
            await send(message)
            return
        parts.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            await finish(held["start"], b"".join(parts))

    return wrapped


class ChineseErrors:
    """ASGI middleware: every 4xx body outside /gradio_api/ is {"error": "中文说明"}."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/gradio_api/"):
            await self.app(scope, receive, send)
            return
        async def translate(start: Message, body: bytes) -> None:
            await self._send(send, start, body)

        await self.app(scope, receive, holding(send, lambda start: 400 <= start["status"] < 500, translate))

    @staticmethod
    async def _send(send: Send, start: Message, body: bytes) -> None:
        status = int(start["status"])
        if _ours(body):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        dropped = (b"content-type", b"content-length")
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in dropped]
        await send_json(send, status, {"error": STATUS_MESSAGES.get(status, "请求无法处理")}, kept)


def is_heavy(question: str, history: Sequence[str]) -> bool:
    """Expensive to answer: long texts to embed and rank, or many earlier turns to replay."""
    return len(history) > HEAVY_TURNS or len(question) + sum(map(len, history)) > HEAVY_CHARS


class Workload:
    """At most `threads` answers at once, of which at most `heavy` expensive ones. The anyio
    primitives belong to one event loop, so each loop (a test client's, the server's) has its own."""

    def __init__(self, threads: int = ANSWER_THREADS, heavy: int = HEAVY_SLOTS) -> None:
        self.threads = threads
        self.heavy = heavy
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                  tuple[anyio.CapacityLimiter, anyio.Semaphore]] = \
            weakref.WeakKeyDictionary()

    def _limits(self) -> tuple[anyio.CapacityLimiter, anyio.Semaphore]:
        loop = asyncio.get_running_loop()
        if loop not in self._per_loop:
            self._per_loop[loop] = (anyio.CapacityLimiter(self.threads), anyio.Semaphore(self.heavy))
        return self._per_loop[loop]

    async def run(self, fn: Callable[[], _T], *, heavy: bool) -> _T:
        threads, slots = self._limits()
        if not heavy:
            return await anyio.to_thread.run_sync(fn, limiter=threads)
        async with slots:
            return await anyio.to_thread.run_sync(fn, limiter=threads)
