"""The 目录 tab: one document's tree at a time (a picker, not 472 units on one page), a filter over
titles and text, the item view with copy / Word export, and 就此条提问.

    tree_html(doc_id, query, selected)   the picked document's tree, or the units matching `query`
                                         (in that document, or in all with ALL)
    show_item(key)                       → (item view, selected key, 就此条提问 button update)
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from rag import kinds
from rag.errors import DangjianError
from rag.records import Document, Unit

from .render import esc, question_for, unit_panel
from .runtime import AppState

ALL = "*"  # the selector's 全部文件: with a filter, search every document
MAX_MATCHES = 80
SNIPPET = 28
ITEM_EMPTY = (
    '<div class="dj-panel dj-panel-empty"><p>在<span class="dj-wide">左侧</span>'
    '<span class="dj-narrow">上方</span>'
    "目录中点选一条，这里显示全文；可以复制（含出处）或导出 Word。</p></div>"
)


def doc_choices(server: AppState) -> list[tuple[str, str]]:
    """(label, doc_id) for every document served, the primary first, then 全部文件."""
    docs = server.assistant().index.docs
    return [(f"{d.meta.title}（{len(d.numbered)}{kinds.of(d).unit_word}）", d.doc_id) for d in docs] + [
        ("全部文件（筛选时）", ALL)
    ]


def _doc(server: AppState, doc_id: str) -> Document:
    assistant = server.assistant()
    return assistant.index.doc(doc_id) or assistant.primary


def _meta(doc: Document) -> str:
    return " · ".join(x for x in (doc.meta.doc_number, doc.meta.issuer, doc.meta.date) if x)


def _item(u: Unit, selected: str, extra: str = "") -> str:
    no = f'<span class="dj-no" aria-hidden="true">{u.number}</span>' if u.number is not None else ""
    title = u.title if kinds.numbered(u) else u.label
    label = u.label if u.number is not None else ""
    mark = ' aria-current="true"' if u.key == selected else ""
    active = " dj-active" if u.key == selected else ""
    return (
        f'<li>'
        f'<button type="button" class="dj-tree-item{active}" data-action="item" data-key="{esc(u.key)}"{mark}'
        f' aria-label="{esc(label + " " + title if label else title)}">'
        f'{no}<span>{esc(title)}</span>{extra}</button></li>'
    )


def _groups(doc: Document) -> list[tuple[str, str, list[Unit]]]:
    """(section key, heading, units) in document order: the units before the first section (header,
    preamble, a plain notice's opening paragraph), each section, numbered units outside them (其他条目),
    then unnumbered units after the sections (a plain notice's 落款). Without sections: the unnumbered
    units, then 其他条目."""
    in_sections = {r for s in doc.sections for r in s.refs}
    first = next((i for i, u in enumerate(doc.units) if u.ref in in_sections), len(doc.units))
    head = [u for u in doc.units[:first] if u.number is None or in_sections]
    out: list[tuple[str, str, list[Unit]]] = [("", "", head)]
    for s in doc.sections:
        out.append((f"{doc.doc_id}#section:{s.no}", f"{s.label}{s.title}",
                    [u for r in s.refs if (u := doc.unit(r)) is not None]))
    taken = in_sections | {u.ref for u in head}
    loose = [u for u in doc.units if u.ref not in taken]
    if rest := [u for u in loose if u.number is not None]:
        out.append(("", "其他条目", rest))
    if after := [u for u in loose if u.number is None]:
        out.append(("", "", after))
    return out


def _tree(doc: Document, selected: str) -> str:
    parts = [
        f'<div class="dj-tree-doc"><h2>《{esc(doc.meta.title)}》</h2><small>{esc(_meta(doc))}</small></div>'
    ]
    for key, heading, units in _groups(doc):
        if heading and key:
            parts.append(
                f'<button type="button" class="dj-tree-sec" data-action="item" data-key="{esc(key)}">'
                f"{esc(heading)}</button>"
            )
        elif heading:
            parts.append(f'<div class="dj-tree-sec">{esc(heading)}</div>')
        parts.append('<ul class="dj-tree-units">' + "".join(_item(u, selected) for u in units) + "</ul>")
    return "".join(parts)


def _documents(docs: list[Document]) -> str:
    rows = "".join(
        f'<li><button type="button" class="dj-tree-item" data-action="doc" data-doc="{esc(d.doc_id)}">'
        f'<span>《{esc(d.meta.title)}》</span>'
        f'<small class="dj-tree-count">{len(d.numbered)} {kinds.of(d).unit_word}</small>'
        f'</button></li>'
        for d in docs
    )
    return (f'<p class="dj-tree-hint">共 {len(docs)} 个文件。选一个文件查看目录，'
            f'或在上面输入词语，在全部文件中筛选。</p><ul class="dj-tree-units">{rows}</ul>')


def _snippet(text: str, term: str) -> str:
    at = text.casefold().find(term)
    if at < 0:
        return ""
    start, end = max(0, at - SNIPPET), min(len(text), at + len(term) + SNIPPET)
    head, hit, tail = text[start:at], text[at:at + len(term)], text[at + len(term):end]
    return (f'<span class="dj-snip">{"…" if start else ""}{esc(head)}<mark>{esc(hit)}</mark>'
            f'{esc(tail)}{"…" if end < len(text) else ""}</span>')


def _matches(docs: list[Document], query: str, selected: str) -> str:
    terms = [t.casefold() for t in query.split() if t]
    found: list[str] = []
    total = 0
    for doc in docs:
        for u in doc.units:
            hay = f"{u.label} {u.title} {u.text}".casefold()
            if all(t in hay for t in terms):
                total += 1
                if len(found) < MAX_MATCHES:
                    where = (
                        ""
                        if len(docs) == 1
                        else f'<small class="dj-tree-count">《{esc(doc.meta.title)}》</small>'
                    )
                    found.append(_item(u, selected, where + _snippet(u.text, terms[0])))
    shown = f"，显示前 {MAX_MATCHES} 条" if total > MAX_MATCHES else ""
    scope = "全部文件" if len(docs) > 1 else f"《{docs[0].meta.title}》"
    head = (f'<p class="dj-tree-hint" role="status">在{esc(scope)}中找到 {total} '
            f'条含“{esc(query)}”的条目{shown}。</p>')
    return head + (f'<ul class="dj-tree-units">{"".join(found)}</ul>' if found else "")


def tree_html(server: AppState, doc_id: str = "", query: str = "", selected: str = "") -> str:
    """The catalog: one document's tree; the units matching `query`; or (ALL) the document list."""
    try:
        query = " ".join((query or "").split())[:50]
        if doc_id == ALL:
            docs = list(server.assistant().index.docs)
            body = _matches(docs, query, selected) if query else _documents(docs)
        else:
            doc = _doc(server, doc_id)
            body = _matches([doc], query, selected) if query else _tree(doc, selected)
    except DangjianError as err:
        body = f'<p class="dj-tree-hint">索引不可用：{esc(err)}</p>'
    return f'<div class="dj-tree">{body}</div>'


def section_view(server: AppState, key: str) -> str:
    doc_id, _, ref = key.rpartition("#")
    doc = _doc(server, doc_id)
    try:
        section = doc.section(int(ref.split(":", 1)[-1]))
    except ValueError:
        section = None
    if section is None:
        return f'<div class="dj-panel"><p>没有找到“{esc(key)}”。</p></div>'
    rows = "".join(f'<li><button type="button" class="dj-link" data-action="item" data-key="{esc(u.key)}">'
                   f"<b>{esc(u.label)}</b> {esc(u.title)}</button></li>"
                   for r in section.refs if (u := doc.unit(r)) is not None)
    return (f'<div class="dj-panel"><div class="dj-panel-title">《{esc(doc.meta.title)}》</div>'
            f'<h3 class="dj-unit-h" tabindex="-1">{esc(section.label + section.title)}</h3>'
            f'<p>本部分共 {len(section.refs)} {kinds.of(doc).unit_word}：</p>'
            f'<ul class="dj-sec-list">{rows}</ul></div>')


def show_item(server: AppState, key: str) -> tuple[str, str, Any]:
    """Catalog click → (item view html, selected key, 就此条提问 button update)."""
    if not key:
        return ITEM_EMPTY, "", gr.update(interactive=False, value="就此条提问")
    view = (section_view(server, key) if "#section:" in key
            else unit_panel(server, key, copy_id="dj-copy-item"))
    return view, key, gr.update(interactive=True, value=f"就此条提问：{question_for(server, key)}")


def link_key(server: AppState, item: str, doc: str = "") -> str:
    """`?item=8` / `?doc=dangzhang-2022&item=32` → the unit key ("" when it names nothing)."""
    item, doc = (item or "").strip(), (doc or "").strip()
    if not item:
        return ""
    try:
        found = server.assistant().unit(f"{doc}#{item}" if doc else item)
    except DangjianError:
        return ""
    return found[1].key if found else ""
