"""The parsed corpus saved in the index: it reads back as exactly what parsing gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import parsed
from rag.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent


def test_round_trip_is_exactly_the_parse_of_every_shipped_document() -> None:
    docs = load_corpus(ROOT / "corpus")
    back = parsed.loads(parsed.dumps(docs))
    assert back == docs  # frozen dataclasses: every field, tuples included
    assert [d.doc_id for d in back] == [d.doc_id for d in docs]
    assert back[0].unit("8") is not None and back[0].numbered == docs[0].numbered


@pytest.mark.parametrize("text, why", [
    ("[]", "not an object"),
    ('{"version": 99, "documents": []}', "another version"),
    ('{"version": 1}', "no documents"),
    ('{"version": 1, "documents": [{"meta": {}}]}', "a document without its fields"),
    ("{", "not JSON"),
])
def test_anything_else_is_a_value_error(text: str, why: str) -> None:
    with pytest.raises(ValueError):
        parsed.loads(text)


def test_a_list_of_strings_must_be_one() -> None:
    docs = load_corpus(ROOT / "corpus")[:1]
    data = json.loads(parsed.dumps(docs))
    data["documents"][0]["units"][0]["sentences"] = [1, 2]
    with pytest.raises(ValueError):
        parsed.loads(json.dumps(data))
