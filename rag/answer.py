"""Compose: units and sentence numbers → a complete `Answer`, every sentence verbatim with its marker.

Composers never patch each other's text: a route gathers everything first (the referenced
units, what another named document says, a note on numbers out of range) and one composer
writes the answer as typed blocks (`records.Block`): the direct answer, leads, evidence (one unit's
quoted sentences, cited once), related units, notes. `Answer.text` is `render_text(blocks)`; the
web page, Word and JSON render the same blocks their own way.

An enumeration — a lead sentence ending in "：" and its （一）…（N） items — is one unit of
meaning: quoting any part of it quotes the lead with all its items, or, when the list is long,
the lead with the wanted items and an explicit "……" for each gap. Never a lead alone, never an
item without its lead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from . import kinds
from .records import Answer, AnswerKind, Block, Citation, Document, Line, Unit
from .text import REFERS_BACK

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
    """〔第8条〕 for the primary notice, 〔《纪律处分条例》第三十条〕 or 〔《关于…的通知》第3段〕 for
    other documents: the unit's label, as its kind writes it."""
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
    if kinds.titled(unit) and len(unit.sentences) > 1:
        return list(range(1, len(unit.sentences)))
    return list(range(len(unit.sentences)))


# -- enumerations ------------------------------------------------------------------------------


def is_clause(sentence: str) -> bool:
    return bool(_CLAUSE.match(sentence))


def clause_text(sentence: str) -> str:
    """An item's words without its （一） mark."""
    return _CLAUSE.sub("", sentence, count=1)


def list_leads(unit: Unit) -> dict[int, str]:
    """Each item sentence of the unit's （一）…（N） lists → its list's lead sentence: an item means
    what it says only with its lead ("党的地方各级代表大会的职权是：" + "（四）选举…")."""
    return {n: unit.sentences[rng[0]] for rng in enumerations(unit) for n in rng[1:]}


def antecedent_span(unit: Unit, n: int) -> tuple[int, ...]:
    """Sentence `n`, with the one before it when `n` opens with a pronoun (它既是党的根本组织原则):
    that sentence names its subject (民主集中制是…)."""
    return (n - 1, n) if n and REFERS_BACK.match(unit.sentences[n]) else (n,)


def _starts_list(sents: Sequence[str], i: int) -> bool:
    return sents[i].rstrip().endswith(_LEAD_END) and i + 1 < len(sents) and is_clause(sents[i + 1])


@lru_cache(maxsize=4096)
def enumerations(unit: Unit) -> tuple[range, ...]:
    """Sentence ranges lead..last item of each （一）…（N） list in a unit.

    An item may run over several sentences; the list ends at its last （N） item's sentence, or
    where a new list starts. Cached: a choice question reads every option against every sentence
    of the best units with its list's lead, which asked this of the same units thousands of times.
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
    return tuple(out)


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


def block_heading(doc: Document, unit: Unit) -> str:
    """An evidence block's heading: the unit's name, its title only where it has one of its own
    (a notice item's; an article's "title" is its first sentence, quoted below anyway), and the
    section it sits in."""
    name = unit.label if doc.meta.primary else f"《{doc.meta.title}》{unit.label}"
    own_title = kinds.titled(unit) and unit.title and unit.title != unit.label
    path = section_path(doc, unit)
    return name + (f" {unit.title}" if own_title else "") + (f"（{path}）" if path else "")


def _evidence(q: Quote, *, numbered: bool, heading: str | None = None) -> tuple[Block, list[Citation]]:
    """One unit's quoted sentences as an evidence block (cited once, by its marker), list items
    one level down, "……" for the gaps of a long list."""
    in_list = {i for rng in enumerations(q.unit) for i in rng[1:]}
    lines, cites = [], []
    for s in q.sents:
        if s is None:
            lines.append(Line(GAP, None, 1))
            continue
        sent = q.unit.sentences[s]
        lines.append(Line(sent, s, 1 if s in in_list else 0))
        cites.append(citation(q.doc, q.unit, sent))
    head = block_heading(q.doc, q.unit) if heading is None else heading
    return Block(kind="evidence", doc_id=q.doc.doc_id, ref=q.unit.ref, heading=head,
                 marker=marker(q.doc, q.unit), lines=tuple(lines), numbered=numbered), cites


def _evidences(quotes: Sequence[Quote], *, numbered: bool = False,
               order: Sequence[str] = ()) -> tuple[list[Block], list[Citation]]:
    """Evidence blocks of several units; with `order`, grouped by document in that order (primary
    first) and by position in the document."""
    if order:
        rank = {d: i for i, d in enumerate(order)}
        quotes = sorted(quotes, key=lambda q: (rank.get(q.doc.doc_id, len(rank)), q.unit.number or 0,
                                               q.unit.ref))
    blocks, cites = [], []
    for q in quotes:
        b, c = _evidence(q, numbered=numbered)
        blocks.append(b)
        cites.extend(c)
    return blocks, cites


def lead(text: str) -> Block:
    return Block(kind="lead", text=text)


def note(text: str) -> Block:
    return Block(kind="note", text=text)


def related(text: str, units: Sequence[tuple[Document, Unit]]) -> Block:
    """Units worth a look that do not answer the question, labelled so by `text`."""
    return Block(kind="related", text=text, items=tuple((u.key, unit_heading(d, u)) for d, u in units))


# -- text ----------------------------------------------------------------------------------------


def _block_text(b: Block) -> str:
    if b.kind == "answer":
        return b.text if not b.marker or b.text.endswith(b.marker) else b.text + b.marker
    if b.kind == "related":
        return "\n".join([b.text, *(f"- {heading}" for _key, heading in b.items)])
    if b.kind != "evidence":
        return b.text
    out, n = [f"{b.heading}："] if b.heading else [], 0
    for line in b.lines:
        if line.depth:
            out.append(f"   {line.text}")
            continue
        n += 1
        out.append(f"{n}. {line.text}" if b.numbered else f"- {line.text}")
    if out and b.marker:
        out[-1] += b.marker  # one citation per unit, after its last quoted line
    return "\n".join(out)


def render_text(blocks: Sequence[Block]) -> str:
    """The plain-text answer (CLI, `ask --json`'s "answer", copy): blocks apart by a blank line."""
    return "\n\n".join(t for b in blocks if (t := _block_text(b)))


def _answer(question: str, blocks: Sequence[Block], cites: Sequence[Citation], kind: AnswerKind, *,
            focus: Sequence[str] = (), abstained: bool = False, retrieved: Sequence[str] = (),
            suggestions: Sequence[str] = ()) -> Answer:
    kept = tuple(b for b in blocks if b.kind != "evidence" or b.lines)
    return Answer(question=question, text=render_text(kept), abstained=abstained, kind=kind,
                  citations=tuple(dict.fromkeys(cites)), focus=tuple(dict.fromkeys(focus)),
                  retrieved=tuple(dict.fromkeys(retrieved)), suggestions=tuple(suggestions), blocks=kept)


def _without(blocks: Sequence[Block], first: Block) -> list[Block]:
    """Evidence blocks minus the sentence the direct answer already quotes whole: no sentence twice."""
    out = []
    for b in blocks:
        if b.kind == "evidence" and b.key == first.key and first.lines:
            gone = {line.sent_no for line in first.lines}
            lines = tuple(line for line in b.lines if line.sent_no is None or line.sent_no not in gone)
            if all(line.sent_no is None for line in lines):
                continue
            b = replace(b, lines=lines)
        out.append(b)
    return out


# -- composers ---------------------------------------------------------------------------------


def compose_reference(question: str, quotes: Sequence[Quote], *, order: Sequence[str],
                      related_quotes: Sequence[Quote] = (), missing_note: str = "") -> Answer:
    """Item / article lookup: the units asked for, numbered, then what another document named in
    the question says on the same point."""
    blocks, cites = _evidences(quotes, numbered=True)
    if related_quotes:
        titles = "、".join(dict.fromkeys(f"《{q.doc.meta.title}》" for q in related_quotes))
        more, c = _evidences(related_quotes, order=order)
        blocks += [lead(f"{titles}的相关规定："), *more]
        cites.extend(c)
    if missing_note:
        blocks.append(note(f"（{missing_note}）"))
    keys = [q.unit.key for q in quotes]
    return _answer(question, blocks, cites, "item", focus=keys,
                   retrieved=[*keys, *(q.unit.key for q in related_quotes)])


def compose_section(question: str, doc: Document, section_no: int, *, per_item: int = 2) -> Answer:
    section = doc.section(section_no)
    assert section is not None
    units = [u for r in section.refs if (u := doc.unit(r)) is not None]
    blocks, cites = [lead(f"{section.label}{section.title}（共{len(units)}{kinds.of(doc).unit_word}）")], []
    for unit in units:
        b, c = _evidence(quote(doc, unit, requirement_sentences(unit)[:per_item]), numbered=False,
                         heading=f"{unit.label} {unit.title}")
        blocks.append(b)
        cites.extend(c)
    keys = [u.key for u in units]
    return _answer(question, blocks, cites, "section", focus=keys, retrieved=keys)


def compose_search(question: str, quotes: Sequence[Quote], *, order: Sequence[str],
                   retrieved: Sequence[str], heads: Sequence[Block] = (),
                   notes: Sequence[Block] = ()) -> Answer:
    """The answer first (`heads`: a direct answer — one for each question of a text that asks
    several — or a lead), then the evidence that states it — the units the answers quote first,
    the others in document order — and any notes."""
    evidence, cites = _evidences(quotes, order=order)
    answers = [h for h in heads if h.kind == "answer"]
    if answers:
        keys = [h.key for h in answers]
        evidence.sort(key=lambda b: keys.index(b.key) if b.key in keys else len(keys))
        for h in answers:
            evidence = _without(evidence, h)
        cites = [*(c for h in answers for c in _citations_of(h, quotes)), *cites]
    blocks = [*heads, *evidence, *notes]
    focus = heads[0].key if heads and heads[0].key else quotes[0].unit.key if quotes else ""
    return _answer(question, blocks, cites, "general", focus=[focus] if focus else [], retrieved=retrieved)


def _citations_of(head: Block, quotes: Sequence[Quote]) -> list[Citation]:
    """The citations of the sentences a direct answer quotes (its unit is among `quotes`)."""
    for q in quotes:
        if q.unit.key == head.key:
            return [citation(q.doc, q.unit, q.unit.sentences[line.sent_no])
                    for line in head.lines if line.sent_no is not None]
    return []


def compose_not_stated(question: str, what: str, quotes: Sequence[Quote], *, order: Sequence[str],
                       retrieved: Sequence[str]) -> Answer:
    """The documents speak of the topic but do not state what was asked: say so, then the nearest
    evidence, labelled as not answering the question."""
    evidence, cites = _evidences(quotes, order=order)
    head = lead(f"已收录文件没有写明{what}。以下是最接近的相关内容，供参考（不是对问题的直接回答）：")
    return _answer(question, [head, *evidence], cites, "abstain", abstained=True, retrieved=retrieved,
                   suggestions=[q.unit.key for q in quotes])


def compose_quotes(question: str, doc: Document, unit: Unit, sent_nos: Sequence[int],
                   kind: AnswerKind, lead_text: str) -> Answer:
    """Metadata and preamble answers: a lead line and the quoted header/preamble sentences."""
    b, cites = _evidence(quote(doc, unit, sent_nos), numbered=False, heading=lead_text.rstrip("：:"))
    return _answer(question, [b], cites, kind, focus=[unit.key], retrieved=[unit.key])


def compose_lead_quotes(question: str, lead_text: str, picks: Sequence[tuple[Document, Unit, Sequence[int]]],
                        kind: AnswerKind) -> Answer:
    """A lead line, then quoted sentences from several units (a regulation's 施行 article and its lead)."""
    blocks, cites = [lead(lead_text)], []
    for doc, unit, nos in picks:
        b, c = _evidence(quote(doc, unit, nos), numbered=False)
        blocks.append(b)
        cites.extend(c)
    keys = [u.key for _d, u, _n in picks]
    return _answer(question, blocks, cites, kind, focus=keys, retrieved=keys)


def abstain(question: str, suggestions: Sequence[tuple[Document, Unit]] = (), *, reason: str = "",
            quotes: Sequence[Quote] = (), order: Sequence[str] = ()) -> Answer:
    """A refusal: the reason, optionally quoted related passages (where a missing document is cited),
    and units near the question, labelled as not answering it."""
    blocks: list[Block] = [lead(reason or f"{NOT_FOUND}。")]
    cites: list[Citation] = []
    if quotes:
        more, cites = _evidences(quotes, order=order)
        blocks.extend(more)
    if suggestions:
        blocks.append(related("您可以看看以下可能相关的条目：", suggestions))
    return _answer(question, blocks, cites, "abstain", abstained=True,
                   suggestions=[u.key for _d, u in suggestions])


def out_of_range_note(doc: Document, numbers: Sequence[int]) -> str:
    count, kind = len(doc.numbered), kinds.of(doc)
    missing = "、".join(kind.label(n) for n in numbers)
    return (f"《{doc.meta.title}》共{count}{kind.unit_word}（第1—{count}{kind.unit_word}），"
            f"没有{missing}。请输入 1 到 {count} 之间的编号。")


def miscited_note(doc: Document, word: str, others: Sequence[Document]) -> str:
    """A reference written in a word `doc`'s kind does not cite by (第3段 of a notice cited by 条):
    how it is cited, and which documents are cited that way."""
    kind = kinds.of(doc)
    note = (f"《{doc.meta.title}》按{kind.unit_word}引用（共{len(doc.numbered)}{kind.unit_word}），"
            f"没有“第N{word}”的说法；请说明是第几{kind.unit_word}（第1—{len(doc.numbered)}{kind.unit_word}）。")
    if others:
        names = "、".join(f"《{d.meta.title}》" for d in others)
        note += f"按{word}引用的文件：{names}，可以问“《{others[0].meta.title}》第1{word}讲什么？”。"
    return note


def out_of_range(question: str, doc: Document, numbers: Sequence[int]) -> Answer:
    return _answer(question, [lead(out_of_range_note(doc, numbers))], (), "out_of_range", abstained=True)


def compose_citations(
    question: str, doc: Document, cited: Sequence[tuple[str, Sequence[str], Document | None]], *,
    lead_text: str,
) -> Answer:
    """Where a document cites each 《title》 (quoted), and whether the cited text itself is in the corpus."""
    blocks, cites, keys = [lead(lead_text)], [], []
    for title, refs, full_text in cited:
        blocks.append(lead(f"《{title}》："))
        for ref in refs:
            unit = doc.unit(ref)
            if unit is None:
                continue
            nos = [n for n, s in enumerate(unit.sentences) if f"《{title}》" in s]
            b, c = _evidence(quote(doc, unit, nos), numbered=False)
            blocks.append(b)
            cites.extend(c)
            keys.append(unit.key)
        if full_text is None:
            blocks.append(note(f"（《{title}》的全文未收录，无法提供其具体内容；以上是《{doc.meta.title}》引用它的原文。）"))
        else:
            blocks.append(note(f"（《{full_text.meta.title}》的全文已收录，可以按条提问，"
                               f"例如“《{full_text.meta.title}》第一条”。）"))
    return _answer(question, blocks, cites, "citations", focus=keys, retrieved=keys)
