from __future__ import annotations

import math

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


@pytest.mark.parametrize("query", [["党支部"], ["培训", "书记"], ["流动党员", "党支部", "不存在"], ["培训", "培训"]])
def test_scores_match_textbook_formula(query: list[str]) -> None:
    model = bm25.fit(DOCS)
    assert bm25.scores(model, query) == pytest.approx(textbook(query, DOCS))


def test_json_round_trip() -> None:
    model = bm25.fit(DOCS)
    again = bm25.BM25.from_json(model.to_json())
    assert bm25.scores(again, ["党支部", "培训"]) == bm25.scores(model, ["党支部", "培训"])
