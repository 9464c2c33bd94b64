"""The notice: a header (issuer, 文号, title, addressees, date), a preamble, sections 一、… and
items 1. … 19., cited as 第8条 (the parser is rag/structure.py)."""

from __future__ import annotations

from ..records import DocMeta, Document
from .base import DocKind


def parse(text: str, meta: DocMeta) -> Document:
    from ..structure import parse_notice  # ingestion only: opening a built index never parses

    return parse_notice(text, meta)


def claims(text: str) -> bool:
    """Its items start at 1. (a lone "2." line is an attachment list, not the notice scheme)."""
    return parse(text, DocMeta(doc_id="", title="")).unit("1") is not None


KIND = DocKind(name="notice", display="通知", unit_kind="item", unit_word="条", ref_words="条项点",
               parse=parse, claims=claims, signature="header", titled=True)
