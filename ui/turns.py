"""One turn of the transcript as HTML: the answer with its 〔第N条〕 buttons, sources, suggestions,
votes, timing; a pending (streaming) turn; the whole transcript. Pieces come from render.py."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

from rag import kinds
from rag.answer import marker, section_path, unit_heading
from rag.llm import AI_NOTE

from . import export
from .render import (
    COPY_ICON,
    EXAMPLES,
    VOTES,
    WORD_ICON,
    action_button,
    chips,
    copy_source,
    esc,
    question_for,
    unit_name,
    unit_of,
    welcome_html,
)
from .runtime import AppState

_MARKER = re.compile(r"〔[^〔〕<>]{1,80}〕")


_NUMBERED = re.compile(r"^(\d+)\.\s(.*)$")


def _marker_links(server: AppState, citations: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Escaped marker text (〔第8条〕) → unit key, for the units an answer cites."""
    links: dict[str, str] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        found = unit_of(server, key)
        if found is not None:
            links.setdefault(esc(marker(*found)), key)
    return links


FLAG_TITLE = "此句未能在所引原文中核实，请以原文为准"


def _linkify(escaped: str, links: dict[str, str], turn: int, seen: set[str]) -> str:
    """Markers → buttons that open the unit; only the first marker of a unit is a Tab stop."""
    def repl(m: re.Match[str]) -> str:
        key = links.get(m.group(0))
        if key is None:
            return m.group(0)
        tab = "" if key not in seen else ' tabindex="-1"'
        seen.add(key)
        name = m.group(0)[1:-1]
        return (f'<button type="button" class="dj-cite" data-action="source" data-turn="{turn}" '
                f'data-key="{esc(key)}" aria-label="查看原文：{name}"{tab}>{m.group(0)}</button>')
    out = _MARKER.sub(repl, escaped)
    if "⚠" in out:  # a generated sentence that failed the check (rag.verify.FLAG_MARK)
        out = out.replace("⚠", f'<span class="dj-flag" title="{FLAG_TITLE}">⚠</span>')
    return out


def answer_body(text: str, links: dict[str, str], turn: int, seen: set[str] | None = None) -> str:
    """The answer's plain text as HTML: headings, numbered and bulleted quotes, linked markers."""
    seen = set() if seen is None else seen
    parts: list[str] = []
    for block in text.split("\n\n"):
        list_tag = ""
        for line in block.split("\n"):
            if not line.strip():
                continue
            m = _NUMBERED.match(line)
            tag = "ol" if m else "ul" if line.startswith("- ") else ""
            if tag != list_tag:
                if list_tag:
                    parts.append(f"</{list_tag}>")
                if tag:
                    parts.append(f"<{tag}>")
                list_tag = tag
            if m:
                parts.append(f'<li value="{m.group(1)}">{_linkify(esc(m.group(2)), links, turn, seen)}</li>')
            elif tag == "ul":
                parts.append(f"<li>{_linkify(esc(line[2:]), links, turn, seen)}</li>")
            else:
                cls = "dj-head" if line.rstrip().endswith(("：", ":")) else "dj-p"
                parts.append(f'<p class="{cls}">{_linkify(esc(line), links, turn, seen)}</p>')
        if list_tag:
            parts.append(f"</{list_tag}>")
    return "".join(parts)


def _lines_html(lines: Sequence[dict[str, Any]], numbered: bool, tail: str) -> str:
    """An evidence block's quoted lines: top-level sentences as a list, （一）…（N） items nested
    under their lead, "……" for a gap; `tail` (the unit's marker button) after the last line."""
    tag = "ol" if numbered else "ul"
    out, sub_open, n = [f"<{tag}>"], False, 0
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        body = esc(line.get("text", "")) + (tail if last else "")
        if line.get("depth"):
            if n == 0:  # a list whose lead was not quoted: its items stand alone
                out.append("<li>")
                n = 1
            if not sub_open:
                out.append('<ul class="dj-sub">')
                sub_open = True
            cls = ' class="dj-gap"' if line.get("sent_no") is None else ""
            out.append(f"<li{cls}>{body}</li>")
            continue
        if sub_open:
            out.append("</ul>")
            sub_open = False
        if n:
            out.append("</li>")
        n += 1
        out.append(f"<li>{body}")
    if sub_open:
        out.append("</ul>")
    if n:
        out.append("</li>")
    out.append(f"</{tag}>")
    return "".join(out)


def blocks_body(blocks: Sequence[dict[str, Any]], links: dict[str, str], turn: int) -> str:
    """The answer's typed blocks (rag.records.Block, as `answer_json` writes them) as HTML: the direct
    answer first, evidence cited once per unit, related units labelled as not answering."""
    seen: set[str] = set()
    parts: list[str] = []
    for b in blocks:
        kind = b.get("kind")
        mark = _linkify(esc(b["marker"]), links, turn, seen) if b.get("marker") else ""
        if kind == "answer":
            rows = esc(b.get("text", "")).split("\n")
            rows[-1] += mark
            parts.append('<div class="dj-direct">' + "".join(f"<p>{r}</p>" for r in rows) + "</div>")
        elif kind == "evidence":
            head = f'<p class="dj-head">{esc(b["heading"])}</p>' if b.get("heading") else ""
            body = _lines_html(b.get("lines", []), bool(b.get("numbered")), mark)
            parts.append(f'<div class="dj-ev">{head}{body}</div>')
        elif kind == "related":
            items = "".join(f"<li>{esc(i.get('heading', ''))}</li>" for i in b.get("items", []))
            parts.append(f'<div class="dj-related"><p class="dj-head">{esc(b.get("text", ""))}</p>'
                         f'<ul>{items}</ul></div>')
        elif kind == "generated":
            parts.append(answer_body(b.get("text", ""), links, turn, seen))
        elif kind == "note":
            parts.append(f'<p class="dj-note-p">{esc(b.get("text", ""))}</p>')
        else:
            parts.append(f'<p class="dj-p">{esc(b.get("text", ""))}</p>')
    return "".join(parts)


def _sources(server: AppState, citations: Sequence[dict[str, Any]], turn: int, *, heading: str = "来源",
             counted: bool = True) -> str:
    """The 来源 list: one button per cited unit (with "引用 N 句" when `counted`)."""
    counts: dict[str, int] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for key, count in counts.items():
        found = unit_of(server, key)
        if found is None:
            continue
        doc, unit = found
        section = section_path(doc, unit)
        title = unit.title if kinds.numbered(unit) else ""
        meta = " · ".join(x for x in (section, f"引用 {count} 句" if counted else "") if x)
        rows.append(
            f'<li><button type="button" class="dj-src" data-action="source" data-turn="{turn}" '
            f'data-key="{esc(key)}"><b>{esc(unit_name(doc, unit))}</b> {esc(title)}</button>'
            f'<span class="dj-src-meta">{esc(meta)}</span></li>')
    if not rows:
        return ""
    return (f'<div class="dj-sources"><div class="dj-sources-h">{esc(heading)}</div><ol>{"".join(rows)}</ol>'
            f'</div>')


def _suggestions(server: AppState, ans: dict[str, Any]) -> str:
    """Related items when the answer names some; example questions for a refusal with none near."""
    questions, titles = [], []
    for key in ans.get("suggestions", []):
        found = unit_of(server, key)
        if found is not None:
            questions.append(question_for(server, key))
            titles.append(unit_heading(*found))
    if questions:
        return chips(questions, "相关条目，可以直接问：", titles=titles)
    if ans.get("abstained"):
        return chips(EXAMPLES, "可以这样问：")
    return ""


def _timing(ms: object) -> str:
    if not isinstance(ms, (int, float)):
        return ""
    if ms >= 1000:
        return f"{ms / 1000:.1f} 秒"
    return f"{ms:.0f} 毫秒" if ms >= 10 else f"{ms:.1f} 毫秒"


def _note(text: str) -> str:
    """A one-line notice; the role note of an onboarding question becomes a link to its checklist."""
    m = export.ROLE_NOTE.match(text)
    if m:
        role = m.group("role")
        return (
            f'<div class="dj-note" role="note"><button type="button" class="dj-link" data-action="duties" '
            f'data-role="{esc(role)}">查看「{esc(role)}」的职责清单（入门）</button></div>'
        )
    return f'<div class="dj-note" role="note">{esc(text)}</div>'


AI_BADGE = f'<div class="dj-ai-h" title="由大模型依据检索到的原文撰写，出处已逐句核验">{esc(AI_NOTE)}</div>'


def _feedback(turn: dict[str, Any], index: int) -> str:
    vote = turn.get("vote")
    buttons = "".join(
        f'<button type="button" class="dj-vote{" on" if vote == v else ""}" data-action="vote" '
        f'data-vote="{v}" '
        f'data-turn="{index}" aria-pressed="{"true" if vote == v else "false"}" '
        f'title="{label if vote != v else "再点一次撤销"}">{icon}<span>{label}</span></button>'
        for v, icon, label in VOTES
    )
    thanks = '<span class="dj-thanks" role="status">已记录，谢谢反馈</span>' if vote else ""
    return thanks + buttons


def _reason_box(turn: dict[str, Any], index: int) -> str:
    if not (turn.get("vote") == "down" and turn.get("reason_open")):
        return ""
    return (
        f'<div class="dj-reason" data-turn="{index}">'
        f'<label for="dj-reason-{index}">哪里不对？（可不填）</label>'
        f'<textarea id="dj-reason-{index}" rows="2" maxlength="500" '
        f'placeholder="例如：引用的条目不对、没有回答问题">{esc(turn.get("reason", ""))}</textarea>'
        f'<div class="dj-reason-btns">'
        f'<button type="button" class="dj-act dj-primary" data-action="reason" '
        f'data-turn="{index}">提交</button>'
        f'<button type="button" class="dj-act" data-action="reason-cancel" '
        f'data-turn="{index}">不填了</button>'
        "</div></div>"
    )


def _meta(server: AppState, turn: dict[str, Any], index: int, ans: dict[str, Any]) -> str:
    time_html = _time(turn, ans) if server.settings.debug_timings else ""
    tools = (action_button("copy", "复制（含出处）", COPY_ICON, copy=f"dj-copy-{index}")
             + action_button("export-answer", "导出 Word", WORD_ICON, turn=index))
    return (
        f'<div class="dj-meta">{tools}{time_html}<span class="dj-spacer"></span>'
        f'{_feedback(turn, index)}</div>'
        f"{_reason_box(turn, index)}"
    )


def _time(turn: dict[str, Any], ans: dict[str, Any]) -> str:
    """The server's time (the page adds what the user waited): only with DANGJIAN_DEBUG_TIMINGS,
    a developer's measurement, not something a 支部书记 should have to read past."""
    timing = _timing(turn.get("server_ms", ans.get("timings_ms", {}).get("total")))
    if not timing:
        return ""
    return f'<span class="dj-time" data-server="{esc(timing)}">服务器用时 {esc(timing)}</span>'


def _body(ans: dict[str, Any], links: dict[str, str], index: int) -> str:
    """From the answer's blocks; a turn saved before answers had blocks shows its text."""
    if ans.get("blocks"):
        return blocks_body(ans["blocks"], links, index)
    return answer_body(ans.get("answer", ""), links, index)


def _state_attr(turn: dict[str, Any]) -> str:
    """The conversation state after the turn, which the page's script sends with its next question
    (the page asks outside Gradio's session state: ui/page_api.py)."""
    state = turn.get("state")
    if not isinstance(state, dict):
        return ""
    return f' data-state="{esc(json.dumps(state, ensure_ascii=False, separators=(",", ":")))}"'


def render_turn(server: AppState, turn: dict[str, Any], index: int) -> str:
    ans = turn["answer"]
    abstained = bool(ans.get("abstained"))
    generated = bool(ans.get("generated"))
    links = _marker_links(server, ans.get("citations", []))
    notes = "".join(_note(n) for n in ans.get("notes", []) if not (generated and n == AI_NOTE))
    head = ('<div class="dj-abstain-h">未找到直接依据</div>' if abstained else "") + (
        AI_BADGE if generated else ""
    )
    classes = "dj-a" + (" dj-abstain" if abstained else "") + (" dj-gen" if generated else "")
    copy_text = export.answer_text(turn, server.assistant().unit)
    return (
        f'<div class="dj-turn" data-turn="{index}"{_state_attr(turn)}>'
        f'<div class="dj-q"><div class="dj-bubble">{esc(turn["question"])}</div></div>'
        f'<div class="{classes}" role="article" aria-label="第{index + 1}个回答">{head}{notes}'
        f'<div class="dj-text">{_body(ans, links, index)}</div>'
        f"{_suggestions(server, ans)}{_sources(server, ans.get('citations', []), index)}"
        f"{_meta(server, turn, index, ans)}{copy_source(copy_text, f'dj-copy-{index}')}"
        f"</div></div>"
    )


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def render_pending(server: AppState, pending: dict[str, Any], index: int) -> str:
    """An AI answer being written: the sources first, then the text streamed so far."""
    sources = pending.get("sources", [])
    links = {esc(s["marker"]): f"{s['doc_id']}#{s['ref']}" for s in sources}
    raw = pending.get("text", "")
    text = _THINK.sub("", raw)  # a reasoning model's <think> block is not shown
    if not sources:
        status = "正在检索原文…"
    elif not text.strip():
        status = "正在思考…" if raw.strip() else "已找到相关原文，正在生成答案…"
    else:
        status = "正在生成…"
    return (
        f'<div class="dj-turn dj-pending" data-turn="{index}" aria-busy="true">'
        f'<div class="dj-q"><div class="dj-bubble">{esc(pending["question"])}</div></div>'
        f'<div class="dj-a dj-gen">{AI_BADGE}'
        f'<div class="dj-text dj-stream">{answer_body(text, links, index)}</div>'
        f'<div class="dj-typing">{esc(status)}</div>'
        f"{_sources(server, sources, index, heading='参考原文', counted=False)}"
        f"</div></div>"
    )


def _conversation_bar(server: AppState, turns: Sequence[dict[str, Any]], title: str) -> str:
    text = export.conversation_text(title or export.APP, turns, server.assistant().unit)
    return (f'<div class="dj-convbar"><span>整个对话（{len(turns)} 问）：</span>'
            f'{action_button("copy", "复制（含出处）", COPY_ICON, copy="dj-copy-conv")}'
            f'{action_button("export-conversation", "导出 Word", WORD_ICON)}'
            f"{copy_source(text, 'dj-copy-conv')}</div>")



_renders = itertools.count()


def render_transcript(server: AppState, turns: Sequence[dict[str, Any]],
                      pending: dict[str, Any] | None = None, *, title: str = "") -> str:
    """The whole transcript (opening a conversation, the Gradio API). Each render is marked as new
    (data-r): the page appends answers to the shown transcript itself, so a render equal to the last
    one sent (新对话 after a welcome) must still replace what is on screen."""
    mark = f' data-r="{next(_renders)}"'
    if not turns and pending is None:
        return f'<div class="dj-chat"{mark}>{welcome_html(server.settings)}</div>'
    body = "".join(render_turn(server, t, i) for i, t in enumerate(turns))
    if pending is not None:
        body += render_pending(server, pending, len(turns))
    bar = _conversation_bar(server, turns, title) if turns and pending is None else ""
    return f'<div class="dj-chat"{mark}>{body}{bar}</div>'


# -- one turn at a time (the page's script puts it in place: ui/page_js.py FLOW) ------------------


def _envelope(seq: str, kind: str, inner: str, **data: object) -> str:
    """A `<template>` (inert where it lands) the script reads: which question (`seq`), what came."""
    attrs = "".join(f' data-{k}="{esc(str(v))}"' for k, v in data.items())
    return f'<template class="dj-append" data-seq="{esc(seq)}" data-kind="{kind}"{attrs}>{inner}</template>'


def conversation_part(server: AppState, turn: dict[str, Any], index: int) -> str:
    """What the turn adds to the whole conversation's copy text (as `export.conversation_text` joins
    its turns), so the script extends that text instead of the server sending all of it again."""
    return f"【第{index + 1}问】\n" + export.answer_text(turn, server.assistant().unit, footer=False).strip()


def append_html(server: AppState, seq: str, turn: dict[str, Any], index: int, title: str) -> str:
    """The answered turn alone, plus the conversation bar for a first turn (later turns extend it):
    the same size at turn 40 as at turn 1."""
    extra = (_conversation_bar(server, [turn], title) if index == 0 else
             f'<textarea class="dj-conv-part">{esc(conversation_part(server, turn, index))}</textarea>')
    return _envelope(seq, "turn", render_turn(server, turn, index) + extra, n=index)


def append_pending(server: AppState, seq: str, pending: dict[str, Any], index: int) -> str:
    """An AI answer being written, to show in the question's placeholder."""
    return _envelope(seq, "pending", render_pending(server, pending, index), n=index)


def append_failed(seq: str, message: str, question: str) -> str:
    """No answer: the placeholder goes and the question returns to the box (`message` says why)."""
    return _envelope(seq, "failed", "", message=message, question=question)
