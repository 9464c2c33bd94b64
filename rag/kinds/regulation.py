"""The regulation (条例、章程、细则、规定…): a lead, 总纲/序言, 编/章/节 headings and 第X条
articles, cited as 第三十一条 (the parser is rag/articles.py)."""

from __future__ import annotations

from ..records import DocMeta, Document
from .base import DocKind


def parse(text: str, meta: DocMeta) -> Document:
    from ..articles import parse_regulation  # ingestion only: opening a built index never parses

    return parse_regulation(text, meta)


def claims(text: str) -> bool:
    from ..articles import detect_scheme

    return detect_scheme(text) == "regulation"


def check(doc: Document) -> list[str]:
    """Gaps and repeats in the article numbering, which `dangjian add` reports."""
    from ..articles import check_numbering

    return check_numbering(doc)


KIND = DocKind(name="regulation", display="法规", unit_kind="article", unit_word="条", ref_words="条项点",
               parse=parse, claims=claims, signature="lead", check=check)
