"""A small OpenAI-compatible server on 127.0.0.1 for the LLM tests (stdlib only, no mocks of the client).

    GET  /v1/models              → the scenario names as model ids
    POST /v1/chat/completions    → the scenario named by the request's "model" (or `server.force`),
                                   with "stream": true as SSE chunks ending in `data: [DONE]`

Scenarios (see SCENARIOS): scripted replies ("good_8", "one_slip_8", "fabricated_25",
"wrong_number_8", "no_citation_8", "refusal", "think_8" (a <think> block first)) and faults ("http_429", "http_500", "malformed",
"halfway" (chunked body cut off), "halfway_eof" (clean close, no finish_reason, no [DONE]),
"empty", "slow" (no answer for 30 s), "trickle" (a token every 0.3 s for 15 s)).

Use the `fake_openai` fixture (session-scoped); `server.requests` logs every request body and
`server.reset()` clears the log and `force`. Slow handlers wake up when the server stops.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

GOOD_8 = (
    "第8条要求深化“四强”党支部建设。〔第8条〕\n"
    "一是加强分类指导，根据党组织隶属关系，按照分级负责的原则，对机关单位党组织和事业单位党组织分类指导。〔第8条〕\n"
    "二是落实《市直机关“四强”党支部创建工作方案》，评定命名第二批“四强”党支部，对不符合要求的及时撤销称号。〔第8条〕\n"
    "三是用好“机关支部课堂”学习平台，编发“四强”党支部创建优秀案例，总结推广典型经验。〔第8条〕"
)
ONE_SLIP_8 = GOOD_8 + "\n此外，每个党支部每季度至少开展一次结对共建活动。〔第25条〕"
FABRICATED_25 = (
    "第8条要求每季度召开一次“四强”推进会。〔第25条〕\n"
    "各党支部须在2025年6月30日前完成创建。〔第25条〕\n"
    "未达标的党支部将被通报批评。〔第26条〕"
)
WRONG_NUMBER_8 = GOOD_8.replace("第二批", "第三批")
NO_CITATION_8 = GOOD_8.replace("〔第8条〕", "")
REFUSAL = "根据已收录文件无法回答"


@dataclass(frozen=True)
class Scenario:
    kind: str  # reply | status | malformed | halfway | halfway_eof | empty | slow | trickle
    text: str = ""
    status: int = 200


SCENARIOS: dict[str, Scenario] = {
    "good_8": Scenario("reply", GOOD_8),
    "one_slip_8": Scenario("reply", ONE_SLIP_8),
    "fabricated_25": Scenario("reply", FABRICATED_25),
    "wrong_number_8": Scenario("reply", WRONG_NUMBER_8),
    "no_citation_8": Scenario("reply", NO_CITATION_8),
    "refusal": Scenario("reply", REFUSAL),
    "think_8": Scenario("reply", "<think>问题问第8条，资料1就是第8条。</think>\n" + GOOD_8),
    "http_429": Scenario("status", status=429),
    "http_500": Scenario("status", status=500),
    "malformed": Scenario("malformed"),
    "halfway": Scenario("halfway", GOOD_8),
    "halfway_eof": Scenario("halfway_eof", GOOD_8),
    "empty": Scenario("empty"),
    "slow": Scenario("slow", GOOD_8),
    "trickle": Scenario("trickle", GOOD_8),
}

CHUNK_CHARS = 7


def _pieces(text: str, size: int = CHUNK_CHARS) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------------

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _raw(self, status: int, data: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        """Drop the connection in the middle of a chunk: the client sees an incomplete body."""
        self.wfile.write(b"400\r\ndata: {\"id\"")
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- endpoints --------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            return
        if self.server.models_status != 200:
            self._json(self.server.models_status, {"error": {"message": "models unavailable"}})
            return
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in SCENARIOS]
        self._json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "bad json"}})
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
            return
        with self.server.lock:
            self.server.requests.append(body)
        model = str(body.get("model", ""))
        name = self.server.force or model
        sc = SCENARIOS.get(name)
        if sc is None:
            self._json(404, {"error": {"message": f"model {model} not found", "type": "invalid_request_error",
                                       "code": "model_not_found"}})
            return
        stream = bool(body.get("stream"))
        if sc.kind == "status":
            self._json(sc.status, {"error": {"message": f"scripted {sc.status}", "type": "server_error"}})
        elif sc.kind == "slow":
            self.server.stopping.wait(30)
            self._json(503, {"error": {"message": "too late"}})
        elif sc.kind == "malformed":
            if stream:
                self._start_stream()
                self._send(_chunk(model, {"role": "assistant", "content": ""}))
                self._send(b'data: {"id": "chatcmpl-fake", "choices": [{"delta": {"content": "\xe7\xac\xac8\n\n')
                self._send(b"data: [DONE]\n\n")
                self._end_stream()
            else:
                self._raw(200, b'{"id": "chatcmpl-fake", "choices": [ {"message": ')
        elif not stream:
            self._json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": sc.text or "好"},
                             "finish_reason": "stop" if sc.kind == "reply" else "length"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}})
        else:
            self._stream(sc, model)

    def _stream(self, sc: Scenario, model: str) -> None:
        self._start_stream()
        self._send(_chunk(model, {"role": "assistant", "content": ""}))
        pieces = _pieces(sc.text)
        if sc.kind == "empty":
            pieces = []
        elif sc.kind in ("halfway", "halfway_eof"):
            pieces = pieces[: len(pieces) // 3]
        for piece in pieces:
            if sc.kind == "trickle" and self.server.stopping.wait(0.3):
                break
            self._send(_chunk(model, {"content": piece}))
        if sc.kind == "halfway":
            self._abort()
            return
        if sc.kind != "halfway_eof":
            self._send(_chunk(model, {}, "stop"))
            self._send(b"data: [DONE]\n\n")
        self._end_stream()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.force = ""
        self.models_status = 200

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on the slow and cut-off scenarios are expected: stay quiet."""


class FakeOpenAI:
    """Start with `.start()` (or the fixture); `.base_url` is http://127.0.0.1:PORT/v1."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._server.requests

    @property
    def force(self) -> str:
        return self._server.force

    @force.setter
    def force(self, name: str) -> None:
        """Play scenario `name` whatever model is asked for ("" → by model name)."""
        self._server.force = name

    @property
    def models_status(self) -> int:
        return self._server.models_status

    @models_status.setter
    def models_status(self, status: int) -> None:
        self._server.models_status = status

    def reset(self) -> None:
        with self._server.lock:
            self._server.requests.clear()
        self._server.force = ""
        self._server.models_status = 200

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
