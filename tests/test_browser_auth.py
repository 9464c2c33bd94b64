"""The page behind a login, in headless Chromium: two users with HTTP Basic credentials each see
only their own saved conversations, and only the admin gets the 文件 tab; without credentials the
browser gets nothing but the 401."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_browser import ARGS, CHROMIUM, ask  # the same Chromium, flags and way of asking

USERS = {"alice": "s3cret-甲", "bob": "s3cret-乙"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture()
def login_server(ui_module: Any, assistant: Any, settings: Any, tmp_path: Path) -> Iterator[str]:
    """The app with two users (alice the admin) and its own conversation store."""
    from testserver import running

    from ui.auth import Credentials
    from ui.runtime import AppState

    own = AppState(replace(settings, data_dir=tmp_path / "data", admins=("alice",)), assistant)
    with running(ui_module.build_app(own, auth=Credentials(plain=dict(USERS)))) as url:
        yield url


def _page(browser: Any, url: str, user: str | None) -> Any:
    creds = {"username": user, "password": USERS[user]} if user else None
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", http_credentials=creds)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return page


def test_each_user_sees_only_their_conversations_and_only_the_admin_manages(login_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            anonymous = _page(browser, login_server, None)
            response = anonymous.request.get(login_server + "/")  # (navigating would end in a login prompt)
            assert response.status == 401 and "需要登录" in response.text()
            assert response.headers["www-authenticate"].startswith("Basic")

            alice = _page(browser, login_server, "alice")
            alice.goto(login_server + "/")
            alice.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")
            answer = ask(alice, "第8条要求什么？")
            expect(answer.locator("button.dj-cite").first).to_have_text("〔第8条〕")
            expect(alice.locator(".dj-conv")).to_have_count(1)
            expect(alice.get_by_role("tab", name="文件")).to_have_count(1)  # alice is the admin

            bob = _page(browser, login_server, "bob")
            bob.goto(login_server + "/")
            bob.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")
            expect(bob.locator(".dj-conv")).to_have_count(0)  # alice's conversation is not his
            expect(bob.get_by_role("tab", name="文件")).to_have_count(0)
            ask(bob, "党章第三十二条怎么说")
            expect(bob.locator(".dj-conv")).to_have_count(1)
            alice.reload()
            alice.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")
            expect(alice.locator(".dj-conv")).to_have_count(1)  # still only her own
            expect(alice.locator(".dj-conv-title")).to_contain_text("第8条")
        finally:
            browser.close()


def cancel_login_boxes(page: Any) -> None:
    """Answer every login box the browser would open with 取消, as a person who has no password
    would: through the DevTools protocol, since headless Chromium has no box to click (and by
    default turns the challenge into a network error instead of showing the page's 401 body)."""
    cdp = page.context.new_cdp_session(page)
    cdp.on("Fetch.requestPaused", lambda e: cdp.send("Fetch.continueRequest", {"requestId": e["requestId"]}))
    cdp.on("Fetch.authRequired", lambda e: cdp.send("Fetch.continueWithAuth", {
        "requestId": e["requestId"], "authChallengeResponse": {"response": "CancelAuth"}}))
    cdp.send("Fetch.enable", {"handleAuthRequests": True, "patterns": [{"urlPattern": "*"}]})


def test_logout_makes_the_browser_ask_for_the_password_again(ui_module: Any, assistant: Any, settings: Any,
                                                             tmp_path: Path) -> None:
    """退出 really drops the browser's cached credentials: Chromium's own HTTP auth cache is filled by
    a login (a URL with the user in it, as the login box would), then after 退出 the page's own
    requests and the next page load are refused and the tab shows the Chinese pages, not JSON.
    (Playwright's `http_credentials` would answer every challenge itself, so it is not used here.)"""
    from playwright.sync_api import expect, sync_playwright
    from testserver import running

    from ui.auth import Credentials
    from ui.runtime import AppState

    own = AppState(replace(settings, data_dir=tmp_path / "data", admins=("carol",)), assistant)
    status = "() => fetch('/api/conversations').then(r => r.status)"
    app = ui_module.build_app(own, auth=Credentials(plain={"carol": "pw-carol-7"}))
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
            page.set_default_timeout(60_000)
            cancel_login_boxes(page)
            cancelled = page.goto(url + "/")  # no credentials: what the tab shows after 取消
            assert cancelled is not None and cancelled.status == 401
            expect(page.locator("h1")).to_have_text("需要登录")
            expect(page.get_by_role("link", name="重新登录")).to_be_visible()
            assert '"error"' not in page.content()
            page.goto(url.replace("http://", "http://carol:pw-carol-7@") + "/healthz")  # the login
            page.goto(url + "/")
            page.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")
            assert page.evaluate(status) == 200
            logout = page.get_by_role("button", name="退出")
            expect(logout).to_be_visible()
            expect(page.locator(".dj-header .dj-user")).to_have_text("carol")
            logout.click()
            page.wait_for_url("**/logout")
            expect(page.locator("h1")).to_have_text("已退出登录")
            assert page.evaluate(status) == 401  # the browser no longer sends the password
            again = page.goto(url + "/")
            assert again is not None and again.status == 401
            assert again.headers["www-authenticate"].startswith("Basic")
            expect(page.locator("h1")).to_have_text("需要登录")
        finally:
            browser.close()
