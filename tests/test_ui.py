"""UI handlers called directly (no server): chat, sources, votes, saved conversations, scope, 目录,
入门, exports, escaping — over the real index of the shipped corpus."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fake_openai import FakeOpenAI, closed_port_url, fake_openai  # noqa: F401 - fixture

from rag import Settings
from rag.config import MAX_QUESTION_CHARS
from rag.db import conversations
from rag.db.feedback import votes_for
from rag.llm import AI_NOTE, FAILED_CHECK_NOTE, unavailable_note
from ui import catalog_page, chat, export, onboarding_page, render, sidebar
from ui import turns as turn_html
from ui.access import VISITOR_COOKIE
from ui.runtime import LLM_CONCURRENCY, AppState

ROOT = Path(__file__).resolve().parent.parent
DOC = "dongzhi-2025-3"
DANGZHANG = "dangzhang-2022"


class FakeRequest:
    """What the handlers read from a gr.Request: the user, the cookies, the addresses."""

    def __init__(self, *, user: str | None = None, visitor: str | None = None, client: str = "127.0.0.1",
                 server: str = "127.0.0.1") -> None:
        self.username = user
        self.cookies = {VISITOR_COOKIE: visitor} if visitor else {}
        self.headers: dict[str, str] = {}
        self.scope = {"client": (client, 50000), "server": (server, 7860)}


ALICE = FakeRequest(visitor="alice-visitor-id-0000000001")
BOB = FakeRequest(visitor="bob-visitor-id-000000000002")


@pytest.fixture(scope="session")
def app(ui_module: Any) -> Any:
    return ui_module


def ev(**data: Any) -> gr.EventData:
    return gr.EventData(None, data)


def ask(server: AppState, question: str, turns: list[Any] | None = None, conv: str = "", scope: Any = (),
        request: Any = None) -> tuple[Any, ...]:
    return chat.chat(server, question, turns or [], conv, scope, request)


def test_import_does_not_load_the_index() -> None:
    code = ("import ui.app as m, ui.runtime as r, gradio as gr; from rag import Settings; "
            "s = r.AppState(Settings.from_env()); assert isinstance(m.build_demo(s), gr.Blocks); "
            "assert s.loaded is None; assert isinstance(m.demo, gr.Blocks)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_answer_with_citations_sources_and_panel(server: AppState, app: Any) -> None:
    transcript, turns, panel, box, status, conv = ask(server, "第8条要求什么？")
    assert box == gr.skip() and status == "" and conv.startswith("local-")  # no identity: not saved
    # (the box: the page empties it as the question is sent, so the answer leaves what was typed since)
    assert len(turns) == 1 and turns[0]["answer"]["citations"]
    # the marker is a button (Enter and Space work), named in Chinese; a unit is cited once, not per sentence
    cites = re.findall(rf'<button type="button" class="dj-cite"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</button>',
                       transcript)
    assert len(cites) == 1 and 'aria-label="查看原文：第8条"' in cites[0] and 'tabindex="-1"' not in cites[0]
    assert transcript.count("<li>") >= 5 and '<ol>' in transcript  # five sentences, numbered
    assert "来源" in transcript and 'class="dj-src"' in transcript
    assert "深化“四强”党支部建设" in transcript
    # timings are a developer's: kept with the turn and the answer JSON, shown only with DANGJIAN_DEBUG_TIMINGS
    assert 'class="dj-time"' not in transcript and "服务器用时" not in transcript and turns[0]["server_ms"] > 0
    assert turns[0]["answer"]["timings_ms"]["total"] > 0
    # copy (hidden text with the document's title) and Word export on the answer and the conversation
    assert 'data-action="copy" data-copy="dj-copy-0"' in transcript and 'data-action="export-answer"' in transcript
    copy = re.search(r'<textarea class="dj-copytext" id="dj-copy-0"[^>]*>(.*?)</textarea>', transcript, re.S)
    assert copy and "〔第8条〕" in copy.group(1) and "《2025年市直机关党的建设要点》" in copy.group(1)
    assert 'data-action="export-conversation"' in transcript and 'id="dj-copy-conv"' in transcript
    # the first source opens by itself, with the quoted sentences marked
    assert "第8条 深化“四强”党支部建设" in panel and "<mark>根据党组织隶属关系" in panel
    assert "三、带头夯实基层基础" in panel and 'data-action="export-item"' in panel
    assert chat.source_panel(server, turns, 0, f"{DOC}#8").count("<mark>") == 5


def test_timings_show_only_when_debugging(server: AppState, app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _t, turns, *_ = ask(server, "第8条要求什么？")
    assert "服务器用时" not in turn_html.render_turn(server, turns[0], 0)
    html = turn_html.render_turn(with_settings(server, replace(settings, debug_timings=True)), turns[0], 0)
    assert re.search(r'<span class="dj-time" data-server="[^"]+">服务器用时 \S+', html)  # the page adds the wait
    assert Settings.from_env({"DANGJIAN_DEBUG_TIMINGS": "1"}).debug_timings
    assert not Settings.from_env({"DANGJIAN_DEBUG_TIMINGS": "off"}).debug_timings
    with pytest.raises(ValueError, match="DANGJIAN_DEBUG_TIMINGS 应为 1 或 0"):
        Settings.from_env({"DANGJIAN_DEBUG_TIMINGS": "maybe"})


def test_source_panel_marks_only_what_was_quoted(server: AppState, app: Any) -> None:
    _t, turns, *_ = ask(server, "怎样加强党员教育管理？")
    cites = turns[0]["answer"]["citations"]
    c = cites[0]
    panel = chat.source_panel(server, turns, 0, f"{c['doc_id']}#{c['ref']}")
    assert f"<mark>{c['quote']}</mark>" in panel
    quoted_here = sum(1 for x in cites if (x["doc_id"], x["ref"]) == (c["doc_id"], c["ref"]))
    assert panel.count("<mark>") == quoted_here
    assert "没有找到" in chat.source_panel(server, turns, 0, f"{DOC}#99")
    assert "<mark>" not in chat.source_panel(server, [], 5, f"{DOC}#8")  # bad turn index: no highlight, no error


def test_follow_up_uses_history(server: AppState, app: Any) -> None:
    _t, turns, *_ = ask(server, "第8条要求什么？")
    transcript, turns, panel, *_ = ask(server, "那第9条呢？", turns)
    assert len(turns) == 2 and turns[1]["history"] == ["第8条要求什么？"]
    assert {c["ref"] for c in turns[1]["answer"]["citations"]} == {"9"}
    assert "〔第9条〕" in transcript and "第9条 加强党员教育管理监督" in panel
    _t, turns, *_ = ask(server, "下一条呢？", turns)
    assert {c["ref"] for c in turns[2]["answer"]["citations"]} == {"10"}


def test_refusals_suggest_examples_when_nothing_is_near_and_items_when_something_is(server: AppState, app: Any) -> None:
    transcript, turns, *_ = ask(server, "今天天气怎么样？")
    ans = turns[0]["answer"]
    assert ans["abstained"] and not ans["suggestions"]
    assert "dj-abstain" in transcript and "未找到直接依据" in transcript
    for q in render.EXAMPLES:  # example questions, not unrelated items
        assert f'data-action="ask" data-question="{q}"' in transcript
    assert "相关条目" not in transcript
    transcript, turns, panel, *_ = ask(server, "党费缴纳标准是多少？")
    ans = turns[0]["answer"]
    assert ans["abstained"] and ans["suggestions"]
    number = ans["suggestions"][0].rpartition("#")[2]
    assert "相关条目，可以直接问" in transcript and f'data-question="第{number}条要求什么？"' in transcript
    assert "可以这样问" not in transcript
    outs = list(app.transcript_click(server, turns, "", "extractive", (), {"action": "ask", "question": f"第{number}条要求什么？"}))
    transcript, turns = outs[-1][0], outs[-1][1]
    assert len(turns) == 2 and not turns[1]["answer"]["abstained"] and f"〔第{number}条〕" in transcript


def test_user_text_is_escaped(server: AppState, app: Any) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> 第8条'
    transcript, turns, *_ = ask(server, evil)
    assert "<script>" not in transcript and "<img" not in transcript
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in transcript
    assert render.esc('"><b>') == "&quot;&gt;&lt;b&gt;"
    assert "<b>" not in chat.source_panel(server, turns, 0, '<b>x</b>')
    side = sidebar.sidebar_html(server, FakeRequest(visitor="evil-visitor-0000000000x"))
    assert "<script" not in side


def test_empty_and_overlong_questions(server: AppState, app: Any) -> None:
    transcript, turns, _p, box, status, _c = ask(server, "   ")
    assert turns == [] and box == "" and status == "" and "dj-welcome" in transcript
    long_q = "党" * (MAX_QUESTION_CHARS + 1)
    transcript, turns, _p, box, status, _c = ask(server, long_q)
    assert turns == [] and box == long_q  # the text stays so the user can shorten it
    assert f"{MAX_QUESTION_CHARS}" in status and "过长" in status and "dj-status-error" in status


def test_unexpected_error_shows_generic_message(server: AppState, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(chat, "answer", boom)
    _t, turns, _p, box, status, _c = ask(server, "第8条要求什么？")
    assert turns == [] and box == "第8条要求什么？"
    assert chat.GENERIC_ERROR in status and "secret" not in status and "Traceback" not in status


def test_scope_limits_the_documents_answered_from(server: AppState, app: Any) -> None:
    _t, turns, *_ = ask(server, "怎样加强党员教育管理？", scope=[DANGZHANG])
    assert turns[0]["docs"] == [DANGZHANG]
    assert {c["doc_id"] for c in turns[0]["answer"]["citations"]} <= {DANGZHANG}
    _t, turns, _p, _b, status, _c = ask(server, "怎样加强党员教育管理？", scope=["no-such-doc"])
    assert turns == [] and "没有这个文件" in status
    html = render.scope_html([("中国共产党章程", DANGZHANG), ("要点", DOC)], [DANGZHANG])
    assert "范围：《中国共产党章程》" in html and f'value="{DANGZHANG}" data-title="中国共产党章程" checked' in html


# -- votes ------------------------------------------------------------------------------------------


def _records(settings: Settings, conv: str) -> list[dict[str, Any]]:
    return [r for r in votes_for(settings).records() if r.get("conversation") == conv]


def test_vote_toggles_undoes_and_keeps_one_record(server: AppState, app: Any, settings: Settings) -> None:
    _t, turns, _p, _b, _s, conv = ask(server, "第8条要求什么？")
    _t, turns, _p, _b, _s, conv = ask(server, "那第9条呢？", turns, conv)
    transcript, turns, _s = chat.vote(server, turns, 1, "up", conv)
    assert turns[1]["vote"] == "up" and "已记录" in transcript and 'aria-pressed="true"' in transcript
    for _ in range(4):  # repeated clicks toggle (off, on, off, on); never a duplicate record
        _t, turns, _s = chat.vote(server, turns, 1, "up", conv)
        assert len(_records(settings, conv)) == (0 if turns[1]["vote"] is None else 1)
    recs = _records(settings, conv)
    assert [(r["turn"], r["vote"]) for r in recs] == [(1, "up")]
    rec = recs[0]
    assert rec["question"] == "那第9条呢？" and rec["history"] == ["第8条要求什么？"]
    assert rec["citations"] == [f"{DOC}#9"] and "〔第9条〕" in rec["answer"]
    _t, turns, _s = chat.vote(server, turns, 1, "up", conv)  # the same vote again: undone
    assert turns[1]["vote"] is None and _records(settings, conv) == []
    # 👎 opens the optional reason box; the reason is kept with the vote; 👍 replaces it
    transcript, turns, _s = chat.vote(server, turns, 0, "down", conv)
    assert 'id="dj-reason-0"' in transcript and "哪里不对" in transcript
    transcript, turns, _s = chat.reason(server, turns, 0, "  引用的\n条目不对 ", conv)
    assert 'id="dj-reason-0"' not in transcript and turns[0]["reason"] == "引用的 条目不对"
    assert [(r["turn"], r["vote"], r["reason"]) for r in _records(settings, conv)] == [(0, "down", "引用的 条目不对")]
    _t, turns, _s = chat.vote(server, turns, 0, "up", conv)
    assert [(r["turn"], r["vote"], r["reason"]) for r in _records(settings, conv)] == [(0, "up", "")]
    # a bad vote or turn index changes nothing
    _t, same, _s = chat.vote(server, turns, 7, "up", conv)
    assert same == turns
    _t, same, _s = chat.vote(server, turns, 0, "sideways", conv)
    assert same == turns


def test_vote_icons_need_no_emoji_font(server: AppState, app: Any) -> None:
    transcript, *_ = ask(server, "第8条要求什么？")
    votes = re.findall(r'<button type="button" class="dj-vote[^>]*>.*?</button>', transcript)
    assert len(votes) == 2 and all("<svg" in v for v in votes)
    assert "👍" not in transcript and "👎" not in transcript
    assert "有帮助" in votes[0] and "没帮助" in votes[1]


# -- saved conversations ---------------------------------------------------------------------------


def test_conversations_are_saved_per_owner(server: AppState, app: Any) -> None:
    _t, turns, _p, _b, _s, conv = ask(server, "第8条要求什么？", request=ALICE)
    assert conv and not conv.startswith("local-")
    _t, turns, _p, _b, _s, same = ask(server, "那第9条呢？", turns, conv, request=ALICE)
    assert same == conv
    side = sidebar.sidebar_html(server, ALICE, conv)
    assert f'data-id="{conv}"' in side and "2 问" in side and 'aria-current="true"' in side
    assert f'data-id="{conv}"' not in sidebar.sidebar_html(server, BOB)  # invisible to another browser
    # reopen: the turns come back, in order, and a follow-up continues from them
    transcript, reopened, _p, _b, _s, cid, _side = sidebar.open_conversation(server, conv, ALICE)
    assert cid == conv and [t["question"] for t in reopened] == ["第8条要求什么？", "那第9条呢？"]
    assert "〔第9条〕" in transcript
    _t, more, *_ = ask(server, "下一条呢？", reopened, conv, request=ALICE)
    assert {c["ref"] for c in more[2]["answer"]["citations"]} == {"10"}
    # another owner can neither open, rename nor delete it
    _t, nothing, *_rest = sidebar.open_conversation(server, conv, BOB)
    assert nothing == [] and _rest[-2] == ""
    sidebar.rename_conversation(server, conv, "改名", "", BOB)
    sidebar.delete_conversation(server, conv, "", [], BOB)
    assert "下一条呢？" not in side and f'data-id="{conv}"' in sidebar.sidebar_html(server, ALICE)
    # a turn appended to someone else's id starts a new conversation for the asker
    _t, _turns, _p, _b, _s, bobs = ask(server, "第8条要求什么？", [], conv, request=BOB)
    assert bobs != conv
    # rename and delete by the owner
    sidebar.rename_conversation(server, conv, "  第八条 <b>学习</b> ", conv, ALICE)
    assert "第八条 &lt;b&gt;学习&lt;/b&gt;" in sidebar.sidebar_html(server, ALICE, conv)
    out = sidebar.delete_conversation(server, conv, conv, reopened, ALICE)
    assert out[1] == [] and out[5] == "" and f'data-id="{conv}"' not in out[6]


def test_vote_on_a_saved_conversation_is_stored_with_it(server: AppState, app: Any) -> None:
    _t, turns, _p, _b, _s, conv = ask(server, "第8条要求什么？", request=ALICE)
    _t, turns, _s = chat.vote(server, turns, 0, "down", conv, ALICE)
    _t, turns, _s = chat.reason(server, turns, 0, "太长", conv, ALICE)
    _t, reopened, *_ = sidebar.open_conversation(server, conv, ALICE)
    assert reopened[0]["vote"] == "down" and reopened[0]["reason"] == "太长" and "reason_open" not in reopened[0]


# -- 目录, links, 入门 --------------------------------------------------------------------------------


def test_catalog_picks_one_document_and_filters(server: AppState, app: Any) -> None:
    choices = catalog_page.doc_choices(server)
    assert len(choices) == 9 and choices[0] == ("2025年市直机关党的建设要点（19条）", DOC)
    assert choices[-1][1] == catalog_page.ALL
    html = catalog_page.tree_html(server, DOC)
    assert len(re.findall(rf'class="dj-tree-item[^"]*"[^>]*data-key="{DOC}#\d+"', html)) == 19
    assert len(re.findall(rf'class="dj-tree-sec"[^>]*data-key="{DOC}#section:', html)) == 6
    assert "文件头" in html and "总体要求" in html and "中国共产党章程" not in html  # one document at a time
    dz = catalog_page.tree_html(server, DANGZHANG)
    assert len(re.findall(rf'data-key="{DANGZHANG}#\d+"', dz)) == 55
    listing = catalog_page.tree_html(server, catalog_page.ALL)
    assert listing.count('data-action="doc"') == 8 and "data-key" not in listing
    # the filter searches titles and text, in one document or in all
    hits = catalog_page.tree_html(server, DOC, "流动党员")
    assert "找到 1 条" in hits and f'data-key="{DOC}#9"' in hits and "<mark>流动党员</mark>" in hits
    everywhere = catalog_page.tree_html(server, catalog_page.ALL, "流动党员")
    found = int(re.search(r"找到 (\d+) 条", everywhere).group(1))  # type: ignore[union-attr]
    assert found > 1 and "《中国共产党党员教育管理工作条例》" in everywhere
    assert "找到 0 条" in catalog_page.tree_html(server, DOC, "没有这个词语xyz")
    assert "&lt;b&gt;" in catalog_page.tree_html(server, DOC, "<b>")


def test_links_resolve_to_units(server: AppState, app: Any) -> None:
    assert catalog_page.link_key(server, "8") == f"{DOC}#8"
    assert catalog_page.link_key(server, "32", DANGZHANG) == f"{DANGZHANG}#32"
    assert catalog_page.link_key(server, "99") == "" and catalog_page.link_key(server, "") == ""
    out = app.boot(server, {"item": "32", "doc": DANGZHANG}, ALICE)
    assert out["tabs"].selected == "browse" and out["selected"] == f"{DANGZHANG}#32"
    assert "第三十二条" in out["item_view"] and 'aria-current="true"' in out["tree"]
    out = app.boot(server, {"q": "第8条要求什么？"}, ALICE)
    assert out["tabs"].selected == "chat" and "〔第8条〕" in out["transcript"]
    assert f'data-id="{out["conv"]}"' in out["convs"]  # the linked question is saved as a conversation


def test_item_view_and_ask_about(server: AppState, app: Any) -> None:
    view, key, button = catalog_page.show_item(server, f"{DOC}#12")
    assert key == f"{DOC}#12" and "第12条 不断激发干事创业精气神" in view and 'id="dj-copy-item"' in view
    assert button["interactive"] is True and "第12条要求什么？" in button["value"]
    view, key, _b = catalog_page.show_item(server, f"{DOC}#section:3")
    assert "三、带头夯实基层基础" in view and render.question_for(server, key) == "第三部分讲什么？"
    assert render.question_for(server, f"{DOC}#header") == "这个文件是谁印发的？"
    view, key, button = catalog_page.show_item(server, "")
    assert key == "" and button["interactive"] is False


def test_role_note_links_to_the_checklist(server: AppState, app: Any) -> None:
    transcript, turns, *_ = ask(server, "我是新任支部书记，要抓哪些工作？")
    assert any("「支部书记」的职责清单" in n for n in turns[0]["answer"]["notes"])
    assert 'data-action="duties" data-role="支部书记"' in transcript and "dangjian duties" not in transcript
    tabs, html, state = app.on_jump(server, None, ev(action="duties", role="支部书记"))
    assert tabs.selected == "onboard" and state["view"] == "duties" and "支部书记（机关党支部）职责清单" in html
    assert 'data-action="tab" data-tab="onboard"' in render.welcome_html(server.settings)  # the welcome's 入门 link
    assert app.on_jump(server, None, ev(action="tab", tab="onboard"))[0].selected == "onboard"
    assert all(x == gr.skip() for x in app.on_jump(server, None, ev(action="tab", tab="nowhere")))


def test_onboarding_tour_checklist_export_and_quiz(server: AppState, app: Any) -> None:
    state = onboarding_page.initial()
    html = onboarding_page.render(server, state)
    assert "第 1 步 / 共 26 步" in html and 'data-action="ob-step" data-step="2"' in html
    state = onboarding_page.act(server, state, {"action": "ob-step", "step": "12"})
    html = onboarding_page.render(server, state)
    assert "第 12 步" in html and "深化“四强”党支部建设" in html
    state = onboarding_page.act(server, state, {"action": "ob-open", "key": f"{DOC}#8"})
    assert "第8条 深化“四强”党支部建设" in onboarding_page.render(server, state)
    # the 支部书记 checklist: ≥ 20 cited duties from ≥ 3 documents, frequencies, calendar view
    state = onboarding_page.act(server, state, {"action": "ob-role", "role": "支部书记"})
    html = onboarding_page.render(server, state)
    duties = re.findall(r'<li class="dj-duty">', html)
    docs = set(re.findall(r"〔《([^》]+)》", html))
    assert len(duties) >= 20 and len(docs | {"要点"}) >= 3 and '<span class="dj-freq">每月</span>' in html
    state = onboarding_page.act(server, state, {"action": "ob-layout", "layout": "calendar"})
    html = onboarding_page.render(server, state)
    assert html.index("每月（") < html.index("每年（")
    name, data, media = onboarding_page.checklist_export(server, state, "docx")
    assert name == "支部书记（机关党支部）职责清单.docx" and media.endswith("document")
    from docx import Document as Docx

    text = "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)
    assert "党支部应当每月开展1次主题党日" in text and "〔《中国共产党党员教育管理工作条例》第十六条〕" in text
    # a 10-question round, answered half right, scored and explained
    state = onboarding_page.act(server, state, {"action": "ob-quiz-new"})
    html = onboarding_page.render(server, state)
    assert state["view"] == "quiz" and len(state["quiz"]["ids"]) == 10 and html.count('class="dj-quiz-q"') == 10
    pool = {q.id: q for q in onboarding_page.views(server).questions}
    ids = state["quiz"]["ids"]
    answers = {qid: (pool[qid].answer if i % 2 == 0 else "不知道") for i, qid in enumerate(ids)}
    state = onboarding_page.act(server, state, {"action": "ob-quiz-check", "answers": answers})
    html = onboarding_page.render(server, state)
    assert "得分：5 / 10" in html and "错题回顾（5）" in html and html.count("回答正确") == 5
    assert html.count('class="dj-explain"') == 10


# -- exports ----------------------------------------------------------------------------------------


def _docx_text(data: bytes) -> str:
    from docx import Document as Docx

    return "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)


def test_exports_hold_quotes_citations_and_titles(server: AppState, app: Any) -> None:
    _t, turns, *_ = ask(server, "第8条要求什么？")
    _t, turns, *_ = ask(server, "党章第三十二条怎么说", turns)
    resolve = server.assistant().unit
    text = export.answer_text(turns[1], resolve)
    assert text.startswith("问：党章第三十二条怎么说") and "〔《中国共产党章程》第三十二条〕" in text
    assert "出处：" in text and "《中国共产党章程》（中国共产党第二十次全国代表大会" in text
    doc = _docx_text(export.answer_docx(turns[0], resolve))
    for c in turns[0]["answer"]["citations"]:
        assert c["quote"] in doc
    assert "出处：〔第8条〕《2025年市直机关党的建设要点》" in doc and "提问时间：" in doc and "来源" in doc
    whole = _docx_text(export.conversation_docx("学习", turns, resolve))
    assert "问：第8条要求什么？" in whole and "问：党章第三十二条怎么说" in whole and "〔《中国共产党章程》第三十二条〕" in whole
    found = resolve(f"{DANGZHANG}#32")
    assert found is not None
    item = _docx_text(export.item_docx(*found))
    assert found[1].text.strip()[:30] in item and "出处：〔《中国共产党章程》第三十二条〕" in item
    assert export.file_name('a/b:"c"', ".docx") == "abc.docx"
    made = app.export_file(server, {"action": "export-answer", "turn": "0"}, turns, "", None)
    assert made is not None and made[0].endswith(".docx") and "〔第8条〕" in _docx_text(made[1])
    payload = json.loads(app.download_payload(*made))
    assert payload["name"] == made[0] and payload["b64"] and payload["nonce"]
    assert app.export_file(server, {"action": "export-answer", "turn": "9"}, turns, "", None) is None


# -- AI生成 (optional LLM mode) against the scripted OpenAI-compatible server -----------------

Q8 = "第8条要求什么？"
LLM_TIMEOUT_S = 3.0


@pytest.fixture()
def fake(fake_openai: FakeOpenAI) -> Iterator[FakeOpenAI]:  # noqa: F811
    fake_openai.reset()
    yield fake_openai
    fake_openai.reset()


def llm_settings(settings: Settings, base_url: str, model: str = "good_8") -> Settings:
    return replace(settings, llm_base_url=base_url, llm_model=model, llm_timeout_s=LLM_TIMEOUT_S)


def with_settings(server: AppState, settings: Settings) -> AppState:
    """The session's index served with other settings (an LLM endpoint)."""
    return AppState(settings, server.assistant())


def run_llm(server: AppState, settings: Settings, question: str = Q8, turns: list[Any] | None = None) -> list[Any]:
    outs = list(chat.chat_stream(with_settings(server, settings), question, turns or [], "", "llm", (), None))
    assert outs and all(len(o) == 6 for o in outs)
    return outs


def stream_text(transcript: str) -> str:
    """The text of the answer being streamed (tags stripped)."""
    m = re.search(r'<div class="dj-text dj-stream">(.*?)</div><div class="dj-typing">', transcript, re.DOTALL)
    assert m, transcript[-400:]
    return re.sub(r"<[^>]+>", "", m.group(1))


def test_llm_answer_streams_sources_then_tokens_then_final(server: AppState, app: Any, settings: Settings, fake: FakeOpenAI,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "STREAM_EVERY_S", 0.0)  # every token becomes an update
    outs = run_llm(server, llm_settings(settings, fake.base_url))
    first = outs[0][0]
    assert "dj-pending" in first and "正在检索原文" in first
    with_sources = [i for i, o in enumerate(outs[:-1]) if "参考原文" in str(o[0])]
    assert with_sources
    i = with_sources[0]
    assert stream_text(outs[i][0]) == "" and f'data-key="{DOC}#8"' in outs[i][0]
    texts = [stream_text(o[0]) for o in outs[i + 1:-1]]
    assert len(texts) >= 5 and all(a and len(a) < len(b) for a, b in pairwise(texts))
    assert texts[-1].startswith("第8条要求深化“四强”党支部建设。〔第8条〕")
    assert re.search(rf'<button type="button" class="dj-cite"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</button>', outs[-2][0])
    assert all(o[1] == gr.skip() for o in outs[:-1])  # the turns state changes once, at the end
    transcript, turns, panel, box, status, conv = outs[-1]
    assert all(o[3] == gr.skip() for o in outs)  # the page emptied the box when the question was sent
    assert status == "" and "dj-pending" not in transcript and conv
    ans = turns[0]["answer"]
    assert ans["generated"] is True and ans["kind"] == "llm" and ans["notes"] == [AI_NOTE]
    assert ans["verification"]["ok"] is True and {c["ref"] for c in ans["citations"]} == {"8"}
    links = turn_html._marker_links(server, ans["citations"])
    assert turn_html.answer_body(ans["answer"], links, 0) in transcript
    shown = re.sub(r"<textarea.*?</textarea>", "", transcript, flags=re.S)  # the copy texts say it too
    assert shown.count(AI_NOTE) == 1 and 'class="dj-ai-h"' in transcript
    assert "来源" in transcript and "参考原文" not in transcript and 'data-action="vote"' in transcript
    assert ans["timings_ms"]["total"] >= ans["timings_ms"]["llm"] > 0
    assert "第8条 深化“四强”党支部建设" in panel and "<mark>" in panel
    assert len(fake.requests) == 1 and "〔第8条〕" in json.dumps(fake.requests[0], ensure_ascii=False)


def test_llm_fabricated_citations_fall_back_to_the_extractive_answer(
        server: AppState, app: Any, settings: Settings, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat, "STREAM_EVERY_S", 0.0)
    outs = run_llm(server, llm_settings(settings, fake.base_url, "fabricated_25"))
    assert any("第25条" in stream_text(o[0]) for o in outs[:-1] if "dj-stream" in str(o[0]))  # was streamed
    transcript, turns, panel, *_ = outs[-1]
    ans = turns[0]["answer"]
    assert ans["generated"] is False and ans["notes"] == [FAILED_CHECK_NOTE] and ans["verification"]["ok"] is False
    assert "第25条" not in transcript and "dj-ai-h" not in transcript
    assert f'<div class="dj-note" role="note">{FAILED_CHECK_NOTE}</div>' in transcript
    _t, plain, *_ = ask(server, Q8)
    assert ans["answer"] == plain[0]["answer"]["answer"] and ans["citations"] == plain[0]["answer"]["citations"]
    assert "第8条 深化“四强”党支部建设" in panel


def test_llm_flagged_sentence_is_marked(server: AppState, app: Any, settings: Settings, fake: FakeOpenAI) -> None:
    transcript, turns, *_ = run_llm(server, llm_settings(settings, fake.base_url, "one_slip_8"))[-1]
    assert turns[0]["answer"]["generated"] is True and "⚠" in turns[0]["answer"]["answer"]
    assert f'<span class="dj-flag" title="{turn_html.FLAG_TITLE}">⚠</span>' in transcript


def test_llm_unreachable_falls_back_with_a_note(server: AppState, app: Any, settings: Settings) -> None:
    transcript, turns, panel, box, status, _c = run_llm(server, llm_settings(settings, closed_port_url()))[-1]
    ans = turns[0]["answer"]
    note = unavailable_note("无法连接")
    assert ans["generated"] is False and ans["notes"] == [note] and status == "" and box == gr.skip()
    assert note in transcript and "Traceback" not in transcript and "dj-ai-h" not in transcript
    assert "第8条 深化“四强”党支部建设" in panel
    assert transcript.index(note) < transcript.index('class="dj-text"', transcript.index('data-turn="0"'))


def test_llm_unexpected_error_shows_the_extractive_answer(server: AppState, app: Any, settings: Settings, fake: FakeOpenAI,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> Iterator[Any]:
        raise RuntimeError("secret internal detail")
        yield  # a generator, like the real one

    monkeypatch.setattr(chat, "stream_llm_answer", boom)
    transcript, turns, _p, _b, status, _c = run_llm(server, llm_settings(settings, fake.base_url))[-1]
    assert turns[0]["answer"]["notes"] == [unavailable_note("内部错误")] and status == ""
    assert "〔第8条〕" in transcript and "secret" not in transcript and "Traceback" not in transcript


def test_llm_mode_keeps_refusals_errors_and_history(server: AppState, app: Any, settings: Settings, fake: FakeOpenAI) -> None:
    cfg = llm_settings(settings, fake.base_url)
    outs = run_llm(server, cfg, "今天天气怎么样？")
    assert len(outs) == 1 and outs[0][1][0]["answer"]["abstained"] and "dj-abstain" in outs[0][0]
    assert fake.requests == []  # a refusal never reaches the model
    assert len(run_llm(server, cfg, "   ")) == 1
    long_q = "党" * (MAX_QUESTION_CHARS + 1)
    (out,) = run_llm(server, cfg, long_q)
    assert out[1] == [] and out[3] == long_q and "过长" in out[4]
    _t, turns, *_ = run_llm(server, cfg)[-1]
    _t, turns, *_ = run_llm(server, cfg, "那第9条呢？", turns)[-1]
    assert turns[1]["history"] == [Q8] and {c["ref"] for c in turns[1]["answer"]["citations"]} == {"9"}


def _mode_row(blocks: gr.Blocks) -> Any:
    (row,) = [b for b in blocks.blocks.values() if getattr(b, "elem_id", None) == "dj-mode-row"]
    return row


def test_mode_switch_only_when_an_llm_is_configured(server: AppState, app: Any, settings: Settings, fake: FakeOpenAI) -> None:
    assert _mode_row(app.build_demo(server)).visible is False
    assert _mode_row(app.build_demo(with_settings(server, llm_settings(settings, fake.base_url)))).visible is True
    assert _mode_row(app.demo).visible is False  # the module's page: the environment's settings, no LLM
    (out,) = list(chat.chat_stream(server, Q8, [], "", "llm", (), None))
    ans = out[1][0]["answer"]
    assert ans["generated"] is False and ans["notes"] == [] and ans["kind"] != "llm"
    (same,) = list(chat.chat_stream(with_settings(server, llm_settings(settings, fake.base_url)), Q8, [], "",
                                    "extractive", (), None))
    assert same[1][0]["answer"]["answer"] == ans["answer"] and fake.requests == []


def test_welcome_says_ai_answers_are_not_verbatim_only_where_ai_exists(settings: Settings,
                                                                        fake_openai: FakeOpenAI) -> None:  # noqa: F811
    assert "逐字摘自原文" in render.welcome_html(settings) and "AI生成" not in render.welcome_html(settings)
    ai = render.welcome_html(llm_settings(settings, fake_openai.base_url))
    assert "不再是逐字摘录" in ai and "经代码核验" in ai


def test_the_page_gets_only_the_new_turn_and_picks_up_its_conversation_by_id(server: AppState, app: Any) -> None:
    """Issues #22 and #24: an answer's payload does not grow with the conversation; the page's own
    route continues the conversation the page names, from the state its last turn carries, with no
    session state on the server; a question sent again after its answer was lost is not asked twice."""
    from page_client import PageTab, turn_state

    from ui.page_api import PageAsk, page_answers

    carol = type(ALICE)(visitor="carol-visitor-id-0000000003")
    tab = PageTab(lambda body: list(page_answers(server, PageAsk(**body), carol)))
    sizes = []
    for n in range(12):
        (line,) = tab.ask(f"第{n % 19 + 1}条要求什么？")
        assert line["kind"] == "turn" and f'data-turn="{n}"' in line["html"] and line["status"] == ""
        assert ("sidebar" in line) == (n == 0) and line.get("meta", "").startswith(f"{n + 1} 问") == (n > 0)
        assert f"第{n + 1}问" in line["html"] + line.get("sidebar", "")
        sizes.append(len(line["html"]))
    assert tab.state == {"doc_id": "dongzhi-2025-3", "refs": ["12"]}
    assert max(sizes[1:]) < 1.5 * min(sizes[1:])  # the same order of size at turn 12 as at turn 2
    (line,) = tab.ask("下一条呢？", qid="qr")
    saved = conversations.store_for(server.settings).get("visitor:carol-visitor-id-0000000003", tab.conv)
    assert saved is not None and len(saved.turns) == 13 and turn_state(line["html"])[0] == 12
    assert saved.turns[-1]["state"] == {"doc_id": "dongzhi-2025-3", "refs": ["13"]}  # 下一条 after 第12条
    # the same question sent again (its answer was lost with the connection): the saved turn comes back
    (again,) = tab.ask("下一条呢？", qid="qr", retry=True)
    assert turn_state(again["html"])[0] == 12 and 'data-seq="s14"' in again["html"]
    after = conversations.store_for(server.settings).get("visitor:carol-visitor-id-0000000003", tab.conv)
    assert after is not None and len(after.turns) == 13


def test_ai_answers_are_bounded_apart_from_the_page(server: AppState, app: Any, settings: Settings, fake: FakeOpenAI,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's events have no concurrency limit of their own: at most LLM_CONCURRENCY model
    calls run at once, the next AI answers wait for a slot (showing their pending turn), and an
    extractive answer does not wait for any of them."""
    import threading

    from rag.records import Answer

    inside, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def held(_assistant: Any, _q: str, _h: Any, *, settings: Settings, extractive: Answer) -> Iterator[Any]:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            release.wait(timeout=30)
            yield from ()
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(chat, "stream_llm_answer", held)
    served = with_settings(server, llm_settings(settings, fake.base_url))  # one server: one set of slots
    results: list[list[Any]] = []
    threads = [threading.Thread(target=lambda: results.append(list(chat.chat_stream(served, Q8, [], "", "llm"))))
               for _ in range(LLM_CONCURRENCY + 2)]
    for t in threads:
        t.start()
    for _ in range(200):  # until the slots are taken
        if inside[0] == LLM_CONCURRENCY:
            break
        threading.Event().wait(0.01)
    assert inside[0] == LLM_CONCURRENCY
    assert "〔第8条〕" in ask(served, Q8)[0]  # an extractive answer meanwhile
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert most[0] == LLM_CONCURRENCY and len(results) == LLM_CONCURRENCY + 2
    assert all(isinstance(outs[-1][1], list) and len(outs[-1][1]) == 1 for outs in results)  # each answered
