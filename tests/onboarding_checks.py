"""Checks every onboarding test applies to what it shows: quotes are the corpus's own words."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from rag.onboarding import Passage
from rag.render import citation_json

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CITATION_KEYS = {"doc_id", "ref", "label", "title", "section", "quote"}
_SPACE = re.compile(r"\s+")


@cache
def raw_texts() -> dict[str, str]:
    """doc_id → the file's text as shipped, whitespace removed (page breaks fall out)."""
    manifest = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))
    return {d["doc_id"]: _SPACE.sub("", (CORPUS / d["file"]).read_text(encoding="utf-8"))
            for d in manifest["documents"]}


def assert_verbatim(p: Passage, docs: Any) -> None:
    """Every sentence of `p` is in its unit's text and, whitespace aside, in the shipped file; one
    citation per sentence, naming the unit, quoting that sentence."""
    doc = next(d for d in docs if d.doc_id == p.doc_id)
    unit = doc.unit(p.ref)
    assert unit is not None, p.key
    assert p.quoted, p.key
    for sentence in p.quoted:
        assert sentence in unit.text, (p.key, sentence)
        assert _SPACE.sub("", sentence) in raw_texts()[p.doc_id], (p.key, sentence)
    assert [c.quote for c in p.citations] == list(p.quoted)
    assert all((c.doc_id, c.ref, c.label) == (p.doc_id, p.ref, unit.label) for c in p.citations)


def assert_passage_json(data: dict[str, Any], docs: Any) -> None:
    """A passage as JSON: citations in the `ask --json` shape, each quote in the unit and the text."""
    assert {"key", "label", "marker", "text", "citations"} <= set(data)
    doc_id, _sep, ref = data["key"].rpartition("#")
    unit = next(d for d in docs if d.doc_id == doc_id).unit(ref)
    assert unit is not None and data["citations"]
    for c in data["citations"]:
        assert set(c) == CITATION_KEYS and (c["doc_id"], c["ref"]) == (doc_id, ref)
        assert c["quote"] in unit.text and c["quote"] in data["text"]


def citation_shape(p: Passage) -> list[dict[str, str]]:
    return [citation_json(c) for c in p.citations]
