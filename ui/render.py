"""HTML pieces of the chat: answers with 〔第N条〕 buttons, sources, votes, copy/export, the panel.

Everything a user typed is escaped here before it reaches the page. Every control is a real
<button> (Enter and Space work without script); in an answer, the markers of one unit share a
single Tab stop (the first; the others are reachable by mouse and through the 来源 list). Copy
texts ride along in hidden <textarea>s so a click copies at once, without a round trip and
without the HTTPS-only Clipboard API.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any, Literal

from rag.answer import marker, section_path, unit_heading
from rag.config import Settings
from rag.errors import DangjianError
from rag.llm import AI_NOTE
from rag.records import Document, Unit

from . import export
from .runtime import get_assistant, llm_enabled

EXAMPLES: tuple[str, ...] = (
    "第8条要求什么？",
    "怎样加强党员教育管理？",
    "党章第三十二条怎么说",
    "预备党员的预备期多长？",
    "这个文件是谁印发的？",
)

# Thumbs drawn as SVG paths: they render on office desktops that have no emoji font.
_THUMB = ('<svg class="dj-ico" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">'
          '<path fill="currentColor" d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.4-1'
          'L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"/></svg>')
_THUMB_DOWN = _THUMB.replace('class="dj-ico"', 'class="dj-ico dj-ico-down"')
_COPY_ICO = ('<svg class="dj-ico" viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">'
             '<path fill="currentColor" d="M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11'
             'a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z"/></svg>')
_WORD_ICO = ('<svg class="dj-ico" viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">'
             '<path fill="currentColor" d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm4 18H6V4h7v5h5'
             'v11zM8 12h1.6l.9 4 1-4h1l1 4 .9-4H16l-1.7 6h-1.1L12 14l-1.2 4H9.7L8 12z"/></svg>')

# -- HTML pieces ----------------------------------------------------------------------------


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _unit(key: str) -> tuple[Document, Unit] | None:
    try:
        return get_assistant().unit(key)
    except DangjianError:
        return None


def unit_name(doc: Document, unit: Unit) -> str:
    """第8条 for the primary notice, 《条例》第三十条 for other documents."""
    return unit.label if doc.meta.primary else f"《{doc.meta.title}》{unit.label}"


def question_for(key: str) -> str:
    """The question that "asks about" a unit key (suggestion buttons, 就此条提问)."""
    doc_id, _, ref = key.rpartition("#")
    if ref.startswith("section:"):
        found_doc = get_assistant().index.doc(doc_id) or get_assistant().primary
        section = found_doc.section(int(ref.split(":", 1)[1]))
        label = section.label.rstrip("、 ") if section else ref.split(":", 1)[1]
        title = "" if found_doc.meta.primary else f"《{found_doc.meta.title}》"
        return f"{title}第{label}部分讲什么？" if found_doc.meta.primary else f"{title}{label}讲什么？"
    found = _unit(key)
    if found is None:
        return f"{ref}讲了什么？"
    doc, unit = found
    if unit.kind == "header":
        return "这个文件是谁印发的？"
    if unit.kind == "preamble" and doc.meta.primary:
        return "总体要求是什么？"
    return f"{unit_name(doc, unit)}要求什么？"


def _highlight(text: str, quotes: Sequence[str]) -> tuple[str, int]:
    """Escape `text`, wrapping each occurrence of a quoted sentence in <mark>."""
    spans: list[tuple[int, int]] = []
    for quote in dict.fromkeys(q for q in quotes if q):
        start = text.find(quote)
        while start >= 0:
            end = start + len(quote)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
                break
            start = text.find(quote, start + 1)
    spans.sort()
    out, pos = [], 0
    for start, end in spans:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out), len(spans)


def action_button(action: str, label: str, icon: str = "", **data: object) -> str:
    """A small toolbar button; `data` become data-* attributes the page's delegate reads."""
    attrs = "".join(f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in data.items())
    return f'<button type="button" class="dj-act" data-action="{action}"{attrs}>{icon}{esc(label)}</button>'


def copy_source(text: str, ident: str) -> str:
    """The hidden text a 复制 button copies (`data-copy` names it)."""
    return f'<textarea class="dj-copytext" id="{esc(ident)}" hidden aria-hidden="true" tabindex="-1">{esc(text)}</textarea>'


def _sheet_close() -> str:
    return '<button type="button" class="dj-sheet-close" data-action="close-sheet" aria-label="关闭原文面板">×</button>'


PANEL_EMPTY = (
    '<div class="dj-panel dj-panel-empty"><div class="dj-panel-title">原文</div>'
    "<p>点击答案里的〔第N条〕或“来源”，<span class=\"dj-wide\">这里</span><span class=\"dj-narrow\">屏幕底部</span>"
    "会显示该条原文全文，答案引用的句子用<mark>黄色</mark>标出。</p></div>"
)


def unit_panel(key: str, quotes: Sequence[str] = (), *, note: str = "", copy_id: str = "dj-copy-panel") -> str:
    """The panel for one unit: document, section path, heading, full text with <mark>s, copy/export."""
    found = _unit(key)
    if found is None:
        return (f'<div class="dj-panel"><div class="dj-panel-title">原文</div>{_sheet_close()}'
                f"<p>没有找到条目“{esc(key)}”。</p></div>")
    doc, unit = found
    body, marked = _highlight(unit.text, quotes)
    meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer) if x)
    path = [f"《{doc.meta.title}》", *(unit.path or ((section_path(doc, unit),) if unit.section_no else ())),
            unit_name(doc, unit)]
    crumbs = '<span class="dj-sep" aria-hidden="true">›</span>'.join(f"<span>{esc(p)}</span>" for p in path if p)
    hint = f'<div class="dj-panel-note">黄色标出的是答案引用的 {marked} 句原文。</div>' if marked else ""
    title = unit.title if unit.kind in ("item", "article") else ""
    heading = f"{unit_name(doc, unit)} {title}".strip()
    tools = (action_button("copy", "复制（含出处）", _COPY_ICO, copy=copy_id)
             + action_button("export-item", "导出 Word", _WORD_ICO, key=unit.key))
    return (
        f'<div class="dj-panel" data-key="{esc(unit.key)}" role="region" aria-label="原文：{esc(heading)}">'
        f'<div class="dj-panel-title">原文{f" · {esc(meta)}" if meta else ""}</div>{_sheet_close()}'
        f'<div class="dj-crumbs">{crumbs}</div>'
        f'<h3 class="dj-unit-h" tabindex="-1">{esc(heading)}</h3>'
        f'<div class="dj-fulltext">{body}</div>{hint}'
        f'{f"<div class=dj-panel-note>{esc(note)}</div>" if note else ""}'
        f'<div class="dj-tools">{tools}</div>{copy_source(export.item_text(doc, unit), copy_id)}</div>'
    )


_MARKER = re.compile(r"〔[^〔〕<>]{1,80}〕")
_NUMBERED = re.compile(r"^(\d+)\.\s(.*)$")


def _marker_links(citations: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Escaped marker text (〔第8条〕) → unit key, for the units an answer cites."""
    links: dict[str, str] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        found = _unit(key)
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


def _sources(citations: Sequence[dict[str, Any]], turn: int, *, heading: str = "来源",
             counted: bool = True) -> str:
    """The 来源 list: one button per cited unit (with "引用 N 句" when `counted`)."""
    counts: dict[str, int] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for key, count in counts.items():
        found = _unit(key)
        if found is None:
            continue
        doc, unit = found
        section = section_path(doc, unit)
        title = unit.title if unit.kind in ("item", "article") else ""
        meta = " · ".join(x for x in (section, f"引用 {count} 句" if counted else "") if x)
        rows.append(
            f'<li><button type="button" class="dj-src" data-action="source" data-turn="{turn}" '
            f'data-key="{esc(key)}"><b>{esc(unit_name(doc, unit))}</b> {esc(title)}</button>'
            f'<span class="dj-src-meta">{esc(meta)}</span></li>')
    if not rows:
        return ""
    return f'<div class="dj-sources"><div class="dj-sources-h">{esc(heading)}</div><ol>{"".join(rows)}</ol></div>'


def chips(questions: Sequence[str], label: str, *, titles: Sequence[str] = ()) -> str:
    """One-click questions (suggestions, examples)."""
    hints = list(titles) + [""] * (len(questions) - len(titles))
    buttons = "".join(
        f'<button type="button" class="dj-chip" data-action="ask" data-question="{esc(q)}"'
        + (f' title="{esc(t)}"' if t else "") + f">{esc(q)}</button>"
        for q, t in zip(questions, hints, strict=True))
    return f'<div class="dj-sugg"><span class="dj-sugg-h">{esc(label)}</span>{buttons}</div>' if buttons else ""


def _suggestions(ans: dict[str, Any]) -> str:
    """Related items when the answer names some; example questions for a refusal with none near."""
    questions, titles = [], []
    for key in ans.get("suggestions", []):
        found = _unit(key)
        if found is not None:
            questions.append(question_for(key))
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
        return (f'<div class="dj-note" role="note"><button type="button" class="dj-link" data-action="duties" '
                f'data-role="{esc(role)}">查看「{esc(role)}」的职责清单（入门）</button></div>')
    return f'<div class="dj-note" role="note">{esc(text)}</div>'


AI_BADGE = f'<div class="dj-ai-h" title="由大模型依据检索到的原文撰写，出处已逐句核验">{esc(AI_NOTE)}</div>'
VOTES: tuple[tuple[str, str, str], ...] = (("up", _THUMB, "有帮助"), ("down", _THUMB_DOWN, "没帮助"))


def _feedback(turn: dict[str, Any], index: int) -> str:
    vote = turn.get("vote")
    buttons = "".join(
        f'<button type="button" class="dj-vote{" on" if vote == v else ""}" data-action="vote" data-vote="{v}" '
        f'data-turn="{index}" aria-pressed="{"true" if vote == v else "false"}" '
        f'title="{label if vote != v else "再点一次撤销"}">{icon}<span>{label}</span></button>'
        for v, icon, label in VOTES)
    thanks = '<span class="dj-thanks" role="status">已记录，谢谢反馈</span>' if vote else ""
    return thanks + buttons


def _reason_box(turn: dict[str, Any], index: int) -> str:
    if not (turn.get("vote") == "down" and turn.get("reason_open")):
        return ""
    return (f'<div class="dj-reason" data-turn="{index}"><label for="dj-reason-{index}">哪里不对？（可不填）</label>'
            f'<textarea id="dj-reason-{index}" rows="2" maxlength="500" '
            f'placeholder="例如：引用的条目不对、没有回答问题">{esc(turn.get("reason", ""))}</textarea>'
            f'<div class="dj-reason-btns">'
            f'<button type="button" class="dj-act dj-primary" data-action="reason" data-turn="{index}">提交</button>'
            f'<button type="button" class="dj-act" data-action="reason-cancel" data-turn="{index}">不填了</button>'
            "</div></div>")


def _meta(turn: dict[str, Any], index: int, ans: dict[str, Any]) -> str:
    server = turn.get("server_ms", ans.get("timings_ms", {}).get("total"))
    timing = _timing(server)
    time_html = (f'<span class="dj-time" data-server="{esc(timing)}">服务器用时 {esc(timing)}</span>'
                 if timing else "")
    tools = (action_button("copy", "复制（含出处）", _COPY_ICO, copy=f"dj-copy-{index}")
             + action_button("export-answer", "导出 Word", _WORD_ICO, turn=index))
    return (f'<div class="dj-meta">{tools}{time_html}<span class="dj-spacer"></span>{_feedback(turn, index)}</div>'
            f"{_reason_box(turn, index)}")


def render_turn(turn: dict[str, Any], index: int) -> str:
    ans = turn["answer"]
    abstained = bool(ans.get("abstained"))
    generated = bool(ans.get("generated"))
    links = _marker_links(ans.get("citations", []))
    notes = "".join(_note(n) for n in ans.get("notes", []) if not (generated and n == AI_NOTE))
    head = ('<div class="dj-abstain-h">未找到直接依据</div>' if abstained else "") + (AI_BADGE if generated else "")
    classes = "dj-a" + (" dj-abstain" if abstained else "") + (" dj-gen" if generated else "")
    copy_text = export.answer_text(turn, get_assistant().unit)
    return (
        f'<div class="dj-turn" data-turn="{index}">'
        f'<div class="dj-q"><div class="dj-bubble">{esc(turn["question"])}</div></div>'
        f'<div class="{classes}" role="article" aria-label="第{index + 1}个回答">{head}{notes}'
        f'<div class="dj-text">{answer_body(ans.get("answer", ""), links, index)}</div>'
        f"{_suggestions(ans)}{_sources(ans.get('citations', []), index)}"
        f"{_meta(turn, index, ans)}{copy_source(copy_text, f'dj-copy-{index}')}"
        f"</div></div>"
    )


WELCOME = (
    '<div class="dj-welcome"><div class="dj-welcome-h">您好！请直接提问。</div>'
    "<p>回答中的每一句话都逐字摘自原文，并用〔第N条〕标明出处；点击出处即可"
    '<span class="dj-wide">在右侧</span><span class="dj-narrow">在屏幕底部弹出的面板中</span>查看原文全文。'
    "找不到依据时会直接说明，不会编造。</p>"
    "<p>可以按编号问（“第8条要求什么？”“那第9条呢？”），也可以直接问工作内容；"
    '新任支部书记可以先看<button type="button" class="dj-link" data-action="tab" data-tab="onboard">入门</button>'
    "页的导览和职责清单。</p></div>"
)
WELCOME_AI = (
    "<p>选择“AI生成”时，答案由大模型依据原文撰写，不再是逐字摘录；每处引用都经代码核验，"
    "未通过核验时自动改为原文摘录。请以原文为准。</p>"
)


def welcome_html(settings: Settings | None = None) -> str:
    """The empty-chat greeting with example questions; it mentions the AI mode only where it exists."""
    text = WELCOME.replace("</p></div>", "</p>" + WELCOME_AI + "</div>") if llm_enabled(settings) else WELCOME
    return text + chips(EXAMPLES, "可以这样问：")


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def render_pending(pending: dict[str, Any], index: int) -> str:
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
        f"{_sources(sources, index, heading='参考原文', counted=False)}"
        f"</div></div>"
    )


def _conversation_bar(turns: Sequence[dict[str, Any]], title: str) -> str:
    text = export.conversation_text(title or export.APP, turns, get_assistant().unit)
    return (f'<div class="dj-convbar"><span>整个对话（{len(turns)} 问）：</span>'
            f'{action_button("copy", "复制（含出处）", _COPY_ICO, copy="dj-copy-conv")}'
            f'{action_button("export-conversation", "导出 Word", _WORD_ICO)}'
            f"{copy_source(text, 'dj-copy-conv')}</div>")


def render_transcript(turns: Sequence[dict[str, Any]], pending: dict[str, Any] | None = None, *,
                      title: str = "") -> str:
    if not turns and pending is None:
        return f'<div class="dj-chat">{welcome_html()}</div>'
    body = "".join(render_turn(t, i) for i, t in enumerate(turns))
    if pending is not None:
        body += render_pending(pending, len(turns))
    bar = _conversation_bar(turns, title) if turns and pending is None else ""
    return f'<div class="dj-chat">{body}{bar}</div>'


def scope_label(titles: Sequence[str]) -> str:
    if not titles:
        return "范围：全部文件"
    return f"范围：《{titles[0]}》" if len(titles) == 1 else f"范围：{len(titles)} 个文件"


def scope_html(choices: Sequence[tuple[str, str]], selected: Sequence[str] = ()) -> str:
    """The document scope of questions: a button that opens a checkbox list (none checked = all)."""
    picked = [c for c in choices if c[1] in set(selected)]
    boxes = "".join(
        f'<label class="dj-scope-opt"><input type="checkbox" value="{esc(doc_id)}" data-title="{esc(title)}"'
        f'{" checked" if doc_id in set(selected) else ""}> {esc(title)}</label>' for title, doc_id in choices)
    return (
        '<div class="dj-scope">'
        '<button type="button" class="dj-act dj-scope-btn" aria-expanded="false" aria-controls="dj-scope-pop" '
        f'aria-haspopup="true">{esc(scope_label([t for t, _ in picked]))}</button>'
        '<div id="dj-scope-pop" class="dj-scope-pop" hidden><fieldset>'
        f"<legend>只在选中的文件中回答（都不选＝全部文件）</legend>{boxes}</fieldset>"
        '<div class="dj-scope-btns"><button type="button" class="dj-act" data-scope="all">全部文件</button>'
        '<button type="button" class="dj-act dj-primary" data-scope="done">完成</button></div></div></div>')


def status_html(message: str, kind: Literal["error", "info"] = "error") -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="dj-status dj-status-{kind}" role="{role}">{esc(message)}</div>' if message else ""
