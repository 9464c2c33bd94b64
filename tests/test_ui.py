"""UI handlers called directly (no server): chat, sources panel, follow-ups, abstention, escaping."""

from __future__ import annotations

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
from rag.llm import AI_NOTE, FAILED_CHECK_NOTE, unavailable_note
from ui import render

ROOT = Path(__file__).resolve().parent.parent
DOC = "dongzhi-2025-3"


@pytest.fixture(scope="session")
def app(ui_module: Any) -> Any:
    return ui_module


def ev(**data: Any) -> gr.EventData:
    return gr.EventData(None, data)


def test_import_does_not_load_the_index() -> None:
    code = ("import ui.app as m, ui.runtime as r, gradio as gr; "
            "assert r._rt.assistant is None; assert isinstance(m.demo, gr.Blocks)")
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
    assert turns[0]["answer"]["abstained"] and not turns[0]["answer"]["suggestions"]  # nothing near
    transcript, turns, panel, _b, _s = app.chat("党费缴纳标准是多少？", [])
    answer = turns[0]["answer"]
    assert answer["abstained"] and answer["suggestions"]
    assert "dj-abstain" in transcript and "未找到直接依据" in transcript
    first = answer["suggestions"][0]
    number = first.rpartition("#")[2]
    assert f'data-action="ask" data-question="第{number}条要求什么？"' in transcript
    assert f'data-key="{answer["suggestions"][0]}"' in panel  # the nearest passage, shown as 相关内容
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
    docs = app.catalog()
    assert len(docs) == 8 and docs[0]["primary"]
    groups = docs[0]["groups"]
    sections = [g for g in groups if g["key"]]
    assert len(sections) == 6
    assert [g["label"] for g in sections] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    items = [u for g in sections for u in g["units"]]
    assert [u.number for u in items] == list(range(1, 20))
    assert [u.label for u in groups[0]["units"]] == ["文件头", "总体要求"]
    html = app.tree_html()
    assert len(re.findall(rf'class="dj-tree-item"[^>]*data-key="{DOC}#\d+"', html)) == 19
    assert "中国共产党章程" in html
    assert "文件头" in html and "总体要求" in html and "深化“四强”党支部建设" in html
    assert len(re.findall(rf'class="dj-tree-sec"[^>]*data-key="{DOC}#section:', html)) == 6


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


def run_llm(app: Any, settings: Settings, question: str = Q8, turns: list[Any] | None = None) -> list[Any]:
    outs = list(app.chat_stream(question, turns or [], "llm", settings))
    assert outs and all(len(o) == 5 for o in outs)
    return outs


def stream_text(transcript: str) -> str:
    """The text of the answer being streamed (tags stripped)."""
    m = re.search(r'<div class="dj-text dj-stream">(.*?)</div><div class="dj-typing">', transcript, re.DOTALL)
    assert m, transcript[-400:]
    return re.sub(r"<[^>]+>", "", m.group(1))


def test_llm_answer_streams_sources_then_tokens_then_final(app: Any, settings: Settings, fake: FakeOpenAI,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "STREAM_EVERY_S", 0.0)  # every token becomes an update
    outs = run_llm(app, llm_settings(settings, fake.base_url))
    # 1. the question appears at once (box cleared), 2. the sources before any token
    first = outs[0][0]
    assert "dj-pending" in first and "正在检索原文" in first and outs[0][3] == ""
    with_sources = [i for i, o in enumerate(outs[:-1]) if "参考原文" in str(o[0])]
    assert with_sources
    i = with_sources[0]
    assert stream_text(outs[i][0]) == "" and f'data-key="{DOC}#8"' in outs[i][0] and "深化“四强”党支部建设" in outs[i][0]
    # 3. tokens stream into the bubble, growing; markers are already clickable
    texts = [stream_text(o[0]) for o in outs[i + 1:-1]]
    assert len(texts) >= 5 and all(a and len(a) < len(b) for a, b in pairwise(texts))
    assert texts[-1].startswith("第8条要求深化“四强”党支部建设。〔第8条〕")
    assert re.search(rf'<a class="dj-cite"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</a>', outs[-2][0])
    assert all(o[1] == gr.skip() for o in outs[:-1])  # the turns state changes once, at the end
    # 4. the final answer replaces the streamed text
    transcript, turns, panel, box, status = outs[-1]
    assert box == "" and status == "" and "dj-pending" not in transcript
    ans = turns[0]["answer"]
    assert ans["generated"] is True and ans["kind"] == "llm" and ans["notes"] == [AI_NOTE]
    assert ans["verification"]["ok"] is True
    assert {c["ref"] for c in ans["citations"]} == {"8"}
    links = render._marker_links(ans["citations"])
    assert render.answer_body(ans["answer"], links, 0) in transcript
    assert transcript.count(AI_NOTE) == 1 and 'class="dj-ai-h"' in transcript  # a label, not label + note
    assert re.search(rf'<a class="dj-cite"[^>]*data-turn="0"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</a>', transcript)
    assert "来源" in transcript and "参考原文" not in transcript
    assert "dj-time" in transcript and "用时" in transcript and 'data-action="vote"' in transcript
    assert ans["timings_ms"]["total"] >= ans["timings_ms"]["llm"] > 0
    # the cited unit opens in the panel, with the sentences the answer rests on marked
    assert "第8条 深化“四强”党支部建设" in panel and "<mark>" in panel
    assert "<mark>" in app.on_source_select(turns, ev(action="source", key=f"{DOC}#8", turn="0"))
    # the model saw the sources, and only once
    assert len(fake.requests) == 1 and "〔第8条〕" in json.dumps(fake.requests[0], ensure_ascii=False)


def test_llm_fabricated_citations_fall_back_to_the_extractive_answer(
        app: Any, settings: Settings, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "STREAM_EVERY_S", 0.0)
    outs = run_llm(app, llm_settings(settings, fake.base_url, "fabricated_25"))
    assert any("第25条" in stream_text(o[0]) for o in outs[:-1] if "dj-stream" in str(o[0]))  # was streamed
    transcript, turns, panel, _b, _s = outs[-1]
    ans = turns[0]["answer"]
    assert ans["generated"] is False and ans["notes"] == [FAILED_CHECK_NOTE]
    assert ans["verification"]["ok"] is False
    assert "第25条" not in transcript and "第26条" not in transcript and "dj-ai-h" not in transcript
    assert f'<div class="dj-note" role="note">{FAILED_CHECK_NOTE}</div>' in transcript
    _t, plain, *_ = app.chat(Q8, [])
    assert ans["answer"] == plain[0]["answer"]["answer"] and ans["citations"] == plain[0]["answer"]["citations"]
    assert re.search(rf'<a class="dj-cite"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</a>', transcript)
    assert "第8条 深化“四强”党支部建设" in panel


def test_llm_flagged_sentence_is_marked(app: Any, settings: Settings, fake: FakeOpenAI) -> None:
    transcript, turns, *_ = run_llm(app, llm_settings(settings, fake.base_url, "one_slip_8"))[-1]
    ans = turns[0]["answer"]
    assert ans["generated"] is True and "⚠" in ans["answer"] and "第25条" not in transcript
    assert f'<span class="dj-flag" title="{render.FLAG_TITLE}">⚠</span>' in transcript


def test_llm_unreachable_falls_back_with_a_note(app: Any, settings: Settings) -> None:
    outs = run_llm(app, llm_settings(settings, closed_port_url()))
    transcript, turns, panel, box, status = outs[-1]
    ans = turns[0]["answer"]
    note = unavailable_note("无法连接")
    assert ans["generated"] is False and ans["notes"] == [note] and status == "" and box == ""
    assert note in transcript and "Traceback" not in transcript and "dj-ai-h" not in transcript
    assert re.search(rf'<a class="dj-cite"[^>]*data-key="{DOC}#8"[^>]*>〔第8条〕</a>', transcript)
    assert "第8条 深化“四强”党支部建设" in panel
    # the note sits above the text it introduces ("以下为原文摘录")
    assert transcript.index(note) < transcript.index('class="dj-text"', transcript.index('data-turn="0"'))


def test_llm_unexpected_error_shows_the_extractive_answer(app: Any, settings: Settings, fake: FakeOpenAI,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> Iterator[Any]:
        raise RuntimeError("secret internal detail")
        yield  # a generator, like the real one

    monkeypatch.setattr(app, "stream_llm_answer", boom)
    transcript, turns, _p, _b, status = run_llm(app, llm_settings(settings, fake.base_url))[-1]
    assert turns[0]["answer"]["notes"] == [unavailable_note("内部错误")] and status == ""
    assert "〔第8条〕" in transcript and "secret" not in transcript and "Traceback" not in transcript


def test_llm_mode_keeps_refusals_errors_and_history(app: Any, settings: Settings, fake: FakeOpenAI) -> None:
    cfg = llm_settings(settings, fake.base_url)
    outs = run_llm(app, cfg, "今天天气怎么样？")
    assert len(outs) == 1 and outs[0][1][0]["answer"]["abstained"] and "dj-abstain" in outs[0][0]
    assert fake.requests == []  # a refusal never reaches the model
    outs = run_llm(app, cfg, "   ")
    assert len(outs) == 1 and outs[0][1] == []
    long_q = "党" * (MAX_QUESTION_CHARS + 1)
    (out,) = run_llm(app, cfg, long_q)
    assert out[1] == [] and out[3] == long_q and "过长" in out[4]
    # follow-ups resolve against the earlier questions, and the vote records the AI answer
    _t, turns, *_ = run_llm(app, cfg)[-1]
    _t, turns, *_ = run_llm(app, cfg, "那第9条呢？", turns)[-1]
    assert turns[1]["history"] == [Q8] and {c["ref"] for c in turns[1]["answer"]["citations"]} == {"9"}
    _t, turns, _s = app.vote(turns, 0, "up")
    rec = json.loads(settings.feedback_path.read_text(encoding="utf-8").splitlines()[-1])
    assert rec["kind"] == "llm" and rec["vote"] == "up" and rec["citations"] == [f"{DOC}#8"]


def _mode_row(blocks: gr.Blocks) -> Any:
    (row,) = [b for b in blocks.blocks.values() if getattr(b, "elem_id", None) == "dj-mode-row"]
    return row


def test_mode_switch_only_when_an_llm_is_configured(app: Any, settings: Settings, fake: FakeOpenAI) -> None:
    assert _mode_row(app.build_demo(settings)).visible is False
    assert _mode_row(app.build_demo(llm_settings(settings, fake.base_url))).visible is True
    assert _mode_row(app.demo).visible is False  # decided per page load from the process settings
    assert app.llm_enabled() is False and app.llm_enabled(llm_settings(settings, fake.base_url)) is True
    # without an LLM, "llm" mode (e.g. a stale page) is plain extractive: one update, no model call
    (out,) = list(app.chat_stream(Q8, [], "llm", settings))
    ans = out[1][0]["answer"]
    assert ans["generated"] is False and ans["notes"] == [] and ans["kind"] != "llm"
    (same,) = list(app.chat_stream(Q8, [], "extractive", llm_settings(settings, fake.base_url)))
    assert same[1][0]["answer"]["answer"] == ans["answer"] and fake.requests == []


def test_welcome_says_ai_answers_are_not_verbatim_only_where_ai_exists(settings: Settings,
                                                                        fake_openai: FakeOpenAI) -> None:  # noqa: F811
    assert "逐字摘自原文" in render.welcome_html(settings) and "AI生成" not in render.welcome_html(settings)
    ai = render.welcome_html(llm_settings(settings, fake_openai.base_url))
    assert "不再是逐字摘录" in ai and "经代码核验" in ai
