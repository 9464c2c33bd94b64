"""Extractive answers: every sentence shown is a verbatim sentence of the source, with its marker.

Composers take units and sentence numbers and return an `Answer`; rendering beyond plain text
with 〔第8条〕 markers (HTML, terminal colours) belongs to the edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .records import Answer, Citation, Document, Unit

NOT_FOUND = "未在已收录文件中找到与该问题直接相关的内容"


def marker(doc: Document, unit: Unit) -> str:
    """〔第8条〕 for the primary notice, 〔《纪律处分条例》第三十条〕 for other documents."""
    if doc.meta.primary:
        return f"〔{unit.label}〕"
    return f"〔《{doc.meta.title}》{unit.label}〕"


def section_path(doc: Document, unit: Unit) -> str:
    section = doc.section(unit.section_no) if unit.section_no else None
    return f"{section.label}{section.title}" if section else ""


def citation(doc: Document, unit: Unit, quote: str) -> Citation:
    return Citation(doc.doc_id, unit.ref, unit.label, unit.title, section_path(doc, unit), quote)


def _quotes(doc: Document, unit: Unit, sent_nos: Iterable[int], numbered: bool) -> tuple[list[str], list[Citation]]:
    lines, cites = [], []
    for i, n in enumerate(sent_nos, 1):
        sent = unit.sentences[n]
        prefix = f"{i}. " if numbered else "- "
        lines.append(f"{prefix}{sent}{marker(doc, unit)}")
        cites.append(citation(doc, unit, sent))
    return lines, cites


def quote_lines(doc: Document, unit: Unit, sent_nos: Iterable[int]) -> tuple[list[str], list[Citation]]:
    """Bulleted verbatim sentences with their markers, and the matching citations."""
    return _quotes(doc, unit, sent_nos, numbered=False)


def requirement_sentences(unit: Unit) -> list[int]:
    """All sentences after the title sentence (an item's title is its first sentence)."""
    if unit.kind == "item" and len(unit.sentences) > 1:
        return list(range(1, len(unit.sentences)))
    return list(range(len(unit.sentences)))


def unit_heading(doc: Document, unit: Unit) -> str:
    path = section_path(doc, unit)
    name = unit.label if doc.meta.primary else f"《{doc.meta.title}》{unit.label}"
    return f"{name} {unit.title}" + (f"（{path}）" if path else "")


def compose_units(question: str, doc: Document, units: Sequence[Unit],
                  focus_sents: dict[str, list[int]] | None = None) -> Answer:
    """Item lookup: heading, then the requirement sentences verbatim as a numbered list."""
    blocks, cites = [], []
    for unit in units:
        sents = (focus_sents or {}).get(unit.ref) or requirement_sentences(unit)
        lines, c = _quotes(doc, unit, sents, numbered=True)
        blocks.append("\n".join([unit_heading(doc, unit) + "：", *lines]))
        cites.extend(c)
    return Answer(question, "\n\n".join(blocks), False, "item", tuple(cites),
                  focus=tuple(u.key for u in units))


def compose_section(question: str, doc: Document, section_no: int, *, per_item: int = 2) -> Answer:
    section = doc.section(section_no)
    assert section is not None
    blocks, cites = [f"{section.label}{section.title}（共{len(section.refs)}条）"], []
    units = [u for r in section.refs if (u := doc.unit(r)) is not None]
    for unit in units:
        lines, c = _quotes(doc, unit, requirement_sentences(unit)[:per_item], numbered=False)
        blocks.append("\n".join([f"{unit.label} {unit.title}：", *lines]))
        cites.extend(c)
    return Answer(question, "\n\n".join(blocks), False, "section", tuple(cites),
                  focus=tuple(u.key for u in units))


def compose_general(question: str, picks: Sequence[tuple[Document, Unit, list[int]]]) -> Answer:
    """Relevant sentences grouped by unit, units in document order, under a one-line lead."""
    titles = "、".join(dict.fromkeys(f"《{d.meta.title}》" for d, _u, _s in picks))
    blocks, cites = [f"根据{titles}，相关内容如下："], []
    for doc, unit, sents in picks:
        lines, c = _quotes(doc, unit, sorted(sents), numbered=False)
        blocks.append("\n".join([unit_heading(doc, unit) + "：", *lines]))
        cites.extend(c)
    return Answer(question, "\n\n".join(blocks), False, "general", tuple(cites),
                  focus=tuple(u.key for _d, u, _s in picks))


def compose_quotes(question: str, doc: Document, unit: Unit, sent_nos: Sequence[int],
                   kind: str, lead: str) -> Answer:
    """Metadata and preamble answers: a lead line and the quoted header/preamble sentences."""
    lines, cites = _quotes(doc, unit, sent_nos, numbered=False)
    return Answer(question, "\n".join([lead, *lines]), False, kind, tuple(cites),  # type: ignore[arg-type]
                  focus=(unit.key,))


def abstain(question: str, suggestions: Sequence[tuple[Document, Unit]], *, reason: str = "") -> Answer:
    lines = [reason or f"{NOT_FOUND}。"]
    if suggestions:
        lines.append("您可以看看以下可能相关的条目：")
        lines.extend(f"- {unit_heading(d, u)}" for d, u in suggestions)
    return Answer(question, "\n".join(lines), True, "abstain",
                  suggestions=tuple(u.key for _d, u in suggestions))


def out_of_range(question: str, doc: Document, numbers: Sequence[int]) -> Answer:
    count = len(doc.numbered)
    missing = "、".join(f"第{n}条" for n in numbers)
    text = (f"《{doc.meta.title}》共{count}条（第1—{count}条），"
            f"没有{missing}。请输入 1 到 {count} 之间的编号。")
    return Answer(question, text, True, "out_of_range")


def compose_citations(question: str, doc: Document, cited: Sequence[tuple[str, Sequence[str], Document | None]],
                      *, lead: str) -> Answer:
    """Where the notice cites each 《title》 (quoted), and whether the cited text itself is in the corpus."""
    blocks, cites, keys = [lead], [], []
    for title, refs, full_text in cited:
        lines = [f"《{title}》："]
        for ref in refs:
            unit = doc.unit(ref)
            if unit is None:
                continue
            sent_nos = [n for n, s in enumerate(unit.sentences) if f"《{title}》" in s]
            quoted, c = _quotes(doc, unit, sent_nos, numbered=False)
            lines.extend(quoted)
            cites.extend(c)
            keys.append(unit.key)
        if full_text is None:
            lines.append(f"（《{title}》的全文未收录，无法提供其具体内容；以上是《{doc.meta.title}》引用它的原文。）")
        else:
            lines.append(f"（《{full_text.meta.title}》的全文已收录，可以按条提问，例如“《{full_text.meta.title}》第一条”。）")
        blocks.append("\n".join(lines))
    focus = tuple(dict.fromkeys(keys))
    return Answer(question, "\n\n".join(blocks), False, "citations", tuple(cites), retrieved=focus, focus=focus)
