"""Plain frozen dataclasses for the data that flows between stages.

The tree is deliberately generic: a `Document` holds `Unit`s (the numbered items of a notice, the
第X条 articles of a regulation, the paragraphs of a plain notice: whatever its kind in rag/kinds
cites) grouped under `Section`s (一、… headings, or 第X章/第X节). Header and preamble are units
too, with refs "header" and "preamble", so every quotable piece of text has a `doc_id#ref` address.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .ranking import DEFAULT as _RANKING
from .ranking import Mode as Mode  # re-exported: records name the types stages share

# "header", "preamble", "lead", or the unit kind a document kind cites ("item", "article",
# "paragraph"): open, so that a new document kind (rag/kinds) brings its own without editing this file
UnitKind = str
AnswerKind = Literal[
    "item", "section", "general", "metadata", "preamble", "out_of_range", "abstain", "citations", "llm"
]


@dataclass(frozen=True, slots=True)
class DocMeta:
    """What the manifest (and the text's own header) says about a document."""

    doc_id: str
    title: str
    file: str = ""
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    kind: str = "notice"  # a name in rag/kinds (notice, regulation, plain)
    primary: bool = False
    addressees: str = ""
    notice_title: str = ""
    aliases: tuple[str, ...] = ()
    # Vocabulary that belongs to this document and comes with it in the manifest, so next year's
    # notice brings its own: words the tokenizer keeps whole, and words that ask for its preamble
    terms: tuple[str, ...] = ()
    preamble_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """One citable unit: an item (第8条 of the notice), an article, a paragraph, the header, the preamble."""

    doc_id: str
    ref: str
    kind: UnitKind
    label: str
    title: str
    text: str
    sentences: tuple[str, ...]
    section_no: int | None = None
    section_title: str = ""
    path: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return unit_key(self.doc_id, self.ref)

    @property
    def number(self) -> int | None:
        return int(self.ref) if self.ref.isdigit() else None


@dataclass(frozen=True, slots=True)
class Section:
    """A heading that groups units: 一、… in a notice, 第X章 in a regulation."""

    no: int
    label: str
    title: str
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Document:
    meta: DocMeta
    units: tuple[Unit, ...]
    sections: tuple[Section, ...] = ()
    citations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (《title》, refs citing it)

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def numbered(self) -> tuple[Unit, ...]:
        """Items, articles or paragraphs, in order: what 第N条 (第N段) counts."""
        return tuple(u for u in self.units if u.number is not None)

    def unit(self, ref: str) -> Unit | None:
        return next((u for u in self.units if u.ref == ref), None)

    def section(self, no: int) -> Section | None:
        return next((s for s in self.sections if s.no == no), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """A retrievable piece of text. Sentence chunks point at their unit through `ref`."""

    chunk_id: int
    doc_id: str
    ref: str
    level: Literal["unit", "sentence"]
    sent_no: int
    text: str
    context: str

    @property
    def key(self) -> str:
        return unit_key(self.doc_id, self.ref)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """A unit ranked by retrieval, with the sentences that made it rank."""

    doc_id: str
    ref: str
    score: float
    bm25: float = 0.0
    dense: float = 0.0  # the best of the unit's own vector and its sentences' (what abstention reads)
    unit_dense: float | None = None  # the unit's own vector (context + whole text); None: not known
    sentences: tuple[int, ...] = ()
    coverage: float = 0.0  # share of the question's idf-weighted tokens in this unit (best 40 hits only)
    topic_coverage: float | None = None  # the same without the question's question words; None: not known

    @property
    def strength(self) -> float:
        """An absolute relevance signal (unlike the rank-based fused score), for thresholds, with
        the default weights (`RankSettings.strength`; a search reads its own settings')."""
        return _RANKING.strength(self)

    @property
    def key(self) -> str:
        return unit_key(self.doc_id, self.ref)


_HIT_SLOTS = tuple(getattr(Hit, f.name).__set__ for f in fields(Hit))


def hit_of(values: tuple[Any, ...]) -> Hit:
    """A `Hit` from the values of all its fields, in declaration order. Retrieval makes 40 per
    question: setting the slots directly skips the frozen dataclass's keyword parsing and its
    per-field `object.__setattr__` (1.8 → 1.1 µs each). The result equals `Hit(...)` (tested)."""
    hit = object.__new__(Hit)
    for set_slot, value in zip(_HIT_SLOTS, values, strict=True):
        set_slot(hit, value)
    return hit


@dataclass(frozen=True, slots=True)
class Key:
    """The address of a unit, written `doc_id#ref` in JSON, eval sets and URLs."""

    doc_id: str
    ref: str

    def __str__(self) -> str:
        return unit_key(self.doc_id, self.ref)

    @classmethod
    def parse(cls, text: str, *, default_doc: str = "") -> Key:
        """`doc_id#ref`, or a bare ref of `default_doc` (the primary document)."""
        doc_id, sep, ref = text.strip().rpartition("#")
        return cls(doc_id if sep else default_doc, ref)


def unit_key(doc_id: str, ref: str) -> str:
    """`doc_id#ref` (what `str(Key(…))` gives), without building a Key: ranking asks for ~100 per question."""
    return f"{doc_id}#{ref}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Citation:
    doc_id: str
    ref: str
    label: str
    title: str
    section: str
    quote: str

    @property
    def key(self) -> str:
        return unit_key(self.doc_id, self.ref)


BlockKind = Literal["answer", "lead", "evidence", "related", "note", "generated"]


@dataclass(frozen=True, slots=True)
class Line:
    """One quoted sentence of an evidence block. `sent_no` None is a gap ("……") in a long list;
    `depth` 1 is an item of a （一）…（N） list, shown under its lead."""

    text: str
    sent_no: int | None
    depth: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One typed part of an answer; every edge (CLI text, web page, Word, JSON) renders these.

    - answer: the direct answer, first (`text`; `doc_id`/`ref`/`marker` of the unit stating it)
    - lead: a sentence that frames what follows (a refusal's reason, a section's title)
    - evidence: one unit's quoted sentences (`lines`), cited once by `marker`
    - related: units near the question that do not answer it (`items`: unit key, heading)
    - note: a remark on the answer (the text gives no reason, a number out of range)
    - generated: an LLM's verified text, with its markers inline
    """

    kind: BlockKind
    text: str = ""
    doc_id: str = ""
    ref: str = ""
    heading: str = ""
    marker: str = ""
    lines: tuple[Line, ...] = ()
    numbered: bool = False
    items: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return unit_key(self.doc_id, self.ref) if self.doc_id else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """What every route returns. `route` names the route that answered (see rag/routes.py)."""

    question: str
    text: str
    abstained: bool
    kind: AnswerKind
    route: str = ""
    citations: tuple[Citation, ...] = ()
    retrieved: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    focus: tuple[str, ...] = ()  # doc_id#ref keys the conversation is now about
    generated: bool = False  # True when an LLM wrote the text (verified against the sources)
    verification: dict[str, object] | None = None
    notes: tuple[str, ...] = ()  # one-line notices for the user (e.g. the LLM fell back)
    blocks: tuple[Block, ...] = ()  # what `text` renders; () only for answers made before blocks
