"""The 文件 page path for a notice without numbered items (issue #22): uploaded as Word over real
HTTP, indexed without a restart, answered with 〔《…》第N段〕 markers that open the paragraph, listed in
目录 by paragraph under its sections, and reachable by a `/?doc=…&item=N` link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import served_copy

from rag import Assistant, Settings
from rag.render import answer_json
from ui import catalog_page, documents_page, render
from ui import turns as turn_html
from ui.runtime import AppState

PLAIN = Path(__file__).resolve().parent / "data" / "plain-notice-dangfei.txt"
TITLE = "关于做好2025年党费收缴工作的通知"


def make_docx(path: Path) -> Path:
    """The plain notice as Word writes it: one paragraph per line, the body indented."""
    from docx import Document as Docx

    doc = Docx()
    for line in PLAIN.read_text(encoding="utf-8").splitlines():
        doc.add_paragraph(line)
    doc.save(str(path))
    return path


@pytest.fixture()
def private_index(tmp_path: Path, assistant: Assistant, settings: Settings) -> Iterator[AppState]:
    with served_copy(tmp_path, assistant, settings) as own:
        yield own


def test_a_plain_notice_uploaded_on_the_page_is_answered_by_paragraph(
        private_index: AppState, ui_module: Any, tmp_path: Path) -> None:
    from testserver import running

    server = private_index
    app = ui_module.build_app(server)
    upload = make_docx(tmp_path / "dangfei.docx")
    with running(app) as url:
        res = httpx.post(f"{url}/api/documents?wait=1", timeout=120, files={"files": (
            "dangfei.docx", upload.read_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
        assert res.status_code == 200, res.text
        job = res.json()
        [report] = job["report"]
        assert job["state"] == "done" and report["status"] == "ok", job
        assert f"《{TITLE}》（通知（按段）），9 段" in report["text"]
        doc_id = report["doc_id"]
        asked = httpx.post(f"{url}/api/ask", json={"question": f"《{TITLE}》第3段讲什么？"}).json()
        assert [(c["doc_id"], c["ref"]) for c in asked["citations"]] == [(doc_id, "3")] * len(asked["citations"])
        assert f"〔《{TITLE}》第3段〕" in asked["answer"]
        found = httpx.post(f"{url}/api/ask", json={"question": "上缴党费的时间要求是什么？"}).json()
        assert not found["abstained"] and found["citations"][0]["doc_id"] == doc_id
        assert found["citations"][0]["ref"] == "6" and f"〔《{TITLE}》第6段〕" in found["answer"]

    # the table of documents names the kind and counts paragraphs
    table = documents_page.docs_html(server)
    assert "通知（按段）" in table and f"《{TITLE}》" in table

    # the answer as the page draws it: the marker is a button opening the paragraph, 来源 names it
    ans = server.ask(f"《{TITLE}》第3段讲什么？")
    html = turn_html.render_turn(server, {"question": ans.question, "answer": answer_json(ans), "vote": None}, 0)
    cite = re.search(rf'<button type="button" class="dj-cite" data-action="source" data-turn="0" '
                     rf'data-key="{doc_id}#3"[^>]*>〔《{TITLE}》第3段〕</button>', html)
    assert cite is not None, html
    assert re.search(rf'data-key="{doc_id}#3"><b>《{TITLE}》第3段</b> 在职党员以每月工资总额', html)
    panel = render.unit_panel(server, f"{doc_id}#3", [ans.citations[0].quote])
    assert f"《{TITLE}》第3段 在职党员以每月工资总额" in panel and "<mark>" in panel
    assert "二、准确核定交纳基数" in panel  # its section in the breadcrumbs

    # 目录: the paragraphs under their sections, counted in 段; a shared link opens one
    assert (f"{TITLE}（9段）", doc_id) in catalog_page.doc_choices(server)
    tree = catalog_page.tree_html(server, doc_id)
    assert tree.index("为进一步加强和规范党费收缴") < tree.index("一、提高思想认识") < tree.index("四、加强监督检查")
    assert tree.index("四、加强监督检查") < tree.index("落款")  # the 落款 after the body, not above it
    assert f'data-key="{doc_id}#3"' in tree and 'aria-label="第3段 在职党员以每月工资总额' in tree
    assert catalog_page.link_key(server, "3", doc_id) == f"{doc_id}#3" and catalog_page.link_key(server, "10", doc_id) == ""
    section = catalog_page.section_view(server, f"{doc_id}#section:2")
    assert "本部分共 2 段" in section and "<b>第3段</b>" in section
    view, key, button = catalog_page.show_item(server, f"{doc_id}#3")
    assert key == f"{doc_id}#3" and f"《{TITLE}》第3段" in view
    assert button["value"] == f"就此条提问：《{TITLE}》第3段要求什么？"
    again = server.ask(button["value"].split("：", 1)[1])  # 就此条提问 asks by paragraph, and is answered
    assert not again.abstained and {c.ref for c in again.citations} == {"3"}


def test_the_catalog_tree_keeps_document_order_with_and_without_sections() -> None:
    """A plain notice's opening paragraph above its sections and its 落款 below them; a document
    without sections lists its unnumbered units, then 其他条目 (as before)."""
    from dataclasses import replace

    from rag import kinds
    from rag.records import DocMeta

    doc = kinds.parse(PLAIN.read_text(encoding="utf-8"), DocMeta(doc_id="p", title=TITLE, kind="plain"))
    groups = [(heading, [u.ref for u in units]) for _key, heading, units in catalog_page._groups(doc)]
    assert groups == [("", ["header", "1"]), ("一、提高思想认识", ["2"]), ("二、准确核定交纳基数", ["3", "4"]),
                      ("三、规范收缴程序", ["5", "6"]), ("四、加强监督检查", ["7", "8", "9"]), ("", ["closing"])]
    flat = replace(doc, sections=())
    groups = [(heading, [u.ref for u in units]) for _key, heading, units in catalog_page._groups(flat)]
    assert groups == [("", ["header", "closing"]), ("其他条目", [str(n) for n in range(1, 10)])]
