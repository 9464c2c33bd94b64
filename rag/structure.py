"""Raw text → `Document` tree.

The notice scheme: a header (issuer, 文号, notice title, addressees, date), the attached
document's title, a preamble paragraph, sections headed 一、… and items numbered 1. … 19.
Page breaks in the source split sentences mid-word across blank lines ("党员干" / "部以…");
`paragraphs` joins them back, so quotes read as one sentence and no character is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .numerals import CN_NUMERAL_CHARS, cn_to_int
from .records import DocMeta, Document, Section, Unit
from .text import TITLED, split_sentences

_SECTION_RE = re.compile(rf"^([{CN_NUMERAL_CHARS}]+)、\s*(.+)$")
_ITEM_RE = re.compile(r"^(\d{1,3})[.．、]\s*(.+)$")
_DOCNO_RE = re.compile(r"[\u4e00-\u9fff]{1,10}〔\d{4}〕\d+号")
_DATE_RE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_PARA_END = "。！？；：!?;:”）)"


def _lines(raw: str) -> list[str]:
    return [ln.strip(" \t\u3000\ufeff") for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def paragraphs(lines: Iterable[str], *, join_all: bool = True) -> list[str]:
    """Non-empty lines, with a line that does not end a sentence joined to the next one.

    A page break can fall anywhere; a line ending without closing punctuation is a fragment.
    Heading lines (一、… / 1. …) always start a new paragraph. With `join_all=False` (header
    lines such as the issuer and 文号 have no punctuation) only comma-ended lines are joined.
    """
    out: list[list[str]] = []  # each paragraph as its lines, joined once at the end (linear time)
    open_fragment = False
    for line in lines:
        if not line:
            continue
        starts_heading = _is_section(line) or bool(_ITEM_RE.match(line))
        if open_fragment and out and not starts_heading:
            out[-1].append(line)
        else:
            out.append([line])
        ends = line.endswith(tuple(_PARA_END))
        open_fragment = (not ends) if join_all else line.endswith(("，", "、", ","))
    return ["".join(p) for p in out]


def _is_section(line: str) -> bool:
    """一、… with a well-formed numeral ("一二、" is not a section heading)."""
    m = _SECTION_RE.match(line)
    return m is not None and cn_to_int(m.group(1)) is not None


def _split_header(lines: list[str]) -> tuple[list[str], str, list[str]]:
    """(header paragraphs, attached title, body lines): the header ends at its date line."""
    date_at = next((i for i, ln in enumerate(lines) if _DATE_RE.match(ln)), None)
    if date_at is None:
        return [], "", lines
    header = paragraphs(lines[: date_at + 1], join_all=False)
    rest = lines[date_at + 1 :]
    first = next((i for i, ln in enumerate(rest) if ln), None)
    if first is None:
        return header, "", []
    line = rest[first]
    if line.endswith(tuple(_PARA_END)) or _is_section(line) or _ITEM_RE.match(line):
        return header, "", rest
    return header, line, rest[first + 1 :]


def _header_meta(meta: DocMeta, header: list[str], attached: str) -> DocMeta:
    from dataclasses import replace

    found = {
        "doc_number": next((p for p in header if _DOCNO_RE.fullmatch(p)), ""),
        "date": next((p for p in header if _DATE_RE.match(p)), ""),
        "notice_title": next((p for p in header if p.endswith("通知")), ""),
        "addressees": next((p.rstrip("：:") for p in header if p.endswith(("：", ":"))), ""),
        "issuer": header[0] if header else "",
    }
    updates: dict[str, Any] = {k: v for k, v in found.items() if v and not getattr(meta, k)}
    if found["date"] and meta.date:
        updates.pop("date", None)
    merged = replace(meta, **updates)
    aliases = (*merged.aliases, attached) if attached else merged.aliases
    return replace(merged, aliases=tuple(dict.fromkeys(aliases)))


def _unit(meta: DocMeta, ref: str, kind: str, label: str, title: str, body: list[str],
          section: Section | None = None) -> Unit:
    text = "\n".join(body)
    sentences = tuple(s for p in body for s in split_sentences(p))
    return Unit(
        doc_id=meta.doc_id, ref=ref, kind=kind, label=label, title=title, text=text,
        sentences=sentences, section_no=section.no if section else None,
        section_title=section.title if section else "",
        path=(f"{section.label}{section.title}",) if section else (),
    )


def parse_notice(raw: str, meta: DocMeta) -> Document:
    """Parse the notice scheme (header, attached title, preamble, 一、sections, 1. items)."""
    header, attached, body_lines = _split_header(_lines(raw))
    meta = _header_meta(meta, header, attached)
    units: list[Unit] = []
    if header:
        units.append(_unit(meta, "header", "header", "文件头", meta.notice_title or meta.title,
                           header + ([attached] if attached else [])))
    blocks = _blocks(paragraphs(body_lines))
    sections: list[Section] = []
    current: Section | None = None
    for kind, head, body in blocks:
        if kind == "preamble":
            units.append(_unit(meta, "preamble", "preamble", "总体要求", "总体要求", body))
        elif kind == "section":
            no = cn_to_int(head[0]) or 0
            current = Section(no=no, label=f"{head[0]}、", title=head[1], refs=())
            sections.append(current)
        else:
            title = split_sentences(body[0])[0].rstrip("。") if body else ""
            units.append(_unit(meta, head[0], "item", f"第{head[0]}条", title, body, current))
    return Document(meta=meta, units=tuple(units), sections=with_refs(sections, units),
                    citations=cited_titles(units))


def with_refs(sections: Iterable[Section], units: Iterable[Unit], *,
              kinds: tuple[str, ...] = ("item", "article")) -> tuple[Section, ...]:
    """Each section with the refs of its units, in one pass over the units (not one per section)."""
    refs: dict[int, list[str]] = {}
    for u in units:
        if u.section_no is not None and u.kind in kinds:
            refs.setdefault(u.section_no, []).append(u.ref)
    return tuple(Section(s.no, s.label, s.title, tuple(refs.get(s.no, ()))) for s in sections)


def _blocks(paras: list[str]) -> list[tuple[str, tuple[str, str], list[str]]]:
    """Group paragraphs into (kind, heading, body) blocks: preamble, section, item."""
    blocks: list[tuple[str, tuple[str, str], list[str]]] = []
    for p in paras:
        if (m := _SECTION_RE.match(p)) and cn_to_int(m.group(1)) is not None:
            blocks.append(("section", (m.group(1), m.group(2)), []))
        elif m := _ITEM_RE.match(p):
            blocks.append(("item", (m.group(1), ""), [m.group(2)]))
        elif blocks and blocks[-1][0] != "section":
            blocks[-1][2].append(p)
        else:
            blocks.append(("preamble", ("", ""), [p]))
    return blocks


def cited_titles(units: Iterable[Unit]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every 《…》 title cited in the body, with the refs of the units citing it, in first-seen order."""
    graph: dict[str, dict[str, None]] = {}  # ordered sets: a title cited by every unit stays linear
    for u in units:
        if u.kind in ("header", "lead"):
            continue
        for title in TITLED.findall(u.text):
            graph.setdefault(title, {})[u.ref] = None
    return tuple((t, tuple(r)) for t, r in graph.items())
