"""The plain notice: a title, addressees, paragraphs (some under 一、… headings) and a 落款, with
no numbered items to cite; its units are its paragraphs, cited 〔《关于…的通知》第3段〕.

    中共某某委员会组织部                       ┐ header (ref "header", label 文件头):
    某组通〔2025〕5号                          │ red head, 文号, the title, the addressees
    关于做好2025年党费收缴工作的通知            │
    各基层党组织：                             ┘
    为进一步规范……现将有关事项通知如下。        paragraph 1 (ref "1", label 第1段)
    一、提高思想认识                           Section(no=1, "一、", "提高思想认识"), not a paragraph
    党费是党组织活动经费的重要来源……            paragraph 2, in section 一
    二、按时足额交纳。各党支部要……              section 二, and paragraph 3 in it (heading run into text)
    中共某某委员会组织部                       ┐ closing (ref "closing", label 落款)
    2025年3月10日                             ┘

Paragraphs are counted from the first one after the addressees; a heading line of its own (一、…
without a full stop) is a section, not a paragraph, so 第N段 is the Nth paragraph of text a reader
sees. A line that does not end a sentence is joined to the next (a page break), except a heading.
Nothing is dropped: every source line is in one unit or one section heading.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..numerals import CN_NUMERAL_CHARS, cn_to_int
from ..records import DocMeta, Document, Section, Unit
from ..text import split_sentences
from .base import DocKind

_WS = " \t\u3000\u00a0\ufeff"
# What an ordinary notice's title ends with; the first such line near the top is its title.
_TITLE_ENDS = ("通知", "通报", "通告", "公告", "决定", "意见", "函", "倡议书", "倡议", "方案", "安排", "要求",
               "提醒", "纪要", "报告")
_TITLE_LINES = 6  # the title is among the first lines (after a red head and a 文号)
# Patterns as strings, compiled (and cached) by `re` on first use: the question path imports this
# module for the kind's declaration and never parses, so it does not pay for compiling them.
_SENTENCE = r"[。！？；!?;]"
_SECTION_RE = rf"^([{CN_NUMERAL_CHARS}]+)、\s*(.+)$"
_STARTS = rf"^(?:[{CN_NUMERAL_CHARS}]+、|[（(][{CN_NUMERAL_CHARS}\d]+[）)]|\d{{1,3}}[.．、])"
_HEADING_MAX = 30
_PARA_END = "。！？；：!?;:”’）)"
_DOCNO_RE = r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号"
_DATE_RE = r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"
_CN_DATE_RE = (r"^([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月"
               r"([一二三四五六七八九十]{1,3})日$")
_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_CLOSING_LINES = 3  # issuer lines and the date; more short lines are body text
_OPENING_MAX = 30  # characters of a paragraph's opening shown as its title


def _lines(raw: str) -> list[str]:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return [s for ln in text.split("\n") if (s := ln.strip(_WS))]


def _is_title(line: str) -> bool:
    return len(line) <= 60 and line.endswith(_TITLE_ENDS) and not re.search(r"[。，；：！？,;:]", line)


def _title_at(lines: list[str]) -> tuple[int, int] | None:
    """(first, end) lines of the title: one line, or two when a centred title wraps."""
    for i in range(min(_TITLE_LINES, len(lines))):
        if _is_title(lines[i]):
            return i, i + 1
        if lines[i].startswith("关于") and i + 1 < len(lines) and _is_title(lines[i] + lines[i + 1]):
            return i, i + 2
    return None


def iso_date(line: str) -> str:
    """"2025年3月10日" or "二〇二五年三月十日" → "2025-03-10"; "" when `line` is no date."""
    if m := re.match(_DATE_RE, line):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := re.match(_CN_DATE_RE, line):
        y = int(m.group(1).translate(_CN_DIGITS))
        mo, d = cn_to_int(m.group(2)) or 0, cn_to_int(m.group(3)) or 0
    else:
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else ""


def _closing_at(lines: list[str], start: int) -> int:
    """Where the 落款 (issuer lines, then the date) begins; len(lines) when the text has none."""
    date_at = next((i for i in range(len(lines) - 1, max(start, len(lines) - 3) - 1, -1)
                    if iso_date(lines[i])), None)
    if date_at is None:
        return len(lines)
    at = date_at
    while (at - 1 > start and date_at - (at - 1) < _CLOSING_LINES and len(lines[at - 1]) <= 40
           and not re.search(r"[。，；：！？,;:]", lines[at - 1]) and not lines[at - 1].startswith("特此")
           and not re.match(_STARTS, lines[at - 1])):
        at -= 1
    return at


def _paragraphs(lines: list[str]) -> list[str]:
    """Body lines → paragraphs: a line that does not end a sentence runs on into the next, unless it is
    a heading (一、… or （一）… short and without a full stop); a numbered line always starts one."""
    out: list[list[str]] = []
    open_fragment = False
    for line in lines:
        numbered = re.match(_STARTS, line) is not None
        if open_fragment and out and not numbered:
            out[-1].append(line)
        else:
            out.append([line])
        heading = numbered and len(line) <= _HEADING_MAX + 4 and not re.search(_SENTENCE, line)
        open_fragment = not heading and not line.endswith(tuple(_PARA_END))
    return ["".join(p) for p in out]


def _heading(paragraph: str) -> tuple[int, str] | None:
    """(number, title) of a section heading that stands alone: 一、提高思想认识."""
    m = re.match(_SECTION_RE, paragraph)
    no = cn_to_int(m.group(1)) if m else None
    if m is None or no is None or len(m.group(2)) > _HEADING_MAX or re.search(_SENTENCE, m.group(2)):
        return None
    return no, m.group(2).rstrip("：:")


def _opening(paragraph: str) -> str:
    """A paragraph's title: its first sentence, cut to _OPENING_MAX characters."""
    first = split_sentences(paragraph)[0].rstrip("。；：;:")
    return first if len(first) <= _OPENING_MAX else first[:_OPENING_MAX] + "…"


def _unit(meta: DocMeta, ref: str, kind: str, label: str, title: str, paras: list[str],
          section: Section | None = None) -> Unit:
    return Unit(doc_id=meta.doc_id, ref=ref, kind=kind, label=label, title=title, text="\n".join(paras),
                sentences=tuple(s for p in paras for s in split_sentences(p)),
                section_no=section.no if section else None, section_title=section.title if section else "",
                path=(f"{section.label}{section.title}",) if section else ())


def _found(header: list[str], title: str, closing: list[str]) -> dict[str, Any]:
    """Manifest fields the text gives in a plain notice's own places."""
    addressees = header[-1].rstrip("：:") if header and header[-1].endswith(("：", ":")) else ""
    dates = [d for ln in closing if (d := iso_date(ln))]
    issuers = [ln for ln in closing if not iso_date(ln)]
    numbers = [m.group(0) for ln in header if (m := re.search(_DOCNO_RE, ln))]
    return {k: v for k, v in (
        ("title", title), ("addressees", addressees), ("date", dates[-1] if dates else ""),
        ("doc_number", re.sub(r"\s+", "", numbers[0]) if numbers else ""),
        ("issuer", issuers[0] if issuers else ""),
    ) if v}


def _split(raw: str) -> tuple[list[str], str, list[str], list[str]] | None:
    """(header lines, title, body lines, closing lines); None when the text has no title line."""
    lines = _lines(raw)
    at = _title_at(lines)
    if at is None:
        return None
    first, end = at
    if end < len(lines) and lines[end].endswith(("：", ":")) and len(lines[end]) <= 60 \
            and not re.search(_SENTENCE, lines[end]):
        end += 1  # 各基层党组织：
    close = _closing_at(lines, end)
    return lines[:end], "".join(lines[first:at[1]]), lines[end:close], lines[close:]


def parse(raw: str, meta: DocMeta) -> Document:
    """Header, paragraphs under their sections, 落款. A text without a title line is all paragraphs."""
    from ..structure import cited_titles, with_refs  # ingestion only: opening a built index never parses

    header, title, body, closing = _split(raw) or ([], "", _lines(raw), [])
    found = _found(header, title, closing)
    meta = replace(meta, kind=KIND.name, **{k: v for k, v in found.items() if not getattr(meta, k)})
    units = [_unit(meta, "header", "header", "文件头", title or meta.title, header)] if header else []
    sections: list[Section] = []
    current: Section | None = None
    n = 0
    for p in _paragraphs(body):
        m = re.match(_SECTION_RE, p)
        no = cn_to_int(m.group(1)) if m else None
        if m is not None and no is not None:
            alone = _heading(p)
            title = alone[1] if alone else _opening(m.group(2))
            current = Section(no=no, label=f"{m.group(1)}、", title=title, refs=())
            sections.append(current)
            if alone:
                continue
        n += 1
        units.append(_unit(meta, str(n), KIND.unit_kind, KIND.label(n), _opening(p), [p], current))
    if closing:
        units.append(_unit(meta, "closing", "header", "落款", "落款", closing))
    return Document(meta=meta, units=tuple(units), citations=cited_titles(units),
                    sections=with_refs(sections, units, kinds=(KIND.unit_kind,)))


def claims(text: str) -> bool:
    """A title line near the top and at least one paragraph of text under it."""
    parts = _split(text)
    return parts is not None and bool(parts[2])


def guess(text: str) -> dict[str, Any]:
    """Title, 文号, addressees, issuer and date where a plain notice writes them."""
    parts = _split(text)
    return _found(parts[0], parts[1], parts[3]) if parts else {}


KIND = DocKind(name="plain", display="通知（按段）", unit_kind="paragraph", unit_word="段", ref_words="段",
               parse=parse, claims=claims, signature="closing", guess=guess)
