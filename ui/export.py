"""Take answers away: plain text (for the clipboard) and Word (.docx) for an answer, an item and a
whole conversation, always with the 〔…〕 citations and the full titles of the cited documents.

    answer_text(turn, resolve)             conversation_text(title, turns, resolve)   item_text(doc, unit)
    answer_docx(turn, resolve)             conversation_docx(title, turns, resolve)   item_docx(doc, unit)

A `turn` is the page's dict: {"question", "time", "answer": <ask --json>}. `resolve` maps a
`doc_id#ref` key to its (Document, Unit) — the loaded index's lookup — so the sources list can
name each document by its title and 文号. A unit the index no longer holds (removed since) is
listed by its citation alone. python-docx is imported only for Word; without it an `InputError`
says how to install it (the same message as the checklist export).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from rag.answer import marker, section_path
from rag.errors import InputError
from rag.onboarding.export import DOCX_MISSING
from rag.records import Document, Unit

Resolve = Callable[[str], tuple[Document, Unit] | None]
APP = "党建文件问答"
DOCX_MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _doc_line(doc: Document) -> str:
    meta = "，".join(x for x in (doc.meta.doc_number, doc.meta.issuer, doc.meta.date) if x)
    return f"《{doc.meta.title}》" + (f"（{meta}）" if meta else "")


def unit_name(doc: Document, unit: Unit) -> str:
    title = unit.title if unit.kind in ("item", "article") else ""
    return f"{unit.label} {title}".strip()


def sources(answer: Mapping[str, Any], resolve: Resolve) -> list[str]:
    """One line per cited unit, in citation order: marker, document title and 文号, unit, section."""
    lines: list[str] = []
    seen: set[str] = set()
    for c in answer.get("citations", []):
        key = f"{c.get('doc_id', '')}#{c.get('ref', '')}"
        if key in seen:
            continue
        seen.add(key)
        found = resolve(key)
        if found is None:
            lines.append(f"{c.get('label', '')} {c.get('title', '')}（{c.get('doc_id', '')}）".strip())
            continue
        doc, unit = found
        path = section_path(doc, unit)
        lines.append(
            f"{marker(doc, unit)} {_doc_line(doc)}{unit_name(doc, unit)}" + (f"（{path}）" if path else "")
        )
    return lines


def quotes(answer: Mapping[str, Any], resolve: Resolve) -> list[tuple[str, str]]:
    """(quote, full citation) for every quoted sentence: the citation names the document's title."""
    out: list[tuple[str, str]] = []
    for c in answer.get("citations", []):
        found = resolve(f"{c.get('doc_id', '')}#{c.get('ref', '')}")
        if found is None:
            cite = f"〔{c.get('label', '')}〕"
        else:
            doc, unit = found
            cite = (
                f"{marker(doc, unit)}《{doc.meta.title}》{unit.label}"
                if doc.meta.primary
                else marker(doc, unit)
            )
        if c.get("quote"):
            out.append((str(c["quote"]), cite))
    return out


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


def answer_text(turn: Mapping[str, Any], resolve: Resolve, *, footer: bool = True) -> str:
    """An answer as plain text: question, answer with its 〔…〕 markers, the sources with titles."""
    answer = turn.get("answer", {})
    lines = [
        f"问：{turn.get('question', '')}",
        "答：",
        *_notes(answer),
        str(answer.get("answer", "")).strip(),
    ]
    cited = sources(answer, resolve)
    if cited:
        lines += ["", "出处：", *cited]
    if footer:
        lines += ["", f"（{_when(turn)}，摘自{APP}；引文为原文逐字摘录）"]
    return "\n".join(lines).strip() + "\n"


def conversation_text(title: str, turns: Sequence[Mapping[str, Any]], resolve: Resolve) -> str:
    parts = [f"{title}", f"（{APP}，共 {len(turns)} 问，导出于 {datetime.now():%Y-%m-%d %H:%M}）", ""]
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


def _new_docx(title: str) -> Any:
    try:
        from docx import Document as Docx
        from docx.oxml.ns import qn
    except ImportError as err:
        raise InputError(DOCX_MISSING) from err
    out = Docx()
    style = out.styles["Normal"]
    style.font.name = "宋体"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # Chinese text falls back to the East Asian font
    out.add_heading(title, level=0)
    return out


def _bytes(document: Any) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _answer_into(out: Any, turn: Mapping[str, Any], resolve: Resolve, level: int) -> None:
    answer = turn.get("answer", {})
    out.add_heading(f"问：{turn.get('question', '')}", level=level)
    out.add_paragraph(f"提问时间：{_when(turn)}")
    for note in _notes(answer):
        out.add_paragraph(note).runs[0].italic = True
    for block in str(answer.get("answer", "")).strip().split("\n"):
        if block.strip():
            out.add_paragraph(block.strip())
    cited = quotes(answer, resolve)
    if cited:
        out.add_heading("引文（原文逐字摘录）", level=level + 1)
        for quote, cite in cited:
            para = out.add_paragraph(style="List Number")
            para.add_run(quote)
            para.add_run(cite).bold = True
    listed = sources(answer, resolve)
    if listed:
        out.add_heading("出处", level=level + 1)
        for line in listed:
            out.add_paragraph(line, style="List Bullet")


def answer_docx(turn: Mapping[str, Any], resolve: Resolve) -> bytes:
    out = _new_docx(f"{APP} · 答案")
    _answer_into(out, turn, resolve, level=1)
    return _bytes(out)


def conversation_docx(title: str, turns: Sequence[Mapping[str, Any]], resolve: Resolve) -> bytes:
    out = _new_docx(title or APP)
    out.add_paragraph(
        f"{APP}，共 {len(turns)} 问，导出于 {datetime.now():%Y-%m-%d %H:%M}；引文为原文逐字摘录。"
    )
    for turn in turns:
        _answer_into(out, turn, resolve, level=1)
    return _bytes(out)


def item_docx(doc: Document, unit: Unit) -> bytes:
    out = _new_docx(unit_name(doc, unit))
    out.add_paragraph(_doc_line(doc))
    if path := section_path(doc, unit):
        out.add_paragraph(path)
    for para in unit.text.strip().split("\n"):
        if para.strip():
            out.add_paragraph(para.strip())
    out.add_paragraph(f"出处：{marker(doc, unit)} {_doc_line(doc)}{unit.label}").runs[0].bold = True
    return _bytes(out)


def file_name(stem: str, suffix: str) -> str:
    """A download name without path separators or control characters."""
    safe = "".join(ch for ch in stem if ch.isprintable() and ch not in '\\/:*?"<>|').strip() or APP
    return f"{safe[:40]}{suffix}"
