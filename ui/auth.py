"""Login for every route of the server (API, page, Gradio's own routes, /docs, /openapi.json,
/healthz), except `/livez`, which answers {"status": "ok"} and nothing more.

HTTP Basic in front of the whole app, so nothing the page or Gradio adds can slip past it; a
browser asks once and sends the credentials with every later request of the page.

Credentials (read by `rag.config.Settings`, combined here):
    DANGJIAN_AUTH=user:password           one user, plain (or `serve --auth`, visible in `ps`)
    DANGJIAN_AUTH_FILE=path               lines "user:scrypt$n$r$p$salt$hash" or
                                          "user:pbkdf2_sha256$iterations$salt$hash" (hashlib only),
                                          written by `dangjian passwd USER`
Throttling (`Throttle`), keyed on the client's address — the TCP peer, or what a proxy named in
DANGJIAN_TRUSTED_PROXIES forwarded (`ui.origin.ClientAddress` puts it in the scope; an
X-Forwarded-For from anyone else is ignored) — and on the user name:
    an address gets FREE_FAILURES wrong passwords, a user name USER_FREE_FAILURES (from all
    addresses together, at most FREE_FAILURES of them from any one address); after that each
    further failure doubles the wait (1 s, 2 s, 4 s … at most MAX_WAIT_S), during which every
    attempt — right or wrong — is answered 429 with Retry-After, so guessing costs time, not just
    requests;
    an attempt is counted as failed before its password is checked, in one step with the wait
    check, so a burst of concurrent guesses is stopped at the limit like a sequence of them;
    a success forgives only the failures of that user from that address: another user logging in
    from the same address does not wipe the guesses against this one;
    a user who has logged in from an address is not held back there by a lock on the user name
    (guessing from elsewhere cannot lock the administrator out of their own desk), and a lock on
    an address holds back nobody at any other address.
An unknown user name costs the same as a known one: its password is checked against a dummy hash
of the configured users' scheme and parameters.
Refusals are JSON {"error": …} for API clients; a browser's page load (Accept: text/html) gets the
same status as a page in Chinese (`ui.login_page`). `/logout` is the page's 退出: any credentials
sent there are answered 401 with the realm (never checked, never counted), so the browser drops its
cached ones; without credentials it answers the 已退出 page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from rag.errors import DangjianError

from .login_page import LOGOUT_PATH, SAFE_SITES, logged_out_page, refusal_page, wants_html

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/livez"})
USER_SCOPE_KEY = "dangjian.user"  # set in the ASGI scope once the password is checked (ui/access.py reads it)
FREE_FAILURES = 5  # wrong passwords from one address before it has to wait
USER_FREE_FAILURES = 20  # wrong passwords for one user name, from all addresses, before it has to wait
MAX_WAIT_S = 900.0
MAX_CLIENTS = 10_000  # throttle records kept (oldest dropped first)
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
PBKDF2_ITERATIONS = 600_000
REALM = 'Basic realm="dangjian", charset="UTF-8"'
LOGIN_NEEDED = "需要登录：请使用 HTTP Basic 认证（与网页相同的用户名和密码）"
WRONG_LOGIN = "用户名或密码不正确"
LOGGED_OUT = "已退出登录"
LOGOUT_CROSS_SITE = "拒绝跨站请求：只能在本站页面上退出登录"


# -- password hashes ------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, scheme: str = "scrypt") -> str:
    """A salted hash for the auth file: scrypt (default) or pbkdf2_sha256, both from hashlib."""
    salt = secrets.token_bytes(16)
    raw = password.encode("utf-8")
    if scheme == "scrypt":
        n, r, p = SCRYPT["n"], SCRYPT["r"], SCRYPT["p"]
        digest = hashlib.scrypt(raw, salt=salt, n=n, r=r, p=p, dklen=32)
        return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"
    if scheme == "pbkdf2_sha256":
        digest = hashlib.pbkdf2_hmac("sha256", raw, salt, PBKDF2_ITERATIONS)
        return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${_b64(salt)}${_b64(digest)}"
    raise ValueError(f"unknown scheme {scheme!r}")


def _parse_hash(encoded: str) -> tuple[str, list[int], bytes, bytes]:
    """(scheme, numeric parameters, salt, digest); ValueError when malformed."""
    parts = encoded.split("$")
    shapes = {"scrypt": 6, "pbkdf2_sha256": 4}
    if parts[0] not in shapes or len(parts) != shapes[parts[0]]:
        raise ValueError("unknown hash format")
    try:
        numbers = [int(x) for x in parts[1:-2]]
        salt, digest = base64.b64decode(parts[-2], validate=True), base64.b64decode(parts[-1], validate=True)
    except (ValueError, binascii.Error) as err:
        raise ValueError("bad hash fields") from err
    if parts[0] == "scrypt" and not (2 <= numbers[0] <= 2**20 and numbers[0] & (numbers[0] - 1) == 0
                                     and 1 <= numbers[1] <= 32 and 1 <= numbers[2] <= 16):
        raise ValueError("scrypt parameters out of range")
    if parts[0] == "pbkdf2_sha256" and not 1000 <= numbers[0] <= 10_000_000:
        raise ValueError("pbkdf2 iterations out of range")
    if not salt or len(digest) < 16:
        raise ValueError("salt or digest too short")
    return parts[0], numbers, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    scheme, numbers, salt, digest = _parse_hash(encoded)
    raw = password.encode("utf-8", "surrogatepass")
    if scheme == "scrypt":
        n, r, p = numbers
        actual = hashlib.scrypt(raw, salt=salt, n=n, r=r, p=p, dklen=len(digest), maxmem=256 * n * r + 2**20)
    else:
        actual = hashlib.pbkdf2_hmac("sha256", raw, salt, numbers[0], dklen=len(digest))
    return hmac.compare_digest(actual, digest)


# -- who may log in -------------------------------------------------------------------------------


@dataclass
class Credentials:
    """Users and how to check their passwords: plain (from DANGJIAN_AUTH / --auth) or hashed."""

    plain: dict[str, str] = field(default_factory=dict)
    hashed: dict[str, str] = field(default_factory=dict)
    _ok: OrderedDict[bytes, None] = field(default_factory=OrderedDict, repr=False)
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _dummy: str | None = field(default=None, repr=False)

    @property
    def users(self) -> list[str]:
        return sorted({*self.plain, *self.hashed})

    def __bool__(self) -> bool:
        return bool(self.plain or self.hashed)

    def _memo_key(self, user: str, password: str) -> bytes:
        pair = f"{user}\x00{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, pair, "sha256").digest()

    def remembered(self, user: str, password: str) -> bool:
        """A pair that passed `check` before (cheap: no password hash computed)."""
        key = self._memo_key(user, password)
        with self._lock:
            if key in self._ok:
                self._ok.move_to_end(key)
                return True
        return False

    def dummy_hash(self) -> str:
        """What an unknown user's password is checked against: the scheme and parameters of a
        configured user's hash (scrypt with the defaults when there is none), so refusing an unknown
        name takes as long as refusing a known one and the time does not tell which names exist."""
        with self._lock:
            if self._dummy is None:
                template = next(iter(self.hashed.values()), None)
                self._dummy = _dummy_like(template) if template else _dummy_like(hash_password(""))
            return self._dummy

    def check(self, user: str, password: str) -> bool:
        """Constant-time for plain passwords; a hash is computed once per distinct right password
        (successes are remembered under a per-process key, so a page's many requests stay cheap)."""
        if self.remembered(user, password):
            return True
        key = self._memo_key(user, password)
        ok = False
        if user in self.plain:
            ok = _same_text(password, self.plain[user])
        elif user in self.hashed:
            ok = verify_password(password, self.hashed[user])
        elif self.hashed:  # the same work as for a known user, and always refused
            verify_password(password, self.dummy_hash())
        else:
            _same_text(password, self._key.hex())
        if ok:
            with self._lock:
                self._ok[key] = None
                while len(self._ok) > 1024:
                    self._ok.popitem(last=False)
        return ok


def _same_text(given: str, want: str) -> bool:
    """Constant-time comparison of two passwords (digests first, so lengths do not show)."""
    return hmac.compare_digest(hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest(),
                               hashlib.sha256(want.encode("utf-8", "surrogatepass")).digest())


def _dummy_like(encoded: str) -> str:
    """A hash no password matches, with the scheme and cost parameters of `encoded`."""
    scheme, numbers, salt, digest = _parse_hash(encoded)
    noise = [_b64(secrets.token_bytes(len(salt))), _b64(secrets.token_bytes(len(digest)))]
    return "$".join([scheme, *map(str, numbers), *noise])


def parse_auth(auth: str) -> tuple[str, str] | None:
    """"user:password" → (user, password); "" → None; DangjianError when malformed."""
    auth = (auth or "").strip()
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise DangjianError("认证设置应为“用户名:密码”格式（--auth 或 DANGJIAN_AUTH）")
    return user, password


def read_auth_file(path: Path) -> dict[str, str]:
    """user → encoded hash, from lines "user:hash" (blank lines and # comments skipped). A byte-order
    mark (Windows Notepad writes one) is dropped: left in place it would become part of the first
    user's name, and that user could never log in. Any other line that does not parse is an error
    naming the line, never a user silently missing."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else "不是 UTF-8 文本"
        raise DangjianError(f"无法读取密码文件 {path}：{why}") from err
    users: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, encoded = line.partition(":")
        if not sep:
            raise DangjianError(f"密码文件 {path} 第{n}行缺少冒号：应为“用户名:scrypt$…”"
                                "（用 dangjian passwd 用户名 生成）")
        if user != user.strip() or any(c.isspace() or c == "\ufeff" for c in user):
            raise DangjianError(f"密码文件 {path} 第{n}行的用户名“{user.strip()}”含有空白或不可见字符")
        try:
            _parse_hash(encoded)
        except ValueError:
            raise DangjianError(f"密码文件 {path} 第{n}行格式不对：应为“用户名:scrypt$…”"
                                "或“用户名:pbkdf2_sha256$…”（用 dangjian passwd 用户名 生成）") from None
        if not user:
            raise DangjianError(f"密码文件 {path} 第{n}行缺少用户名")
        users[user] = encoded
    if not users:
        raise DangjianError(f"密码文件 {path} 中没有任何用户")
    return users


def credentials_for(auth: str = "", auth_file: Path | None = None) -> Credentials:
    """The users of DANGJIAN_AUTH (or --auth) and DANGJIAN_AUTH_FILE together; empty = no login."""
    creds = Credentials()
    if (pair := parse_auth(auth)) is not None:
        creds.plain[pair[0]] = pair[1]
    if auth_file is not None:
        creds.hashed.update(read_auth_file(auth_file))
    return creds


def auth_line(user: str, password: str, *, scheme: str = "scrypt") -> str:
    """One line of the auth file; DangjianError for a user name the file format cannot hold."""
    if not user or ":" in user or any(c.isspace() for c in user) or user.startswith("#"):
        raise DangjianError("用户名不能为空，也不能含有冒号、空白或以 # 开头")
    if not password:
        raise DangjianError("密码不能为空")
    return f"{user}:{hash_password(password, scheme=scheme)}"


def with_user(text: str, user: str, line: str) -> str:
    """The auth file `text` with `user`'s line replaced by `line` (or `line` appended)."""
    text = text.removeprefix("\ufeff")  # a BOM would hide the first user's line from the comparison
    lines = [x for x in text.splitlines() if x.strip().partition(":")[0] != user]
    return "\n".join([*lines, line]) + "\n"


# -- throttling -----------------------------------------------------------------------------------


@dataclass
class _Count:
    failures: int = 0
    until: float = 0.0  # must wait until then (the clock's time)


def _backoff(failures: int, free: int) -> float:
    over = failures - free
    return 0.0 if over <= 0 else min(MAX_WAIT_S, 2.0 ** (over - 1))


class Throttle:
    """Failed logins per address and per user name, with exponential backoff (see the module doc).

    Failures are kept per (address, user) pair, so a success can forgive exactly its own pair; the
    address's and the user's totals are the sums the waits are computed from."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._pairs: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._addresses: dict[str, _Count] = {}
        self._users: dict[str, _Count] = {}
        self._known: OrderedDict[tuple[str, str], None] = OrderedDict()  # logged in from there before
        self._lock = threading.Lock()

    def wait_s(self, address: str, user: str = "") -> float:
        """Seconds an attempt from `address` (as `user`, when given) must wait (0 = may try now)."""
        with self._lock:
            return self._wait(address, user)

    def _wait(self, address: str, user: str) -> float:
        until = self._addresses.get(address, _Count()).until
        if user and (address, user) not in self._known:
            until = max(until, self._users.get(user, _Count()).until)
        return max(0.0, until - self.clock())

    def attempt(self, address: str, user: str) -> float:
        """Before a password is checked: 0.0, with the attempt already counted as a failure (a
        success takes it back), or the seconds to wait, with nothing counted. One step under the
        lock, so of many concurrent attempts only those within the limit get checked."""
        with self._lock:
            wait = self._wait(address, user)
            if wait == 0.0:
                self._fail(address, user)
            return wait

    def failure(self, address: str, user: str = "") -> float:
        """Count one failed attempt → the wait it starts for `address` or `user` (the longer)."""
        with self._lock:
            return self._fail(address, user)

    def _fail(self, address: str, user: str) -> float:
        now, pair = self.clock(), (address, user)
        before = self._pairs.pop(pair, 0)
        self._pairs[pair] = before + 1
        waits = [0.0]
        for counts, key, free, share in self._totals(address, user):
            if before >= share:  # this address has had its say about this user
                continue
            count = counts.setdefault(key, _Count())
            count.failures += 1
            wait = _backoff(count.failures, free)
            count.until = max(count.until, now + wait) if wait else count.until
            waits.append(wait)
        while len(self._pairs) > MAX_CLIENTS:
            self._forgive(*self._pairs.popitem(last=False))
        return max(waits)

    def _totals(self, address: str, user: str) -> list[tuple[dict[str, _Count], str, int, float]]:
        """The totals an attempt counts toward — its address's, and its user's when it named one —
        with how many failures of one (address, user) pair each takes. A user name's total takes at
        most FREE_FAILURES from each address: one address, however long it guesses, cannot lock the
        user out everywhere (it is held back by its own address total); many addresses can."""
        out: list[tuple[dict[str, _Count], str, int, float]] = [
            (self._addresses, address, FREE_FAILURES, math.inf)]
        return [*out, (self._users, user, USER_FREE_FAILURES, FREE_FAILURES)] if user else out

    def _forgive(self, pair: tuple[str, str], failures: int) -> None:
        """Take `failures` of `pair` off its address's and user's totals; a total back within its free
        failures waits no more (a right password typed after a few wrong ones is not held up)."""
        now = self.clock()
        for counts, key, free, share in self._totals(*pair):
            count = counts.get(key)
            if count is None:
                continue
            count.failures = max(0, count.failures - int(min(failures, share)))
            if count.failures <= free:
                count.until = 0.0
            if count.failures == 0 and count.until <= now:
                del counts[key]

    def success(self, address: str, user: str = "") -> None:
        """`user` logged in from `address`: that pair's failures are forgiven (other users' failures
        from the address, and this user's from other addresses, stay counted), and a lock on the
        user name no longer holds the user back at this address."""
        pair = (address, user)
        with self._lock:
            failures = self._pairs.pop(pair, 0)
            if failures:
                self._forgive(pair, failures)
            if user:
                self._known[pair] = None
                self._known.move_to_end(pair)
                while len(self._known) > MAX_CLIENTS:
                    self._known.popitem(last=False)


# -- the middleware -------------------------------------------------------------------------------


def _basic(scope: Scope) -> tuple[str, str] | None:
    """(user, password) from the Authorization header; None when absent or not Basic."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _sep, token = value.partition(b" ")
            if scheme.lower() != b"basic":
                return None
            try:
                decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
                user, sep, password = decoded.partition(":")
            except (binascii.Error, ValueError):
                return ("", "")  # present but unreadable: a failed attempt
            return (user, password) if sep else ("", "")
    return None


async def send_json(send: Send, status: int, body: dict[str, Any],
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *headers]})
    await send({"type": "http.response.body", "body": data})


class BasicAuth:
    """ASGI middleware: every HTTP and websocket request needs valid credentials (but OPEN_PATHS)."""

    def __init__(self, app: ASGIApp, credentials: Credentials, throttle: Throttle | None = None) -> None:
        self.app = app
        self.credentials = credentials
        self.throttle = throttle or Throttle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("path") == LOGOUT_PATH:
            await self._logout(scope, send)
            return
        client = str((scope.get("client") or ("?", 0))[0])  # the real client: ui.origin.ClientAddress
        given = _basic(scope)
        user = given[0] if given is not None else ""
        # a locked address (or user name) is refused even the right password: otherwise the
        # answer would tell a guesser when a guess was right
        wait = self.throttle.wait_s(client, user)
        if wait == 0.0 and given is not None and not self.credentials.remembered(*given):
            wait = self.throttle.attempt(client, user)  # counted before the (slow) check
            if wait == 0.0 and not await anyio.to_thread.run_sync(self.credentials.check, *given):
                await self._refuse(scope, send, 401, WRONG_LOGIN, [(b"www-authenticate", REALM.encode())])
                return
        if wait > 0:
            await self._refuse(scope, send, 429, f"登录失败次数过多，请 {int(wait) + 1} 秒后再试",
                               [(b"retry-after", str(int(wait) + 1).encode())])
            return
        if given is None:
            await self._refuse(scope, send, 401, LOGIN_NEEDED, [(b"www-authenticate", REALM.encode())])
            return
        self.throttle.success(client, user)
        scope[USER_SCOPE_KEY] = user
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, message: str,
                      headers: list[tuple[bytes, bytes]]) -> None:
        """The refusal: JSON for API clients and the page's own requests, a page in Chinese for a
        browser's page load (what a person sees after cancelling the login box)."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if wants_html(scope.get("headers", ())):
            kind = "wait" if status == 429 else "wrong" if message == WRONG_LOGIN else "login"
            body = refusal_page(kind, _home(scope), message if status == 429 else "")
            await send_html(send, status, body, headers)
            return
        await send_json(send, status, {"error": message}, headers)

    @staticmethod
    async def _logout(scope: Scope, send: Send) -> None:
        """LOGOUT_PATH (see `ui.login_page`): any credentials → 401 with the realm, neither checked
        nor counted as a failed login, so the browser forgets them; none → the 已退出 page. A page
        load from another site is refused (403): a foreign page must not log our users out."""
        if str(scope.get("method", "GET")).upper() not in ("GET", "HEAD"):
            await send_json(send, 405, {"error": "退出登录请用 GET"})
            return
        site = (_header(scope, b"sec-fetch-site") or "").strip().lower()
        html = wants_html(scope.get("headers", ()))
        if site not in SAFE_SITES:
            if html:
                await send_html(send, 403, refusal_page("cross", _home(scope)))
            else:
                await send_json(send, 403, {"error": LOGOUT_CROSS_SITE})
            return
        if _basic(scope) is not None:
            challenge = [(b"www-authenticate", REALM.encode())]
            if html:
                await send_html(send, 401, logged_out_page(_home(scope)), challenge)
            else:
                await send_json(send, 401, {"error": LOGGED_OUT}, challenge)
            return
        if html:
            await send_html(send, 200, logged_out_page(_home(scope)))
        else:
            await send_json(send, 200, {"status": LOGGED_OUT})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _home(scope: Scope) -> str:
    """The page's address on this server (under a proxy's root path, when there is one)."""
    return str(scope.get("root_path", "")).rstrip("/") + "/"


async def send_html(send: Send, status: int, body: bytes,
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": body})
