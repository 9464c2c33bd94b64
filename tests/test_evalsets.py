"""Every question set in eval/ is well formed against the shipped corpus.

A gold key that names no unit, or a must_include string the gold text does not contain, makes a
question unanswerable by construction and silently lowers (or inflates) the reported figures, so
each question is checked on its own and a failure names the file and the question id.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
CORPUS = ROOT / "corpus"
SETS = ("questions.jsonl", "questions-extra.jsonl", "questions-regs.jsonl", "questions-heldout.jsonl")
FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str, "question": str, "history": list, "gold": list, "answerable": bool,
    "must_include": list, "category": str,
}
CATEGORIES = frozenset({
    # notice set (questions.jsonl)
    "item_lookup", "item_lookup_en", "multi_item", "section", "followup", "keyword", "paraphrase",
    "typo", "traditional", "english", "onboarding", "preamble", "metadata", "cited_document",
    "out_of_range", "out_of_scope", "injection",
    # regulation sets (questions-extra / -regs / -heldout)
    "article_lookup", "cross_document", "number_time", "enumeration", "true_false", "named_absent",
    "near_topic_unanswerable", "notice_paraphrase", "notice_keyword",
})
UNANSWERABLE = frozenset({"named_absent", "near_topic_unanswerable", "out_of_range", "out_of_scope", "injection"})
ABSENT_MARK = "未收录"  # the assistant answers 《X》未收录 for a document the corpus does not hold


def _rows(name: str) -> list[tuple[int, str]]:
    path = EVAL / name
    return [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if line.strip()]


def _parsed(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for _, line in _rows(name)]


def _label(name: str, n: int, line: str) -> str:
    """`questions-regs:r012` when the line names its id, else `questions-regs:line12`."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        row = None
    qid = row.get("id") if isinstance(row, dict) else None
    return f"{Path(name).stem}:{qid if isinstance(qid, str) else f'line{n}'}"


def _line_params() -> list[Any]:
    return [pytest.param(name, line, id=_label(name, n, line)) for name in SETS for n, line in _rows(name)]


def _question_params(keep: Callable[[dict[str, Any]], bool] = lambda row: True) -> list[Any]:
    """One param per parsed question (those `keep` selects), labelled with its set and id."""
    out = []
    for name in SETS:
        for n, line in _rows(name):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # reported by test_line_parses_with_required_fields
            if isinstance(row, dict) and isinstance(row.get("gold"), list) and keep(row):
                out.append(pytest.param(row, id=_label(name, n, line)))
    return out


@pytest.fixture(scope="module")
def units() -> tuple[str, dict[str, str]]:
    """The primary doc_id and every unit's text by `doc_id#ref`, from the shipped corpus."""
    docs = load_corpus(CORPUS)
    primary = next(d.doc_id for d in docs if d.meta.primary)
    return primary, {u.key: u.text for d in docs for u in d.units}


def _keys(row: dict[str, Any], primary: str) -> list[str]:
    return [f"{primary}#{g}" if isinstance(g, int) else str(g) for g in row["gold"]]


def test_every_set_is_present() -> None:
    # questions-real-*.jsonl (public quiz/Q&A questions, own fields and categories) are checked by
    # scripts/check_real_questions.py, see eval/REAL-QUESTIONS.md
    names = [p.name for p in EVAL.glob("questions*.jsonl") if not p.name.startswith("questions-real-")]
    assert sorted(names) == sorted(SETS)


@pytest.mark.parametrize(("name", "line"), _line_params())
def test_line_parses_with_required_fields(name: str, line: str) -> None:
    row = json.loads(line)
    assert isinstance(row, dict)
    for field, kind in FIELDS.items():
        assert field in row, f"missing {field}"
        assert isinstance(row[field], kind), f"{field} should be {kind}: {row[field]!r}"
    assert row["question"].strip()
    assert all(isinstance(h, str) and h.strip() for h in row["history"])
    assert all(isinstance(m, str) and m for m in row["must_include"])
    assert all(isinstance(g, str) or (isinstance(g, int) and not isinstance(g, bool)) for g in row["gold"])
    assert row["category"] in CATEGORIES, f"unknown category {row['category']!r}"


@pytest.mark.parametrize("name", SETS)
def test_ids_are_unique_within_a_set(name: str) -> None:
    dupes = [i for i, c in Counter(r["id"] for r in _parsed(name)).items() if c > 1]
    assert dupes == []


@pytest.mark.parametrize("row", _question_params())
def test_gold_names_existing_units(row: dict[str, Any], units: tuple[str, dict[str, str]]) -> None:
    primary, text = units
    missing = [k for k in _keys(row, primary) if k not in text]
    assert missing == [], f"gold units not in the corpus: {missing}"


@pytest.mark.parametrize("row", _question_params())
def test_answerability_matches_gold(row: dict[str, Any]) -> None:
    if row["answerable"]:
        assert row["gold"], "an answerable question needs at least one gold unit"
    else:
        assert row["gold"] == [], "an unanswerable question has no gold"


@pytest.mark.parametrize("row", _question_params(lambda row: row.get("answerable") is True))
def test_must_include_is_quoted_from_a_gold_unit(
    row: dict[str, Any], units: tuple[str, dict[str, str]]
) -> None:
    primary, text = units
    golds = [text.get(k, "") for k in _keys(row, primary)]
    absent = [m for m in row["must_include"] if not any(m in t for t in golds)]
    assert absent == [], f"must_include not found verbatim in any gold unit: {absent}"


@pytest.mark.parametrize("row", _question_params(lambda row: row.get("category") in UNANSWERABLE))
def test_unanswerable_categories_are_marked_unanswerable(row: dict[str, Any]) -> None:
    assert row["answerable"] is False
    if row["category"] == "named_absent":
        assert row["must_include"] == [ABSENT_MARK]


@pytest.mark.parametrize("name", ["questions-regs.jsonl", "questions-heldout.jsonl"])
def test_regulation_sets_cover_every_regulation(name: str, units: tuple[str, dict[str, str]]) -> None:
    primary, text = units
    docs = {k.split("#")[0] for k in text} - {primary}
    cited = {k.split("#")[0] for r in _parsed(name) for k in _keys(r, primary)}
    assert docs - cited == set()


def _bare(question: str) -> str:
    """The question without punctuation or spaces: 我是新任支部书记，要抓哪些工作？ == …书记要抓哪些工作."""
    return re.sub(r"\W", "", question).lower()


def test_held_out_set_shares_no_question_with_the_tuning_sets() -> None:
    tuned = {(_bare(r["question"]), tuple(r["history"])) for name in SETS[:3] for r in _parsed(name)}
    shared = [r["id"] for r in _parsed("questions-heldout.jsonl")
              if (_bare(r["question"]), tuple(r["history"])) in tuned]
    assert shared == []
