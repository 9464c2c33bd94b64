"""The office side of the web UI (the conversation store itself: tests/test_db.py): who owns what, the JSON routes (real
HTTP), exports, and adding/removing documents while the server keeps answering."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import served_copy

from rag import Assistant, Settings
from rag.db import Database, conversations, open_database
from rag.errors import DangjianError
from ui.access import VISITOR_COOKIE, can_manage, owner_of
from ui.auth import USER_SCOPE_KEY
from ui.runtime import AppState

DOC = "dongzhi-2025-3"
TITLE = "机关党员志愿服务积分管理办法"
ARTICLES = (
    "第一条 为规范机关党员志愿服务积分管理，制定本办法。",
    "第二条 本办法适用于市直机关各级党组织及其党员。",
    "第三条 党员志愿服务积分每半年公示一次，公示期为五个工作日。",
    "第四条 志愿服务积分作为评先评优的参考依据。",
    "第五条 本办法自印发之日起施行。",
)


class Req:
    """A request as ui.access reads it."""

    def __init__(self, *, user: str | None = None, visitor: str | None = None, basic: str | None = None,
                 client: str = "127.0.0.1", server: str = "127.0.0.1") -> None:
        self.cookies = {VISITOR_COOKIE: visitor} if visitor else {}
        self.headers = {"authorization": basic} if basic else {}
        self.scope: dict[str, Any] = {"client": (client, 1), "server": (server, 7860)}
        if user:  # what ui.auth.BasicAuth records once the password is checked
            self.scope[USER_SCOPE_KEY] = user


def make_docx(path: Path) -> Path:
    """A small regulation as Word: the upload the document tab and the API take."""
    from docx import Document as Docx

    doc = Docx()
    doc.add_paragraph(TITLE)
    for article in ARTICLES:
        doc.add_paragraph(article)
    doc.save(str(path))
    return path


# -- store and access --------------------------------------------------------------------------------


def test_a_full_conversation_tells_the_page_to_start_a_new_one(tmp_path: Path, server: AppState,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import chat

    own = replace(server.settings, data_dir=tmp_path / "data")
    served = AppState(own, server.assistant())
    monkeypatch.setattr(conversations, "store_for", lambda s: conversations.Store(open_database(s), max_turns=2))
    request = Req(visitor="v" * 20)
    turns = [{"question": f"问{i}"} for i in range(3)]
    cid, warning = chat.save_turn(served, turns[:1], "", request)
    assert warning == "" and chat.save_turn(served, turns[:2], cid, request) == (cid, "")
    same, warning = chat.save_turn(served, turns, cid, request)  # the third answer: over the limit of 2
    assert same == cid and "达到上限" in warning and "新对话" in warning
    conv = conversations.store_for(own).get(f"visitor:{'v' * 20}", cid)
    assert conv is not None and len(conv.turns) == 2


def test_store_errors_are_chinese(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(DangjianError, match="无法读写数据库"):
        conversations.Store(Database(f"sqlite:///{tmp_path / 'file' / 'c.sqlite3'}")).list("visitor:a")


def test_owner_and_manage_rules(settings: Settings) -> None:
    import base64

    basic = "Basic " + base64.b64encode("张三:pw".encode()).decode()
    assert owner_of(Req(user="张三")) == "user:张三"
    assert owner_of(Req(basic=basic)) is None  # an unchecked Authorization header names nobody
    assert owner_of(Req(visitor="v" * 24)) == f"visitor:{'v' * 24}"
    assert owner_of(Req(visitor="bad id!")) is None and owner_of(None) is None
    assert can_manage(Req(), settings)  # no auth, loopback both ends
    assert not can_manage(Req(client="10.1.2.3"), settings)
    assert not can_manage(Req(server="192.168.1.5"), settings)
    assert not can_manage(Req(user="张三"), settings)  # logged in, but no admins named
    assert can_manage(Req(user="张三", client="10.1.2.3"), replace(settings, admins=("张三",)))
    admins = replace(settings, admins=("李四",))
    assert not can_manage(Req(user="张三"), admins) and can_manage(Req(user="李四", client="10.0.0.9"), admins)


# -- the JSON routes over real HTTP --------------------------------------------------------------------


@pytest.fixture(scope="module")
def office_url(ui_module: Any, server: AppState) -> Iterator[str]:
    from testserver import running

    with running(ui_module.build_app(server)) as url:
        yield url


def test_session_cookie_and_conversation_routes(office_url: str, server: AppState) -> None:
    first = httpx.get(f"{office_url}/api/session")
    cookie = first.cookies.get(VISITOR_COOKIE)
    assert first.status_code == 200 and cookie and "httponly" in first.headers["set-cookie"].lower()
    again = httpx.get(f"{office_url}/api/session", cookies={VISITOR_COOKIE: cookie})
    assert VISITOR_COOKIE not in again.cookies  # an existing id is kept
    # a conversation saved by the page (the same handler) under this browser's id
    from ui import chat

    class Browser:
        username = None
        cookies = {VISITOR_COOKIE: cookie}
        headers: dict[str, str] = {}

    _t, turns, _p, _b, _s, cid = chat.chat(server, "第8条要求什么？", [], "", (), Browser())
    chat.chat(server, "党章第三十二条怎么说", turns, cid, (), Browser())
    mine = {VISITOR_COOKIE: cookie}
    listed = httpx.get(f"{office_url}/api/conversations", cookies=mine).json()["conversations"]
    assert [c["id"] for c in listed][:1] == [cid] and listed[0]["turns"] == 2
    other = httpx.get(f"{office_url}/api/session").cookies[VISITOR_COOKIE]
    assert all(c["id"] != cid for c in httpx.get(f"{office_url}/api/conversations",
                                                 cookies={VISITOR_COOKIE: other}).json()["conversations"])
    assert httpx.get(f"{office_url}/api/conversations/{cid}", cookies={VISITOR_COOKIE: other}).status_code == 404
    full = httpx.get(f"{office_url}/api/conversations/{cid}", cookies=mine).json()
    assert [t["question"] for t in full["turns"]] == ["第8条要求什么？", "党章第三十二条怎么说"]
    # exports: the conversation and one answer, as Word and as text
    from docx import Document as Docx

    word = httpx.get(f"{office_url}/api/conversations/{cid}.docx", cookies=mine)
    assert word.status_code == 200 and word.headers["content-type"].startswith("application/vnd.openxml")
    text = "\n".join(p.text for p in Docx(io.BytesIO(word.content)).paragraphs)
    for t in full["turns"]:
        for c in t["answer"]["citations"]:
            assert c["quote"] in text
    assert "〔《中国共产党章程》第三十二条〕" in text
    plain = httpx.get(f"{office_url}/api/conversations/{cid}/turns/1.txt", cookies=mine)
    assert plain.status_code == 200 and "〔《中国共产党章程》第三十二条〕" in plain.text and "出处：" in plain.text
    assert httpx.get(f"{office_url}/api/conversations/{cid}/turns/5.txt", cookies=mine).status_code == 404
    assert httpx.get(f"{office_url}/api/conversations/{cid}.docx", cookies={VISITOR_COOKIE: other}).status_code == 404
    # rename and delete, only by the owner
    assert httpx.patch(f"{office_url}/api/conversations/{cid}", json={"title": "改"}, cookies={VISITOR_COOKIE: other}
                       ).status_code == 404
    renamed = httpx.patch(f"{office_url}/api/conversations/{cid}", json={"title": "党章学习"}, cookies=mine)
    assert renamed.status_code == 200 and renamed.json()["title"] == "党章学习"
    assert httpx.patch(f"{office_url}/api/conversations/{cid}", json={"title": " "}, cookies=mine).status_code == 400
    assert httpx.delete(f"{office_url}/api/conversations/{cid}", cookies={VISITOR_COOKIE: other}).status_code == 404
    assert httpx.delete(f"{office_url}/api/conversations/{cid}", cookies=mine).json() == {"deleted": True}
    assert httpx.get(f"{office_url}/api/conversations/{cid}", cookies=mine).status_code == 404


def test_item_export_and_document_list(office_url: str) -> None:
    word = httpx.get(f"{office_url}/api/export/items/dangzhang-2022/32.docx")
    assert word.status_code == 200 and "filename*=UTF-8''" in word.headers["content-disposition"]
    text = httpx.get(f"{office_url}/api/export/items/{DOC}/8.txt").text
    assert "第8条 深化“四强”党支部建设" in text and "出处：〔第8条〕 《2025年市直机关党的建设要点》（东直〔2025〕3号" in text
    assert httpx.get(f"{office_url}/api/export/items/{DOC}/99.txt").json()["error"].startswith("没有条目")
    docs = httpx.get(f"{office_url}/api/documents").json()["documents"]
    assert len(docs) == 8 and docs[0]["doc_id"] == DOC and docs[0]["primary"] and docs[0]["articles"] == 19
    assert {d["doc_id"]: d["articles"] for d in docs}["dangzhang-2022"] == 55
    assert all(d["source"] for d in docs)


def test_auth_scopes_conversations_to_the_user(ui_module: Any, server: AppState) -> None:
    from testserver import running

    app = ui_module.build_app(server, auth=("admin", "pw"))
    store = conversations.store_for(server.settings)
    cid = store.create("user:admin", "第8条要求什么？")
    with running(app) as url:
        assert httpx.get(f"{url}/api/conversations").status_code == 401
        listed = httpx.get(f"{url}/api/conversations", auth=("admin", "pw")).json()["conversations"]
        assert cid in [c["id"] for c in listed]
        assert httpx.get(f"{url}/api/conversations", auth=("admin", "wrong")).status_code == 401
        assert httpx.post(f"{url}/api/documents", auth=("admin", "wrong"),
                          files={"files": ("a.txt", b"x")}).status_code == 401


# -- documents: add and remove while answering ----------------------------------------------------------


@pytest.fixture()
def private_index(tmp_path: Path, assistant: Assistant, settings: Settings) -> Iterator[AppState]:
    """A copy of the corpus and of the built index, served by the process while the test runs."""
    with served_copy(tmp_path, assistant, settings) as own:
        yield own


def test_upload_rebuilds_and_swaps_without_breaking_answers(private_index: AppState, ui_module: Any,
                                                            tmp_path: Path) -> None:
    from testserver import running

    app = ui_module.build_app(private_index)
    upload = make_docx(tmp_path / "jifen.docx")
    stop, answered, failures = threading.Event(), [0], []

    def keep_asking() -> None:  # answers in flight while the new index is built and swapped in
        while not stop.is_set():
            try:
                ans = private_index.ask("第8条要求什么？")
                assert {c.ref for c in ans.citations} == {"8"}
                answered[0] += 1
            except Exception as err:  # noqa: BLE001 - collected and asserted below
                failures.append(err)

    worker = threading.Thread(target=keep_asking)
    with running(app) as url:
        worker.start()
        try:
            res = httpx.post(f"{url}/api/documents?wait=1", timeout=120,
                             files={"files": ("jifen.docx", upload.read_bytes(),
                                              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
        finally:
            stop.set()
            worker.join()
        assert res.status_code == 200, res.text
        job = res.json()
        assert job["state"] == "done" and job["report"][0]["status"] == "ok" and "可以提问" in job["message"]
        assert failures == [] and answered[0] > 0
        doc_id = job["report"][0]["doc_id"]
        ans = httpx.post(f"{url}/api/ask", json={"question": f"《{TITLE}》第三条是什么？"}).json()
        assert ans["citations"] and ans["citations"][0]["doc_id"] == doc_id and "每半年公示一次" in ans["answer"]
        assert len(httpx.get(f"{url}/api/documents").json()["documents"]) == 9
        assert (private_index.settings.corpus_dir / "originals" / f"{doc_id}.docx").is_file()  # the `dangjian add` layout
        # the same file again: reported as already there, no rebuild needed
        again = httpx.post(f"{url}/api/documents?wait=1", files={"files": ("jifen.docx", upload.read_bytes())}).json()
        assert again["report"][0]["status"] == "exists"
        bad = httpx.post(f"{url}/api/documents", files={"files": ("evil.exe", b"MZ")})
        assert bad.status_code == 400 and "不支持的文件" in bad.json()["error"]
        gone = httpx.delete(f"{url}/api/documents/{doc_id}?wait=1", timeout=120).json()
        assert gone["state"] == "done" and "已移除" in gone["message"]
        assert len(httpx.get(f"{url}/api/documents").json()["documents"]) == 8
        refused = httpx.delete(f"{url}/api/documents/{DOC}?wait=1", timeout=60)
        assert refused.status_code == 400 and "不能删除主文件" in refused.json()["message"]


def test_documents_need_an_admin(private_index: AppState, ui_module: Any) -> None:
    from testserver import running

    private_index.settings = replace(private_index.settings, admins=("boss",))
    app = ui_module.build_app(private_index, auth=("admin", "pw"))
    with running(app) as url:
        denied = httpx.delete(f"{url}/api/documents/dangzhang-2022", auth=("admin", "pw"))
        assert denied.status_code == 403 and "管理员" in denied.json()["error"]
    from rag.ingest import read_entries

    assert "dangzhang-2022" in {e["doc_id"] for e in read_entries(private_index.settings.corpus_dir)}  # nothing removed


def test_document_table_shows_a_short_source_and_keeps_dates_whole(server: AppState) -> None:
    """The 来源 column held whole provenance notes with repository hashes; it shows the first clause
    (≤ 30 characters) and the whole note on demand; dates do not wrap."""
    from ui.documents_page import SOURCE_SHORT, docs_html, short_source, source_cell

    note = ("新华社发布文本，经 GitHub 仓库 tangyixiao/Shaoxingyizhong（a73197e4）或 "
            "xtjeyvc/xtjeyvc.github.com（6edcdb69）存档转载；逐字未改，见 SOURCES.md")
    assert short_source(note) == "新华社发布文本"
    assert short_source("随项目收到的通知原文（东直〔2025〕3号），分页处的断行保持原样") == "随项目收到的通知原文（东直〔2025〕3号）"
    assert short_source("jifen.docx") == "jifen.docx"
    long = "甲" * 50
    assert len(short_source(long)) == SOURCE_SHORT and short_source(long).endswith("…")
    assert source_cell("jifen.docx") == '<td class="dj-src-cell">jifen.docx</td>'  # nothing hidden
    assert source_cell("") == '<td class="dj-src-cell">—</td>'
    table = docs_html(server)
    cells = table.split('class="dj-src-cell">')[1:]
    assert len(cells) == 8
    for cell in cells:
        summary = cell.split("<summary>")[1].split("</summary>")[0] if "<summary>" in cell[:40] else ""
        assert "a73197e4" not in summary and len(summary) <= SOURCE_SHORT
    assert table.count("<summary>新华社发布文本</summary>") == 7 and "a73197e4" in table  # the full note stays
    assert table.count('<td class="dj-nowrap">') == 8 and '<td class="dj-nowrap">2025-03-27</td>' in table
