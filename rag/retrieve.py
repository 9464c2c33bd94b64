"""Hybrid retrieval: BM25 and dense at sentence level and unit level, fused, ranked by unit.

Reference lookup (第8条) happens before this, in the question path; this module answers "which
units does this free-text question point at, and how sure are we". Two steps, so a ranking
policy can sit between them:

    scores = unit_scores(index, emb, query, mode)   # numpy arrays over every unit (and sentence)
    order  = top_units(scores.fused, scores.mask, n) # …or any re-ranking of those arrays
    hits   = build_hits(index, scores, order)        # `Hit` objects only for what is shown

Everything per chunk is array arithmetic: BM25 sums a few sparse columns, fusion ranks with
argsort, sentence→unit aggregation is a segmented maximum (`Layout.unit_max`). Up to
`EXACT_MAX_ROWS` chunks every row gets an exact dense score and every signal ranks all rows: the
result equals the former pure-Python search (a test compares them on every eval question). Beyond
it an IVF store returns the best `ANN_K` rows, each signal ranks its best `RANK_LIMIT` rows only,
and the best units get exact dense scores afterwards. A store that fuses on its server (Milvus,
rag/stores/milvus.py) ranks each level there — dense + BM25 by RRF — and `_server_scores` adds the
same unit-from-best-sentence term, exact dense scores for the best units, BM25 and coverage here.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from . import bm25
from .embed import Embedder
from .errors import IndexError_
from .glossary import expand
from .index_load import REBUILD_HINT, Index
from .ranking import DEFAULT, RankSettings
from .records import Hit, Mode, hit_of
from .stores import ANN_K, DenseStore, is_remote
from .tokenize import topic_terms

# The signals' settings (mode, rrf_k, window) are `RankSettings` (rag/ranking.py). What follows is
# how approximate stores reach them on large corpora, not ranking policy:
EXACT_FILL = 2  # × the window: units that get exact dense scores after fusion
RANK_LIMIT = 2000  # rows ranked per signal for fusion


@dataclass(frozen=True, slots=True)
class Evidence:
    """Ranked units plus the absolute signals abstention is decided on."""

    hits: tuple[Hit, ...]
    max_dense: float
    coverage: float


@dataclass(frozen=True, slots=True, eq=False)
class UnitScores:
    """One question's signals as arrays aligned with `index.layout` (units, sentences)."""

    mode: Mode
    tokens: tuple[str, ...]
    fused: np.ndarray  # per unit: RRF of best sentence, unit BM25 and unit dense ranks
    bm25: np.ndarray  # per unit: max(unit BM25, best sentence BM25)
    dense: np.ndarray  # per unit: max(unit dense, best sentence dense); -1 where not scored
    own_dense: np.ndarray  # per unit: the unit's own vector (context + whole text); `dense` where not scored
    coverage: np.ndarray  # per unit: share of the question's idf-weighted tokens it contains (abstention)
    topic_coverage: np.ndarray  # per unit: the same over `tokens`, question words left out (ranking)
    sent_fused: np.ndarray  # per sentence: RRF of sentence BM25 and dense ranks
    mask: np.ndarray  # per unit: inside the requested documents
    max_dense: float  # best dense score over all chunks (0 in BM25-only mode)


def _add_rrf(fused: np.ndarray, scores: np.ndarray, candidates: np.ndarray, limit: int | None,
             k: int) -> None:
    """Add one ranking's reciprocal rank fusion (Cormack et al., SIGIR 2009) term 1 / (k + rank)
    to `fused`, in place (no array per term: the same sums, term by term, as adding them up).

    `candidates` are the ranked positions in ascending order; ties keep that order (stable).
    With `limit`, only the best `limit` get a rank (their terms are exact; the rest, each worth
    less than 1 / (k + limit), get none): large corpora skip sorting every row."""
    if limit is not None and len(candidates) > limit:
        candidates = candidates[_best(scores[candidates], limit)]
    every = len(candidates) == len(scores)  # candidates ascending and unique: all of them, in order
    order = _descending(scores) if every else candidates[_descending(scores[candidates])]
    fused[order] += _reciprocal_ranks(len(order), k)  # positions are unique: one addition each


_RECIPROCALS: dict[int, np.ndarray] = {}


def _reciprocal_ranks(n: int, k: int) -> np.ndarray:
    """1 / (k + rank) for ranks 1..n: the same floats every time, so computed once per k."""
    known = _RECIPROCALS.get(k, np.zeros(0))
    if len(known) < n:
        known = _RECIPROCALS[k] = 1.0 / (k + np.arange(1, max(n, 2 * len(known)) + 1))
    return known[:n]


def _descending(values: np.ndarray) -> np.ndarray:
    """Positions of `values`, highest first, ties in position order: `np.argsort(-values,
    kind="stable")`. For float32 (the dense scores, every sentence of the corpus) one sort of
    64-bit keys — the score's bits ordered as unsigned integers, then the position — is 3–4× faster
    than a stable sort of floats."""
    n = len(values)
    if values.dtype != np.float32 or n < 256 or n >= 2**32 or not np.isfinite(values).all():
        return np.argsort(-values, kind="stable")
    bits = (values + np.float32(0.0)).view(np.uint32)  # -0.0 + 0.0 is 0.0: equal scores, equal keys
    ascending = np.where(bits & np.uint32(0x80000000), ~bits, bits | np.uint32(0x80000000))
    keys = ((~ascending).astype(np.uint64) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
    return (np.sort(keys) & np.uint64(0xFFFFFFFF)).astype(np.int64)


def _best(values: np.ndarray, n: int) -> np.ndarray:
    """Positions (ascending) of the n largest values, and of every value tying with the n-th."""
    kth = np.partition(-values, n - 1)[n - 1]
    return np.flatnonzero(-values <= kth)


def _positive(scores: np.ndarray) -> np.ndarray:
    return np.flatnonzero(scores > 0)


def _query_vector(store: DenseStore, emb: Embedder, query: str) -> np.ndarray:
    q = emb.encode([query])
    if q.shape[-1] != store.dim:
        raise IndexError_(f"向量维度不一致（模型 {q.shape[-1]}，索引 {store.dim}），{REBUILD_HINT}")
    return np.asarray(q[0])


def _dense(index: Index, emb: Embedder,
           query: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, float]:
    """Dense score of every chunk row (-1 where not scored), which rows were scored (None: all of
    them, an exact store), the query vector, and the best score."""
    store = index.dense
    q = _query_vector(store, emb, query)
    if store.exact:
        all_scores = store.all_scores(q)
        return all_scores, None, q, float(all_scores.max(initial=-1.0))
    sims, rows = store.search(q, min(ANN_K, store.ntotal))
    keep = rows >= 0
    all_scores = np.full(store.ntotal, -1.0, dtype=np.float32)
    all_scores[rows[keep]] = sims[keep]
    return all_scores, _mask(rows[keep], store.ntotal), q, float(sims[keep].max(initial=-1.0))


@dataclass(frozen=True, slots=True, eq=False)
class _Signals:
    """Raw per-sentence and per-unit scores of one signal; `*_known` = positions it ranks."""

    sent: np.ndarray
    unit: np.ndarray
    sent_known: np.ndarray
    unit_known: np.ndarray


def _coverage(index: Index, tokens: Sequence[str]) -> np.ndarray:
    found, total = bm25.presence_idf(index.bm25_unit, tokens)
    return found / total if total else np.zeros(len(found))


def _lexical(index: Index, terms: tuple[str, ...],
             asked: Sequence[str]) -> tuple[_Signals, np.ndarray, np.ndarray]:
    """BM25 at both levels over the question's lexical `terms` (a document ranks when it scores
    above 0); coverage per unit of every token `asked` (what abstention was calibrated on) and of
    the terms alone (what ranking reads)."""
    s_bm = bm25.scores(index.bm25_sent, terms)
    u_bm = bm25.scores(index.bm25_unit, terms)
    topic = _coverage(index, terms)
    cov = topic if list(asked) == list(terms) else _coverage(index, asked)
    return _Signals(s_bm, u_bm, _positive(s_bm), _positive(u_bm)), cov, topic


def _semantic(index: Index, emb: Embedder, query: str) -> tuple[_Signals, np.ndarray, float]:
    """Dense scores at both levels (rows the store did not return are not ranked)."""
    lay = index.layout
    dense_all, known, qvec, best = _dense(index, emb, query)
    sent, unit = dense_all[lay.sentence_ids], dense_all[lay.unit_ids]
    if known is None:  # an exact store scored every row
        return _Signals(sent, unit, np.arange(len(sent)), np.arange(len(unit))), qvec, best
    known_sent, known_unit = np.flatnonzero(known[lay.sentence_ids]), np.flatnonzero(known[lay.unit_ids])
    return _Signals(sent, unit, known_sent, known_unit), qvec, best


def _absent(n_sent: int, n_unit: int) -> _Signals:
    empty = np.zeros(0, dtype=np.int64)
    return _Signals(np.zeros(n_sent), np.zeros(n_unit), empty, empty)


def unit_scores(index: Index, emb: Embedder, question: str, *, settings: RankSettings = DEFAULT,
                docs: Collection[str] | None = None) -> UnitScores:
    """Every unit's fused score and signals for a free-text question (glossary-expanded): the
    `signals` step, by `settings.mode` and `settings.rrf_k`."""
    mode, k = settings.mode, settings.rrf_k
    query = expand(question)
    lay = index.layout
    n_sent, n_unit = len(lay.sentence_ids), len(lay.unit_ids)
    asked = index.tokenizer.tokens(query) if mode != "dense" else []
    tokens = tuple(topic_terms(asked))
    lex, cov, topic = (_lexical(index, tokens, asked) if mode != "dense"
                       else (_absent(n_sent, n_unit), np.zeros(n_unit), np.zeros(n_unit)))
    if is_remote(index.manifest.get("dense") or {}):  # without opening the store: bm25 mode needs none
        return _server_scores(index, emb, query, settings, docs, tokens, lex, cov, topic)
    none = (_absent(n_sent, n_unit), None, 0.0)
    sem, qvec, max_dense = _semantic(index, emb, query) if mode != "bm25" else none
    signals = [x for x, on in ((lex, mode != "dense"), (sem, mode != "bm25")) if on]
    limit = None if mode == "bm25" or index.dense.exact else RANK_LIMIT

    s_fused, u_fused = np.zeros(n_sent, dtype=np.float64), np.zeros(n_unit, dtype=np.float64)
    for sig in signals:
        _add_rrf(s_fused, sig.sent, sig.sent_known, limit, k)
    best_sent = lay.unit_max(s_fused, 0.0, np.flatnonzero(s_fused))
    _add_rrf(u_fused, best_sent, _positive(best_sent), limit, k)
    for sig in signals:
        _add_rrf(u_fused, sig.unit, sig.unit_known, limit, k)

    mask = _scope(index, docs)
    best_bm = np.maximum(lex.unit, lay.unit_max(lex.sent, 0.0, lex.sent_known))
    dense, own = np.zeros(n_unit), np.zeros(n_unit)
    if qvec is not None and index.dense.exact:  # every row scored: nothing to mask
        dense = np.maximum(sem.unit, lay.unit_max(sem.sent, -1.0))
        own = sem.unit.astype(np.float64)
    elif qvec is not None:
        s_dense = np.where(_mask(sem.sent_known, n_sent), sem.sent, -1.0)
        unit_known = _mask(sem.unit_known, n_unit)
        dense = np.maximum(np.where(unit_known, sem.unit, -1.0), lay.unit_max(s_dense, -1.0, sem.sent_known))
        own = np.where(unit_known, sem.unit, dense)
        if not index.dense.exact:
            _fill_exact(index, qvec, top_units(u_fused, mask, EXACT_FILL * settings.window), dense, own)
    return UnitScores(mode, tokens, u_fused, best_bm, dense, own, cov, topic, s_fused, mask, max_dense)


def _server_scores(index: Index, emb: Embedder, query: str, settings: RankSettings,
                   docs: Collection[str] | None, tokens: tuple[str, ...], lex: _Signals, cov: np.ndarray,
                   topic: np.ndarray) -> UnitScores:
    """`UnitScores` from a store that ranks each level on its server by RRF of its dense and BM25
    routes: sentence RRF as the sentence fusion, unit RRF plus the best-sentence term (added here,
    as `unit_scores` does) as the unit fusion; exact dense scores for the best units from the store."""
    lay, store, mode = index.layout, index.dense, settings.mode
    q = _query_vector(store, emb, query) if mode != "bm25" else None
    text = query if mode != "dense" else None
    s_fused, u_fused = np.zeros(len(lay.sentence_ids)), np.zeros(len(lay.unit_ids))
    for level, ids, out in (("sentences", lay.sentence_ids, s_fused), ("units", lay.unit_ids, u_fused)):
        rows, rrf = store.ranked(q, text, level=level, rrf_k=settings.rrf_k, docs=sorted(docs or ()))  # type: ignore[attr-defined]
        out[np.searchsorted(ids, rows)] = rrf  # chunk ids → positions (both ascending, chunk order)
    best_sent = lay.unit_max(s_fused, 0.0, np.flatnonzero(s_fused))
    _add_rrf(u_fused, best_sent, _positive(best_sent), None, settings.rrf_k)
    mask = _scope(index, docs)
    dense = np.full(len(u_fused), -1.0) if q is not None else np.zeros(len(u_fused))
    own = dense.copy()
    if q is not None:
        _fill_exact(index, q, top_units(u_fused, mask, EXACT_FILL * settings.window), dense, own)
    best_bm = np.maximum(lex.unit, lay.unit_max(lex.sent, 0.0, lex.sent_known))
    max_dense = float(dense.max(initial=-1.0)) if q is not None else 0.0
    return UnitScores(mode, tokens, u_fused, best_bm, dense, own, cov, topic, s_fused, mask, max_dense)


def _mask(positions: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[positions] = True
    return out


def _scope(index: Index, docs: Collection[str] | None) -> np.ndarray:
    """Units inside `docs` (all units for None or empty)."""
    unit_doc = index.layout.unit_doc
    if not docs:
        return np.ones(len(unit_doc), dtype=bool)
    wanted = [i for i, d in enumerate(index.docs) if d.doc_id in docs]
    return np.isin(unit_doc, wanted)


def _fill_exact(index: Index, q: np.ndarray, units: np.ndarray, dense: np.ndarray, own: np.ndarray) -> None:
    """Exact dense scores for the given units, in place: the best of the unit and its sentences
    (`dense`), and the unit's own (`own`)."""
    if not len(units):
        return
    lay = index.layout
    groups = [np.concatenate([[lay.unit_ids[u]], lay.sentence_ids[lay.sentences_of(u)]]) for u in units]
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
    scores = index.dense.scores_for(q, np.concatenate(groups))
    dense[units] = np.maximum.reduceat(scores.astype(np.float64), starts)
    own[units] = scores[starts]


def top_units(values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n best units inside `mask`, best first; ties by position (stable)."""
    idx = np.flatnonzero(mask)
    cand = _best(values[idx], n) if n < len(idx) else np.arange(len(idx))
    return idx[cand[np.argsort(-values[idx][cand], kind="stable")][:n]]


def _sentence_orders(index: Index, s: UnitScores, units: list[int]) -> list[tuple[int, ...]]:
    """Each unit's sentence numbers, best fused score first (ties: the later sentence first), by one
    lexsort over the sentences of all the given units."""
    lay = index.layout
    if not units:
        return []
    at = np.asarray(units, dtype=np.int64)
    starts = lay.sent_ptr[at]
    lens = lay.sent_ptr[at + 1] - starts
    owner = np.repeat(np.arange(len(units)), lens)
    firsts = np.cumsum(lens) - lens
    js = lay.sent_by_unit[np.repeat(starts - firsts, lens) + np.arange(int(lens.sum()))]
    order = js[np.lexsort((-lay.sent_no[js], -s.sent_fused[js], owner))]
    numbers = lay.sent_no[order].tolist()
    return [tuple(numbers[a:a + n]) for a, n in zip(firsts.tolist(), lens.tolist(), strict=True)]


def build_hits(index: Index, s: UnitScores, order: np.ndarray, *,
               covered: int = DEFAULT.window) -> tuple[Hit, ...]:
    """`Hit`s for the given unit positions, in that order; coverage for the first `covered` (what
    ranking and abstention read)."""
    chunks = index.chunks
    units = order.tolist()
    sentences = _sentence_orders(index, s, units)
    # one gather per signal: reading numpy scalars one by one cost more than the Hits themselves
    columns = (index.layout.unit_ids[order], s.fused[order], s.bm25[order], s.dense[order],
               s.own_dense[order], s.coverage[order], s.topic_coverage[order])
    ids, fused, bm, dense, own, cov, topic = (col.tolist() for col in columns)
    covered = covered if s.mode != "dense" else 0
    hits = []
    for rank, sents in enumerate(sentences):
        c = chunks[ids[rank]]
        seen = rank < covered
        hits.append(hit_of((c.doc_id, c.ref, fused[rank], bm[rank], dense[rank], own[rank], sents,
                            cov[rank] if seen else 0.0, topic[rank] if seen else 0.0)))
    return tuple(hits)


def search(index: Index, emb: Embedder, question: str, *, settings: RankSettings = DEFAULT,
           docs: Collection[str] | None = None) -> Evidence:
    """The best `settings.window` units for a free-text question, within `docs` when given."""
    s = unit_scores(index, emb, question, settings=settings, docs=docs)
    hits = build_hits(index, s, top_units(s.fused, s.mask, settings.window), covered=settings.window)
    top_cov = max((h.coverage for h in hits[:5]), default=0.0)
    return Evidence(hits, s.max_dense, top_cov)


def confident(ev: Evidence, *, min_strength: float) -> bool:
    """Answer only when some unit shares enough of the question's words and meaning."""
    best = max((h.strength for h in ev.hits[:5]), default=0.0)
    return not math.isnan(best) and best >= min_strength
