"""The vectorised search against the former pure-Python one, kept here verbatim as the reference."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag import Assistant
from rag.glossary import expand
from rag.index import Index
from rag.ranking import RankSettings
from rag.records import Hit
from rag.retrieve import build_hits, search, top_units, unit_scores
from rag.text import normalize_question

ROOT = Path(__file__).resolve().parent.parent
SETS = ("eval/questions.jsonl", "eval/questions-extra.jsonl")
K1, B, RRF_K = 1.5, 0.75, 60


# -- the former implementation (rag/retrieve.py and rag/bm25.py before vectorisation) -------------


@dataclass(frozen=True)
class _OldBM25:
    idf: dict[str, float]
    tfs: tuple[dict[str, int], ...]
    lengths: tuple[int, ...]
    avg_len: float


def _old_idf(n_docs: int, doc_freq: int) -> float:
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def _old_fit(corpus: list[list[str]]) -> _OldBM25:
    tfs = tuple(dict(Counter(doc)) for doc in corpus)
    df: Counter[str] = Counter(t for tf in tfs for t in tf)
    lengths = tuple(len(doc) for doc in corpus)
    avg = sum(lengths) / len(lengths) if lengths else 0.0
    return _OldBM25({t: _old_idf(len(corpus), n) for t, n in df.items()}, tfs, lengths, avg)


def _old_term_score(tf: int, length: int, avg_len: float, term_idf: float) -> float:
    norm = K1 * (1.0 - B + B * length / avg_len) if avg_len else K1
    return term_idf * tf * (K1 + 1.0) / (tf + norm)


def _old_scores(model: _OldBM25, query: list[str]) -> list[float]:
    terms = [t for t in dict.fromkeys(query) if t in model.idf]
    return [sum(_old_term_score(tf[t], n, model.avg_len, model.idf[t]) for t in terms if t in tf)
            for tf, n in zip(model.tfs, model.lengths, strict=True)]


def _old_rrf(rankings: list[list[int]], n: int) -> np.ndarray:
    fused = np.zeros(n, dtype=np.float64)
    for ranking in rankings:
        for rank, idx in enumerate(ranking):
            fused[idx] += 1.0 / (RRF_K + rank + 1)
    return fused


def _old_ranking(scores: np.ndarray, *, positive_only: bool) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    return [int(i) for i in order if not positive_only or scores[i] > 0]


def _old_coverage(model: _OldBM25, tokens: list[str], doc: int) -> float:
    terms = list(dict.fromkeys(tokens))
    if not terms:
        return 0.0
    unseen = _old_idf(len(model.tfs), 0)
    total = sum(model.idf.get(t, unseen) for t in terms)
    found = sum(model.idf[t] for t in terms if t in model.tfs[doc])
    return found / total if total else 0.0


class _Old:
    """The former search over the same chunks, tokenizer and vectors (faiss asked for k = all)."""

    def __init__(self, index: Index) -> None:
        import faiss

        self.index = index
        chunks = index.chunks
        self.sent_ids = [c.chunk_id for c in chunks if c.level == "sentence"]
        self.unit_ids = [c.chunk_id for c in chunks if c.level == "unit"]
        pos = {chunks[cid].key: i for i, cid in enumerate(self.unit_ids)}
        self.unit_of_sentence = [pos[chunks[cid].key] for cid in self.sent_ids]
        tok = index.tokenizer
        self.bm25_sent = _old_fit([tok.tokens(chunks[i].text) for i in self.sent_ids])
        units = [f"{chunks[i].context} {chunks[i].text}" for i in self.unit_ids]
        self.bm25_unit = _old_fit([tok.tokens(u) for u in units])
        vectors = np.load(index.folder / "vectors.npy")
        self.faiss = faiss.IndexFlatIP(vectors.shape[1])
        self.faiss.add(vectors)

    def search(self, emb: Any, question: str, mode: str = "hybrid", coverage_top: int = 40) -> list[Hit]:
        index, sent_ids, unit_ids = self.index, self.sent_ids, self.unit_ids
        query = expand(question)
        tokens = index.tokenizer.query_tokens(query)
        qvec = emb.encode([query])
        dense_all = np.zeros(len(index.chunks), dtype=np.float32)
        if mode != "bm25":
            sims, ids = self.faiss.search(qvec, len(index.chunks))
            dense_all[ids[0]] = sims[0]
        s_bm = np.array(_old_scores(self.bm25_sent, tokens)) if mode != "dense" else np.zeros(len(sent_ids))
        u_bm = np.array(_old_scores(self.bm25_unit, tokens)) if mode != "dense" else np.zeros(len(unit_ids))
        s_dense, u_dense = dense_all[sent_ids], dense_all[unit_ids]
        s_rank = []
        if mode != "dense":
            s_rank.append(_old_ranking(s_bm, positive_only=True))
        if mode != "bm25":
            s_rank.append(_old_ranking(s_dense, positive_only=False))
        s_fused = _old_rrf(s_rank, len(sent_ids))
        best_sent = np.zeros(len(unit_ids))
        best_sent_bm = np.zeros(len(unit_ids))
        best_sent_dense = np.full(len(unit_ids), -1.0)
        for j, u in enumerate(self.unit_of_sentence):
            best_sent[u] = max(best_sent[u], s_fused[j])
            best_sent_bm[u] = max(best_sent_bm[u], s_bm[j])
            best_sent_dense[u] = max(best_sent_dense[u], s_dense[j])
        u_rank = [_old_ranking(best_sent, positive_only=True)]
        if mode != "dense":
            u_rank.append(_old_ranking(u_bm, positive_only=True))
        if mode != "bm25":
            u_rank.append(_old_ranking(u_dense, positive_only=False))
        u_fused = _old_rrf(u_rank, len(unit_ids))
        per_unit: list[list[tuple[float, int]]] = [[] for _ in unit_ids]
        for j, (cid, u) in enumerate(zip(sent_ids, self.unit_of_sentence, strict=True)):
            per_unit[u].append((float(s_fused[j]), index.chunks[cid].sent_no))
        hits = []
        for i in _old_ranking(u_fused, positive_only=False):
            c = index.chunks[unit_ids[i]]
            sents = tuple(n for _s, n in sorted(per_unit[i], reverse=True))
            covered = mode != "dense" and len(hits) < coverage_top
            cov = _old_coverage(self.bm25_unit, index.tokenizer.tokens(query), i) if covered else 0.0
            topic = _old_coverage(self.bm25_unit, tokens, i) if covered else 0.0
            dense = float(max(u_dense[i], best_sent_dense[i])) if mode != "bm25" else 0.0
            own = float(u_dense[i]) if mode != "bm25" else 0.0
            hits.append(Hit(doc_id=c.doc_id, ref=c.ref, score=float(u_fused[i]),
                            bm25=float(max(u_bm[i], best_sent_bm[i])), dense=dense, unit_dense=own,
                            sentences=sents, coverage=cov, topic_coverage=topic))
        return hits


# -- the comparison ---------------------------------------------------------------------------------


def _questions() -> list[str]:
    out = []
    for rel in SETS:
        for line in (ROOT / rel).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(normalize_question(json.loads(line)["question"]))
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def old(assistant: Assistant) -> _Old:
    return _Old(assistant.index)


def test_top5_equal_the_former_search_on_every_eval_question(assistant: Assistant, old: _Old) -> None:
    questions = _questions()
    assert len(questions) > 200
    for q in questions:
        new = search(assistant.index, assistant.emb, q).hits[:5]
        ref = old.search(assistant.emb, q)[:5]
        assert [h.key for h in new] == [h.key for h in ref], q
        for a, b in zip(new, ref, strict=True):  # same signals (dense: numpy and faiss sum differently)
            assert a.sentences == b.sentences and a.score == pytest.approx(b.score, rel=1e-12), q
            assert a.dense == pytest.approx(b.dense, abs=1e-6), q
            assert a.unit_dense == pytest.approx(b.unit_dense, abs=1e-6), q
            assert a.bm25 == pytest.approx(b.bm25, rel=1e-12)
            assert a.coverage == pytest.approx(b.coverage, rel=1e-12)
            assert a.topic_coverage == pytest.approx(b.topic_coverage, rel=1e-12)


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_single_signal_modes_equal_the_former_search(assistant: Assistant, old: _Old, mode: str) -> None:
    for q in _questions()[::7]:
        new = search(assistant.index, assistant.emb, q, settings=RankSettings(mode=mode)).hits[:5]  # type: ignore[arg-type]
        ref = old.search(assistant.emb, q, mode=mode)[:5]
        assert [(h.key, h.sentences) for h in new] == [(h.key, h.sentences) for h in ref], (mode, q)
        assert [h.dense for h in new] == pytest.approx([h.dense for h in ref], abs=1e-6)


def test_scope_keeps_the_global_order_within_the_documents(assistant: Assistant, old: _Old) -> None:
    q = normalize_question("党员有哪些权利？")
    scoped = search(assistant.index, assistant.emb, q, docs={"dangzhang-2022", "dongzhi-2025-3"}).hits
    everywhere = [h for h in old.search(assistant.emb, q) if h.doc_id in {"dangzhang-2022", "dongzhi-2025-3"}]
    assert scoped and {h.doc_id for h in scoped} <= {"dangzhang-2022", "dongzhi-2025-3"}
    assert [h.key for h in scoped] == [h.key for h in everywhere[:len(scoped)]]
    unscoped = search(assistant.index, assistant.emb, q, docs=set()).hits
    assert unscoped[0].key == old.search(assistant.emb, q)[0].key


def test_scores_then_ranking_then_hits_is_the_search(assistant: Assistant) -> None:
    """The seam a ranking policy sits in: arrays for every unit, then any order, then `Hit`s."""
    index, q = assistant.index, normalize_question("流动党员怎么管理")
    s = unit_scores(index, assistant.emb, q)
    n_units = len(index.layout.unit_ids)
    assert s.fused.shape == s.bm25.shape == s.dense.shape == s.coverage.shape == (n_units,)
    order = top_units(s.fused, s.mask, 5)
    hits = build_hits(index, s, order)
    assert [h.key for h in hits] == [h.key for h in search(index, assistant.emb, q).hits[:5]]
    reversed_hits = build_hits(index, s, order[::-1])
    assert [h.key for h in reversed_hits] == [h.key for h in build_hits(index, s, order)][::-1]


def test_question_words_do_not_change_the_lexical_signals(assistant: Assistant) -> None:
    """可以…吗 / 想 say what kind of answer is wanted: BM25 and the ranking's coverage ignore them (as
    rare words they pulled every unit's coverage down and lifted units saying 可以); the coverage
    abstention reads still counts every token, as it was calibrated."""
    index, emb = assistant.index, assistant.emb
    asked = unit_scores(index, emb, normalize_question("党员想退党可以吗"))
    plain = unit_scores(index, emb, normalize_question("党员退党"))
    assert asked.tokens == plain.tokens == ("党员", "退党")
    assert np.array_equal(asked.bm25, plain.bm25)
    assert np.array_equal(asked.topic_coverage, plain.topic_coverage) and asked.topic_coverage.max() == 1.0
    assert np.array_equal(plain.coverage, plain.topic_coverage)
    assert asked.coverage.max() < 1.0


def test_top_units_breaks_ties_by_position() -> None:
    values = np.array([0.5, 0.9, 0.5, 0.9, 0.1, 0.5])
    mask = np.ones(6, dtype=bool)
    assert top_units(values, mask, 3).tolist() == [1, 3, 0]
    assert top_units(values, mask, 10).tolist() == [1, 3, 0, 2, 5, 4]
    mask[1] = False
    assert top_units(values, mask, 2).tolist() == [3, 0]


@pytest.mark.parametrize("seed", range(12))
def test_the_descending_order_is_a_stable_argsort(seed: int) -> None:
    """The packed-key sort of float32 scores orders exactly as `np.argsort(-x, kind="stable")`:
    ties (many, here) keep position order, -0.0 ties with 0.0, negative scores sort below."""
    from rag.retrieve import _descending

    rng = np.random.default_rng(seed)
    values = rng.standard_normal(int(rng.integers(256, 4000))).astype(np.float32)
    if seed % 2:
        values = np.round(values, 1).astype(np.float32)
    values[rng.integers(0, len(values), 8)] = -0.0
    values[rng.integers(0, len(values), 8)] = 0.0
    assert np.array_equal(_descending(values), np.argsort(-values, kind="stable"))
    values[3] = np.nan  # not finite: the plain stable sort
    assert np.array_equal(_descending(values), np.argsort(-values, kind="stable"))
