"""The search route's evidence: document-aware ranking, calibrated confidence, what to quote.

`find(ctx, q)` ranks units for a free-text question within its scope, decides whether the
corpus answers it, picks the sentences to quote (a true/false claim's deciding sentence first),
and checks that what was asked for — a number, a time limit — is actually in them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from . import answer as compose
from .answer import Quote
from .catalog import Catalog
from .embed import VectorEmbeddings
from .index import Index
from .query import Query
from .records import Document, Hit, Unit
from .retrieve import Evidence, search

MIN_STRENGTH = 0.40  # Hit.strength = dense + 0.5 × coverage of the best unit (calibrated, see eval/report.md)
UNIT_MARGIN = 0.10  # a further unit is quoted when its strength is within this of the best one
MAX_UNITS = 3  # and two sentences each
NEAR_MARGIN = 0.10
RERANK = 40  # units of the fused ranking re-ordered by absolute evidence (coverage is computed for them)
PRIMARY_EDGE = 0.20  # strength added to the primary document's units when ranking across documents
_QUOTED = re.compile(r"[“\"「『‘]([^“”\"「」『』‘’]{2,20})[”\"」』’]")  # a refusal suggests units only when they come this close to the bar
_ASKS_NUMBER = re.compile(r"多少|几[个名人次年月天日岁条项种类届]|多长|多久|几年|几个月|哪一年|哪年|何时|什么时候|"
                          r"多大|期限|时限|上限|下限|比例|标准是|how many|how long|how much|when", re.I)
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千半][个名人次年月天日周岁届条项分%‰倍]|[一二两三四五六七八九十]+(?:年|个月|日|天)"
                     r"|每[年月季周日届]|每半年|每季度|以上|以下|以内|不少于|不超过|不得超过|不低于|至少|之日起|前|后")
_THING = re.compile(r"^(.{2,16}?)(?:是多少|有多少|多少|是几|有几|为几|几[个名人次年月天日岁]|多长|多久|是什么时候|什么时候|何时)")


@dataclass(frozen=True, slots=True)
class Context:
    """What routes read: the loaded index, the question encoder, document names, the abstention bar."""

    index: Index
    emb: VectorEmbeddings
    catalog: Catalog
    min_strength: float = MIN_STRENGTH

    @property
    def order(self) -> list[str]:
        """Document order for grouped answers: primary first, then as in the manifest."""
        return [d.doc_id for d in self.catalog.docs]

    def unit(self, key: str) -> tuple[Document, Unit] | None:
        doc_id, _, ref = key.rpartition("#")
        doc = self.catalog.doc(doc_id) if doc_id else self.catalog.primary
        unit = doc.unit(ref) if doc else None
        return (doc, unit) if doc and unit else None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[Hit, ...]
    confident: bool
    quotes: tuple[Quote, ...] = ()
    not_stated: str = ""  # what the question asks for that no quoted sentence states
    near: tuple[str, ...] = ()  # units worth suggesting when the corpus does not answer
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def retrieved(self) -> tuple[str, ...]:
        return tuple(h.key for h in self.hits)


def _scoped(ev: Evidence, docs: Sequence[str]) -> tuple[Hit, ...]:
    return tuple(h for h in ev.hits if not docs or h.doc_id in docs)


def _quoted(text: str) -> list[str]:
    return [p for p in _QUOTED.findall(text) if len(p) >= 2]


def rank_documents(hits: Sequence[Hit], q: Query, ctx: Context) -> tuple[Hit, ...]:
    """Document-aware order over the best RERANK units of the fused ranking.

    Rank fusion is relative to each signal's list, so across documents of very different shape
    (the notice's long items, the regulations' short articles) it favours whichever document has
    more near-duplicates; the absolute evidence — `strength`, the dense similarity plus the share
    of the question's idf-weighted words a unit contains — compares units fairly. The primary
    document gets PRIMARY_EDGE: it is what this deployment is about, and the regulations back it.
    A phrase the question quotes (“城市之光”) puts the units that contain it verbatim first.
    """
    primary = ctx.catalog.primary.doc_id
    phrases = _quoted(q.text)
    top = list(hits[:RERANK])
    texts = {h.key: u.text for h in top if (found := ctx.unit(h.key)) and (u := found[1])}

    def key(h: Hit) -> tuple[bool, float]:
        exact = bool(phrases) and any(p in texts.get(h.key, "") for p in phrases)
        return (not exact, -(h.strength + (PRIMARY_EDGE if h.doc_id == primary else 0.0)))

    return tuple(sorted(top, key=key)) + tuple(hits[RERANK:])


def _confident(hits: Sequence[Hit], min_strength: float) -> bool:
    best = max((h.strength for h in hits[:5]), default=0.0)
    return best == best and best >= min_strength  # NaN-safe


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\s，。；：、“”《》（）,.;:()？?！!]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _claim_sentence(unit: Unit, claim: str) -> tuple[float, int]:
    """The sentence of `unit` closest to a true/false claim, by shared character bigrams."""
    want = _bigrams(claim)
    if not want:
        return 0.0, 0
    return max((len(want & _bigrams(s)) / len(want), n) for n, s in enumerate(unit.sentences))


def _picks(ctx: Context, hits: Sequence[Hit], q: Query, docs: Sequence[str]) -> list[Quote]:
    """Top units (within UNIT_MARGIN of the best, at most MAX_UNITS; the best of each named
    document when the question names several), up to two best sentences each."""
    top = list(hits[:MAX_UNITS])
    best = max(h.strength for h in top)
    chosen = [h for i, h in enumerate(top) if i == 0 or h.strength >= best - UNIT_MARGIN]
    if len(docs) > 1:
        for doc_id in docs:
            if not any(h.doc_id == doc_id for h in chosen):
                extra = next((h for h in hits if h.doc_id == doc_id), None)
                if extra is not None and extra.strength >= ctx.min_strength:
                    chosen.append(extra)
    quotes = []
    for hit in chosen:
        found = ctx.unit(hit.key)
        if found is None:
            continue
        doc, unit = found
        sents = [n for n in hit.sentences if not (unit.kind == "item" and n == 0)][:2] or list(hit.sentences[:1])
        if q.claim:
            share, n = _claim_sentence(unit, q.claim)
            if share >= 0.5 and n not in sents:
                sents = [n, *sents[:1]]
        quotes.append(compose.quote(doc, unit, sents))
    return quotes


def _not_stated(q: Query, quotes: Sequence[Quote]) -> str:
    """What a number question asks for, when no quoted sentence states any number or time limit."""
    if not _ASKS_NUMBER.search(q.text):
        return ""
    said = "".join(q_.unit.sentences[n] for q_ in quotes for n in q_.sents if n is not None)
    if _NUMBER.search(said):
        return ""
    thing = _THING.search(q.text)
    return f"“{thing.group(1)}”的具体数字或期限" if thing else "问题所问的具体数字或期限"


def find(ctx: Context, q: Query, *, docs: Sequence[str] = (), text: str = "") -> SearchResult:
    """Rank, decide, pick: everything the search route and cross-document answers need.
    `text` replaces the question's text as the search query (the part of a question that is
    not a reference, for cross-document questions)."""
    t0 = time.perf_counter()
    ev = search(ctx.index, ctx.emb, text or q.text, mode=q.options.mode, docs=docs)
    hits = _scoped(ev, docs)
    if q.options.doc_aware and len(docs) != 1:
        hits = rank_documents(hits, q, ctx)
    timings = {"retrieve": round((time.perf_counter() - t0) * 1000, 2)}
    if not hits or not _confident(hits, ctx.min_strength):
        near = tuple(h.key for h in hits[:3] if h.strength >= ctx.min_strength - NEAR_MARGIN)
        return SearchResult(hits[:20], False, near=near, timings_ms=timings)
    quotes = _picks(ctx, hits, q, docs)
    result = SearchResult(hits[:20], True, tuple(quotes), _not_stated(q, quotes), timings_ms=timings)
    return replace(result, near=tuple(qu.unit.key for qu in quotes)) if result.not_stated else result
