"""`dangjian bench` at a tiny size: the report's shape and sanity (timings are never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import Assistant
from rag.bench import KINDS, MemoEmbedder, questions_by_kind, synthesise
from rag.chunking import chunk_corpus
from rag.cli import main
from rag.corpus import load_corpus
from rag.embed import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent


def test_synthesised_corpus_reaches_the_size_with_shuffled_copies(tmp_path: Path) -> None:
    synthesise(ROOT / "corpus", tmp_path / "c", 3000, seed=1)
    docs = load_corpus(tmp_path / "c")
    assert len(chunk_corpus(docs)) >= 3000
    shipped = {d.doc_id for d in load_corpus(ROOT / "corpus")}
    copies = [d for d in docs if d.doc_id not in shipped]
    assert shipped <= {d.doc_id for d in docs} and copies
    copy = next(d for d in copies if d.doc_id.endswith("dangzhang-2022"))
    original = next(d for d in docs if d.doc_id == "dangzhang-2022")
    refs = [u.ref for u in copy.units if u.ref.isdigit()]
    assert sorted(refs, key=int) == [u.ref for u in original.units if u.ref.isdigit()]
    assert refs != sorted(refs, key=int)  # shuffled
    assert copy.unit("32") is not None and copy.unit("32").sentences == original.unit("32").sentences  # type: ignore[union-attr]


def test_memo_embeds_texts_that_differ_only_by_the_copy_mark_once() -> None:
    memo = MemoEmbedder(HashEmbedder())
    a = memo.encode(["中国共产党章程（合成1） 第一条", "中国共产党章程（合成2） 第一条", "另一句"])
    assert memo.fresh == 2 and (a[0] == a[1]).all()


def test_questions_come_from_the_eval_sets_by_kind() -> None:
    qs = questions_by_kind([ROOT / "eval/questions.jsonl", ROOT / "eval/questions-extra.jsonl"])
    assert set(qs) == set(KINDS) - {"real"} and all(qs.values())  # the team's sets: no real questions
    assert "第8条要求什么？" in qs["reference"]
    real = questions_by_kind([ROOT / "eval/questions-real-dev.jsonl"])
    assert set(real) == {"real"} and len(real["real"]) > 100  # quiz stems with options, typed questions


def test_bench_json_shape_at_a_tiny_size(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        assistant: Assistant) -> None:
    """`assistant`: the session index's vectors, which the bench's build of the shipped texts reuses
    (tests/conftest.py `_vectors_once_per_text`) instead of encoding them again."""
    out = tmp_path / "bench.md"
    rc = main(["bench", "--sizes", "150", "--repeat", "1", "--cold-repeat", "1", "--json",
               "--corpus", str(ROOT / "corpus"), "--questions", str(ROOT / "eval/questions.jsonl"),
               "--questions", str(ROOT / "eval/questions-extra.jsonl"), "--out", str(out)])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    (size,) = report["sizes"]
    assert size["chunks"] >= 150 and size["build_s"] > 0 and size["load_s"] > 0 and size["rss_mb"] > 50
    assert 0 < size["p50_ms"] <= size["p95_ms"]
    assert set(size["by_kind"]) == set(KINDS) - {"real"} and all(v["n"] > 0 for v in size["by_kind"].values())
    assert size["dense_store"] == "flat" and size["recall_at_10"] is None
    cold = report["cold"]
    for key in ("help_s", "ask_ref_s", "ask_search_s", "numpy_s", "serve_ready_s"):
        assert cold[key] > 0
    assert set(cold["vs_numpy"]) == set(cold["vs_baseline"]) >= {"help_s", "ask_ref_s", "ask_search_s"}
    assert report["baseline"]["cold_ask_s"] > 0 and report["baseline"]["chunks"] > 0
    inc = report["incremental"]
    assert inc["add_one_s"] > 0 and inc["rebuild_unchanged_s"] > 0
    assert len(report["load_avg"]["before"]) == 3 and "重复文本" in report["caveat"]
    text = out.read_text(encoding="utf-8")
    assert "| chunks |" in text and "cold start" in text and "load average" in text
