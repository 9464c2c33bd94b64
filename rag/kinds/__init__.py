"""The registry of document kinds: every kind the corpus may hold, in the order they claim a text.

    KINDS            regulation (第X条 articles), notice (1. items), plain (paragraphs)
    get(name)        the kind a manifest's `kind` names (None for an unknown name)
    detect(text)     the first kind that claims the text; the notice when none does
    of(doc)          a parsed document's kind
    parse(text, m)   the manifest's kind, else the detected one, parses the text

The words a document's title ends with, naming its genre (…工作条例, …实施方案), in classes that each
rule reading a name combines as it needs: `RULE_GENRES` (a regulation's: its text cites itself as
本条例 / 本细则), `PLAN_GENRES` (plans and opinions a question names without 《》), `OTHER_GENRES`.

Unit-level questions the rest of the library asks without naming a kind:
`numbered(unit)` (a kind's citable unit: item, article, paragraph) and `titled(unit)` (its first
sentence is its own heading, as a notice item's). A new kind is a module here with a `KIND`,
added to `KINDS` (README, "新的文件类型").
"""

from __future__ import annotations

from dataclasses import replace

from ..records import DocMeta, Document, Unit
from . import notice, plain, regulation
from .base import DocKind

__all__ = ["DEFAULT", "KINDS", "NAMES", "OTHER_GENRES", "PLAN_GENRES", "REF_WORDS", "RULE_GENRES", "DocKind",
           "detect", "get", "numbered", "of", "own_heading", "parse", "titled"]

KINDS: tuple[DocKind, ...] = (regulation.KIND, notice.KIND, plain.KIND)
DEFAULT = notice.KIND  # what a manifest entry without `kind` has always meant
NAMES = tuple(k.name for k in KINDS)
_BY_NAME = {k.name: k for k in KINDS}
REF_WORDS = "".join(dict.fromkeys(ch for k in KINDS for ch in k.ref_words))  # 条项点段
# A rule's genres: a regulation is called by one, and cites itself by it (本条例第十七条).
RULE_GENRES = ("条例", "章程", "细则", "规定", "办法", "准则", "规则")
# Plans, outlines and opinions: titles a question may type without 《》 (…实施方案, …意见).
PLAN_GENRES = ("纲要", "实施方案", "工作方案", "意见")
# The other genres a title may end with (…通知, …决定, …工作要点, …标准).
OTHER_GENRES = ("通知", "决定", "决议", "方案", "法", "规划", "制度", "要点", "清单", "计划", "标准", "指南",
                "守则")
_NUMBERED = frozenset(k.unit_kind for k in KINDS)
_TITLED = frozenset(k.unit_kind for k in KINDS if k.titled)


def get(name: str) -> DocKind | None:
    return _BY_NAME.get(name)


def detect(text: str) -> DocKind:
    """The first kind, in `KINDS` order, that claims `text`; the notice (whose parse then finds
    nothing to cite, and ingestion says so) when none does."""
    return next((k for k in KINDS if k.claims(text)), DEFAULT)


def of(doc: Document | DocMeta) -> DocKind:
    """The kind of a parsed document (or of its manifest entry); the notice for an unknown name."""
    meta = doc.meta if isinstance(doc, Document) else doc
    return _BY_NAME.get(meta.kind, DEFAULT)


def parse(text: str, meta: DocMeta) -> Document:
    """Parse with the kind the manifest names, else the detected one; the result carries its kind."""
    kind = get(meta.kind) or detect(text)
    doc = kind.parse(text, meta)
    if doc.meta.kind != kind.name:
        doc = replace(doc, meta=replace(doc.meta, kind=kind.name))
    return doc


def numbered(unit: Unit) -> bool:
    """A kind's citable unit (an item, an article, a paragraph), not a header, lead or preamble."""
    return unit.kind in _NUMBERED


def titled(unit: Unit) -> bool:
    """The unit's first sentence is its own heading (a notice item's), quoted apart from its text."""
    return unit.kind in _TITLED


def own_heading(unit: Unit) -> str:
    """The unit's own heading (a notice item's title), "" for a unit that has none: an article's
    `title` is its chapter's, which every article of the chapter shares (第二章入党积极分子的确定和
    培养教育), so a check of what one sentence says reads the sentence with this, not with that."""
    return unit.title if titled(unit) else ""
