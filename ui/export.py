"""Take answers away: plain text (for the clipboard) and Word (.docx) for an answer, an item and a
whole conversation, always with the 〔…〕 citations and the full titles of the cited documents.

    answer_text(turn, resolve)             conversation_text(title, turns, resolve)   item_text(doc, unit)
    answer_docx(turn, resolve)             conversation_docx(title, turns, resolve)   item_docx(doc, unit)

Both render the answer's typed blocks (`"blocks"` of <ask --json>, see rag.records.Block) the way a
reader files them: the direct answer first, then each quoted unit once — its heading, its sentences
(（一）…（N） items indented), one 出处 line with the document's full title — and the 来源 list;
never a marker after every sentence, never the answer again under "引文". An LLM's answer is its
text, then the sources. A turn saved before answers had blocks is exported from its text.

A `turn` is the page's dict: {"question", "time", "answer": <ask --json>}. `resolve` maps a
`doc_id#ref` key to its (Document, Unit) — the loaded index's lookup — so the sources list can
name each document by its title and 文号. A unit the index no longer holds (removed since) is
listed by its citation alone. python-docx is imported only for Word; without it an `InputError`
says how to install it (the same message as the checklist export); the page set-up (A4, zh-CN,
office fonts, author) is rag.onboarding.export.office_document, shared with the checklist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from rag import kinds
from rag.answer import marker, section_path
from rag.onboarding.export import HEADING_FONT, SUBHEADING_FONT, docx_bytes, office_document, run_font
from rag.records import Document, Unit

Resolve = Callable[[str], tuple[Document, Unit] | None]
APP = "党建文件问答"
DOCX_MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _doc_line(doc: Document) -> str:
    meta = "，".join(x for x in (doc.meta.doc_number, doc.meta.issuer, doc.meta.date) if x)
    return f"《{doc.meta.title}》" + (f"（{meta}）" if meta else "")


def unit_name(doc: Document, unit: Unit) -> str:
    title = unit.title if kinds.numbered(unit) else ""
    return f"{unit.label} {title}".strip()


def sources(answer: Mapping[str, Any], resolve: Resolve) -> list[str]:
    """One line per cited document, in citation order: its full title, 文号, issuer and date, then
    the units cited from it ("第7条 …；第8条 …"), so a document cited for several units is named once
    and every 〔…〕 in the answer finds its document by the unit's label."""
    units: dict[str, list[str]] = {}  # the document's line → its cited units, in order
    seen: set[str] = set()
    for c in answer.get("citations", []):
        key = f"{c.get('doc_id', '')}#{c.get('ref', '')}"
        if key in seen:
            continue
        seen.add(key)
        found = resolve(key)
        if found is None:  # removed from the index since: its citation alone
            units[f"{c.get('label', '')} {c.get('title', '')}（{c.get('doc_id', '')}）".strip()] = []
            continue
        doc, unit = found
        # an item's own title; an article's "title" is its first sentence, too long for a list
        name = f"{unit.label} {unit.title}" if kinds.titled(unit) else unit.label
        units.setdefault(_doc_line(doc), []).append(name)
    return [line + (f"：{'；'.join(names)}" if names else "") for line, names in units.items()]


def source_line(block: Mapping[str, Any], resolve: Resolve) -> str:
    """An evidence block's 出处, its marker printed once, with the document's full title: the
    marker of another document names it (〔《中国共产党章程》第三十二条〕), the notice's own 〔第8条〕
    gets its title and 文号 after it."""
    mark = str(block.get("marker", ""))
    found = resolve(f"{block.get('doc_id', '')}#{block.get('ref', '')}")
    if found is None or not found[0].meta.primary:
        return f"出处：{mark}"
    doc = found[0]
    number = f"（{doc.meta.doc_number}）" if doc.meta.doc_number else ""
    return f"出处：{mark}《{doc.meta.title}》{number}"


def _when(turn: Mapping[str, Any]) -> str:
    stamp = str(turn.get("time") or "")
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return datetime.now().strftime("%Y-%m-%d %H:%M")


ROLE_NOTE = re.compile(r"^「(?P<role>[^」]{1,20})」的职责清单")


def _notes(answer: Mapping[str, Any]) -> list[str]:
    """The answer's notices worth keeping in a document (not the pointer to the 入门 checklist)."""
    return [f"说明：{n}" for n in answer.get("notes", []) if n and not ROLE_NOTE.match(str(n))]


LIST_INDENT = "　　"  # two full-width spaces: a （一）…（N） item under its lead, in plain text


def _evidence_text(b: Mapping[str, Any], resolve: Resolve) -> list[str]:
    """An evidence block once: heading, its sentences (numbered when the block is; list items
    indented), then one 出处 line instead of a marker after every sentence."""
    out = [f"{b['heading']}："] if b.get("heading") else []
    n = 0
    for line in b.get("lines", []):
        text = str(line.get("text", ""))
        if line.get("depth"):
            out.append(LIST_INDENT + text)
            continue
        n += 1
        out.append(f"{n}. {text}" if b.get("numbered") else text)
    if b.get("marker"):
        out.append(source_line(b, resolve))
    return out


def _block_text(b: Mapping[str, Any], resolve: Resolve) -> list[str]:
    kind, text = b.get("kind"), str(b.get("text", ""))
    if kind == "answer":
        mark = str(b.get("marker", ""))
        return [text if not mark or text.endswith(mark) else text + mark]
    if kind == "evidence":
        return _evidence_text(b, resolve)
    if kind == "related":
        return [text, *(f"- {item.get('heading', '')}" for item in b.get("items", []))]
    return [line for line in text.split("\n") if line.strip()]


def _body_text(answer: Mapping[str, Any], resolve: Resolve) -> list[str]:
    """The answer's lines, blocks apart by a blank line; a turn saved before answers had blocks
    gives its text as it was."""
    blocks = answer.get("blocks") or []
    if not blocks:
        return [str(answer.get("answer", "")).strip()]
    lines: list[str] = []
    for b in blocks:
        if part := _block_text(b, resolve):
            lines += [*([""] if lines else []), *part]
    return lines


def answer_text(turn: Mapping[str, Any], resolve: Resolve, *, footer: bool = True) -> str:
    """An answer as plain text for the clipboard: question, date, the answer first, each quoted unit
    once with its 出处 (full title), the 来源 list. Every sentence is verbatim; no marker repeats."""
    answer = turn.get("answer", {})
    lines = [f"问：{turn.get('question', '')}", f"时间：{_when(turn)}", "答：", *_notes(answer),
             *_body_text(answer, resolve)]
    cited = sources(answer, resolve)
    if cited:
        lines += ["", "来源：", *(f"{i}. {line}" for i, line in enumerate(cited, 1))]
    if footer:
        lines += ["", f"（摘自{APP}；引文为原文逐字摘录）"]
    return "\n".join(lines).strip() + "\n"


def conversation_text(title: str, turns: Sequence[Mapping[str, Any]], resolve: Resolve) -> str:
    stamp = f"{datetime.now():%Y-%m-%d %H:%M}"
    parts = [f"{title}", f"（{APP}，共 {len(turns)} 问，导出于 {stamp}；引文为原文逐字摘录）", ""]
    for i, turn in enumerate(turns, 1):
        parts += [f"【第{i}问】", answer_text(turn, resolve, footer=False)]
    return "\n".join(parts).strip() + "\n"


def item_text(doc: Document, unit: Unit) -> str:
    """A unit's full text with where it stands: document, 文号, section, label and title."""
    path = section_path(doc, unit)
    lines = [_doc_line(doc), *([path] if path else []), unit_name(doc, unit), unit.text.strip(),
             "", f"出处：{marker(doc, unit)} {_doc_line(doc)}{unit.label}"]
    return "\n".join(lines).strip() + "\n"


# -- Word -----------------------------------------------------------------------------------------

CHAR_PT = 16  # 三号: the body's character width, the unit of 公文 indents ("首行缩进2字符")


def _para(out: Any, text: str = "", *, indent: int = 2, left: int = 0, font: str = "",
          style: str | None = None) -> Any:
    """A body paragraph: first line indented `indent` characters, the whole `left` characters in."""
    from docx.shared import Pt

    para = out.add_paragraph(style=style)
    fmt = para.paragraph_format
    fmt.first_line_indent = Pt(CHAR_PT * indent) if indent else None
    fmt.left_indent = Pt(CHAR_PT * left) if left else None
    if text:
        run = para.add_run(text)
        if font:
            run_font(run, font)
    return para


def _evidence_docx(out: Any, b: Mapping[str, Any], resolve: Resolve, level: int) -> None:
    """Heading, the sentences (（一）…（N） items two characters further in, "1．" numbers written
    out so each unit counts from 1), one 出处 line: each sentence once, the marker once."""
    if b.get("heading"):
        out.add_heading(str(b["heading"]), level=level)
    n, para = 0, None
    for line in b.get("lines", []):
        text = str(line.get("text", ""))
        if line.get("depth"):
            para = _para(out, text, left=2)
            continue
        n += 1
        para = _para(out, f"{n}．{text}" if b.get("numbered") else text)
    if b.get("marker"):
        if para is not None:
            para.paragraph_format.keep_with_next = True  # no 出处 alone at the top of a page
        _para(out, source_line(b, resolve), indent=0, font=SUBHEADING_FONT)


def _block_docx(out: Any, b: Mapping[str, Any], resolve: Resolve, level: int) -> None:
    kind, text = b.get("kind"), str(b.get("text", ""))
    if kind == "evidence":
        _evidence_docx(out, b, resolve, level)
    elif kind == "answer":
        para = _para(out)
        run_font(para.add_run("答："), HEADING_FONT)
        mark = str(b.get("marker", ""))
        para.add_run(text if not mark or text.endswith(mark) else text + mark)
    elif kind == "related":
        _para(out, text)
        for item in b.get("items", []):
            _para(out, str(item.get("heading", "")), left=2)
    else:  # lead, note, generated (its lines, markers inline)
        for line in text.split("\n"):
            if line.strip():
                _para(out, line.strip(), font=SUBHEADING_FONT if kind == "note" else "")


def _answer_into(out: Any, turn: Mapping[str, Any], resolve: Resolve, level: int) -> None:
    """Question, date, notes, the answer's blocks (or an old turn's text), the 来源 list."""
    answer = turn.get("answer", {})
    out.add_heading(f"问：{turn.get('question', '')}", level=level)
    _para(out, f"提问时间：{_when(turn)}", indent=0, font=SUBHEADING_FONT)
    for note in _notes(answer):
        _para(out, note, font=SUBHEADING_FONT)
    blocks = answer.get("blocks") or []
    for b in blocks:
        _block_docx(out, b, resolve, level + 1)
    if not blocks:
        for line in str(answer.get("answer", "")).strip().split("\n"):
            if line.strip():
                _para(out, line.strip())
    listed = sources(answer, resolve)
    if listed:
        out.add_heading("来源", level=level + 1)
        for i, line in enumerate(listed, 1):
            _para(out, f"{i}．{line}")


def answer_docx(turn: Mapping[str, Any], resolve: Resolve) -> bytes:
    out = office_document("问答摘录", subject=str(turn.get("question", "")))
    out.add_paragraph(f"{APP}　{datetime.now():%Y-%m-%d %H:%M} 导出　引文为原文逐字摘录", style="Subtitle")
    _answer_into(out, turn, resolve, level=1)
    return docx_bytes(out)


def conversation_docx(title: str, turns: Sequence[Mapping[str, Any]], resolve: Resolve) -> bytes:
    out = office_document(title or APP, subject=f"{APP}对话记录")
    stamp = f"{datetime.now():%Y-%m-%d %H:%M}"
    out.add_paragraph(f"共{len(turns)}问　{stamp} 导出　引文为原文逐字摘录", style="Subtitle")
    for turn in turns:
        _answer_into(out, turn, resolve, level=1)
    return docx_bytes(out)


def item_docx(doc: Document, unit: Unit) -> bytes:
    """One unit as a file, titled by its own title (an item's) or by document and label (an
    article's "title" is its first sentence, printed below anyway)."""
    own = kinds.titled(unit) or not kinds.numbered(unit)
    title = unit_name(doc, unit) if own else f"《{doc.meta.title}》{unit.label}"
    out = office_document(title, subject=doc.meta.title)
    out.add_paragraph(_doc_line(doc), style="Subtitle")
    if path := section_path(doc, unit):
        out.add_heading(path, level=1)
    for para in unit.text.strip().split("\n"):
        if para.strip():
            _para(out, para.strip())
    _para(out, f"出处：{marker(doc, unit)} {_doc_line(doc)}{unit.label}", indent=0, font=SUBHEADING_FONT)
    return docx_bytes(out)


def file_name(stem: str, suffix: str) -> str:
    """A download name without path separators or control characters."""
    safe = "".join(ch for ch in stem if ch.isprintable() and ch not in '\\/:*?"<>|').strip() or APP
    return f"{safe[:40]}{suffix}"
