"""Login throttling that holds: keyed on the real peer address (X-Forwarded-For believed only from
DANGJIAN_TRUSTED_PROXIES) and on the user name, counted before the password is checked (a
concurrent burst stops at the limit), forgiven only for the pair that logged in, never locking the
administrator out from another address; unknown users cost a real hash check; a password file with
a byte-order mark works."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from test_auth import Clock, basic, make_app

import ui.auth
from rag import Assistant, Settings
from rag.errors import DangjianError
from ui.auth import (
    FREE_FAILURES,
    USER_FREE_FAILURES,
    BasicAuth,
    Credentials,
    Throttle,
    auth_line,
    credentials_for,
    read_auth_file,
    with_user,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning")

ADMIN, ADMIN_PW = "admin", "s3cret-党建"
OTHER, OTHER_PW = "mallory", "mallory-pw"


def _with_clock(app: Any) -> Clock:
    """Give the app's BasicAuth a throttle on a clock the test moves."""
    clock = Clock()
    for layer in app.user_middleware:
        if layer.cls is BasicAuth:
            layer.kwargs["throttle"] = Throttle(clock)
    return clock


def from_address(local: str, url: str, headers: dict[str, str]) -> httpx.Response:
    """GET /healthz from another loopback address (the socket bound to `local`)."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=local)) as http:
        return http.get(url + "/healthz", headers=headers)


def _plain() -> Credentials:
    return Credentials(plain={ADMIN: ADMIN_PW, OTHER: OTHER_PW})


# -- the throttle itself ---------------------------------------------------------------------------


def test_another_users_success_does_not_forgive_this_users_failures() -> None:
    t = Throttle(Clock())
    for _ in range(FREE_FAILURES):
        assert t.attempt("10.0.0.1", ADMIN) == 0.0  # counted, then refused by the password check
    assert t.attempt("10.0.0.1", OTHER) == 0.0
    t.success("10.0.0.1", OTHER)  # mallory's own attempt is taken back, nothing else
    assert t.attempt("10.0.0.1", ADMIN) == 0.0  # the 6th failure from this address: it starts the wait
    assert t.wait_s("10.0.0.1", ADMIN) == 1.0 and t.wait_s("10.0.0.1", OTHER) == 1.0  # the address waits
    assert t.wait_s("10.0.0.2", ADMIN) == 0.0  # nobody elsewhere does


def test_one_address_cannot_lock_a_user_out_everywhere_but_many_can() -> None:
    clock = Clock()
    t = Throttle(clock)
    for _ in range(200):  # one address guessing for days, waiting out every backoff
        clock.now += t.wait_s("203.0.113.9", ADMIN)
        assert t.attempt("203.0.113.9", ADMIN) == 0.0
    assert t.wait_s("203.0.113.9", ADMIN) > 0 and t.wait_s("192.0.2.1", ADMIN) == 0.0
    t.success("192.0.2.1", ADMIN)  # the administrator's desk
    spread = [f"198.51.100.{i}" for i in range(USER_FREE_FAILURES // FREE_FAILURES + 1)]
    for address in spread:  # a botnet: each address stays within its own free failures
        for _ in range(FREE_FAILURES):
            t.attempt(address, ADMIN)
    assert t.wait_s("192.0.2.77", ADMIN) > 0  # the user name now waits at any new address …
    assert t.wait_s("192.0.2.1", ADMIN) == 0.0  # … but not where the administrator logged in before
    assert t.wait_s("192.0.2.77", OTHER) == 0.0  # and other users are not held back


def test_a_burst_counts_every_attempt_before_any_is_checked() -> None:
    t = Throttle(Clock())
    let_through = [t.attempt("10.0.0.1", ADMIN) for _ in range(300)].count(0.0)
    assert let_through == FREE_FAILURES + 1


# -- over HTTP ---------------------------------------------------------------------------------------


def test_rotating_x_forwarded_for_from_an_untrusted_peer_is_throttled(assistant: Assistant,
                                                                      settings: Settings) -> None:
    """Real uvicorn on 127.0.0.1 (which uvicorn itself would trust for X-Forwarded-For by default)."""
    from testserver import running

    with running(make_app(assistant, settings, _plain())) as url, httpx.Client(base_url=url) as http:
        statuses = [http.get("/healthz", headers={**basic(ADMIN, f"guess{i}"), "x-forwarded-for": f"198.51.100.{i}"}
                             ).status_code for i in range(60)]
        assert statuses[:FREE_FAILURES + 1] == [401] * (FREE_FAILURES + 1)
        assert set(statuses[FREE_FAILURES + 1:]) == {429}
        # a locked address does not lock the administrator out from another one (another loopback address)
        assert from_address("127.0.0.2", url, basic(ADMIN, ADMIN_PW)).status_code == 200


def test_x_forwarded_for_from_a_trusted_proxy_is_honoured(assistant: Assistant, settings: Settings) -> None:
    app = make_app(assistant, replace(settings, trusted_proxies=("10.0.0.0/8",)), _plain())
    _with_clock(app)
    proxy = TestClient(app, client=("10.1.2.3", 40000))
    stranger = TestClient(app, client=("192.0.2.50", 40000))
    with proxy, stranger:
        def via(xff: str, password: str) -> int:
            return proxy.get("/healthz", headers={**basic(ADMIN, password), "x-forwarded-for": xff}).status_code

        # the proxy appended the real client (right-most); what the client wrote before it is ignored
        assert [via(f"1.1.1.{i}, 203.0.113.7", "wrong") for i in range(FREE_FAILURES + 1)] == [401] * 6
        assert via("203.0.113.7", ADMIN_PW) == 429  # that client waits …
        assert via("203.0.113.8", ADMIN_PW) == 200  # … another client behind the same proxy does not
        assert via("203.0.113.8, 10.9.9.9", ADMIN_PW) == 200  # a chain of trusted proxies is skipped
        # the same header from a peer that is not a trusted proxy changes nothing
        statuses = [stranger.get("/healthz", headers={**basic(ADMIN, "wrong"), "x-forwarded-for": f"203.0.113.{i}"}
                                 ).status_code for i in range(10, 10 + FREE_FAILURES + 2)]
        assert statuses[-1] == 429


def test_a_concurrent_burst_of_300_guesses_is_throttled(assistant: Assistant, settings: Settings, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """300 wrong guesses at once against real uvicorn, with a real scrypt hash to check: only the
    first FREE_FAILURES + 1 are checked, all others are refused 429 without computing a hash."""
    from testserver import running

    path = tmp_path / "users"
    path.write_text(auth_line(ADMIN, ADMIN_PW) + "\n", encoding="utf-8")
    checked, lock = [0], threading.Lock()
    real_verify = ui.auth.verify_password

    def counting(password: str, encoded: str) -> bool:
        with lock:
            checked[0] += 1
        return real_verify(password, encoded)

    monkeypatch.setattr(ui.auth, "verify_password", counting)
    app = make_app(assistant, settings, credentials_for("", path))
    _with_clock(app)  # time stands still: on a busy machine the burst may outlast the first 1 s wait
    with running(app) as url:
        limits = httpx.Limits(max_connections=64)
        with httpx.Client(base_url=url, limits=limits, timeout=60) as http, ThreadPoolExecutor(48) as pool:
            statuses = list(pool.map(lambda i: http.get("/healthz", headers=basic(ADMIN, f"g{i}")).status_code,
                                     range(300)))
        assert statuses.count(401) == FREE_FAILURES + 1 and statuses.count(429) == 300 - FREE_FAILURES - 1
        assert checked[0] == FREE_FAILURES + 1
        # meanwhile the administrator, from another address, logs in
        assert from_address("127.0.0.3", url, basic(ADMIN, ADMIN_PW)).status_code == 200


def test_another_users_login_does_not_reset_the_count(assistant: Assistant, settings: Settings) -> None:
    app = make_app(assistant, settings, _plain())
    _with_clock(app)
    with TestClient(app, client=("192.0.2.10", 1)) as tc:
        assert [tc.get("/healthz", headers=basic(ADMIN, f"g{i}")).status_code
                for i in range(FREE_FAILURES)] == [401] * FREE_FAILURES
        assert tc.get("/healthz", headers=basic(OTHER, OTHER_PW)).status_code == 200  # mallory, same address
        assert tc.get("/healthz", headers=basic(ADMIN, "g6")).status_code == 401  # the 6th: starts the wait
        assert tc.get("/healthz", headers=basic(ADMIN, "g7")).status_code == 429  # (it used to be 401 again)


def test_the_admin_logs_in_from_another_address_during_a_lock_out(assistant: Assistant, settings: Settings) -> None:
    app = make_app(assistant, settings, _plain())
    clock = _with_clock(app)
    with TestClient(app, client=("203.0.113.66", 1)) as attacker, TestClient(app, client=("192.0.2.1", 1)) as desk:
        for i in range(40):  # the attacker waits out every backoff: a long lock-out for its address
            clock.now += 901
            attacker.get("/healthz", headers=basic(ADMIN, f"g{i}"))
        locked = attacker.get("/healthz", headers=basic(ADMIN, ADMIN_PW))
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 800
        assert desk.get("/healthz", headers=basic(ADMIN, ADMIN_PW)).status_code == 200


def test_an_unknown_user_costs_a_hash_check_like_a_known_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "users"
    path.write_text(auth_line(ADMIN, ADMIN_PW) + "\n" + auth_line("bob", "pw", scheme="pbkdf2_sha256") + "\n",
                    encoding="utf-8")
    creds = credentials_for("", path)
    calls: list[str] = []
    real_verify = ui.auth.verify_password
    monkeypatch.setattr(ui.auth, "verify_password", lambda pw, enc: calls.append(enc) or real_verify(pw, enc))
    assert not creds.check(ADMIN, "wrong") and not creds.check("nobody", "wrong") and not creds.check("", "x")
    assert len(calls) == 3
    known, unknown, empty = (c.split("$") for c in calls)
    assert unknown[:4] == known[:4] == empty[:4]  # scrypt, same n, r, p
    assert unknown[4:] != known[4:] and len(unknown[5]) == len(known[5])  # its own salt, same digest size
    # plain passwords only: no hash for anyone (a hash for unknown names alone would be the leak)
    calls.clear()
    assert not Credentials(plain={ADMIN: ADMIN_PW}).check("nobody", "x") and calls == []


# -- the password file -------------------------------------------------------------------------------


def test_a_password_file_with_a_byte_order_mark_works(assistant: Assistant, settings: Settings,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_bytes(("\ufeff" + auth_line("alice", "pw-1") + "\r\n" + auth_line("bob", "pw-2") + "\r\n")
                     .encode("utf-8"))  # as Windows Notepad saves it
    assert list(read_auth_file(path)) == ["alice", "bob"]
    with TestClient(make_app(assistant, settings, credentials_for("", path))) as tc:
        assert tc.get("/healthz", headers=basic("alice", "pw-1")).status_code == 200
    # `dangjian passwd alice` on that file replaces her line instead of adding a second one
    text = with_user(path.read_text(encoding="utf-8"), "alice", auth_line("alice", "new"))
    assert [line.split(":")[0] for line in text.splitlines()] == ["bob", "alice"]


@pytest.mark.parametrize(("line", "message"), [
    ("alice " + ":" + "HASH", "第2行的用户名“alice”含有空白或不可见字符"),
    ("al\u200bice:HASH".replace("\u200b", "\ufeff"), "第2行的用户名"),
    ("no colon at all", "第2行缺少冒号"),
], ids=["space-before-colon", "bom-inside", "no-colon"])
def test_a_bad_line_names_itself(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "users"
    good = auth_line("bob", "pw", scheme="pbkdf2_sha256")
    path.write_text(good + "\n" + line.replace("HASH", good.split(":", 1)[1]) + "\n", encoding="utf-8")
    with pytest.raises(DangjianError, match=message):
        read_auth_file(path)


# -- the setting ----------------------------------------------------------------------------------------


def test_trusted_proxies_setting() -> None:
    assert Settings().trusted_proxies == ()
    s = Settings.from_env({"DANGJIAN_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,::1"})
    assert s.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    with pytest.raises(ValueError, match="DANGJIAN_TRUSTED_PROXIES 中的“nginx”不是 IP 地址或网段"):
        Settings.from_env({"DANGJIAN_TRUSTED_PROXIES": "127.0.0.1,nginx"})


def test_a_proxied_request_is_never_local(settings: Settings) -> None:
    """Without --auth, documents are managed from this machine only; a request that came through a
    proxy on this machine (forwarding headers from a peer that is not a trusted proxy) is not local."""
    from ui.access import can_manage
    from ui.origin import PROXIED_SCOPE_KEY

    class Req:
        def __init__(self, proxied: bool) -> None:
            self.scope: dict[str, Any] = {"client": ("127.0.0.1", 1), "server": ("127.0.0.1", 7860)}
            if proxied:
                self.scope[PROXIED_SCOPE_KEY] = True

    assert can_manage(Req(False), settings) and not can_manage(Req(True), settings)

