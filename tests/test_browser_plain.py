"""A notice without numbered items in a real browser (Chromium): uploaded on the 文件 tab, answered
with 〔《…》第N段〕 markers that open the paragraph, and reachable by a shared `/?doc=…&item=N` link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_browser import CHROMIUM, ask, browser, open_page, private_server  # noqa: F401 - fixtures
from test_ui_plain import TITLE, make_docx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed"),
]


def test_plain_notice_upload_answer_and_link(browser: Any, private_server: str, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_page(browser, private_server)
    page.get_by_role("tab", name="文件").click()
    page.locator("#dj-upload input[type=file]").set_input_files(str(make_docx(tmp_path / "dangfei.docx")))
    expect(page.locator("#dj-upload").get_by_role("cell", name="dangfei.docx")).to_be_visible()
    page.locator("#dj-add").click()
    # this upload's line (an earlier upload in the same process leaves its own 'done' report on a new page)
    expect(page.locator(".dj-report")).to_contain_text("dangfei.docx：已添加", timeout=90_000)
    expect(page.locator(".dj-job[data-state='done']")).to_be_visible(timeout=90_000)
    expect(page.locator(".dj-report")).to_contain_text("（通知（按段）），9 段")
    expect(page.locator("table.dj-docs")).to_contain_text(TITLE)
    page.get_by_role("tab", name="问答").click()
    turn = ask(page, f"《{TITLE}》第3段讲什么？")
    cite = turn.locator("button.dj-cite").first
    expect(cite).to_have_text(f"〔《{TITLE}》第3段〕")
    cite.click()
    panel = page.locator("#dj-panel")
    expect(panel.locator(".dj-unit-h")).to_contain_text(f"《{TITLE}》第3段")
    expect(panel.locator(".dj-fulltext")).to_contain_text("公示时间不少于5个工作日")
    expect(panel.locator(".dj-crumbs")).to_contain_text("二、准确核定交纳基数")
    page.context.close()

    page = open_page(browser, private_server, path="/?doc=dangfei&item=4")
    expect(page.get_by_role("tab", name="目录")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#dj-item .dj-unit-h")).to_contain_text(f"《{TITLE}》第4段")
    expect(page.locator(".dj-tree-item[data-key='dangfei#4']")).to_have_attribute("aria-current", "true")
    page.context.close()
