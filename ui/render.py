"""HTML pieces of the page: answers with clickable 〔第N条〕 markers, sources, the side panel.

Everything a user typed is escaped here before it reaches the page.
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

from .runtime import get_assistant, llm_enabled

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
        return f"第{label}部分讲什么？"
    found = _unit(key)
    if found is None:
        return f"{ref}讲了什么？"
    doc, unit = found
    if unit.kind == "header":
        return "这个文件是谁印发的？"
    if unit.kind == "preamble":
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


PANEL_EMPTY = (
    '<div class="dj-panel dj-panel-empty"><div class="dj-panel-title">原文</div>'
    "<p>点击答案里的〔第N条〕标记或下方“来源”，这里会显示该条原文全文，"
    "答案引用的句子用<mark>黄色</mark>标出。</p></div>"
)


def unit_panel(key: str, quotes: Sequence[str] = (), *, note: str = "") -> str:
    """The side panel for one unit: document, section path, heading, full text with <mark>s."""
    found = _unit(key)
    if found is None:
        return (f'<div class="dj-panel"><div class="dj-panel-title">原文</div>'
                f"<p>没有找到条目“{esc(key)}”。</p></div>")
    doc, unit = found
    body, marked = _highlight(unit.text, quotes)
    meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer) if x)
    path = [f"《{doc.meta.title}》", *(unit.path or ((section_path(doc, unit),) if unit.section_no else ())),
            unit_name(doc, unit)]
    crumbs = '<span class="dj-sep">›</span>'.join(f"<span>{esc(p)}</span>" for p in path if p)
    hint = f'<div class="dj-panel-note">黄色标出的是答案引用的 {marked} 句原文。</div>' if marked else ""
    title = unit.title if unit.kind in ("item", "article") else ""
    heading = f"{unit_name(doc, unit)} {title}".strip()
    return (
        f'<div class="dj-panel" data-key="{esc(unit.key)}">'
        f'<div class="dj-panel-title">原文{f" · {esc(meta)}" if meta else ""}</div>'
        f'<div class="dj-crumbs">{crumbs}</div>'
        f'<h3 class="dj-unit-h">{esc(heading)}</h3>'
        f'<div class="dj-fulltext">{body}</div>{hint}'
        f'{f"<div class=dj-panel-note>{esc(note)}</div>" if note else ""}</div>'
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


def _linkify(escaped: str, links: dict[str, str], turn: int) -> str:
    def repl(m: re.Match[str]) -> str:
        key = links.get(m.group(0))
        if key is None:
            return m.group(0)
        return (f'<a class="dj-cite" href="#" role="button" data-action="source" data-turn="{turn}" '
                f'data-key="{esc(key)}" title="查看原文">{m.group(0)}</a>')
    out = _MARKER.sub(repl, escaped)
    if "⚠" in out:  # a generated sentence that failed the check (rag.verify.FLAG_MARK)
        out = out.replace("⚠", f'<span class="dj-flag" title="{FLAG_TITLE}">⚠</span>')
    return out


def answer_body(text: str, links: dict[str, str], turn: int) -> str:
    """The answer's plain text as HTML: headings, numbered and bulleted quotes, linked markers."""
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
                parts.append(f'<li value="{m.group(1)}">{_linkify(esc(m.group(2)), links, turn)}</li>')
            elif tag == "ul":
                parts.append(f"<li>{_linkify(esc(line[2:]), links, turn)}</li>")
            else:
                cls = "dj-head" if line.rstrip().endswith(("：", ":")) else "dj-p"
                parts.append(f'<p class="{cls}">{_linkify(esc(line), links, turn)}</p>')
        if list_tag:
            parts.append(f"</{list_tag}>")
    return "".join(parts)


def _sources(citations: Sequence[dict[str, Any]], turn: int, *, heading: str = "来源",
             counted: bool = True) -> str:
    """The 来源 list: one clickable row per cited unit (with "引用 N 句" when `counted`)."""
    counts: dict[str, int] = {}
    for c in citations:
        key = f"{c['doc_id']}#{c['ref']}"
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return ""
    rows = []
    for n, (key, count) in enumerate(counts.items(), 1):
        found = _unit(key)
        if found is None:
            continue
        doc, unit = found
        section = section_path(doc, unit)
        title = unit.title if unit.kind in ("item", "article") else ""
        rows.append(
            f'<li><a class="dj-src" href="#" role="button" data-action="source" data-turn="{turn}" '
            f'data-key="{esc(key)}"><b>{esc(unit_name(doc, unit))}</b> {esc(title)}</a>'
            f'<span class="dj-src-meta">{esc(" · ".join(x for x in (section, f"引用 {count} 句" if counted else "") if x))}'
            '</span></li>')
    return f'<div class="dj-sources"><div class="dj-sources-h">{esc(heading)}</div><ol>{"".join(rows)}</ol></div>'


def _suggestions(keys: Sequence[str]) -> str:
    buttons = []
    for key in keys:
        found = _unit(key)
        if found is None:
            continue
        doc, unit = found
        q = question_for(key)
        buttons.append(f'<button class="dj-chip" data-action="ask" data-question="{esc(q)}" '
                       f'title="{esc(unit_heading(doc, unit))}">{esc(q)}</button>')
    if not buttons:
        return ""
    return f'<div class="dj-sugg"><span>可以直接问：</span>{"".join(buttons)}</div>'


def _timing(ms: object) -> str:
    if not isinstance(ms, (int, float)):
        return ""
    if ms >= 1000:
        return f"用时 {ms / 1000:.1f} 秒"
    return f"用时 {ms:.0f} 毫秒" if ms >= 10 else f"用时 {ms:.1f} 毫秒"


AI_BADGE = f'<div class="dj-ai-h" title="由大模型依据检索到的原文撰写，出处已逐句核验">{esc(AI_NOTE)}</div>'


def render_turn(turn: dict[str, Any], index: int) -> str:
    ans = turn["answer"]
    abstained = bool(ans.get("abstained"))
    generated = bool(ans.get("generated"))
    links = _marker_links(ans.get("citations", []))
    notes = "".join(f'<div class="dj-note" role="note">{esc(n)}</div>' for n in ans.get("notes", [])
                    if not (generated and n == AI_NOTE))  # the badge already says it
    vote = turn.get("vote")
    votes = "".join(
        f'<button class="dj-vote{" on" if vote == v else ""}" data-action="vote" data-vote="{v}" '
        f'data-turn="{index}" title="{label}">{icon} {label}</button>'
        for v, icon, label in (("up", "👍", "有帮助"), ("down", "👎", "没帮助")))
    thanks = '<span class="dj-thanks">已记录，谢谢反馈</span>' if vote else ""
    head = ('<div class="dj-abstain-h">未找到直接依据</div>' if abstained else "") + (AI_BADGE if generated else "")
    classes = "dj-a" + (" dj-abstain" if abstained else "") + (" dj-gen" if generated else "")
    return (
        f'<div class="dj-turn" data-turn="{index}">'
        f'<div class="dj-q"><div class="dj-bubble">{esc(turn["question"])}</div></div>'
        f'<div class="{classes}">{head}{notes}'
        f'<div class="dj-text">{answer_body(ans.get("answer", ""), links, index)}</div>'
        f"{_suggestions(ans.get('suggestions', []))}{_sources(ans.get('citations', []), index)}"
        f'<div class="dj-meta"><span class="dj-time">{esc(_timing(ans.get("timings_ms", {}).get("total")))}</span>'
        f'<span class="dj-spacer"></span>{thanks}{votes}</div>'
        f"</div></div>"
    )


WELCOME = (
    '<div class="dj-welcome"><div class="dj-welcome-h">您好！请直接提问。</div>'
    "<p>回答中的每一句话都逐字摘自原文，并用〔第N条〕标明出处；点击出处即可在右侧查看原文全文。"
    "找不到依据时会直接说明，不会编造。</p>"
    "<p>可以按编号问（“第8条要求什么？”“那第9条呢？”），按部分问（“第三部分讲什么？”），"
    "也可以直接问工作内容（“怎样加强党员教育管理？”）。</p></div>"
)
WELCOME_AI = (
    "<p>选择“AI生成”时，答案由大模型依据原文撰写，不再是逐字摘录；每处引用都经代码核验，"
    "未通过核验时自动改为原文摘录。请以原文为准。</p>"
)


def welcome_html(settings: Settings | None = None) -> str:
    """The empty-chat greeting; it mentions the AI mode only where that mode exists."""
    return WELCOME.replace("</p></div>", "</p>" + WELCOME_AI + "</div>") if llm_enabled(settings) else WELCOME


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


def render_transcript(turns: Sequence[dict[str, Any]], pending: dict[str, Any] | None = None) -> str:
    if not turns and pending is None:
        return f'<div class="dj-chat">{welcome_html()}</div>'
    body = "".join(render_turn(t, i) for i, t in enumerate(turns))
    if pending is not None:
        body += render_pending(pending, len(turns))
    return f'<div class="dj-chat">{body}</div>'


def status_html(message: str, kind: Literal["error", "info"] = "error") -> str:
    return f'<div class="dj-status dj-status-{kind}" role="alert">{esc(message)}</div>' if message else ""


