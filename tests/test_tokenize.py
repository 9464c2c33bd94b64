"""Query-side tokenisation: what a question asks for is not what it is about."""

from __future__ import annotations

from rag import Assistant
from rag.tokenize import QUESTION_WORDS, STOPWORDS


def test_query_tokens_drop_question_words_and_keep_the_topic(assistant: Assistant) -> None:
    tok = assistant.index.tokenizer
    full = tok.tokens("党员想退党可以吗")
    assert {"可以", "想"} <= set(full)  # the indexed-text tokenisation keeps them…
    assert tok.query_tokens("党员想退党可以吗") == ["党员", "退党"]  # …a question's lexical terms do not
    assert "由谁" not in tok.query_tokens("机关纪委书记一般由谁担任")
    assert {"机关", "纪委", "书记"} <= set(tok.query_tokens("机关纪委书记一般由谁担任"))


def test_a_question_made_only_of_question_words_still_has_terms(assistant: Assistant) -> None:
    assert assistant.index.tokenizer.query_tokens("可以吗") == ["可以"]


def test_question_words_are_not_stopwords() -> None:
    """Stopwords are dropped from the indexed text too; question words only from questions."""
    assert not QUESTION_WORDS & STOPWORDS
