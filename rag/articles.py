"""Raw text → `Document` tree for regulations (条例、章程、细则、规定…).

The regulation scheme, as published by 新华社 and reposted on the web:

    新华社北京1月5日电 近日，中共中央印发了《…条例》…        ┐
    《条例》全文如下。                                        │ lead (ref "lead", kind "lead")
    中国共产党…条例                                           │
    （2010年…审议批准 2019年…中共中央发布）                   ┘
    总　纲 / 序言 + paragraphs                                  preamble (ref "preamble")
    第一编 总则                                                 path only
    　　第一章　总　　则                                        Section(no=1, "第一章", "总则")
    第一节 …                                                    path only
    第一条　为了…，制定本条例。                                 Unit(ref "1", kind "article")
    （一）…；                                                   sentences of article 1

Articles start only at the beginning of a line: "依照本条例第三十条" inside a sentence is a
cross-reference. A line that begins with 第N条 but has no space after 条 (a page break that put
"第三十条规定的…" at a line start) is accepted only when N is the next article number and the
previous line ended a sentence.

Text between a heading and the next article belongs to the unit before it: to an implicit
preamble (label "序言", empty title) when no article has come yet, else to the previous article
(real texts have no such chapter introductions; the test suite checks it on every file).

Nothing is dropped: the whitespace-squashed source equals `source_text(doc)` squashed (lead,
headings, preamble, article labels and texts in order). Titles of headings are normalised
("总　　则" → "总则"); unit texts keep the source characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

from .numerals import CN_NUMERAL_CHARS as _CN
from .numerals import cn_to_int
from .records import DocMeta, Document, Section, Unit
from .structure import cited_titles, with_refs
from .text import split_sentences

_WS = " \t\u3000\u00a0\ufeff"
_HEADING_RE = re.compile(rf"^第\s*([{_CN}]+|\d+)\s*([编編章节節])(?:[\s\u3000]+|$)(.*)$")
_HEADING_TIGHT_RE = re.compile(rf"^第([{_CN}]+|\d+)([编編章节節])(.+)$")
_ARTICLE_RE = re.compile(rf"^第\s*([{_CN}]+|\d+)\s*([条條])([\s\u3000]+|$)?(.*)$")
_LEVEL = {"編": "编", "節": "节"}  # traditional-character texts
_PREAMBLE_RE = re.compile(r"^(总[\s\u3000]*纲|序[\s\u3000]*言)$")
_CLAUSE_RE = re.compile(rf"^[（(]([{_CN}]+|\d+)[）)]")
_ARTICLE_LINE_RE = re.compile(rf"^[{_WS}]*第\s*(?:[{_CN}]+|\d+)\s*[条條]")
_SENT_END = "。！？；：!?;:…"
_CLOSERS = "”’）)」』"
_PARA_END = _SENT_END + _CLOSERS
_SENT_STOP = "。！？；：，、!?;:,"  # a heading title never ends with these ("（境）" may close one)
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])[\s\u3000]+(?=[^\x00-\x7f])")
_HEADING_MAX = 40

Scheme = Literal["notice", "regulation"]


def detect_scheme(raw: str) -> Scheme:
    """"regulation" when at least three lines start with 第X条, else "notice"."""
    count = sum(1 for line in raw.splitlines() if _ARTICLE_LINE_RE.match(line))
    return "regulation" if count >= 3 else "notice"


def normalize_title(title: str) -> str:
    """"总　　则" → "总则", "党　员" → "党员": spacing between CJK characters is layout, not text."""
    return _CJK_GAP.sub("", title.strip(_WS))


def _number(token: str) -> int:
    """The value of a heading or article numeral; 0 (not a heading) for a malformed one ("一二")."""
    return cn_to_int(token) or 0


@dataclass(slots=True)
class _Line:
    """One non-empty source line, classified."""

    kind: str  # "heading" | "article" | "preamble" | "clause" | "text"
    text: str
    level: str = ""  # 编 / 章 / 节 for headings
    no: int = 0
    label: str = ""  # 第一章 / 第三十条 / 总纲 as written (spaces removed)
    rest: str = ""  # heading title, or the article text after its label
    spaced: bool = False  # article label followed by whitespace (or the end of the line)


def _classify(line: str) -> _Line:
    if m := _PREAMBLE_RE.match(line):
        label = re.sub(r"[\s\u3000]", "", m.group(1))
        return _Line("preamble", line, label=label, rest=label)
    if m := _ARTICLE_RE.match(line):
        no = _number(m.group(1))
        if no > 0:
            label = f"第{m.group(1)}{m.group(2)}"
            return _Line("article", line, no=no, label=label, rest=m.group(4), spaced=m.group(3) is not None)
    m = _HEADING_RE.match(line)
    if not m and (t := _HEADING_TIGHT_RE.match(line)) and len(t.group(3)) <= 15 and t.group(2) == "章":
        m = t  # "第一章总则": no space, short, no punctuation (checked below)
    if m:
        title = m.group(3)
        if len(title) <= _HEADING_MAX and not title.endswith(tuple(_SENT_STOP)):
            no = _number(m.group(1))
            if no > 0:
                return _Line("heading", line, level=_LEVEL.get(m.group(2), m.group(2)), no=no,
                             label=f"第{m.group(1)}{m.group(2)}",
                             rest=normalize_title(title))
    if _CLAUSE_RE.match(line):
        return _Line("clause", line)
    return _Line("text", line)


def _source_lines(raw: str) -> list[str]:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return [ln.strip(_WS) for ln in text.split("\n")]


def _is_open(text: str) -> bool:
    """A body line that does not end a sentence: a page break fell inside it.

    A closing quote or bracket ends a sentence only after 。！？；： ("…落实。”"); a line ending
    "…保障“三会一课”" is a fragment (every such line in real texts is one)."""
    core = text.rstrip(_CLOSERS)
    return not core.endswith(tuple(_SENT_END)) if core != text else not text.endswith(tuple(_PARA_END))


def _body_start(lines: list[_Line]) -> int:
    """Index of the first structural line; a table of contents before it is skipped into the lead."""
    structural = ("heading", "article", "preamble")
    first = next((i for i, ln in enumerate(lines) if ln.kind in structural), len(lines))
    first_article = next((i for i, ln in enumerate(lines) if ln.kind == "article"), len(lines))
    if first < len(lines) and lines[first].kind == "heading":
        # 目录: the same heading (e.g. 第一章) listed again before any article → body starts there
        again = next((i for i in range(first + 1, first_article)
                      if lines[i].kind == "heading" and lines[i].label == lines[first].label), None)
        if again is not None:
            return again
    return first


def _lead_paragraphs(lines: list[str]) -> list[str]:
    """Lead lines, joined across page breaks: after a comma, inside an open （…） (the revision
    line often wraps), or after an unfinished line of prose. A line without any punctuation
    (the title, "新华社…电") ends its paragraph."""
    out: list[list[str]] = []  # paragraphs as pieces, joined once at the end (linear time)
    joining = False
    depth = 0  # open （ minus closed ）in the current paragraph
    punctuated = False  # the current paragraph has prose punctuation
    for line in lines:
        if joining and out:
            # "…审议批准" + "2024年2月5日…发布）": keep the two dated acts apart
            gap = " " if re.match(r"\d{4}年", line) and not out[-1][-1][-1:].isdigit() else ""
            out[-1].append(gap + line)
        else:
            out.append([line])
            depth, punctuated = 0, False
        depth += line.count("（") + line.count("(") - line.count("）") - line.count(")")
        punctuated = punctuated or re.search(r"[，。；：、,]", line) is not None
        prose = _pieces_open(out[-1]) and punctuated
        joining = depth > 0 or line.endswith(("，", "、", ",")) or prose
    return ["".join(p) for p in out]


def _pieces_open(pieces: list[str]) -> bool:
    """`_is_open` of the paragraph made of `pieces`, looking only at its tail (closers may span pieces)."""
    tail = pieces[-1]
    i = len(pieces) - 1
    while i > 0 and not tail.rstrip(_CLOSERS):
        i -= 1
        tail = pieces[i] + tail
    return _is_open(tail)


@dataclass(slots=True)
class _Block:
    kind: str  # "preamble" | "article"
    label: str
    no: int
    paras: list[list[str]]  # paragraphs as pieces (page-break fragments), joined by `texts`
    path: tuple[str, ...]
    chapter: Section | None
    explicit: bool = True  # preamble introduced by its own heading (总纲/序言)

    def texts(self) -> list[str]:
        return ["".join(p) for p in self.paras]


def _blocks(lines: list[_Line]) -> tuple[list[_Block], list[Section]]:
    blocks: list[_Block] = []
    chapters: list[Section] = []
    bian: str = ""
    chapter: Section | None = None
    jie: str = ""
    last_no = 0
    open_fragment = False
    pending_title: _Line | None = None  # heading line with its title on the next line ("第一章" / "总则")

    def path() -> tuple[str, ...]:
        parts = [bian] if bian else []
        if chapter:
            parts.append(f"{chapter.label} {chapter.title}".rstrip())
        if jie:
            parts.append(jie)
        return tuple(parts)

    for ln in lines:
        kind = ln.kind
        if kind == "article" and not ln.spaced and (ln.no != last_no + 1 or open_fragment):
            kind = "text"  # a cross-reference that a line break put at a line start
        if pending_title is not None:
            heading = pending_title
            pending_title = None
            if kind == "text" and len(ln.text) <= 20 and not ln.text.endswith(tuple(_SENT_STOP)):
                title = normalize_title(ln.text)
                if heading.level == "章" and chapter is not None:
                    chapter = replace(chapter, title=title)
                    chapters[-1] = chapter
                elif heading.level == "编":
                    bian = f"{heading.label} {title}"
                else:
                    jie = f"{heading.label} {title}"
                continue
        if kind == "text" and open_fragment and blocks:
            blocks[-1].paras[-1].append(ln.text)
        elif kind in ("text", "clause"):
            if blocks:
                blocks[-1].paras.append([ln.text])
            else:  # text after a heading, before any article: an implicit preamble
                blocks.append(_Block("preamble", "序言", 0, [[ln.text]], path(), chapter, explicit=False))
        elif kind == "preamble":
            blocks.append(_Block("preamble", ln.label, 0, [], path(), chapter))
        elif kind == "heading":
            if ln.level == "编":
                bian, chapter, jie = f"{ln.label} {ln.rest}".rstrip(), None, ""
            elif ln.level == "章":
                chapter, jie = Section(no=ln.no, label=ln.label, title=ln.rest, refs=()), ""
                chapters.append(chapter)
            else:
                jie = f"{ln.label} {ln.rest}".rstrip()
            if not ln.rest:
                pending_title = ln
            open_fragment = False
            continue
        else:  # article
            last_no = ln.no
            blocks.append(_Block("article", ln.label, ln.no, [[ln.rest]] if ln.rest else [], path(), chapter))
        if blocks and blocks[-1].paras:
            open_fragment = _pieces_open(blocks[-1].paras[-1])
        else:
            open_fragment = False
    return blocks, chapters


def article_title(first_para: str) -> str:
    """Text up to the first 。, or up to the colon/first clause that introduces a list."""
    if not first_para:
        return ""
    head = split_sentences(first_para)[0]
    for stop in ("：", ":", "（一）", "(一)"):
        if (i := head.find(stop)) > 0:
            head = head[:i]
    return head.rstrip("。：:；;，,")


def _sentences(paras: Iterable[str]) -> tuple[str, ...]:
    return tuple(s for p in paras for s in split_sentences(p))


def parse_regulation(raw: str, meta: DocMeta) -> Document:
    """Parse a regulation: lead, optional 总纲/序言, 编/章/节 headings and 第X条 articles."""
    if meta.kind in ("", "notice"):
        meta = replace(meta, kind="regulation")
    lines = [_classify(t) for t in _source_lines(raw) if t]
    start = _body_start(lines)
    units: list[Unit] = []
    lead = _lead_paragraphs([ln.text for ln in lines[:start]])
    if lead:
        units.append(Unit(doc_id=meta.doc_id, ref="lead", kind="lead", label="导语", title=meta.title,
                          text="\n".join(lead), sentences=_sentences(lead)))
    blocks, chapters = _blocks(lines[start:])
    preamble_at: int | None = None  # position of the preamble unit in `units`
    seen: dict[int, int] = {}  # article number → how many articles carry it so far
    for b in blocks:
        paras = b.texts()
        if b.kind == "preamble" and preamble_at is not None:
            # a second 总纲/序言 heading (malformed input): one preamble unit, its text appended
            prev = units[preamble_at]
            merged = prev.text + "\n" + "\n".join(paras)
            units[preamble_at] = replace(prev, text=merged, sentences=prev.sentences + _sentences(paras))
            continue
        chapter = b.chapter
        sec_no = chapter.no if chapter else None
        sec_title = chapter.title if chapter else (b.path[0].split(" ", 1)[-1] if b.path else "")
        if b.kind == "preamble":
            preamble_at = len(units)
            units.append(Unit(doc_id=meta.doc_id, ref="preamble", kind="preamble", label=b.label,
                              title=b.label if b.explicit else "", text="\n".join(paras),
                              sentences=_sentences(paras), section_no=sec_no, section_title=sec_title,
                              path=b.path))
        else:
            seen[b.no] = seen.get(b.no, 0) + 1
            ref = str(b.no) if seen[b.no] == 1 else f"{b.no}-{seen[b.no]}"  # a repeated number: 5, 5-2, 5-3
            units.append(Unit(doc_id=meta.doc_id, ref=ref, kind="article", label=b.label,
                              title=article_title(paras[0] if paras else ""), text="\n".join(paras),
                              sentences=_sentences(paras), section_no=sec_no, section_title=sec_title,
                              path=b.path))
    return Document(meta=meta, units=tuple(units), sections=with_refs(chapters, units, kinds=("article",)),
                    citations=cited_titles(units))


def source_text(doc: Document) -> str:
    """The document's text rebuilt from the tree: lead, headings, preamble, 第N条 + text, in order.

    Whitespace differs from the source (titles are normalised, page breaks joined), but
    `squash(source_text(doc)) == squash(raw)` holds for every regulation `parse_regulation` accepts.
    """
    out: list[str] = []
    prev_path: tuple[str, ...] = ()
    for u in doc.units:
        if u.kind == "lead":
            out.append(u.text)
            continue
        common = 0
        while common < min(len(prev_path), len(u.path)) and prev_path[common] == u.path[common]:
            common += 1
        out.extend(u.path[common:])
        prev_path = u.path
        if u.kind == "preamble":
            out.extend([u.title] if u.title else [])
        else:
            out.append(u.label)
        out.append(u.text)
    return "\n".join(p for p in out if p)


def check_numbering(doc: Document) -> list[str]:
    """Problems with the article numbering (gaps, repeats, not starting at 1); [] when clean."""
    nos = [int(u.ref.split("-")[0]) for u in doc.units if u.kind == "article"]
    problems = []
    if not nos:
        return ["没有解析出任何“第X条”"]
    if nos[0] != 1:
        problems.append(f"条文从第{nos[0]}条开始，而不是第一条")
    for a, b in pairwise(nos):
        if b != a + 1:
            problems.append(f"第{a}条之后是第{b}条" + ("（重复）" if b == a else "（不连续）"))
    return problems
