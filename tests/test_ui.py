"""UI handlers called directly (no server): chat, sources panel, follow-ups, abstention, escaping."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from rag import Settings
from rag.config import MAX_QUESTION_CHARS

ROOT = Path(__file__).resolve().parent.parent
DOC = "dongzhi-2025-3"


@pytest.fixture(scope="session")
def app(ui_module: Any) -> Any:
    return ui_module


def ev(**data: Any) -> gr.EventData:
    return gr.EventData(None, data)


def test_import_does_not_load_the_index() -> None:
    code = "import ui.app as m, gradio as gr; assert m._rt.assistant is None; assert isinstance(m.demo, gr.Blocks)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_answer_with_citations_sources_and_panel(app: Any) -> None:
    transcript, turns, panel, box, status = app.chat("第8条要求什么？", [])
    assert box == "" and status == ""
    assert len(turns) == 1 and turns[0]["answer"]["citations"]
    # markers are clickable links to the cited unit
    assert re.search(rf'<a class="dj-cite"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</a>', transcript)
    assert "来源" in transcript and 'class="dj-src"' in transcript
    assert "深化“四强”党支部建设" in transcript
    assert "dj-time" in transcript and "毫秒" in transcript
    # the first source opens by itself, with the quoted sentences marked
    assert "第8条 深化“四强”党支部建设" in panel
    assert "<mark>根据党组织隶属关系" in panel
    assert "三、带头夯实基层基础" in panel
    # clicking a source re-opens it
    again = app.on_source_select(turns, ev(action="source", key=f"{DOC}#8", turn="0"))
    assert again.count("<mark>") == 5


def test_source_panel_marks_only_what_was_quoted(app: Any) -> None:
    _t, turns, _p, _b, _s = app.chat("怎样加强党员教育管理？", [])
    cites = turns[0]["answer"]["citations"]
    assert cites
    c = cites[0]
    panel = app.source_panel(turns, 0, f"{c['doc_id']}#{c['ref']}")
    assert f"<mark>{c['quote']}</mark>" in panel
    quoted_here = sum(1 for x in cites if (x["doc_id"], x["ref"]) == (c["doc_id"], c["ref"]))
    assert panel.count("<mark>") == quoted_here
    assert "没有找到" in app.source_panel(turns, 0, f"{DOC}#99")
    assert "<mark>" not in app.source_panel([], 5, f"{DOC}#8")  # bad turn index: no highlight, no error


def test_follow_up_uses_history(app: Any) -> None:
    _t, turns, _p, _b, _s = app.chat("第8条要求什么？", [])
    transcript, turns, panel, _b, _s = app.chat("那第9条呢？", turns)
    assert len(turns) == 2
    assert turns[1]["history"] == ["第8条要求什么？"]
    assert {c["ref"] for c in turns[1]["answer"]["citations"]} == {"9"}
    assert "〔第9条〕" in transcript and "第9条 加强党员教育管理监督" in panel
    _t, turns, _p, _b, _s = app.chat("下一条呢？", turns)
    assert {c["ref"] for c in turns[2]["answer"]["citations"]} == {"10"}


def test_abstention_is_styled_with_one_click_suggestions(app: Any) -> None:
    transcript, turns, panel, _b, _s = app.chat("今天天气怎么样？", [])
    answer = turns[0]["answer"]
    assert answer["abstained"] and answer["suggestions"]
    assert "dj-abstain" in transcript and "未找到直接依据" in transcript
    first = answer["suggestions"][0]
    number = first.rpartition("#")[2]
    assert f'data-action="ask" data-question="第{number}条要求什么？"' in transcript
    assert panel == gr.skip()  # panel untouched
    # clicking a suggestion asks it
    transcript, turns, *_ = app.on_transcript_click(turns, ev(action="ask", question=f"第{number}条要求什么？"))
    assert len(turns) == 2 and not turns[1]["answer"]["abstained"]
    assert f"〔第{number}条〕" in transcript


def test_user_text_is_escaped(app: Any) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> 第8条'
    transcript, turns, *_ = app.chat(evil, [])
    assert "<script>" not in transcript and "<img" not in transcript
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in transcript
    assert app.esc('"><b>') == "&quot;&gt;&lt;b&gt;"
    assert "<b>" not in app.source_panel(turns, 0, '<b>x</b>')


def test_empty_and_overlong_questions(app: Any) -> None:
    transcript, turns, _p, box, status = app.chat("   ", [])
    assert turns == [] and box == "" and status == ""
    assert "dj-welcome" in transcript
    long_q = "党" * (MAX_QUESTION_CHARS + 1)
    transcript, turns, _p, box, status = app.chat(long_q, [])
    assert turns == [] and box == long_q  # the text stays so the user can shorten it
    assert f"{MAX_QUESTION_CHARS}" in status and "过长" in status and "dj-status-error" in status


def test_unexpected_error_shows_generic_message(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app, "ask", boom)
    _t, turns, _p, box, status = app.chat("第8条要求什么？", [])
    assert turns == [] and box == "第8条要求什么？"
    assert app.GENERIC_ERROR in status
    assert "secret" not in status and "Traceback" not in status


def test_vote_appends_feedback(app: Any, settings: Settings) -> None:
    path = settings.feedback_path
    before = path.read_text(encoding="utf-8").count("\n") if path.exists() else 0
    _t, turns, *_ = app.chat("第8条要求什么？", [])
    _t, turns, *_ = app.chat("那第9条呢？", turns)
    transcript, turns, _p, _b, _s = app.on_transcript_click(turns, ev(action="vote", vote="down", turn="1"))
    assert turns[1]["vote"] == "down" and "已记录" in transcript
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    rec = json.loads(lines[-1])
    assert rec["question"] == "那第9条呢？" and rec["history"] == ["第8条要求什么？"]
    assert rec["vote"] == "down" and rec["citations"] == [f"{DOC}#9"] and "〔第9条〕" in rec["answer"]
    assert rec["time"]
    # a bad vote or turn index changes nothing
    _t, same, _s = app.vote(turns, 7, "up")
    assert same == turns
    assert len(path.read_text(encoding="utf-8").splitlines()) == before + 1


def test_catalog_tree(app: Any) -> None:
    (doc,) = app.catalog()
    groups = doc["groups"]
    sections = [g for g in groups if g["key"]]
    assert len(sections) == 6
    assert [g["label"] for g in sections] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    items = [u for g in sections for u in g["units"]]
    assert [u.number for u in items] == list(range(1, 20))
    assert [u.label for u in groups[0]["units"]] == ["文件头", "总体要求"]
    html = app.tree_html()
    assert len(re.findall(rf'class="dj-tree-item"[^>]*data-key="{DOC}#\d+"', html)) == 19
    assert "文件头" in html and "总体要求" in html and "深化“四强”党支部建设" in html
    assert html.count('class="dj-tree-sec"') == 6


def test_item_view_and_ask_about(app: Any) -> None:
    view, key, button = app.on_tree_select(ev(action="item", key=f"{DOC}#12"))
    assert key == f"{DOC}#12" and "第12条 不断激发干事创业精气神" in view
    assert button["interactive"] is True and "第12条要求什么？" in button["value"]
    *chat_out, tabs = app.ask_about(key, [])
    transcript, turns = chat_out[0], chat_out[1]
    assert "〔第12条〕" in transcript and turns[0]["question"] == "第12条要求什么？"
    assert tabs.selected == "chat"
    view, key, _b = app.show_item(f"{DOC}#section:3")
    assert "三、带头夯实基层基础" in view and app.question_for(key) == "第三部分讲什么？"
    assert app.question_for(f"{DOC}#header") == "这个文件是谁印发的？"
    view, key, button = app.show_item("")
    assert key == "" and button["interactive"] is False


def test_examples_and_header(app: Any) -> None:
    html = app.examples_html()
    for q in app.EXAMPLES:
        assert f'data-question="{q}"' in html
    header, tree = app.on_load()
    assert "2025年市直机关党的建设要点" in header and "东直〔2025〕3号" in header
    assert "dj-tree" in tree
    transcript, turns, *_ = app.chat("What does item 12 require?", [])
    assert "〔第12条〕" in transcript
    transcript, turns, *_ = app.clear_chat()
    assert turns == [] and "dj-welcome" in transcript


def test_unknown_events_are_ignored(app: Any) -> None:
    out = app.on_transcript_click([], ev(action="nope"))
    assert all(x == gr.skip() for x in out)
    assert app.on_source_select([], ev()) == gr.skip()

