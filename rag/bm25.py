"""Okapi BM25 as a sparse term-by-document matrix, saved as plain `.npy` arrays (no pickle).

Scoring follows Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond"
(2009), eq. 3.15, with the non-negative idf variant used by Lucene:
idf(t) = ln(1 + (N - n_t + 0.5) / (n_t + 0.5)).

The matrix is stored term-major (CSC, as bm25s does): the postings of term t are the documents
`indices[indptr[t]:indptr[t+1]]` (ascending) with term frequencies `tf[...]`. A query's scores are
the sum of a few columns, each column's BM25 weights precomputed once at load: a numpy
scatter-add per query term instead of a Python loop over every document.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75
ARRAYS = ("indptr", "indices", "tf", "lengths")


def idf(n_docs: int, doc_freq: int) -> float:
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def term_score(tf: int, length: int, avg_len: float, term_idf: float) -> float:
    """One term's contribution to one document (the textbook formula, used by the tests)."""
    norm = K1 * (1.0 - B + B * length / avg_len) if avg_len else K1
    return term_idf * tf * (K1 + 1.0) / (tf + norm)


@dataclass(frozen=True, eq=False)
class BM25:
    """Postings of one document collection over a vocabulary shared with its sibling model."""

    vocab: dict[str, int]
    indptr: np.ndarray  # int64, len(vocab) + 1
    indices: np.ndarray  # int32 document ids, ascending within each term
    tf: np.ndarray  # int32 term frequencies, parallel to `indices`
    lengths: np.ndarray  # int32 tokens per document
    avg_len: float = field(init=False)
    term_idf: np.ndarray = field(init=False)  # float64 per vocabulary term (idf(N, 0) where absent)
    weights: np.ndarray = field(init=False)  # float64 BM25 weight per posting

    def __post_init__(self) -> None:
        n = len(self.lengths)
        avg = float(self.lengths.sum()) / n if n else 0.0
        df = np.diff(self.indptr)
        # math.log per distinct document frequency: the same floats as the textbook `idf`
        uniq, inverse = np.unique(df, return_inverse=True)
        term_idf = np.array([idf(n, int(d)) for d in uniq], dtype=np.float64)[inverse]
        object.__setattr__(self, "avg_len", avg)
        object.__setattr__(self, "term_idf", term_idf)
        object.__setattr__(self, "weights", _weights(self, term_idf, avg))

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    def unseen_idf(self) -> float:
        return idf(self.n_docs, 0)

    @cached_property
    def idf(self) -> dict[str, float]:
        """term → idf for the terms some document of this model contains."""
        df = np.diff(self.indptr)
        return {t: float(self.term_idf[i]) for t, i in self.vocab.items() if df[i] > 0}

    def term_ids(self, tokens: Sequence[str]) -> list[int]:
        """Distinct query terms (first occurrence order) that occur in some document."""
        ids = (self.vocab.get(t) for t in dict.fromkeys(tokens))
        return [i for i in ids if i is not None and self.indptr[i + 1] > self.indptr[i]]

    def column(self, term: int) -> slice:
        return slice(int(self.indptr[term]), int(self.indptr[term + 1]))

    def save(self, folder: Path, name: str) -> None:
        for key in ARRAYS:
            np.save(folder / f"bm25.{name}.{key}.npy", getattr(self, key), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, name: str, vocab: dict[str, int]) -> BM25:
        arrays = [np.load(folder / f"bm25.{name}.{key}.npy", allow_pickle=False) for key in ARRAYS]
        indptr, indices, tf, lengths = arrays
        if (len(indptr) != len(vocab) + 1 or indptr[0] != 0 or indptr[-1] != len(indices)
                or len(tf) != len(indices) or (len(indices) and indices.max() >= len(lengths))
                or np.any(np.diff(indptr) < 0)):
            raise ValueError(f"inconsistent BM25 arrays for {name}")
        return cls(vocab, indptr.astype(np.int64), indices.astype(np.int32), tf.astype(np.int32),
                   lengths.astype(np.int32))


def _weights(model: BM25, term_idf: np.ndarray, avg: float) -> np.ndarray:
    """`term_score` for every posting, evaluated in the same order as the scalar formula."""
    tf = model.tf.astype(np.float64)
    length = model.lengths[model.indices].astype(np.float64)
    norm = K1 * (1.0 - B + B * length / avg) if avg else np.full_like(tf, K1)
    per_posting_idf = np.repeat(term_idf, np.diff(model.indptr))
    return per_posting_idf * tf * (K1 + 1.0) / (tf + norm)


def fit(corpus: Sequence[Sequence[str]], vocab: dict[str, int] | None = None) -> BM25:
    """Count terms; `vocab` (shared with a sibling model) is extended in place with new terms."""
    vocab = {} if vocab is None else vocab
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for doc_id, doc in enumerate(corpus):
        tf = Counter(doc)
        ids = [vocab.setdefault(t, len(vocab)) for t in tf]
        cols.append(np.asarray(ids, dtype=np.int64))
        counts.append(np.fromiter(tf.values(), dtype=np.int32, count=len(tf)))
        rows.append(np.full(len(tf), doc_id, dtype=np.int32))
    return from_triplets(vocab, rows, cols, counts, [len(d) for d in corpus])


def from_triplets(vocab: dict[str, int], rows: list[np.ndarray], cols: list[np.ndarray],
                  counts: list[np.ndarray], lengths: Sequence[int]) -> BM25:
    """(document, term, tf) triplets → term-major postings, documents ascending in each term."""
    row = np.concatenate(rows) if rows else np.zeros(0, np.int32)
    col = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    cnt = np.concatenate(counts) if counts else np.zeros(0, np.int32)
    order = np.lexsort((row, col))
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(col, minlength=len(vocab)), out=indptr[1:])
    return BM25(vocab, indptr, row[order].astype(np.int32), cnt[order], np.asarray(lengths, dtype=np.int32))


def extend_vocab(model: BM25, vocab: dict[str, int]) -> BM25:
    """The same postings over a vocabulary that grew after the model was fitted (empty columns)."""
    if len(vocab) == len(model.indptr) - 1:
        return model
    pad = np.full(len(vocab) + 1 - len(model.indptr), model.indptr[-1], dtype=np.int64)
    return BM25(vocab, np.concatenate([model.indptr, pad]), model.indices, model.tf, model.lengths)


def scores(model: BM25, query: Sequence[str]) -> np.ndarray:
    """BM25 score of every document (repeated query tokens count once), float64.

    Terms are added in query order, so each document's sum is the same float as the scalar
    textbook loop over the query's terms."""
    out = np.zeros(model.n_docs, dtype=np.float64)
    for term in model.term_ids(query):
        col = model.column(term)
        out[model.indices[col]] += model.weights[col]
    return out


def presence_idf(model: BM25, query: Sequence[str]) -> tuple[np.ndarray, float]:
    """Per document, the summed idf of the query terms it contains; and the query's total idf.

    Coverage = found / total: tokens the corpus never uses weigh as much as the rarest word."""
    terms = list(dict.fromkeys(query))
    unseen = model.unseen_idf()
    found = np.zeros(model.n_docs, dtype=np.float64)
    total = 0.0
    for t in terms:
        i = model.vocab.get(t)
        has = i is not None and model.indptr[i + 1] > model.indptr[i]
        total += float(model.term_idf[i]) if has else unseen
        if has:
            col = model.column(i)  # type: ignore[arg-type]
            found[model.indices[col]] += model.term_idf[i]
    return found, total
