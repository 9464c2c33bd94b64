"""The CI quality gate: every question set through the real pipeline, default model, shipped corpus.

Each set is gated on the corpus it is about: the notice set on all eight documents (what users
get) and on the notice alone (it must not drop there either); the regulations, cross-document
and held-out sets on all eight. Thresholds live in eval/thresholds*.toml. Latency limits in
those files are for `dangjian eval` and `dangjian bench` on a quiet machine; a timing is never
asserted in a test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant
from rag.eval import evaluate as ev

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
STRUCTURAL = ("item_lookup", "item_lookup_en", "multi_item", "section", "out_of_range")


def _gate(assistant: Assistant, questions: str, thresholds: str) -> tuple[list[str], dict[str, float | None]]:
    qs = ev.load_questions(EVAL / questions, assistant.primary.doc_id)
    metrics = ev.aggregate(ev.run(qs, lambda q, h: assistant.ask(q, h)))
    limits = {k: v for k, v in ev.load_thresholds(EVAL / thresholds).items() if "latency" not in k}
    return ev.gate(metrics, limits), metrics


@pytest.mark.parametrize(("questions", "thresholds"), [
    ("questions.jsonl", "thresholds.toml"),
    ("questions-regs.jsonl", "thresholds-regs.toml"),
    ("questions-extra.jsonl", "thresholds-extra.toml"),
    ("questions-heldout.jsonl", "thresholds-heldout.toml"),
    ("questions-real-dev.jsonl", "thresholds-real-dev.toml"),
    ("questions-real-test.jsonl", "thresholds-real-test.toml"),
    ("questions-real-check.jsonl", "thresholds-real-check.toml"),
])
def test_set_meets_its_thresholds_on_all_documents(assistant: Assistant, questions: str, thresholds: str) -> None:
    breaches, metrics = _gate(assistant, questions, thresholds)
    assert breaches == [], metrics


def test_notice_set_meets_its_thresholds_on_the_notice_alone(notice_only: Assistant) -> None:
    breaches, metrics = _gate(notice_only, "questions.jsonl", "thresholds-notice-only.toml")
    assert breaches == [], metrics


def test_references_to_the_notice_are_exact_with_all_documents(assistant: Assistant) -> None:
    """第8条 / item 8 / 第三部分 / 第20条 mean the notice, perfectly, with seven regulations indexed."""
    qs = [q for q in ev.load_questions(EVAL / "questions.jsonl", assistant.primary.doc_id)
          if q.category in STRUCTURAL]
    cats = ev.by_category(ev.run(qs, lambda q, h: assistant.ask(q, h)))
    for cat in STRUCTURAL:
        assert cats[cat]["abstention_accuracy"] == 1.0, (cat, cats[cat])
        assert cats[cat]["hit_at_1"] in (None, 1.0), (cat, cats[cat])
