"""Compose: units and sentence numbers → a complete `Answer`, every sentence verbatim with its marker.

Composers never patch each other's text: a route gathers everything first (the referenced
units, what another named document says, a note on numbers out of range) and one composer
writes the answer. Rendering beyond plain text with 〔第8条〕 markers belongs to the edges.

An enumeration — a lead sentence ending in "：" and its （一）…（N） items — is one unit of
meaning: quoting any part of it quotes the lead with all its items, or, when the list is long,
the lead with the wanted items and an explicit "……" for each gap. Never a lead alone, never an
item without its lead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .records import Answer, AnswerKind, Citation, Document, Unit

NOT_FOUND = "未在已收录文件中找到与该问题直接相关的内容"
GAP = "……"
WHOLE_LIST_CHARS = 400  # a list up to this long is quoted whole; longer ones keep the wanted items
_CLAUSE = re.compile(r"^[（(][一二三四五六七八九十百〇零两\d]+[）)]")
_LEAD_END = ("：", ":")


@dataclass(frozen=True, slots=True)
class Quote:
    """Sentences of one unit to quote, in order; `None` stands for a gap in an enumeration."""

    doc: Document
    unit: Unit
    sents: tuple[int | None, ...]


def marker(doc: Document, unit: Unit) -> str:
    """〔第8条〕 for the primary notice, 〔《纪律处分条例》第三十条〕 for other documents."""
    if doc.meta.primary:
        return f"〔{unit.label}〕"
    return f"〔《{doc.meta.title}》{unit.label}〕"


def section_path(doc: Document, unit: Unit) -> str:
    section = doc.section(unit.section_no) if unit.section_no else None
    return f"{section.label}{section.title}" if section else ""


def citation(doc: Document, unit: Unit, quote: str) -> Citation:
    return Citation(doc_id=doc.doc_id, ref=unit.ref, label=unit.label, title=unit.title,
                    section=section_path(doc, unit), quote=quote)


def unit_heading(doc: Document, unit: Unit) -> str:
    path = section_path(doc, unit)
    name = unit.label if doc.meta.primary else f"《{doc.meta.title}》{unit.label}"
    return f"{name} {unit.title}" + (f"（{path}）" if path else "")


def requirement_sentences(unit: Unit) -> list[int]:
    """All sentences after the title sentence (an item's title is its first sentence)."""
    if unit.kind == "item" and len(unit.sentences) > 1:
        return list(range(1, len(unit.sentences)))
    return list(range(len(unit.sentences)))


# -- enumerations ------------------------------------------------------------------------------


def is_clause(sentence: str) -> bool:
    return bool(_CLAUSE.match(sentence))


def _starts_list(sents: Sequence[str], i: int) -> bool:
    return sents[i].rstrip().endswith(_LEAD_END) and i + 1 < len(sents) and is_clause(sents[i + 1])


def enumerations(unit: Unit) -> list[range]:
    """Sentence ranges lead..last item of each （一）…（N） list in a unit.

    An item may run over several sentences; the list ends at its last （N） item's sentence, or
    where a new list starts.
    """
    sents, out, i = unit.sentences, [], 0
    while i < len(sents):
        if not _starts_list(sents, i):
            i += 1
            continue
        last = i + 1
        for j in range(i + 1, len(sents)):
            if is_clause(sents[j]):
                last = j
            elif _starts_list(sents, j):
                break
        out.append(range(i, last + 1))
        i = last + 1
    return out


def with_enumerations(unit: Unit, wanted: Sequence[int], *, whole: bool = False) -> tuple[int | None, ...]:
    """`wanted` sentence numbers, completed so no list is cut: the whole list when it is short (or
    `whole`, for a question that asks for the list), else the lead, the wanted items (each from its
    （N） head) and a None wherever items are left out."""
    chosen = set(wanted)
    touched = [rng for rng in enumerations(unit) if chosen & set(rng)]
    for rng in touched:
        if whole or sum(len(unit.sentences[n]) for n in rng) <= WHOLE_LIST_CHARS:
            chosen |= set(rng)
            continue
        if not chosen & set(rng[1:]):  # only the lead was wanted: show the first items
            chosen |= set(rng[1:3])
        chosen.add(rng[0])
        for n in sorted(chosen & set(rng[1:])):  # an item's later sentence brings its （N） head
            head = next(i for i in range(n, rng[0], -1) if is_clause(unit.sentences[i]) or i == rng[1])
            chosen |= set(range(head, n + 1))
    gaps = {n for rng in touched for n in rng if n not in chosen}
    out: list[int | None] = []
    for n in range(len(unit.sentences)):
        if n in chosen:
            out.append(n)
        elif n in gaps and (not out or out[-1] is not None):
            out.append(None)
    return tuple(out)


# -- quoting -----------------------------------------------------------------------------------


def quote(doc: Document, unit: Unit, wanted: Sequence[int], *, whole_lists: bool = False) -> Quote:
    return Quote(doc, unit, with_enumerations(unit, wanted, whole=whole_lists))


def _lines(q: Quote, *, numbered: bool) -> tuple[list[str], list[Citation]]:
    """One line per sentence (numbered or bulleted), list items indented, "……" for gaps."""
    lines, cites, n = [], [], 0
    in_list = {i for rng in enumerations(q.unit) for i in rng[1:]}
    for s in q.sents:
        if s is None:
            lines.append(f"   {GAP}")
            continue
        sent = q.unit.sentences[s]
        if s in in_list:
            prefix = "   "
        else:
            n += 1
            prefix = f"{n}. " if numbered else "- "
        lines.append(f"{prefix}{sent}{marker(q.doc, q.unit)}")
        cites.append(citation(q.doc, q.unit, sent))
    return lines, cites


def quote_lines(doc: Document, unit: Unit, sent_nos: Sequence[int]) -> tuple[list[str], list[Citation]]:
    """Bulleted verbatim sentences with their markers (lists kept whole), and the matching citations."""
    return _lines(quote(doc, unit, sent_nos), numbered=False)


def _block(q: Quote, *, numbered: bool, heading: str = "full") -> tuple[str, list[Citation]]:
    """A unit's heading line and its quoted lines. `heading`: "full" (《title》第N条 … （path）),
    "grouped" (under a document title line: no title repeated) or "short" (label and title only)."""
    lines, cites = _lines(q, numbered=numbered)
    if heading == "full":
        head = unit_heading(q.doc, q.unit)
    else:
        path = section_path(q.doc, q.unit) if heading == "grouped" else ""
        head = f"{q.unit.label} {q.unit.title}" + (f"（{path}）" if path else "")
    return "\n".join([head + "：", *lines]), cites


def _answer(question: str, blocks: Sequence[str], cites: Sequence[Citation], kind: AnswerKind, *,
            focus: Sequence[str] = (), abstained: bool = False, retrieved: Sequence[str] = (),
            suggestions: Sequence[str] = ()) -> Answer:
    return Answer(question=question, text="\n\n".join(b for b in blocks if b), abstained=abstained, kind=kind,
                  citations=tuple(cites), focus=tuple(dict.fromkeys(focus)),
                  retrieved=tuple(dict.fromkeys(retrieved)), suggestions=tuple(suggestions))


def _grouped(
    quotes: Sequence[Quote], order: Sequence[str], *, numbered: bool
) -> tuple[list[str], list[Citation]]:
    """Blocks grouped by document (in `order`, primary first); a title line heads each group
    when more than one document speaks."""
    rank = {d: i for i, d in enumerate(order)}
    quotes = sorted(quotes, key=lambda q: (rank.get(q.doc.doc_id, len(rank)), q.unit.number or 0, q.unit.ref))
    docs = list(dict.fromkeys(q.doc.doc_id for q in quotes))
    blocks, cites = [], []
    for doc_id in docs:
        group = [q for q in quotes if q.doc.doc_id == doc_id]
        parts = [f"《{group[0].doc.meta.title}》"] if len(docs) > 1 else []
        for q in group:
            text, c = _block(q, numbered=numbered, heading="grouped" if len(docs) > 1 else "full")
            parts.append(text)
            cites.extend(c)
        blocks.append("\n".join(parts) if len(docs) > 1 else "\n\n".join(parts))
    return blocks, cites


# -- composers ---------------------------------------------------------------------------------


def compose_reference(question: str, quotes: Sequence[Quote], *, order: Sequence[str],
                      related: Sequence[Quote] = (), missing_note: str = "") -> Answer:
    """Item / article lookup: heading, then the sentences verbatim, numbered. `related` holds what
    another document named in the question says on the same point, quoted after the referenced units."""
    blocks, cites = [], []
    for q in quotes:
        text, c = _block(q, numbered=True)
        blocks.append(text)
        cites.extend(c)
    if related:
        titles = "、".join(dict.fromkeys(f"《{q.doc.meta.title}》" for q in related))
        more, c = _grouped(related, order, numbered=False)
        blocks.append(f"{titles}的相关规定：\n" + "\n\n".join(more))
        cites.extend(c)
    if missing_note:
        blocks.append(f"（{missing_note}）")
    keys = [q.unit.key for q in quotes]
    return _answer(question, blocks, cites, "item", focus=keys,
                   retrieved=[*keys, *(q.unit.key for q in related)])


def compose_section(question: str, doc: Document, section_no: int, *, per_item: int = 2) -> Answer:
    section = doc.section(section_no)
    assert section is not None
    units = [u for r in section.refs if (u := doc.unit(r)) is not None]
    blocks, cites = [f"{section.label}{section.title}（共{len(units)}条）"], []
    for unit in units:
        text, c = _block(quote(doc, unit, requirement_sentences(unit)[:per_item]), numbered=False,
                         heading="short")
        blocks.append(text)
        cites.extend(c)
    keys = [u.key for u in units]
    return _answer(question, blocks, cites, "section", focus=keys, retrieved=keys)


def compose_search(question: str, quotes: Sequence[Quote], *, order: Sequence[str],
                   retrieved: Sequence[str], lead: str = "") -> Answer:
    """Relevant sentences grouped by document (primary first), units in document order."""
    titles = "、".join(dict.fromkeys(f"《{q.doc.meta.title}》" for q in sorted(
        quotes, key=lambda q: order.index(q.doc.doc_id) if q.doc.doc_id in order else len(order))))
    blocks, cites = _grouped(quotes, order, numbered=False)
    head = lead or f"根据{titles}，相关内容如下："
    return _answer(question, [head, *blocks], cites, "general",
                   focus=[q.unit.key for q in quotes][:1], retrieved=retrieved)


def compose_not_stated(question: str, what: str, quotes: Sequence[Quote], *, order: Sequence[str],
                       retrieved: Sequence[str]) -> Answer:
    """The documents speak of the topic but do not state what was asked: say so, then 相关内容."""
    blocks, cites = _grouped(quotes, order, numbered=False)
    head = f"已收录文件没有写明{what}。以下是最接近的相关内容，供参考（不是对问题的直接回答）："
    return _answer(question, [head, *blocks], cites, "abstain", abstained=True, retrieved=retrieved,
                   suggestions=[q.unit.key for q in quotes])


def compose_quotes(question: str, doc: Document, unit: Unit, sent_nos: Sequence[int],
                   kind: AnswerKind, lead: str) -> Answer:
    """Metadata and preamble answers: a lead line and the quoted header/preamble sentences."""
    lines, cites = _lines(quote(doc, unit, sent_nos), numbered=False)
    return _answer(question, ["\n".join([lead, *lines])], cites, kind, focus=[unit.key], retrieved=[unit.key])


def compose_lead_quotes(question: str, lead: str, picks: Sequence[tuple[Document, Unit, Sequence[int]]],
                        kind: AnswerKind) -> Answer:
    """A lead line, then quoted sentences from several units (a regulation's 施行 article and its lead)."""
    lines, cites = [lead], []
    for doc, unit, nos in picks:
        more, c = _lines(quote(doc, unit, nos), numbered=False)
        lines.extend(more)
        cites.extend(c)
    keys = [u.key for _d, u, _n in picks]
    return _answer(question, ["\n".join(lines)], cites, kind, focus=keys, retrieved=keys)


def abstain(question: str, suggestions: Sequence[tuple[Document, Unit]] = (), *, reason: str = "",
            quotes: Sequence[Quote] = (), order: Sequence[str] = ()) -> Answer:
    """A refusal: the reason, optionally quoted related passages (where a missing document is cited),
    and suggested units to ask about instead."""
    blocks: list[str] = [reason or f"{NOT_FOUND}。"]
    cites: list[Citation] = []
    if quotes:
        more, cites = _grouped(quotes, order, numbered=False)
        blocks.extend(more)
    if suggestions:
        blocks.append("\n".join(["您可以看看以下可能相关的条目：",
                                 *(f"- {unit_heading(d, u)}" for d, u in suggestions)]))
    return _answer(question, blocks, cites, "abstain", abstained=True,
                   suggestions=[u.key for _d, u in suggestions])


def out_of_range_note(doc: Document, numbers: Sequence[int]) -> str:
    count = len(doc.numbered)
    missing = "、".join(f"第{n}条" for n in numbers)
    return (f"《{doc.meta.title}》共{count}条（第1—{count}条），"
            f"没有{missing}。请输入 1 到 {count} 之间的编号。")


def out_of_range(question: str, doc: Document, numbers: Sequence[int]) -> Answer:
    return _answer(question, [out_of_range_note(doc, numbers)], (), "out_of_range", abstained=True)


def compose_citations(
    question: str, doc: Document, cited: Sequence[tuple[str, Sequence[str], Document | None]], *, lead: str
) -> Answer:
    """Where a document cites each 《title》 (quoted), and whether the cited text itself is in the corpus."""
    blocks, cites, keys = [lead], [], []
    for title, refs, full_text in cited:
        lines = [f"《{title}》："]
        for ref in refs:
            unit = doc.unit(ref)
            if unit is None:
                continue
            nos = [n for n, s in enumerate(unit.sentences) if f"《{title}》" in s]
            quoted, c = _lines(quote(doc, unit, nos), numbered=False)
            lines.extend(quoted)
            cites.extend(c)
            keys.append(unit.key)
        if full_text is None:
            lines.append(f"（《{title}》的全文未收录，无法提供其具体内容；以上是《{doc.meta.title}》引用它的原文。）")
        else:
            lines.append(f"（《{full_text.meta.title}》的全文已收录，可以按条提问，例如“《{full_text.meta.title}》第一条”。）")
        blocks.append("\n".join(lines))
    return _answer(question, blocks, cites, "citations", focus=keys, retrieved=keys)
