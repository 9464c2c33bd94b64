"""Every question set in eval/ is well formed against the shipped corpus.

A gold key that names no unit, or a must_include string the gold text does not contain, makes a
question unanswerable by construction and silently lowers (or inflates) the reported figures, so
every row is checked; one test per file reports all of that file's bad rows at once, each named by
its question id (or line number).
"""

from __future__ import annotations

import json
import re
from collections import Counter
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


@pytest.fixture(scope="module")
def units() -> tuple[str, dict[str, str]]:
    """The primary doc_id and every unit's text by `doc_id#ref`, from the shipped corpus."""
    docs = load_corpus(CORPUS)
    primary = next(d.doc_id for d in docs if d.meta.primary)
    return primary, {u.key: u.text for d in docs for u in d.units}


def _keys(row: dict[str, Any], primary: str) -> list[str]:
    return [f"{primary}#{g}" if isinstance(g, int) else str(g) for g in row["gold"]]


def _shape_problems(row: Any) -> list[str]:
    """What is wrong with one row's fields and their types; [] when it is well formed."""
    if not isinstance(row, dict):
        return [f"not a JSON object: {row!r}"]
    out = [f"missing {field}" for field in FIELDS if field not in row]
    out += [f"{field} should be {kind}: {row[field]!r}" for field, kind in FIELDS.items()
            if field in row and not isinstance(row[field], kind)]
    if out:
        return out
    if not row["question"].strip():
        out.append("empty question")
    if not all(isinstance(h, str) and h.strip() for h in row["history"]):
        out.append("a history turn is not a non-empty string")
    if not all(isinstance(m, str) and m for m in row["must_include"]):
        out.append("a must_include entry is not a non-empty string")
    if not all(isinstance(g, str) or (isinstance(g, int) and not isinstance(g, bool)) for g in row["gold"]):
        out.append(f"gold entries must be unit numbers or doc_id#ref strings: {row['gold']!r}")
    if row["category"] not in CATEGORIES:
        out.append(f"unknown category {row['category']!r}")
    return out


def _content_problems(row: dict[str, Any], primary: str, text: dict[str, str]) -> list[str]:
    """What makes a well-formed row unanswerable by construction, or mislabelled; [] when none."""
    out = []
    keys = _keys(row, primary)
    missing = [k for k in keys if k not in text]
    if missing:
        out.append(f"gold units not in the corpus: {missing}")
    if row["answerable"] and not row["gold"]:
        out.append("an answerable question needs at least one gold unit")
    if not row["answerable"] and row["gold"]:
        out.append("an unanswerable question has no gold")
    if row["answerable"]:
        golds = [text.get(k, "") for k in keys]
        absent = [m for m in row["must_include"] if not any(m in t for t in golds)]
        if absent:
            out.append(f"must_include not found verbatim in any gold unit: {absent}")
    if row["category"] in UNANSWERABLE and row["answerable"] is not False:
        out.append(f"category {row['category']} is unanswerable but the row says answerable")
    if row["category"] == "named_absent" and row["must_include"] != [ABSENT_MARK]:
        out.append(f"named_absent must_include should be [{ABSENT_MARK!r}]: {row['must_include']!r}")
    return out


def _label(n: int, row: Any) -> str:
    """`r012` when the row names its id, else `line12`."""
    qid = row.get("id") if isinstance(row, dict) else None
    return qid if isinstance(qid, str) else f"line{n}"


def test_every_set_is_present() -> None:
    # questions-real-*.jsonl (public quiz/Q&A questions, own fields and categories) are checked by
    # scripts/check_real_questions.py, see eval/REAL-QUESTIONS.md
    names = [p.name for p in EVAL.glob("questions*.jsonl") if not p.name.startswith("questions-real-")]
    assert sorted(names) == sorted(SETS)


@pytest.mark.parametrize("name", SETS)
def test_every_row_is_well_formed_and_answerable_as_labelled(name: str, units: tuple[str, dict[str, str]]) -> None:
    """One test per file; its failure lists every bad row (id or line number) with all its problems."""
    primary, text = units
    bad = []
    for n, line in _rows(name):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"line{n}: not JSON ({exc})")
            continue
        problems = _shape_problems(row) or _content_problems(row, primary, text)
        bad += [f"{_label(n, row)}: {p}" for p in problems]
    assert bad == [], f"{len(bad)} problem(s) in eval/{name}:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", SETS)
def test_ids_are_unique_within_a_set(name: str) -> None:
    dupes = [i for i, c in Counter(r["id"] for r in _parsed(name)).items() if c > 1]
    assert dupes == []


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
