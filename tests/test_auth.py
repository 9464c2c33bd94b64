"""Login on every route: each route the app serves (API, page, Gradio's own, /docs, /openapi.json,
/healthz) refuses a request without credentials, except /livez; throttling with backoff; hashed
password files written by `dangjian passwd`."""

from __future__ import annotations

import base64
import io
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute

from rag import Assistant, Settings
from rag.cli import main
from rag.errors import DangjianError
from ui.auth import (
    FREE_FAILURES,
    MAX_WAIT_S,
    Credentials,
    Throttle,
    auth_line,
    credentials_for,
    hash_password,
    read_auth_file,
    verify_password,
)

USER, PASSWORD = "branch", "s3cret-党建"


def make_app(assistant: Assistant, settings: Settings, creds: Credentials | tuple[str, str]) -> Any:
    import ui.app as ui_app
    from ui.runtime import AppState

    return ui_app.build_app(AppState(settings, assistant), auth=creds)


@pytest.fixture(scope="module")
def app(assistant: Assistant, settings: Settings) -> Any:
    return make_app(assistant, settings, (USER, PASSWORD))


def routes(app: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(method, concrete path) for every route, mounted apps included; parameters filled in."""
    out: list[tuple[str, str]] = []
    for route in app.routes:
        path = prefix + re.sub(r"\{[^}]+\}", "x", getattr(route, "path", ""))
        included = getattr(route, "include_context", None)  # FastAPI ≥ 0.16x: an included router
        if included is not None:
            out += routes(included.included_router, prefix + included.prefix)
        elif isinstance(route, Mount):
            out += routes(route.app, path.rstrip("/")) if hasattr(route.app, "routes") else [("GET", path + "/x")]
        elif isinstance(route, WebSocketRoute):
            out.append(("WS", path))
        elif isinstance(route, Route):
            out += [(m, path or "/") for m in sorted(route.methods or {"GET"}) if m != "HEAD"]
        else:
            out.append(("GET", path or "/"))
    return sorted(set(out))


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_every_route_needs_a_login_but_livez(app: Any) -> None:
    found = routes(app)
    paths = {p for _m, p in found}
    assert {"/api/ask", "/healthz", "/openapi.json", "/docs", "/livez", "/config"} <= paths
    assert any(p.startswith("/gradio_api/heartbeat") for p in paths) and any("queue" in p for p in paths)
    assert len(found) >= 80
    with TestClient(app) as tc:
        for method, path in found:
            if method == "WS":
                from starlette.websockets import WebSocketDisconnect

                with pytest.raises(WebSocketDisconnect), tc.websocket_connect(path) as ws:
                    ws.receive_text()
                continue
            resp = tc.request(method, path)
            if path == "/livez":  # open, and it says nothing but that the process is up
                assert (resp.status_code, resp.json()) == ((200, {"status": "ok"}) if method == "GET" else
                                                           (405, {"error": f"不支持 {method} 方法：/livez 请用 GET"}))
                continue
            if path == "/logout":  # the page's 退出: without credentials it only says so (test below)
                assert (resp.status_code, resp.json()) == ((200, {"status": "已退出登录"}) if method == "GET"
                                                           else (405, {"error": "退出登录请用 GET"}))
                continue
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.headers["www-authenticate"].startswith("Basic")
            assert resp.json() == {"error": "需要登录：请使用 HTTP Basic 认证（与网页相同的用户名和密码）"}
            assert "doc_id" not in resp.text and "units" not in resp.text


def test_with_the_login_everything_answers(app: Any) -> None:
    with TestClient(app) as tc:
        h = basic(USER, PASSWORD)
        assert tc.get("/healthz", headers=h).json()["status"] == "ok"
        assert tc.post("/api/ask", json={"question": "第8条要求什么？"}, headers=h).json()["retrieved"]
        assert tc.get("/api/tour?step=1", headers=h).status_code == 200  # the onboarding router too
        assert "<html" in tc.get("/", headers=h).text.lower()
        assert tc.get("/config", headers=h).status_code == 200
        assert tc.get("/docs/swagger-ui.css", headers=h).status_code == 200
        assert tc.get("/healthz", headers=basic(USER, "wrong")).status_code == 401


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
                                    "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc", "Basic"])
def test_malformed_credentials_are_refused(app: Any, header: str) -> None:
    with TestClient(app) as tc:
        resp = tc.get("/healthz", headers={"authorization": header})
        assert resp.status_code == 401 and "Traceback" not in resp.text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_backs_off_exponentially() -> None:
    clock = Clock()
    t = Throttle(clock)
    waits = [t.failure("10.0.0.1") for _ in range(FREE_FAILURES + 6)]
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    assert waits[FREE_FAILURES:] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert t.wait_s("10.0.0.1") == 32.0 and t.wait_s("10.0.0.2") == 0.0  # per client
    for _ in range(30):
        t.failure("10.0.0.1")
    assert t.wait_s("10.0.0.1") == MAX_WAIT_S
    clock.now += MAX_WAIT_S
    assert t.wait_s("10.0.0.1") == 0.0
    t.success("10.0.0.1")
    assert t.failure("10.0.0.1") == 0.0  # a success forgives


def test_locked_out_client_is_refused_even_with_the_right_password(assistant: Assistant, settings: Settings) -> None:
    from ui.auth import BasicAuth

    app = make_app(assistant, settings, (USER, PASSWORD))
    clock = Clock()
    for layer in app.user_middleware:  # the app's own throttle, on a clock the test moves
        if layer.cls is BasicAuth:
            layer.kwargs["throttle"] = Throttle(clock)
    with TestClient(app) as tc:
        statuses = [tc.get("/healthz", headers=basic(USER, f"guess{i}")).status_code for i in range(FREE_FAILURES)]
        assert statuses == [401] * FREE_FAILURES
        assert tc.get("/healthz", headers=basic(USER, "guess")).status_code == 401  # the first that waits
        locked = tc.get("/healthz", headers=basic(USER, PASSWORD))
        assert locked.status_code == 429 and locked.headers["retry-after"] == "2"
        assert "登录失败次数过多" in locked.json()["error"]
        assert tc.get("/livez").status_code == 200
        clock.now += 1.5
        assert tc.get("/healthz", headers=basic(USER, PASSWORD)).status_code == 200


def test_hashes_round_trip_and_reject() -> None:
    for scheme in ("scrypt", "pbkdf2_sha256"):
        encoded = hash_password(PASSWORD, scheme=scheme)
        assert encoded.startswith(scheme + "$") and PASSWORD not in encoded
        assert verify_password(PASSWORD, encoded) and not verify_password(PASSWORD + "x", encoded)
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted


def test_auth_file_users_log_in(assistant: Assistant, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text(f"# 党建问答\n{auth_line('alice', 'pw-1')}\n\n{auth_line('bob', 'pw-2', scheme='pbkdf2_sha256')}\n",
                    encoding="utf-8")
    creds = credentials_for("", path)
    assert creds.users == ["alice", "bob"]
    with TestClient(make_app(assistant, settings, creds)) as tc:
        assert tc.get("/healthz", headers=basic("alice", "pw-1")).status_code == 200
        assert tc.get("/healthz", headers=basic("bob", "pw-2")).status_code == 200
        assert tc.get("/healthz", headers=basic("alice", "pw-2")).status_code == 401
        assert tc.get("/healthz", headers=basic("carol", "pw-1")).status_code == 401


@pytest.mark.parametrize(("content", "message"), [
    ("alice:plaintext\n", "第1行格式不对"),
    ("alice:scrypt$16384$8$1$AAAA$AAAA\n", "第1行格式不对"),
    ("# only a comment\n", "没有任何用户"),
    (":" + hash_password("x", scheme="pbkdf2_sha256") + "\n", "缺少用户名"),
], ids=["plaintext", "short-scrypt", "comment-only", "no-user"])  # stable ids: the hash has a random salt
def test_bad_auth_file_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "users"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DangjianError, match=message):
        read_auth_file(path)
    with pytest.raises(DangjianError, match="无法读取密码文件"):
        read_auth_file(tmp_path / "missing")


def test_credentials_come_from_the_environment() -> None:
    s = Settings.from_env({"DANGJIAN_AUTH": "u:p", "DANGJIAN_AUTH_FILE": "/x/users"})
    assert s.auth == "u:p" and s.auth_file == Path("/x/users")
    assert credentials_for(s.auth).check("u", "p") and not credentials_for(s.auth).check("u", "q")
    assert not credentials_for("")


def test_passwd_writes_a_private_file_and_replaces_the_user(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "users"
    monkeypatch.setattr(sys, "stdin", io.StringIO("first-密码\n"))
    assert main(["passwd", "alice", "--file", str(path)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw-b\n"))
    assert main(["passwd", "bob", "--file", str(path)]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("second\n"))
    assert main(["passwd", "alice", "--file", str(path)]) == 0
    assert "DANGJIAN_AUTH_FILE" in capsys.readouterr().err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    users = read_auth_file(path)
    assert list(users) == ["bob", "alice"] and verify_password("second", users["alice"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
    assert main(["passwd", "carol"]) == 0  # without --file: the line on stdout
    line = capsys.readouterr().out.strip()
    assert line.startswith("carol:scrypt$") and verify_password("pw", line.split(":", 1)[1])
    for bad_user, stdin, message in (("a:b", "pw\n", "不能含有冒号"), ("dave", "\n", "密码不能为空")):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        assert main(["passwd", bad_user]) == 1
        assert message in capsys.readouterr().err


# -- what a browser sees: refusal pages and 退出 ------------------------------------------------------

PAGE_LOAD = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_page_load_gets_a_chinese_page_and_api_clients_keep_the_json(
        assistant: Assistant, settings: Settings) -> None:
    app = make_app(assistant, settings, (USER, PASSWORD))  # its own throttle: earlier tests' guesses count
    with TestClient(app) as tc:
        page = tc.get("/", headers=PAGE_LOAD)  # what the tab shows after 取消 in the login box
        assert page.status_code == 401 and page.headers["www-authenticate"].startswith("Basic")
        assert page.headers["content-type"].startswith("text/html")
        assert "<html lang=\"zh-CN\"" in page.text and "需要登录" in page.text and "重新登录" in page.text
        assert "{" not in page.text.split("<body>")[1].split("<style>")[0]  # no raw JSON in the body
        for internal in ("dangjian", "passwd", "Basic", "/api", "Traceback", USER):
            assert internal not in page.text.split("</style>")[1], internal
        wrong = tc.get("/", headers={**PAGE_LOAD, **basic(USER, "nope")})
        assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
        api = tc.get("/healthz")  # no Accept: text/html → the JSON error, as before
        assert api.status_code == 401 and api.json() == {"error": "需要登录：请使用 HTTP Basic 认证（与网页相同的用户名和密码）"}
        fetched = tc.get("/config", headers={"accept": "application/json"})
        assert fetched.status_code == 401 and fetched.json()["error"].startswith("需要登录")


def test_logout_drops_credentials_without_counting_them(assistant: Assistant, settings: Settings) -> None:
    """Every credential sent to /logout — right or deliberately wrong — is answered 401 with the
    realm (that is what makes a browser forget it) and never counts as a failed login; without
    credentials it answers the 已退出 page; a page load from another site is refused."""
    app = make_app(assistant, settings, (USER, PASSWORD))
    with TestClient(app) as tc:
        for _ in range(FREE_FAILURES + 3):
            out = tc.get("/logout", headers=basic("logout", "x123"))
            assert out.status_code == 401 and out.headers["www-authenticate"].startswith("Basic")
        right = tc.get("/logout", headers={**PAGE_LOAD, **basic(USER, PASSWORD)})
        assert right.status_code == 401 and "已退出登录" in right.text
        after = tc.get("/logout", headers=PAGE_LOAD)
        assert after.status_code == 200 and "www-authenticate" not in after.headers
        assert "已退出登录" in after.text and 'href="/"' in after.text
        assert tc.get("/logout").json() == {"status": "已退出登录"}
        # none of the wrong ones counted: the right password still works at once
        assert tc.get("/healthz", headers=basic(USER, PASSWORD)).status_code == 200
        foreign = tc.get("/logout", headers={**basic(USER, PASSWORD), "sec-fetch-site": "cross-site"})
        assert foreign.status_code == 403 and "www-authenticate" not in foreign.headers
        page = tc.get("/", headers={**PAGE_LOAD, **basic(USER, PASSWORD)})
        assert page.status_code == 200 and "dj-logout" in page.text  # the page of a logged-in user has 退出


def test_no_logout_button_without_login(base_url: str) -> None:
    import httpx

    page = httpx.get(base_url + "/", headers=PAGE_LOAD, timeout=30)
    assert page.status_code == 200 and "dj-logout" not in page.text
