"""A duty checklist as a Markdown or Word (.docx) document: title, date, role, groups, each duty
with its citation and frequency, and a list of the source documents.

It also holds the one Word page set-up every export shares (`office_document`, here because this is
the lowest layer that writes Word and ui/export.py builds on it): python-docx's template is an
American Letter page in blue Calibri with a Japanese East Asian language and "python-docx" as its
author, which a Chinese office has to fix by hand before filing. Ours is A4 with GB/T 9704-like
margins, zh-CN, black text in 方正小标宋简体 (title), 黑体/楷体 (headings) and 仿宋 (body), each set
for both Latin (w:ascii/w:hAnsi) and Chinese (w:eastAsia) text, with page numbers "— 1 —".

python-docx is an optional dependency (the `ingest` extra); it is imported only when a .docx is
asked for, and its absence is an `InputError` saying how to install it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from .duties import GROUPS, Checklist, Duty

Format = Literal["md", "docx"]
FORMATS: dict[str, Format] = {".md": "md", ".markdown": "md", ".docx": "docx"}
DOCX_MISSING = "导出 Word 需要 python-docx（随本项目安装，请运行 make setup）"
PRODUCT = "党建问答 dangjian-rag"  # the author of every exported file (not "python-docx")
LANG = "zh-CN"
TITLE_FONT, HEADING_FONT, SUBHEADING_FONT, BODY_FONT = "方正小标宋简体", "黑体", "楷体", "仿宋"
# name → (font, size in pt, bold, line spacing in pt, space before/after in pt): 公文 sizes
# (二号 22 pt title, 三号 16 pt headings and body on a fixed 28 pt line)
STYLES: dict[str, tuple[str, float, bool, float, float, float]] = {
    "Normal": (BODY_FONT, 16, False, 28, 0, 0),
    "Title": (TITLE_FONT, 22, False, 36, 0, 28),
    "Subtitle": (SUBHEADING_FONT, 14, False, 28, 0, 14),
    "Heading 1": (HEADING_FONT, 16, False, 28, 21, 0),
    "Heading 2": (SUBHEADING_FONT, 16, False, 28, 7, 0),
    "Heading 3": (SUBHEADING_FONT, 16, False, 28, 0, 0),
}
MARGINS_MM = (37, 35, 28, 26)  # top, bottom, left, right: a 156 × 225 mm text block on A4 (GB/T 9704)


def _fonts(rpr: Any, font: str) -> None:
    """One font for Latin and Chinese text alike, with no theme font left to override it (a theme
    attribute wins over w:ascii in Word), and the East Asian hint so “quotes” take the Chinese font."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)
    fonts.set(qn("w:hint"), "eastAsia")


def run_font(run: Any, font: str) -> None:
    """Set a run's font for Latin and Chinese text (python-docx's `font.name` sets Latin only)."""
    _fonts(run._r.get_or_add_rPr(), font)


def _lang(rpr: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")  # schema order
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)
    lang.set(qn("w:bidi"), "ar-SA")


def _style(out: Any, name: str) -> None:
    """A paragraph style in black office fonts: no theme colour, no blue rule under the title."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font_name, size, bold, line, before, after = STYLES[name]
    style = out.styles[name]
    rpr = style.element.get_or_add_rPr()
    _fonts(rpr, font_name)
    _lang(rpr)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    for tag in ("w:spacing", "w:kern"):  # the template's letter spacing on the title
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)
    ppr = style.element.get_or_add_pPr()
    for el in ppr.findall(qn("w:pBdr")):
        ppr.remove(el)
    fmt = style.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if name in ("Title", "Subtitle"):
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    linked = style.element.find(qn("w:link"))
    if linked is not None:  # "Title Char" etc.: the same font where Word applies the character style
        char = next((s for s in out.styles if s.style_id == linked.get(qn("w:val"))), None)
        if char is not None:
            _fonts(char.element.get_or_add_rPr(), font_name)
            char.font.color.rgb = RGBColor(0, 0, 0)


def _page_numbers(section: Any) -> None:
    """"— 1 —" centred in the footer, the way 公文 number their pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    runs = [para.add_run("— "), para.add_run("1"), para.add_run(" —")]
    for run in runs:
        run.font.size = Pt(14)  # 四号
        run_font(run, "宋体")
    field = OxmlElement("w:fldSimple")  # Word recomputes the number on every page
    field.set(qn("w:instr"), "PAGE")
    runs[1]._r.addprevious(field)
    field.append(runs[1]._r)


def _package(out: Any, title: str, subject: str) -> None:
    """Who made the file and in what language: the product, not python-docx; no stale thumbnail."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    props = out.core_properties
    props.author = props.last_modified_by = PRODUCT
    props.title, props.subject, props.language = title, subject, LANG
    props.comments = f"由{PRODUCT} 导出；引文为原文逐字摘录。"
    props.keywords, props.category = "党建", "党建文件"
    # python-docx writes the time as given, marked Z: give it UTC
    props.created = props.modified = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    props.revision = 1
    rels = out.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rid]  # the template's picture of an empty page
    for rel in rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            app = rel.target_part
            app._blob = re.sub(rb"<Application>[^<]*</Application>",
                               f"<Application>{PRODUCT}</Application>".encode(), app.blob)


def office_document(title: str, *, subject: str = "") -> Any:
    """An empty python-docx Document set up as a Chinese office file (see the module docstring),
    its title as the first paragraph; InputError when python-docx is not installed."""
    try:
        from docx import Document as Docx
        from docx.oxml.ns import qn
        from docx.shared import Mm
    except ImportError as err:
        raise InputError(DOCX_MISSING) from err
    out = Docx()
    section = out.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, bottom, left, right = MARGINS_MM
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    defaults = out.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, BODY_FONT)
    _lang(rpr)
    for el in rpr.findall(qn("w:sz")) + rpr.findall(qn("w:szCs")):
        el.set(qn("w:val"), "32")  # half-points: 三号
    for name in STYLES:
        _style(out, name)
    settings = out.settings.element
    font_lang = settings.find(qn("w:themeFontLang"))
    if font_lang is not None:
        font_lang.set(qn("w:val"), LANG)
        font_lang.set(qn("w:eastAsia"), LANG)
    for el in settings.findall(qn("w:savePreviewPicture")):
        settings.remove(el)
    _page_numbers(section)
    _package(out, title, subject)
    out.add_paragraph(title, style="Title")
    return out


def docx_bytes(document: Any) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


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
    today = today or date.today()
    doc = office_document(_title(c), subject="职责清单")
    doc.add_paragraph(_meta_line(c, today), style="Subtitle")
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
    return docx_bytes(doc)


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
