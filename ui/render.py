"""HTML pieces of the chat: escaping, icons, buttons, chips, the source panel, welcome, scope, status.
A turn of the transcript (answers with 〔第N条〕 buttons, sources, votes) is composed in turns.py.

Everything a user typed is escaped here before it reaches the page. Every control is a real
<button> (Enter and Space work without script); in an answer, the markers of one unit share a
single Tab stop (the first; the others are reachable by mouse and through the 来源 list). Copy
texts ride along in hidden <textarea>s so a click copies at once, without a round trip and
without the HTTPS-only Clipboard API.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

from rag import kinds
from rag.answer import section_path
from rag.config import Settings
from rag.errors import DangjianError
from rag.records import Document, Unit

from . import export
from .runtime import AppState

EXAMPLES: tuple[str, ...] = (
    "第8条要求什么？",
    "怎样加强党员教育管理？",
    "党章第三十二条怎么说",
    "预备党员的预备期多长？",
    "这个文件是谁印发的？",
)

# Thumbs drawn as SVG paths: they render on office desktops that have no emoji font.
_THUMB = (
    '<svg class="dj-ico" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.4-1'
    'L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"/></svg>'
)
_THUMB_DOWN = _THUMB.replace('class="dj-ico"', 'class="dj-ico dj-ico-down"')
COPY_ICON = (
    '<svg class="dj-ico" viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11'
    'a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z"/></svg>'
)
WORD_ICON = (
    '<svg class="dj-ico" viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm4 '
    '18H6V4h7v5h5'
    'v11zM8 12h1.6l.9 4 1-4h1l1 4 .9-4H16l-1.7 6h-1.1L12 14l-1.2 4H9.7L8 12z"/></svg>'
)

# -- HTML pieces ----------------------------------------------------------------------------


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def unit_of(server: AppState, key: str) -> tuple[Document, Unit] | None:
    """The unit `key` names in the index `server` answers from (None: no such unit, or no index)."""
    try:
        return server.assistant().unit(key)
    except DangjianError:
        return None


def unit_name(doc: Document, unit: Unit) -> str:
    """第8条 for the primary notice, 《条例》第三十条 for other documents."""
    return unit.label if doc.meta.primary else f"《{doc.meta.title}》{unit.label}"


def question_for(server: AppState, key: str) -> str:
    """The question that "asks about" a unit key (suggestion buttons, 就此条提问)."""
    doc_id, _, ref = key.rpartition("#")
    if ref.startswith("section:"):
        assistant = server.assistant()
        found_doc = assistant.index.doc(doc_id) or assistant.primary
        section = found_doc.section(int(ref.split(":", 1)[1]))
        label = section.label.rstrip("、 ") if section else ref.split(":", 1)[1]
        title = "" if found_doc.meta.primary else f"《{found_doc.meta.title}》"
        return f"{title}第{label}部分讲什么？" if found_doc.meta.primary else f"{title}{label}讲什么？"
    found = unit_of(server, key)
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
    return (f'<textarea class="dj-copytext" id="{esc(ident)}" hidden aria-hidden="true" '
            f'tabindex="-1">{esc(text)}</textarea>')


def _sheet_close() -> str:
    return ('<button type="button" class="dj-sheet-close" data-action="close-sheet" '
            'aria-label="关闭原文面板">×</button>')


PANEL_EMPTY = (
    '<div class="dj-panel dj-panel-empty"><div class="dj-panel-title">原文</div>'
    "<p>点击答案里的〔第N条〕或“来源”，<span class=\"dj-wide\">这里</span>"
    "<span class=\"dj-narrow\">屏幕底部</span>"
    "会显示该条原文全文，答案引用的句子用<mark>黄色</mark>标出。</p></div>"
)


def unit_panel(
    server: AppState, key: str, quotes: Sequence[str] = (), *, note: str = "", copy_id: str = "dj-copy-panel"
) -> str:
    """The panel for one unit: document, section path, heading, full text with <mark>s, copy/export."""
    found = unit_of(server, key)
    if found is None:
        return (f'<div class="dj-panel"><div class="dj-panel-title">原文</div>{_sheet_close()}'
                f"<p>没有找到条目“{esc(key)}”。</p></div>")
    doc, unit = found
    body, marked = _highlight(unit.text, quotes)
    meta = " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer) if x)
    path = [f"《{doc.meta.title}》", *(unit.path or ((section_path(doc, unit),) if unit.section_no else ())),
            unit_name(doc, unit)]
    crumbs = '<span class="dj-sep" aria-hidden="true">›</span>'.join(
        f"<span>{esc(p)}</span>" for p in path if p
    )
    hint = f'<div class="dj-panel-note">黄色标出的是答案引用的 {marked} 句原文。</div>' if marked else ""
    title = unit.title if kinds.numbered(unit) else ""
    heading = f"{unit_name(doc, unit)} {title}".strip()
    tools = (action_button("copy", "复制（含出处）", COPY_ICON, copy=copy_id)
             + action_button("export-item", "导出 Word", WORD_ICON, key=unit.key))
    return (
        f'<div class="dj-panel" data-key="{esc(unit.key)}" role="region" aria-label="原文：{esc(heading)}">'
        f'<div class="dj-panel-title">原文{f" · {esc(meta)}" if meta else ""}</div>{_sheet_close()}'
        f'<div class="dj-crumbs">{crumbs}</div>'
        f'<h3 class="dj-unit-h" tabindex="-1">{esc(heading)}</h3>'
        f'<div class="dj-fulltext">{body}</div>{hint}'
        f'{f"<div class=dj-panel-note>{esc(note)}</div>" if note else ""}'
        f'<div class="dj-tools">{tools}</div>{copy_source(export.item_text(doc, unit), copy_id)}</div>'
    )


def chips(questions: Sequence[str], label: str, *, titles: Sequence[str] = ()) -> str:
    """One-click questions (suggestions, examples)."""
    hints = list(titles) + [""] * (len(questions) - len(titles))
    buttons = "".join(
        f'<button type="button" class="dj-chip" data-action="ask" data-question="{esc(q)}"'
        + (f' title="{esc(t)}"' if t else "") + f">{esc(q)}</button>"
        for q, t in zip(questions, hints, strict=True))
    return (
        f'<div class="dj-sugg"><span class="dj-sugg-h">{esc(label)}</span>{buttons}</div>' if buttons else ""
    )


VOTES: tuple[tuple[str, str, str], ...] = (("up", _THUMB, "有帮助"), ("down", _THUMB_DOWN, "没帮助"))


WELCOME = (
    '<div class="dj-welcome"><div class="dj-welcome-h">您好！请直接提问。</div>'
    "<p>回答中的每一句话都逐字摘自原文，并用〔第N条〕标明出处；点击出处即可"
    '<span class="dj-wide">在右侧</span><span class="dj-narrow">在屏幕底部弹出的面板中</span>查看原文全文。'
    "找不到依据时会直接说明，不会编造。</p>"
    "<p>可以按编号问（“第8条要求什么？”“那第9条呢？”），也可以直接问工作内容；"
    '新任支部书记可以先看<button type="button" class="dj-link" data-action="tab" '
    'data-tab="onboard">入门</button>'
    "页的导览和职责清单。</p></div>"
)
WELCOME_AI = (
    "<p>选择“AI生成”时，答案由大模型依据原文撰写，不再是逐字摘录；每处引用都经代码核验，"
    "未通过核验时自动改为原文摘录。请以原文为准。</p>"
)


def welcome_html(settings: Settings) -> str:
    """The empty-chat greeting with example questions; it mentions the AI mode only where it exists."""
    ai = settings.llm_configured
    text = WELCOME.replace("</p></div>", "</p>" + WELCOME_AI + "</div>") if ai else WELCOME
    return text + chips(EXAMPLES, "可以这样问：")


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
        '<button type="button" class="dj-act dj-scope-btn" aria-expanded="false" '
        'aria-controls="dj-scope-pop" '
        f'aria-haspopup="true">{esc(scope_label([t for t, _ in picked]))}</button>'
        '<div id="dj-scope-pop" class="dj-scope-pop" hidden><fieldset>'
        f"<legend>只在选中的文件中回答（都不选＝全部文件）</legend>{boxes}</fieldset>"
        '<div class="dj-scope-btns"><button type="button" class="dj-act" data-scope="all">全部文件</button>'
        '<button type="button" class="dj-act dj-primary" data-scope="done">完成</button></div></div></div>'
    )


def status_html(message: str, kind: Literal["error", "info"] = "error") -> str:
    role = "alert" if kind == "error" else "status"
    return f'<div class="dj-status dj-status-{kind}" role="{role}">{esc(message)}</div>' if message else ""
