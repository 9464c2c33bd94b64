from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rag import bm25

DOCS = [["四强", "党支部", "建设"], ["党支部", "书记", "培训", "培训"], ["流动党员", "管理"], []]


def textbook(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Robertson & Zaragoza (2009) with Lucene's idf, written out independently."""
    n = len(docs)
    avg = sum(map(len, docs)) / n
    out = []
    for d in docs:
        s = 0.0
        for t in set(query):
            df = sum(t in x for x in docs)
            if df == 0:
                continue
            tf = d.count(t)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))
        out.append(s)
    return out


@pytest.mark.parametrize("query", [["党支部"], ["培训", "书记"], ["流动党员", "党支部", "不存在"],
                                   ["培训", "培训"], []])
def test_sparse_scores_match_textbook_formula(query: list[str]) -> None:
    model = bm25.fit(DOCS)
    assert bm25.scores(model, query).tolist() == pytest.approx(textbook(query, DOCS))


def test_sparse_scores_equal_the_scalar_formula_bit_for_bit() -> None:
    """Each document's score is the same float as the per-term loop (query order, `term_score`)."""
    docs = [["党员", "教育", "党员", "管理"], ["党员"], ["管理", "工作", "条例", "管理", "党员"], ["其他"]]
    model = bm25.fit(docs)
    query = ["管理", "党员", "条例", "管理"]
    n, avg = len(docs), sum(map(len, docs)) / len(docs)
    for d, got in zip(docs, bm25.scores(model, query), strict=True):
        want = sum(bm25.term_score(d.count(t), len(d), avg, bm25.idf(n, sum(t in x for x in docs)))
                   for t in dict.fromkeys(query) if t in d)
        assert got == want


def test_shared_vocabulary_and_empty_columns() -> None:
    vocab: dict[str, int] = {}
    first = bm25.fit([["甲", "乙"]], vocab)
    second = bm25.fit([["乙", "丙"]], vocab)
    first = bm25.extend_vocab(first, vocab)
    assert len(first.indptr) == len(second.indptr) == 4
    assert bm25.scores(first, ["丙"]).tolist() == [0.0]
    assert first.term_ids(["丙", "甲"]) == [vocab["甲"]]  # a term with no postings is skipped


def test_presence_idf_is_coverage() -> None:
    model = bm25.fit(DOCS)
    found, total = bm25.presence_idf(model, ["党支部", "培训", "没有的词"])
    idf_zhibu, idf_peixun, unseen = bm25.idf(4, 2), bm25.idf(4, 1), bm25.idf(4, 0)
    assert total == idf_zhibu + idf_peixun + unseen
    assert found.tolist() == [idf_zhibu, idf_zhibu + idf_peixun, 0.0, 0.0]


def test_npy_round_trip_without_pickle(tmp_path: Path) -> None:
    vocab: dict[str, int] = {}
    model = bm25.fit(DOCS, vocab)
    model.save(tmp_path, "sentence")
    for path in tmp_path.iterdir():
        assert np.load(path, allow_pickle=False).dtype != object
    again = bm25.BM25.load(tmp_path, "sentence", vocab)
    assert bm25.scores(again, ["党支部", "培训"]).tolist() == bm25.scores(model, ["党支部", "培训"]).tolist()


def test_inconsistent_arrays_are_refused(tmp_path: Path) -> None:
    vocab: dict[str, int] = {}
    bm25.fit(DOCS, vocab).save(tmp_path, "unit")
    np.save(tmp_path / "bm25.unit.indices.npy", np.array([0, 99], dtype=np.int32))
    with pytest.raises(ValueError):
        bm25.BM25.load(tmp_path, "unit", vocab)
