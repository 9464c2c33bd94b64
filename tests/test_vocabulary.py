"""The question vocabulary (rag/vocabulary.py): one home for the words questions are asked with."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from rag import vocabulary as v
from rag.tokenize import STOPWORDS

RAG = Path(__file__).resolve().parent.parent / "rag"


def test_alternation_tries_the_longest_word_first() -> None:
    pattern = re.compile(v.alternation(v.HOW_MUCH, v.DURATION_PHRASES))
    assert pattern.sub("_", "预备期多长时间") == "预备期_"
    assert v.alternation(("a", "ab"), ("a",)) == "ab|a"  # each word once
    assert v.alternation(("which item",)) == re.escape("which item")


def test_question_words_are_single_words_apart_from_the_stopwords() -> None:
    """The token-level class holds what jieba cuts, never a phrase it cuts apart; a stopword is
    already gone from every token list, so listing it again would only hide a typo."""
    assert not v.QUESTION_WORDS & STOPWORDS
    assert not v.QUESTION_WORDS & {*v.WHEN_PHRASES, *v.DURATION_PHRASES, *v.WHY_PHRASES}


def _alternations(path: Path) -> list[set[str]]:
    """The alternatives of every `a|b|c` run of Chinese words in a module's string constants."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for run in re.findall(r"[\u4e00-\u9fff]+(?:\|[\u4e00-\u9fff]+)+", node.value):
                out.append(set(run.split("|")))
    return out


def test_no_module_writes_a_list_of_interrogatives_of_its_own() -> None:
    """A regex alternation that lists three or more interrogatives, particles or A-not-A words
    belongs in rag/vocabulary.py; modules build theirs with `alternation`."""
    asking = {*v.INTERROGATIVES, *v.WHAT_HOW_FORMS, *v.QUESTION_PARTICLES, *v.POLAR}
    for path in sorted(RAG.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        for words in _alternations(path):
            assert len(words & asking) < 3, f"{path.relative_to(RAG)}: {sorted(words & asking)}"
