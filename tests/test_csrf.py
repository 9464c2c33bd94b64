"""Cross-site request forgery: every state-changing route (the JSON API, Gradio's uploads and
queue joins, preflights, websockets) refuses a request that a browser marks as coming from another
site's page (Sec-Fetch-Site) or whose Origin is not this server — with and without --auth — and
nothing changes; the page's own requests and clients that send neither header (curl, scripts) work.
The real-browser attack is in tests/test_browser_csrf.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import served_copy
from fastapi.testclient import TestClient
from test_auth import basic, routes
from test_ui_office import make_docx

from rag import Assistant, Settings
from rag.db import conversations
from rag.db.feedback import votes_for
from ui.runtime import AppState

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning")

ADMIN, PASSWORD = "admin", "pw-管理"
FORGED = [
    {"origin": "http://evil.example"},
    {"sec-fetch-site": "cross-site", "origin": "http://evil.example"},
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site", "origin": "http://127.0.0.1:1"},  # another port of this host
    {"origin": "null"},  # a sandboxed frame or a file: page
    {"origin": "https://testserver"},  # another scheme
    {"origin": "http://testserver:8080"},  # another port
]


@pytest.fixture()
def private(tmp_path: Path, assistant: Assistant, settings: Settings) -> Iterator[AppState]:
    """A copy of the corpus and index served by the process (a refusal that failed would change only it)."""
    with served_copy(tmp_path, assistant, settings, admins=(ADMIN,)) as own:
        yield own


def build(ui_module: Any, server: AppState, auth: bool) -> Any:
    return ui_module.build_app(server, auth=(ADMIN, PASSWORD) if auth else None)


def refused(resp: Any) -> bool:
    return resp.status_code == 403 and resp.json()["error"].startswith("拒绝跨站请求：")


@pytest.mark.parametrize("auth", [False, True], ids=["local", "login"])
def test_every_state_changing_route_refuses_another_origin(private: AppState, ui_module: Any, auth: bool) -> None:
    app = build(ui_module, private, auth)
    found = routes(app)
    changing = [(m, p) for m, p in found if m not in ("GET", "HEAD")]
    assert {("POST", "/api/documents"), ("DELETE", "/api/documents/x"), ("PATCH", "/api/conversations/x"),
            ("DELETE", "/api/conversations/x"), ("POST", "/gradio_api/upload"), ("POST", "/gradio_api/queue/join")
            } <= set(changing) and len(changing) >= 30
    login = basic(ADMIN, PASSWORD) if auth else {}
    with TestClient(app) as tc:
        for method, path in [*changing, ("OPTIONS", "/gradio_api/queue/join"), ("OPTIONS", "/api/documents")]:
            for forged in FORGED:
                if method == "WS":
                    from starlette.websockets import WebSocketDisconnect

                    with pytest.raises(WebSocketDisconnect), tc.websocket_connect(path, headers={**login, **forged}):
                        pass
                    continue
                resp = tc.request(method, path, headers={**login, **forged, "access-control-request-method": "POST"})
                assert refused(resp), (method, path, forged, resp.status_code, resp.text[:200])
        # reading is not refused (a link from another site still opens the page)
        assert tc.get("/healthz", headers={**login, "sec-fetch-site": "cross-site"}).status_code == 200
        assert tc.get("/api/documents", headers={**login, "origin": "http://evil.example"}).status_code == 200


def _gradio_fn(blocks: Any, name: str) -> tuple[int, int]:
    """(fn_index, trigger id) of the page's event handler `name`: what a forged queue join names."""
    for index, fn in blocks.fns.items():
        if fn.name == name:
            return int(index), int(fn.targets[0][0])
    raise LookupError(name)


def _state(server: AppState, owner: str, cid: str) -> tuple[Any, ...]:
    """What a forged request could change: the corpus, the job runner, a conversation, the feedback."""
    from rag.ingest import read_entries

    settings = server.settings
    conv = conversations.store_for(settings).get(owner, cid)
    return (sorted(e["doc_id"] for e in read_entries(settings.corpus_dir)), server.jobs.status(),
            conv and conv.title, len(votes_for(settings).records()))


@pytest.mark.parametrize("auth", [False, True], ids=["local", "login"])
def test_forged_requests_change_nothing_and_the_pages_own_work(private: AppState, ui_module: Any, auth: bool,
                                                                tmp_path: Path) -> None:
    from testserver import running

    blocks = ui_module.build_demo(private)
    app = ui_module.create_app(private, auth=(ADMIN, PASSWORD) if auth else None, blocks=blocks)
    docx = make_docx(tmp_path / "jifen.docx").read_bytes()
    login = basic(ADMIN, PASSWORD) if auth else {}
    owner = f"user:{ADMIN}" if auth else "visitor:" + "v" * 24
    cookies = {} if auth else {"dj_visitor": "v" * 24}
    cid = conversations.store_for(private.settings).create(owner, "第8条要求什么？")
    remove_fn, remove_trigger = _gradio_fn(blocks, "on_docs_click")
    add_fn, add_trigger = _gradio_fn(blocks, "on_add")
    with running(app) as url, httpx.Client(base_url=url, headers=login, cookies=cookies, timeout=60) as http:
        before = _state(private, owner, cid)
        attacks = [
            ("POST", "/api/documents?wait=1", {"files": {"files": ("jifen.docx", docx)}}),
            ("DELETE", "/api/documents/dangzhang-2022?wait=1", {}),
            ("PATCH", f"/api/conversations/{cid}", {"json": {"title": "被改名"}}),
            ("DELETE", f"/api/conversations/{cid}", {}),
            ("POST", "/gradio_api/upload", {"files": {"files": ("jifen.docx", docx)}}),
            ("POST", "/gradio_api/queue/join", {"content": json.dumps({
                "data": [], "event_data": {"action": "remove-doc", "doc": "dangzhang-2022"}, "fn_index": remove_fn,
                "trigger_id": remove_trigger, "session_hash": "forged0001"}), "headers": {"content-type": "text/plain"}}),
            ("POST", "/gradio_api/queue/join", {"json": {
                "data": [[{"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}}]], "event_data": None,
                "fn_index": add_fn, "trigger_id": add_trigger, "session_hash": "forged0002"}}),
            ("POST", "/api/quiz/check", {"json": {"answers": []}}),
            ("POST", "/api/ask", {"json": {"question": "第8条要求什么？"}}),
        ]
        for method, path, kwargs in attacks:
            for forged in ({"origin": "http://localhost:9999"}, {"sec-fetch-site": "cross-site"},
                           {"sec-fetch-site": "same-site", "origin": url.replace("127.0.0.1", "localhost")}):
                extra = kwargs.get("headers", {})
                resp = http.request(method, path, **{k: v for k, v in kwargs.items() if k != "headers"},
                                    headers={**extra, **forged})
                assert refused(resp), (method, path, forged, resp.status_code, resp.text[:200])
        assert _state(private, owner, cid) == before
        # the page's own requests (what Chromium sends from it) and plain clients work
        page = {"origin": url, "sec-fetch-site": "same-origin"}
        assert http.patch(f"/api/conversations/{cid}", json={"title": "党章学习"}, headers=page).status_code == 200
        assert http.patch(f"/api/conversations/{cid}", json={"title": "党章学习2"},
                          headers={"origin": url}).status_code == 200  # a browser without Sec-Fetch-*
        assert http.post("/api/ask", json={"question": "第8条要求什么？"}).status_code == 200  # curl: neither header
        bad = http.post("/api/documents", files={"files": ("evil.exe", b"MZ")}, headers=page)
        assert bad.status_code == 400 and "不支持的文件" in bad.json()["error"]  # past the guard, to the handler
        assert http.post("/gradio_api/upload", files={"files": ("a.txt", b"x")}, headers=page).status_code == 200
        assert http.delete(f"/api/conversations/{cid}", headers=page).json() == {"deleted": True}


def test_the_origin_behind_a_trusted_proxy() -> None:
    """Behind an HTTPS proxy the page's origin is what the proxy forwarded — believed only from it."""
    from ui.origin import PEER_SCOPE_KEY, Proxies, SameOrigin, parse_networks

    guard = SameOrigin(lambda *a: None, Proxies(parse_networks(["10.0.0.0/8"])))  # type: ignore[arg-type,return-value]

    def scope(peer: str, **headers: str) -> dict[str, Any]:
        return {"type": "http", "method": "POST", "scheme": "http", "client": (peer, 1), PEER_SCOPE_KEY: peer,
                "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}

    forwarded = {"host": "127.0.0.1:7860", "origin": "https://dj.example.org",
                 "x_forwarded_proto": "https", "x_forwarded_host": "dj.example.org"}
    assert guard.refusal(scope("10.0.0.5", **forwarded)) is None
    assert guard.refusal(scope("192.0.2.1", **forwarded)) is not None  # anyone can write those headers
    assert guard.refusal(scope("192.0.2.1", host="dj.example.org", origin="http://dj.example.org")) is None
    assert guard.refusal(scope("192.0.2.1", host="[::1]:7860", origin="http://[::1]:7860")) is None
    assert guard.refusal(scope("192.0.2.1", host="DJ.example.org:80", origin="http://dj.example.org")) is None
    assert guard.refusal(scope("192.0.2.1", host="dj.example.org", origin="http://dj.example.org.evil.example")
                         ) is not None
    assert guard.refusal(scope("192.0.2.1", host="dj.example.org", sec_fetch_site="none")) is None  # typed address
