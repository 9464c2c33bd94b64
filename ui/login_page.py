"""What a browser sees around the login (`ui.auth.BasicAuth`): the refusal pages and 退出.

A browser that cancels its login box shows the body of the 401 it got. For API clients that body is
the JSON `{"error": …}` every other refusal uses; a person looking at a browser tab would see a
line of raw JSON instead of what happened and what to do next. So a request that asks for HTML
(`Accept: text/html`, which browsers send for page loads and never for fetch/XHR) gets a small page
in Chinese — the same status and headers, no internals (no paths, commands or user names).

Logging out of HTTP Basic: the server keeps no session, the browser caches the credentials per
realm and sends them with every request, so "logout" means making the browser drop that cache.
The page's 退出 (`LOGOUT_JS`) sends an XMLHttpRequest to LOGOUT_PATH carrying deliberately wrong
credentials (`open(…, user, password)`); `BasicAuth` answers every request to that path that
carries credentials with 401 and the realm, without checking or counting them. The browser treats
the rejected credentials — the cached ones it sent first, then the wrong ones, which replace them in
the cache — as invalid and forgets them; because the XHR named its own credentials, the browser does
not open a login box for it. Then the tab goes to LOGOUT_PATH, which, asked without credentials,
answers the 已退出 page (200, no challenge): the next page load asks for the password again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape

LOGOUT_PATH = "/logout"
SAFE_SITES = frozenset({"", "same-origin", "none"})  # Sec-Fetch-Site values of our own page (or none)

_STYLE = """
body { margin: 0; background: #faf7f2; color: #1f1f1f; font: 16px/1.7 "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; }
header { border-bottom: 3px solid #b3261e; padding: 10px 20px; display: flex; align-items: center;
         gap: 10px; }
.logo { width: 34px; height: 34px; border-radius: 7px; background: #b3261e; color: #ffe58a; font-weight: 700;
        display: flex; align-items: center; justify-content: center; font-size: 20px; }
.name { font-size: 19px; font-weight: 700; color: #7f1d1d; letter-spacing: 1px; }
main { max-width: 640px; margin: 32px auto; padding: 22px 26px; background: #fff; border: 1px solid #e6ddd3;
       border-left: 4px solid #b3261e; border-radius: 8px; }
h1 { font-size: 22px; margin: 0 0 8px; color: #7f1d1d; }
h2 { font-size: 16px; margin: 18px 0 4px; }
ol { margin: 4px 0; padding-left: 1.4em; }
a.again { display: inline-block; margin-top: 16px; padding: 7px 20px; border-radius: 6px; background: #b3261e;
          color: #fff; text-decoration: none; font-weight: 700; }
@media (max-width: 680px) { main { margin: 16px 10px; padding: 16px 18px; } }
a.again:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
"""

_STEPS = ("<h2>怎样重新登录</h2><ol>"
          "<li>点击下面的“重新登录”（或按 F5 刷新）。</li>"
          "<li>在浏览器弹出的登录框中输入您的用户名和密码，点“登录”。</li>"
          "<li>没有账号或忘记了密码，请联系本系统的管理员。</li></ol>")

# status → (heading, what happened); the 429 text names the wait, so it comes from the caller
_PAGES = {
    "login": ("需要登录", "本站只对已登录的用户开放。浏览器没有提供用户名和密码"
                         "（例如在登录框中点了“取消”），所以页面没有打开。"),
    "wrong": ("用户名或密码不正确", "浏览器提供的用户名或密码没有通过核对，所以页面没有打开。"),
    "wait": ("登录失败次数过多", ""),
    "cross": ("无法从其他网站退出", "这个退出链接来自其他网站，为防止被人随意退出，本站没有执行。"
                                 "请在本站页面上点“退出”。"),
}


def wants_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request is a browser's page load (its Accept names text/html) rather than an API
    client or a page's own fetch: only those get an HTML page instead of the JSON error."""
    for key, value in headers:
        if key == b"accept":
            return b"text/html" in bytes(value).lower()
    return False


def page(title: str, body: str, home: str = "/") -> bytes:
    """A whole standalone page in the app's colours (no script, nothing loaded from elsewhere)."""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{escape(title)} - 党建文件问答</title>'
            f"<style>{_STYLE}</style></head><body>"
            f'<header><div class="logo" aria-hidden="true">党</div>'
            f'<div class="name">党建文件问答</div></header>'
            f'<main><h1>{escape(title)}</h1>{body}'
            f'<a class="again" href="{escape(home)}">重新登录</a></main></body></html>').encode()


def refusal_page(kind: str, home: str = "/", detail: str = "") -> bytes:
    """The page for a refused page load: `kind` is "login", "wrong", "wait" (with `detail`, the
    wait in words) or "cross"."""
    title, said = _PAGES[kind]
    said = detail or said
    steps = "" if kind == "cross" else _STEPS
    return page(title, f"<p>{escape(said)}</p>{steps}", home)


def logged_out_page(home: str = "/") -> bytes:
    """After 退出: what happened, and that a shared computer's browser is best closed too (a browser
    that ignores the logout technique would still hold the password)."""
    body = ("<p>您已退出登录，浏览器不再保存本站的用户名和密码，下次打开需要重新登录。</p>"
            "<p>如果这是多人共用的电脑，请再关闭全部浏览器窗口，以确保登录信息被清除。</p>")
    return page("已退出登录", body, home)


# The 退出 button, added next to the user's name in the page header (the header is rendered by the
# page's handlers and re-rendered on updates, so an observer keeps the button there). Only pages
# served to a logged-in user get this script (`ui.head.PageHead`).
LOGOUT_JS = """<script>
(() => {
  const root = ROOT;
  const add = () => {
    const head = document.querySelector('.dj-header');
    if (!head || head.querySelector('.dj-logout')) return;
    const b = document.createElement('button');
    b.type = 'button'; b.className = 'dj-act dj-logout'; b.textContent = '退出';
    b.title = '退出登录：浏览器忘记本站的用户名和密码';
    const user = head.querySelector('.dj-user');
    if (user) user.after(b); else head.appendChild(b);
  };
  new MutationObserver(add).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('click', (e) => {
    const b = e.target.closest && e.target.closest('.dj-logout');
    if (!b) return;
    b.disabled = true;
    const x = new XMLHttpRequest();
    const done = () => { location.replace(root + 'PATH'); };
    x.open('GET', root + 'PATH', true, 'logout', 'x' + Math.random().toString(36).slice(2));
    x.onloadend = done;
    x.send();
  });
})();
</script>
""".replace("PATH", LOGOUT_PATH.lstrip("/"))


def logout_js(root_path: str = "") -> str:
    """The 退出 script for a page served under `root_path` (behind a proxy's prefix, or none)."""
    root = root_path.rstrip("/") + "/"
    return LOGOUT_JS.replace("ROOT", json.dumps(root), 1)
