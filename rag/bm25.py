"""Okapi BM25 as small pure functions over token lists, saved as plain JSON.

Scoring follows Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond"
(2009), eq. 3.15, with the non-negative idf variant used by Lucene:
idf(t) = ln(1 + (N - n_t + 0.5) / (n_t + 0.5)).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

K1 = 1.5
B = 0.75


@dataclass(frozen=True, slots=True)
class BM25:
    idf: dict[str, float]
    tfs: tuple[dict[str, int], ...]
    lengths: tuple[int, ...]
    avg_len: float

    def to_json(self) -> dict[str, Any]:
        return {"k1": K1, "b": B, "idf": self.idf, "tfs": list(self.tfs),
                "lengths": list(self.lengths), "avg_len": self.avg_len}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BM25:
        return cls(dict(data["idf"]), tuple(dict(t) for t in data["tfs"]),
                   tuple(int(n) for n in data["lengths"]), float(data["avg_len"]))


def idf(n_docs: int, doc_freq: int) -> float:
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def fit(corpus: Sequence[Sequence[str]]) -> BM25:
    tfs = tuple(dict(Counter(doc)) for doc in corpus)
    df: Counter[str] = Counter(t for tf in tfs for t in tf)
    lengths = tuple(len(doc) for doc in corpus)
    avg = sum(lengths) / len(lengths) if lengths else 0.0
    return BM25({t: idf(len(corpus), n) for t, n in df.items()}, tfs, lengths, avg)


def term_score(tf: int, length: int, avg_len: float, term_idf: float) -> float:
    norm = K1 * (1.0 - B + B * length / avg_len) if avg_len else K1
    return term_idf * tf * (K1 + 1.0) / (tf + norm)


def scores(model: BM25, query: Sequence[str]) -> list[float]:
    """BM25 score of every document for the query tokens (repeated query tokens count once)."""
    terms = [t for t in dict.fromkeys(query) if t in model.idf]
    out = []
    for tf, length in zip(model.tfs, model.lengths):
        out.append(sum(term_score(tf[t], length, model.avg_len, model.idf[t]) for t in terms if t in tf))
    return out
