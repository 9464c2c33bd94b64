"""Rendered answers for representative questions; regenerate with `dangjian eval --update-golden`."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant
from rag.eval.golden import CASES, render

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("name", sorted(CASES))
def test_answer_matches_golden_file(assistant: Assistant, name: str) -> None:
    question, history = CASES[name]
    expected = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
    assert render(assistant, question, history) == expected
