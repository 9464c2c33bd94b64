"""The page's own <head>: Chinese title, favicon, link-preview tags, and the light theme pinned.

Gradio's page template ships "Gradio" link-preview tags (og:title "Gradio", "Click to try out the
app!", Gradio's header image), no <title> until its JavaScript runs, lang="en", and follows the
system's dark mode. Our colours are a light palette (ui/style.py, each pair checked at ≥ 4.5:1):
under Gradio's dark theme the tab labels, 入门 and 目录 fell to 1.2–2.7:1 and the answer cards
stayed white on black. So the page is pinned to its light theme — the `theme_mode` attribute of
<gradio-app> is what Gradio's front end reads before the `?__theme=` parameter and the system
setting — and native controls are told `color-scheme: light`.

Link-preview crawlers (WeChat, DingTalk, Teams) do not run JavaScript, so Gradio's `head=`
(inserted by its front end) cannot replace the template's tags: `PageHead` rewrites the HTML of
GET / itself.

Toasts: Gradio 6.31 groups toasts by type and titles the group with the type's English name
("Warning", "Error"), ignoring gr.Warning's `title=`; its close button is labelled "Close".
`TOAST_JS` puts Chinese there as toasts appear.

In login mode the page of a logged-in user also gets the 退出 button's script (`ui.login_page`).
"""

from __future__ import annotations

import json
import re
from html import escape
from importlib import resources
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import USER_SCOPE_KEY
from .limits import holding
from .login_page import logout_js
from .runtime import APP_TITLE

DESCRIPTION = "面向党建文件的检索问答：回答逐字引用原文并注明出处，文件里没有的内容明确拒答。"
THEME_COLOR = "#b3261e"  # --dj-red: the header's bar and the favicon's ground


def favicon_path() -> Path:
    """The favicon shipped as package data ("问" drawn in strokes on red, no font needed), served
    by Gradio at /favicon.ico in place of its own logo."""
    return Path(str(resources.files("ui") / "static" / "favicon.svg"))


HEAD_TAGS = f"""
<title>{escape(APP_TITLE)}</title>
<meta name="description" content="{escape(DESCRIPTION)}" />
<meta name="robots" content="noindex" />
<meta property="og:type" content="website" />
<meta property="og:site_name" content="{escape(APP_TITLE)}" />
<meta property="og:title" content="{escape(APP_TITLE)}" />
<meta property="og:description" content="{escape(DESCRIPTION)}" />
<meta name="theme-color" content="{THEME_COLOR}" />
<meta name="color-scheme" content="light" />
<link rel="icon" href="favicon.ico" type="image/svg+xml" sizes="any" />
"""
# after the template's own style, whose dark-preference body colours show until the app has loaded
LIGHT_BODY = ("<style>@media (prefers-color-scheme: dark) "
              "{ body { background: var(--bg); color: var(--col); } }</style>\n")

# A toast's title by its type (the message says what happened), and a Chinese name for its close
# button. Gradio sets the title as a text node once per toast; a MutationObserver rewrites it.
TOAST_TITLES = {"warning": "提示", "error": "出错了", "info": "提示", "success": "完成"}
TOAST_JS = """<script>
(() => {
  const titles = TITLES;
  const toasts = document.getElementsByClassName('toast-body');
  const fix = () => { for (const t of toasts) {
    const type = Object.keys(titles).find((k) => t.classList.contains(k));
    const text = (t.querySelector('.toast-title') || {}).firstChild;
    if (type && text && text.nodeType === 3 && text.nodeValue.trim() !== titles[type])
      text.nodeValue = titles[type] + ' ';
    const close = t.querySelector('.toast-close');
    if (close && close.getAttribute('aria-label') !== '关闭') close.setAttribute('aria-label', '关闭');
  } };
  new MutationObserver(() => { if (toasts.length) fix(); })
    .observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>
""".replace("TITLES", json.dumps(TOAST_TITLES, ensure_ascii=False), 1)

# Gradio's template tags we replace: every og:* and twitter:* (they name Gradio or link its image)
_THEIR_TAGS = re.compile(r'\s*<meta\s+(?:property|name)="(?:og|twitter):[^"]*"[^>]*>', re.S)
_CHARSET = re.compile(r"<meta\s+charset=[^>]*>", re.I)


def rewrite_page(html: str, extra: str = "") -> str:
    """Gradio's page with our head: lang, title, favicon, preview tags, theme pinned to light, and
    `extra` (the 退出 script for a logged-in user) at the end of the head.
    Anchors that are missing (a future template) are skipped, never an error: tests catch them."""
    html = html.replace('lang="en"', 'lang="zh-CN"', 1)
    html = _THEIR_TAGS.sub("", html)
    charset = _CHARSET.search(html)
    at = charset.end() if charset else html.find("<head>") + len("<head>")
    html = html[:at] + HEAD_TAGS + html[at:]
    html = html.replace("</head>", LIGHT_BODY + TOAST_JS + extra + "</head>", 1)
    return html.replace("<gradio-app", '<gradio-app theme_mode="light"', 1)


class PageHead:
    """ASGI middleware: the HTML of GET / (the page, with or without a query) gets `rewrite_page`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != "/":
            await self.app(scope, receive, send)
            return
        def is_page(start: Message) -> bool:
            headers = dict(start.get("headers", []))
            return bool(start["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html"))

        async def rewrite(start: Message, page: bytes) -> None:
            # logged in (`ui.auth.BasicAuth` put the user in the scope): the page gets 退出
            extra = logout_js(str(scope.get("root_path", ""))) if scope.get(USER_SCOPE_KEY) else ""
            body = rewrite_page(page.decode("utf-8"), extra).encode("utf-8")
            kept = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*kept, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, holding(send, is_page, rewrite))
