"""新任书记入门: the guided tour, duty checklists by role, the glossary and 应知应会 practice.

Everything here is read from the corpus documents (no index, no model): every line shown is a
verbatim passage with `ask --json`-shaped citations. `Onboarding` builds the four views of one
corpus once; the CLI (`dangjian tour | duties | glossary | quiz`) and the API
(`ui/onboarding_api.py`) both use it. The JSON shapes are documented in each module.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from ..corpus import load_corpus
from ..records import Document
from .common import Passage, passage_json
from .duties import GROUPS, Checklist, Duty, calendar, checklist_json, frequency, load_checklists, pick
from .export import export, format_for, to_docx, to_markdown
from .quiz import Question, Result, check, generate, question_json, quiz_round, score_json
from .terms import NOT_DEFINED, Entry, entry_json, glossary, lookup
from .tour import Step, main_requirement, step, step_json, tour

__all__ = [
    "GROUPS",
    "NOT_DEFINED",
    "Checklist",
    "Duty",
    "Entry",
    "Onboarding",
    "Passage",
    "Question",
    "Result",
    "Step",
    "calendar",
    "check",
    "checklist_json",
    "entry_json",
    "export",
    "format_for",
    "frequency",
    "generate",
    "glossary",
    "load_checklists",
    "lookup",
    "main_requirement",
    "passage_json",
    "pick",
    "question_json",
    "quiz_round",
    "score_json",
    "step",
    "step_json",
    "to_docx",
    "to_markdown",
    "tour",
]


class Onboarding:
    """The onboarding views of one corpus, each built on first use and read-only afterwards."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = tuple(sorted(docs, key=lambda d: not d.meta.primary))

    @classmethod
    def from_corpus(cls, corpus_dir: Path) -> Onboarding:
        """Parse the corpus folder directly: the views need the documents, not the index."""
        return cls(load_corpus(corpus_dir))

    @cached_property
    def titles(self) -> dict[str, str]:
        return {d.doc_id: d.meta.title for d in self.docs}

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        return tour(self.docs)

    @cached_property
    def checklists(self) -> dict[str, Checklist]:
        return load_checklists(self.docs)

    @cached_property
    def entries(self) -> tuple[Entry, ...]:
        return glossary(self.docs)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return generate(self.docs, self.entries)

    def checklist(self, role: str) -> Checklist:
        return pick(self.checklists, role)
