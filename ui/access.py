"""Who is asking, and may they manage documents: the one place the page and its API decide it.

    owner_of(request)                → "user:张三" (logged in) | "visitor:<random id>" | None
    can_manage(request, settings)    → may this request see the 文件 tab / change the corpus?

With --auth, a conversation belongs to the logged-in user: `ui.auth.BasicAuth` checks every request
(page, queue and JSON routes alike) and records the user in the request's scope. Without auth it
belongs to the browser: a random id in an HttpOnly cookie that `GET /api/session` sets
(`ui/office_api.py`). Managing documents needs an admin user (`DANGJIAN_ADMINS`; with a single
configured user, `serve` makes that user the admin; with several and none named, nobody) or, without
auth, a request that both arrives on and comes from a loopback address and did not pass through a
proxy (`ui.origin.ClientAddress` marks forwarding headers from a peer that is not a trusted proxy:
a local reverse proxy would otherwise make every remote visitor look local).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Any

from rag.config import Settings

from .auth import USER_SCOPE_KEY
from .origin import PROXIED_SCOPE_KEY

VISITOR_COOKIE = "dj_visitor"
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)


def _user(request: Any) -> str | None:
    """The logged-in user, as `ui.auth.BasicAuth` recorded it in the request's scope after checking
    the password (a Basic header alone proves nothing: without --auth nobody checks it)."""
    inner = getattr(request, "request", None) or request
    scope = getattr(inner, "scope", None) or {}
    user = scope.get(USER_SCOPE_KEY)
    return user if isinstance(user, str) and user else None


def visitor_of(request: Any) -> str | None:
    """The browser's random id from its cookie, when well-formed."""
    cookies = getattr(request, "cookies", None) or {}
    value = cookies.get(VISITOR_COOKIE, "")
    return value if _VISITOR_ID.fullmatch(value or "") else None


def owner_of(request: Any) -> str | None:
    """Whose conversations this request sees; None when it carries no identity at all."""
    if request is None:
        return None
    user = _user(request)
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


def can_manage(request: Any, settings: Settings) -> bool:
    """Admins with --auth (`DANGJIAN_ADMINS`; `serve` names the only user when there is exactly one);
    without auth only a loopback client of a loopback server."""
    if request is None:
        return False
    user = _user(request)
    if user:
        return user in settings.admins
    client, server = _hosts(request)
    inner = getattr(request, "request", None) or request
    proxied = bool((getattr(inner, "scope", None) or {}).get(PROXIED_SCOPE_KEY))
    return _loopback(client) and _loopback(server) and not proxied
