"""Where a request comes from: the client's real address, and whether a browser sent it from our
own page. Two ASGI middlewares, outermost in `ui.api.create_app`:

`ClientAddress` — the address every later layer sees in `scope["client"]` (login throttling in
`ui.auth`, the loopback rule for managing documents in `ui.access`, Gradio's `request.client`).
It is the TCP peer, unless the peer is a reverse proxy named in `DANGJIAN_TRUSTED_PROXIES`
(IPs or CIDRs, comma-separated; default none): then the right-most X-Forwarded-For entry that is
not itself a trusted proxy, and X-Forwarded-Proto / X-Forwarded-Host give the page's own origin.
Anybody can write an X-Forwarded-For header, so from any other peer it is ignored — a client
cannot escape throttling by inventing a new address per guess. (`serve` runs uvicorn with
`proxy_headers=False`: uvicorn's own rewriting would trust 127.0.0.1 by default.) A request that
carries forwarding headers from an untrusted peer is marked `PROXIED_SCOPE_KEY`: it passed through
some proxy, so it is not "from this machine" even when the peer is a loopback address.

`SameOrigin` — cross-site request forgery. A page on another origin, open in the administrator's
browser, can POST a multipart form to /api/documents (a "simple" request: no CORS preflight), and
the browser attaches the cached Basic credentials or the visitor cookie. Every request that can
change state (any method but GET/HEAD, and every websocket handshake — Gradio's queue joins,
uploads and votes are POSTs too) must show it came from our own page. CORS preflights (OPTIONS)
are included: Gradio's own CORS layer approves credentialed requests from any "localhost" origin
(and from every origin when the server is reached by another host name), so a foreign page could
otherwise send JSON to /gradio_api/queue/join and start the 文件 tab's add or remove handler.

    Sec-Fetch-Site present       "same-origin" or "none" (typed address, bookmark) → allowed;
                                 "same-site" (another port or subdomain) or "cross-site" → 403.
                                 Browsers set it and pages cannot forge it; proxies leave it alone.
    else Origin present          must equal this server's scheme://host[:port] → else 403
                                 ("null", from sandboxed frames and file:, is not our origin)
    neither                      allowed: not a browser (curl, scripts, the CLI, API clients),
                                 or one too old to send either; such a client sends what its user
                                 chose, and a forged cross-site request always carries one of them
                                 in every browser since 2020.

The refusal is {"error": "拒绝跨站请求：…"} with status 403, like the API's other errors.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from rag.errors import DangjianError

from .auth import ASGIApp, Receive, Scope, Send, send_json

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
PEER_SCOPE_KEY = "dangjian.peer"  # the TCP peer, kept when `client` is replaced by the forwarded address
PROXIED_SCOPE_KEY = "dangjian.proxied"  # forwarding headers from an untrusted peer (ui/access.py reads it)
FORWARD_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
SAFE_METHODS = frozenset({"GET", "HEAD"})
CROSS_SITE = "拒绝跨站请求：只接受本站网页发出的修改操作（{why}）"
DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """"10.0.0.1", "10.0.0.0/8", "::1" → networks; DangjianError naming an entry that is neither."""
    out: list[IPNetwork] = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise DangjianError(f"DANGJIAN_TRUSTED_PROXIES 中的“{entry.strip()}”不是 IP 地址或网段"
                                "（例如 127.0.0.1、10.0.0.0/8，用逗号分隔）") from None
    return tuple(out)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _last(value: str | None) -> str:
    """The right-most entry of a comma-separated header (the one the nearest proxy wrote)."""
    return (value or "").rsplit(",", 1)[-1].strip()


class Proxies:
    """The reverse proxies whose forwarding headers are believed."""

    def __init__(self, networks: Sequence[IPNetwork] = ()) -> None:
        self.networks = tuple(networks)

    def trusted(self, host: object) -> bool:
        if not self.networks:
            return False
        try:
            address = ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: walking X-Forwarded-For from the right (entries appended by our
        proxies), the first that is not a trusted proxy; the peer when it is not one of them."""
        if not self.trusted(peer) or not forwarded_for:
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusted(hop):
                return hop[:64]
        return hops[0][:64] if hops else peer


class ClientAddress:
    """ASGI middleware: `scope["client"]` becomes the real client's address (see the module doc)."""

    def __init__(self, app: ASGIApp, proxies: Proxies | None = None) -> None:
        self.app = app
        self.proxies = proxies or Proxies()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer, port = scope.get("client") or ("", 0)
            scope[PEER_SCOPE_KEY] = peer
            if self.proxies.trusted(peer):
                scope["client"] = (self.proxies.client(str(peer), _header(scope, b"x-forwarded-for")), port)
            elif any(_header(scope, name) is not None for name in FORWARD_HEADERS):
                scope[PROXIED_SCOPE_KEY] = True
        await self.app(scope, receive, send)


def _origin_of(text: str) -> tuple[str, str, int] | None:
    """"https://Host:8443" → ("https", "host", 8443); None when it is not scheme://host[:port]."""
    scheme, sep, rest = text.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in DEFAULT_PORTS or not rest or "/" in rest:
        return None
    return _host_port(rest, scheme)


def _host_port(host: str, scheme: str) -> tuple[str, str, int] | None:
    host = host.strip().lower()
    name, port = host, DEFAULT_PORTS[scheme]
    if host.startswith("["):  # [::1]:7860
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1:]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                return None
            port = int(rest[1:])
    elif ":" in host:
        name, _sep, number = host.rpartition(":")
        if not number.isdigit():
            return None
        port = int(number)
    return (scheme, name, port) if name else None


class SameOrigin:
    """ASGI middleware: a state-changing request from another origin is refused (see the module doc)."""

    def __init__(self, app: ASGIApp, proxies: Proxies | None = None) -> None:
        self.app = app
        self.proxies = proxies or Proxies()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        why = self.refusal(scope)
        if why is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await send_json(send, 403, {"error": CROSS_SITE.format(why=why)})

    def own_origin(self, scope: Scope) -> tuple[str, str, int] | None:
        """This server's origin as the browser sees it: the Host header and the connection's scheme,
        or what a trusted proxy forwarded."""
        scheme = str(scope.get("scheme", "http"))
        scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        host = _header(scope, b"host")
        if self.proxies.trusted(scope.get(PEER_SCOPE_KEY, (scope.get("client") or ("",))[0])):
            scheme = _last(_header(scope, b"x-forwarded-proto")).lower() or scheme
            host = _last(_header(scope, b"x-forwarded-host")) or host
        if scheme not in DEFAULT_PORTS or not host:
            return None
        return _host_port(host, scheme)

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None when it may go on."""
        if scope["type"] == "http" and str(scope.get("method", "GET")).upper() in SAFE_METHODS:
            return None
        if scope["type"] not in ("http", "websocket"):
            return None
        site = (_header(scope, b"sec-fetch-site") or "").strip().lower()
        if site:
            if site in ("same-origin", "none"):
                return None
            return "请求来自其他网站" if site == "cross-site" else "请求来自本站以外的其他地址或端口"
        origin = _header(scope, b"origin")
        if origin is None:
            return None
        theirs = _origin_of(origin)
        if theirs is None or theirs != self.own_origin(scope):
            return f"来源 {origin.strip()[:100] or '（空）'} 与本站地址不符"
        return None
