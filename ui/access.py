"""Who is asking, and may they manage documents: the one place the page and its API decide it.

    owner_of(request)                → "user:张三" (logged in) | "visitor:<random id>" | None
    can_manage(request, settings)    → may this request see the 文件 tab / change the corpus?

With --auth, a conversation belongs to the logged-in user: Gradio's login (`request.username`) on
the page, HTTP Basic on the JSON routes (`trust_basic=True`, only where the app's auth guard has
already checked the password). Without auth it belongs to the browser: a random id in an HttpOnly
cookie that `GET /api/session` sets (`ui/office_api.py`). Managing documents needs an admin user
(`DANGJIAN_ADMINS`; when unset, any logged-in user — today --auth names exactly one) or, without
auth, a request that both arrives on and comes from a loopback address.

Coupling for the lead: when auth moves (the hardening branch), re-point `_user` here only.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import secrets
from typing import Any

from rag.config import Settings

VISITOR_COOKIE = "dj_visitor"
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)


def _basic_user(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, _password = decoded.partition(":")
    return user if sep and user else None


def _user(request: Any, *, trust_basic: bool) -> str | None:
    """The logged-in user: Gradio's session user, or (behind the API guard) the Basic user."""
    user = getattr(request, "username", None)
    if isinstance(user, str) and user:
        return user
    if trust_basic:
        return _basic_user(request.headers.get("authorization"))
    return None


def visitor_of(request: Any) -> str | None:
    """The browser's random id from its cookie, when well-formed."""
    cookies = getattr(request, "cookies", None) or {}
    value = cookies.get(VISITOR_COOKIE, "")
    return value if _VISITOR_ID.fullmatch(value or "") else None


def owner_of(request: Any, *, trust_basic: bool = False) -> str | None:
    """Whose conversations this request sees; None when it carries no identity at all."""
    if request is None:
        return None
    user = _user(request, trust_basic=trust_basic)
    if user:
        return f"user:{user}"
    visitor = visitor_of(request)
    return f"visitor:{visitor}" if visitor else None


def _loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return str(host) == "localhost"


def _hosts(request: Any) -> tuple[object, object]:
    """(client host, server host) of a starlette Request or a gr.Request."""
    inner = getattr(request, "request", None) or request
    scope = getattr(inner, "scope", None) or {}
    client = scope.get("client") or (getattr(getattr(request, "client", None), "host", None),)
    server = scope.get("server") or (None,)
    return client[0], server[0]


def can_manage(request: Any, settings: Settings, *, trust_basic: bool = False) -> bool:
    """Admins with --auth; without auth only a loopback client of a loopback server."""
    if request is None:
        return False
    user = _user(request, trust_basic=trust_basic)
    if user:
        return not settings.admins or user in settings.admins
    client, server = _hosts(request)
    return _loopback(client) and _loopback(server)
