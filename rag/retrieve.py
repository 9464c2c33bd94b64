"""Hybrid retrieval: BM25 and dense at sentence level and unit level, fused, ranked by unit.

Reference lookup (第8条) happens before this, in the pipeline; this module answers "which units
does this free-text question point at, and how sure are we".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np

from . import bm25
from .embed import VectorEmbeddings
from .glossary import expand
from .index import Index
from .records import Hit, Mode

RRF_K = 60
COVERAGE_TOP = 40  # coverage is only read for the best units (document-aware ranking, abstention)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Ranked units plus the absolute signals abstention is decided on."""

    hits: tuple[Hit, ...]
    max_dense: float
    coverage: float


def _rrf(rankings: list[list[int]], n: int) -> np.ndarray:
    """Reciprocal rank fusion (Cormack et al., SIGIR 2009): Σ 1 / (k + rank)."""
    fused = np.zeros(n, dtype=np.float64)
    for ranking in rankings:
        for rank, idx in enumerate(ranking):
            fused[idx] += 1.0 / (RRF_K + rank + 1)
    return fused


def _ranking(scores: np.ndarray, *, positive_only: bool) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    return [int(i) for i in order if not positive_only or scores[i] > 0]


def coverage(model: bm25.BM25, tokens: list[str], doc: int) -> float:
    """Share of the query's information (idf-weighted tokens) found in one document.

    Tokens the corpus never uses weigh as much as the rarest word: a question about 党费 or GDP
    that only shares 标准 or 目标 with the text gets a low coverage.
    """
    terms = list(dict.fromkeys(tokens))
    if not terms:
        return 0.0
    unseen = bm25.idf(len(model.tfs), 0)
    total = sum(model.idf.get(t, unseen) for t in terms)
    found = sum(model.idf[t] for t in terms if t in model.tfs[doc])
    return found / total if total else 0.0


def search(index: Index, emb: VectorEmbeddings, question: str, *, mode: Mode = "hybrid") -> Evidence:
    """Rank every unit for a free-text question."""
    query = expand(question)
    tokens = index.tokenizer.tokens(query)
    sent_ids, unit_ids = index.sentence_ids, index.unit_ids
    qvec = emb.encode([query])
    dense_all = np.zeros(len(index.chunks), dtype=np.float32)
    if mode != "bm25":
        sims, ids = index.faiss_index.search(qvec, len(index.chunks))
        dense_all[ids[0]] = sims[0]
    s_bm = np.array(bm25.scores(index.bm25_sent, tokens)) if mode != "dense" else np.zeros(len(sent_ids))
    u_bm = np.array(bm25.scores(index.bm25_unit, tokens)) if mode != "dense" else np.zeros(len(unit_ids))
    s_dense, u_dense = dense_all[sent_ids], dense_all[unit_ids]

    s_rank = []
    if mode != "dense":
        s_rank.append(_ranking(s_bm, positive_only=True))
    if mode != "bm25":
        s_rank.append(_ranking(s_dense, positive_only=False))
    s_fused = _rrf(s_rank, len(sent_ids))

    best_sent = np.zeros(len(unit_ids))
    best_sent_bm = np.zeros(len(unit_ids))
    best_sent_dense = np.full(len(unit_ids), -1.0)
    for j, u in enumerate(index.unit_of_sentence):
        best_sent[u] = max(best_sent[u], s_fused[j])
        best_sent_bm[u] = max(best_sent_bm[u], s_bm[j])
        best_sent_dense[u] = max(best_sent_dense[u], s_dense[j])

    u_rank = [_ranking(best_sent, positive_only=True)]
    if mode != "dense":
        u_rank.append(_ranking(u_bm, positive_only=True))
    if mode != "bm25":
        u_rank.append(_ranking(u_dense, positive_only=False))
    u_fused = _rrf(u_rank, len(unit_ids))

    per_unit: list[list[tuple[float, int]]] = [[] for _ in unit_ids]
    for j, (cid, u) in enumerate(zip(sent_ids, index.unit_of_sentence)):
        per_unit[u].append((float(s_fused[j]), index.chunks[cid].sent_no))
    hits = []
    for i in _ranking(u_fused, positive_only=False):
        c = index.chunks[unit_ids[i]]
        sents = tuple(n for _s, n in sorted(per_unit[i], reverse=True))
        cov = coverage(index.bm25_unit, tokens, i) if mode != "dense" and len(hits) < COVERAGE_TOP else 0.0
        dense = float(max(u_dense[i], best_sent_dense[i])) if mode != "bm25" else 0.0
        hits.append(Hit(c.doc_id, c.ref, float(u_fused[i]), float(max(u_bm[i], best_sent_bm[i])),
                        dense, sents, cov))
    top_cov = max((h.coverage for h in hits[:5]), default=0.0)
    max_dense = float(max(s_dense.max(initial=-1.0), u_dense.max(initial=-1.0))) if mode != "bm25" else 0.0
    return Evidence(tuple(hits), max_dense, top_cov)


def confident(ev: Evidence, *, min_strength: float) -> bool:
    """Answer only when some unit shares enough of the question's words and meaning."""
    best = max((h.strength for h in ev.hits[:5]), default=0.0)
    return not math.isnan(best) and best >= min_strength
