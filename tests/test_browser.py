"""The page in headless Chromium: ask, follow the citation to the side panel, ask a follow-up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
DOC = "dongzhi-2025-3"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            pg.set_default_timeout(20_000)
            pg.goto(base_url + "/")
            pg.wait_for_selector("#dj-question textarea")
            yield pg
        finally:
            browser.close()


def ask(page: Any, question: str, turn: int) -> Any:
    box = page.locator("#dj-question textarea")
    box.fill(question)
    box.press("Enter")
    answer = page.locator(f".dj-turn[data-turn='{turn}'] .dj-a")
    answer.wait_for()
    return answer


def test_ask_cite_panel_follow_up(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    answer = ask(page, "第8条要求什么？", 0)
    expect(answer.locator("a.dj-cite").first).to_have_text("〔第8条〕")
    expect(answer.locator(".dj-sources")).to_contain_text("深化“四强”党支部建设")

    # follow-up resolves against the history
    answer2 = ask(page, "那第9条呢？", 1)
    expect(answer2.locator("a.dj-cite").first).to_have_text("〔第9条〕")
    expect(answer2).to_contain_text("第9条 加强党员教育管理监督")
    panel = page.locator("#dj-panel")
    expect(panel.locator(".dj-unit-h")).to_have_text("第9条 加强党员教育管理监督")

    # clicking the first answer's citation marker brings item 8 back into the side panel
    answer.locator("a.dj-cite").first.click()
    expect(panel.locator(".dj-unit-h")).to_have_text("第8条 深化“四强”党支部建设")
    expect(panel.locator("mark")).to_have_count(5)
    expect(panel.locator("mark").first).to_contain_text("根据党组织隶属关系")
    # ... and so does the 来源 entry of the second answer, for item 9
    answer2.locator("a.dj-src").first.click()
    expect(panel.locator(".dj-unit-h")).to_have_text("第9条 加强党员教育管理监督")
    expect(panel.locator("mark")).to_have_count(6)

    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    assert (tmp_path / "chat.png").stat().st_size > 10_000


def test_escaping_and_abstention_in_page(page: Any) -> None:
    from playwright.sync_api import expect

    answer = ask(page, "<img src=x onerror=\"document.title='pwned'\">今天天气怎么样？", 2)
    expect(answer).to_have_class("dj-a dj-abstain")
    bubble = page.locator(".dj-turn[data-turn='2'] .dj-bubble")
    expect(bubble).to_contain_text("<img src=x")
    assert page.title() != "pwned"
    assert page.locator(".dj-turn[data-turn='2'] img").count() == 0
    # a suggestion chip asks its question in one click
    chip = answer.locator("button.dj-chip").first
    question = chip.inner_text()
    chip.click()
    follow = page.locator(".dj-turn[data-turn='3']")
    expect(follow.locator(".dj-bubble")).to_have_text(question)
    expect(follow.locator("a.dj-cite").first).to_be_visible()


def test_catalog_ask_about_item(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="目录").click()
    page.locator(f"a.dj-tree-item[data-key='{DOC}#12']").click()
    expect(page.locator("#dj-item .dj-unit-h")).to_have_text("第12条 不断激发干事创业精气神")
    page.locator("#dj-ask-item").click()
    last = page.locator(".dj-turn[data-turn='4']")
    expect(last.locator(".dj-bubble")).to_have_text("第12条要求什么？")
    expect(last.locator("a.dj-cite").first).to_have_text("〔第12条〕")
