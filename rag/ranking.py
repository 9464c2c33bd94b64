"""The search path's settings: every weight and bar of its steps, with the defaults in one place.

The free-text search runs three steps (rag/search.py `find`), each reading its part of one
`RankSettings`, which `search.Context` carries:

    signals  rag/retrieve.py  BM25 and dense at sentence and unit level, fused (mode, rrf_k, window)
    rank     rag/search.py    document-aware order of the fused window: strength, edges, bonuses
    pick     rag/search.py    confident or not; the units and sentences to quote

An ablation is a configuration — `RankSettings(doc_aware=False)`, `RankSettings(mode="bm25")` —
run through the same code (rag/eval/ablation.py), not a flag or a patched constant; `to_dict`
shows what a configuration changes. The defaults were calibrated together on the eval sets
(eval/report.md): change one and re-run `dangjian eval` on every set.

Plain values only, no imports from the rest of rag: rag/records.py reads `Mode` and the default
coverage weight from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, Protocol

Mode = Literal["hybrid", "bm25", "dense"]  # which retrieval signals a search uses


class Hit(Protocol):
    """What the strengths read of a ranked unit (rag/records.py `Hit`)."""

    @property
    def dense(self) -> float: ...
    @property
    def coverage(self) -> float: ...
    @property
    def unit_dense(self) -> float | None: ...
    @property
    def topic_coverage(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class RankSettings:
    """Tunables of the three steps of the search path (see the module docstring)."""

    # -- signals (rag/retrieve.py) --
    mode: Mode = "hybrid"
    rrf_k: int = 60  # reciprocal rank fusion's k (Cormack et al., SIGIR 2009)
    # units of the fused ranking made into `Hit`s, each with its coverage: what `rank` re-orders
    window: int = 40
    # -- rank (rag/search.py `rank_documents`) --
    doc_aware: bool = True  # re-order the window by absolute evidence (else: the fused order)
    coverage_weight: float = 0.5  # strength = dense + this × coverage of the question's words
    # share of the ranking's dense term read from the unit's own vector, not its best sentence
    unit_meaning: float = 0.3
    primary_edge: float = 0.20  # strength added to the primary document's units across documents
    # strength added to a unit shaped like the answer (a figure, a list, a deciding sentence)
    shape_bonus: float = 0.25
    answer_cover: float = 0.5  # share of a number or list question's words the answering sentence must hold
    # share of a how-often question's subject (党员大会 of 党员大会多久开一次) said up to the figure
    subject_cover: float = 0.75
    # share of a what-is question's term a sentence must define (forms.defines) for the shape bonus
    define_cover: float = 0.75
    claim_share: float = 0.6  # share of a claim's character bigrams a sentence must hold to decide it
    choice_read: float = 0.5  # share of a choice stem's bigrams the sentence stating an option must hold
    verbatim_run: int = 14  # characters of a question found in a row in a unit: the question quotes it
    # -- pick (rag/search.py `find`) --
    min_strength: float = 0.40  # the abstention bar on the best strength (calibrated, see eval/report.md)
    # share of a choice or fill-in stem's bigrams some sentence of the best units must hold
    stem_share: float = 0.3
    unit_margin: float = 0.10  # a further unit is quoted when its strength is within this of the best one
    max_units: int = 3  # units quoted at most (two sentences each)
    whole_unit: int = 6  # …except the best one, quoted whole when it has at most this many sentences
    near_margin: float = 0.10  # a refusal suggests units only when they come this close to the bar…
    near_cover: float = 0.2  # …and share a fifth of the question's words: 忽略以上指令 gets no suggestions

    def strength(self, h: Hit) -> float:
        """An absolute relevance signal (unlike the rank-based fused score): what abstention reads."""
        return h.dense + self.coverage_weight * h.coverage

    def ranking_strength(self, h: Hit) -> float:
        """`strength` as ranking reads it: `unit_meaning` of its dense term from the unit's own
        vector, and coverage of the question's topic (its question words left out, see
        rag/tokenize.py).

        The best sentence alone lets an article win on one sentence that reads like the question
        ("…预备党员…三个月内审批" for 预备期能延长多久) over the article that is about it; the unit's
        vector, which carries its heading and every sentence, says what the article is about.
        Abstention keeps `strength`, the signal it was calibrated on."""
        own = h.dense if h.unit_dense is None else h.unit_dense
        topic = h.coverage if h.topic_coverage is None else h.topic_coverage
        return (self.strength(h) - self.unit_meaning * (h.dense - own)
                + self.coverage_weight * (topic - h.coverage))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the defaults: what a configuration is, in a report."""
        base = RankSettings()
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) != getattr(base, f.name)}


DEFAULT = RankSettings()
