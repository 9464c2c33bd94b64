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
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, url: str) -> Any:
    pg = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    pg.set_default_timeout(20_000)
    pg.goto(url + "/")
    pg.wait_for_selector("#dj-question textarea")
    return pg


@pytest.fixture(scope="module")
def page(browser: Any, base_url: str) -> Iterator[Any]:
    pg = open_page(browser, base_url)
    yield pg
    pg.close()


def ask(page: Any, question: str, turn: int) -> Any:
    box = page.locator("#dj-question textarea")
    box.fill(question)
    box.press("Enter")
    answer = page.locator(f".dj-turn[data-turn='{turn}'] .dj-a")
    answer.wait_for()
    return answer


def test_ask_cite_panel_follow_up(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#dj-mode")).to_be_hidden()  # no LLM configured: no 摘录/AI生成 switch
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


def test_ai_mode_answer_cite_panel(browser: Any, ui_module: Any, settings: Any, tmp_path: Path) -> None:
    """With an LLM configured: switch to AI生成, the streamed answer is labelled and its citation works."""
    from dataclasses import replace

    from fake_openai import FakeOpenAI
    from playwright.sync_api import expect

    from ui.testserver import running

    fake = FakeOpenAI().start()
    cfg = replace(settings, llm_base_url=fake.base_url, llm_model="good_8", llm_timeout_s=3)
    app = ui_module.create_app(settings=cfg, blocks=ui_module.build_demo(cfg))
    try:
        with running(app) as url:
            pg = open_page(browser, url)
            try:
                expect(pg.locator("#dj-mode")).to_be_visible()
                expect(pg.locator("#dj-mode-hint")).to_contain_text("逐句核验")
                pg.locator("#dj-mode").get_by_text("AI生成", exact=True).click()
                answer = ask(pg, "第8条要求什么？", 0)
                done = pg.locator(".dj-turn[data-turn='0']:not(.dj-pending) .dj-a")
                expect(done.locator(".dj-ai-h")).to_have_text("AI生成，请以原文为准")
                expect(done.locator(".dj-text")).to_contain_text("一是加强分类指导")
                expect(done.locator(".dj-meta .dj-time")).to_contain_text("用时")
                cite = done.locator("a.dj-cite").first
                expect(cite).to_have_text("〔第8条〕")
                panel = pg.locator("#dj-panel")
                expect(panel.locator(".dj-unit-h")).to_have_text("第8条 深化“四强”党支部建设")
                # back in 摘录 mode a follow-up is extractive (no label) and moves the panel to item 9 ...
                pg.locator("#dj-mode").get_by_text("摘录", exact=True).click()
                follow = ask(pg, "那第9条呢？", 1)
                expect(follow.locator("a.dj-cite").first).to_have_text("〔第9条〕")
                expect(follow.locator(".dj-ai-h")).to_have_count(0)
                expect(panel.locator(".dj-unit-h")).to_have_text("第9条 加强党员教育管理监督")
                # ... and the AI answer's citation brings item 8 back, its supporting sentences marked
                cite.click()
                expect(panel.locator(".dj-unit-h")).to_have_text("第8条 深化“四强”党支部建设")
                expect(panel.locator("mark").first).to_be_visible()
                assert answer.count() == 1 and pg.locator(".dj-pending").count() == 0
                cite.scroll_into_view_if_needed()
                shot = tmp_path / "ai-answer.png"
                pg.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                if keep := os.environ.get("DJ_SCREENSHOT_DIR"):
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    (Path(keep) / shot.name).write_bytes(shot.read_bytes())
            finally:
                pg.close()
    finally:
        fake.stop()
