"""A duty checklist as a Markdown or Word (.docx) document: title, date, role, groups, each duty
with its citation and frequency, and a list of the source documents.

python-docx is an optional dependency (the `ingest` extra); it is imported only when a .docx is
asked for, and its absence is an `InputError` saying how to install it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Literal

from ..errors import InputError
from .duties import GROUPS, Checklist, Duty

Format = Literal["md", "docx"]
FORMATS: dict[str, Format] = {".md": "md", ".markdown": "md", ".docx": "docx"}
DOCX_MISSING = "导出 Word 需要 python-docx（随本项目安装，请运行 make setup）"


def _title(c: Checklist) -> str:
    return f"{c.title}职责清单"


def _meta_line(c: Checklist, today: date) -> str:
    return (f"生成日期：{today.isoformat()}　角色：{c.title}　共 {len(c.duties)} 项，"
            f"出自 {len(c.documents)} 份文件。每一项均为原文摘录，括注出处。")


def _duty_line(d: Duty) -> str:
    when = f"【{d.frequency}】" if d.frequency else ""
    return f"{when}{d.passage.text}{d.passage.marker}"


def to_markdown(c: Checklist, titles: Mapping[str, str], *, today: date | None = None) -> str:
    """The checklist as Markdown: one bullet per duty, the reviewer's note in italics."""
    today = today or date.today()
    lines = [f"# {_title(c)}", "", _meta_line(c, today), ""]
    for g in GROUPS:
        duties = c.group(g)
        if not duties:
            continue
        lines += [f"## {g}", ""]
        lines += [f"- {_duty_line(d)}" + (f"　*（{d.why}）*" if d.why else "") for d in duties]
        lines.append("")
    lines += ["## 出处文件", ""]
    lines += [f"- 《{titles.get(doc_id, doc_id)}》（{doc_id}）" for doc_id in c.documents]
    return "\n".join(lines) + "\n"


def to_docx(c: Checklist, titles: Mapping[str, str], *, today: date | None = None) -> bytes:
    """The checklist as a .docx file's bytes; InputError when python-docx is not installed."""
    try:
        from docx import Document as Docx
    except ImportError as err:
        raise InputError(DOCX_MISSING) from err
    today = today or date.today()
    doc = Docx()
    doc.add_heading(_title(c), level=0)
    doc.add_paragraph(_meta_line(c, today))
    for g in GROUPS:
        duties = c.group(g)
        if not duties:
            continue
        doc.add_heading(g, level=1)
        for d in duties:
            para = doc.add_paragraph(style="List Bullet")
            if d.frequency:
                para.add_run(f"【{d.frequency}】").bold = True
            para.add_run(d.passage.text)
            para.add_run(d.passage.marker).italic = True
            if d.why:
                para.add_run(f"（{d.why}）").italic = True
    doc.add_heading("出处文件", level=1)
    for doc_id in c.documents:
        doc.add_paragraph(f"《{titles.get(doc_id, doc_id)}》（{doc_id}）", style="List Bullet")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def format_for(path: Path) -> Format:
    """The export format a file name asks for (.docx, .md); InputError for any other suffix."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"只能导出为 .docx 或 .md：{path.name}")
    return fmt


def export(c: Checklist, titles: Mapping[str, str], fmt: Format, *, today: date | None = None) -> bytes:
    """The checklist's bytes in `fmt` (UTF-8 for Markdown)."""
    if fmt == "docx":
        return to_docx(c, titles, today=today)
    return to_markdown(c, titles, today=today).encode("utf-8")
