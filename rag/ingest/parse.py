"""Text → `Document`, for the corpus loader and for `dangjian add` alike, with a sanity bound.

A document whose structure is implausible — tens of thousands of 条目, one number repeated
thousands of times, one article of megabytes — is refused with the reason, before the index
build would spend minutes on it. Parsing itself is linear in the text, so the check after it
is cheap; a count of numbered lines before it refuses the grossest cases without parsing.
"""

from __future__ import annotations

import re
from collections import Counter

from .. import kinds
from ..errors import IngestError
from ..numerals import CN_NUMERAL_CHARS
from ..records import DocMeta, Document
from .limits import DEFAULT_LIMITS, Limits

_ARTICLE_LINES = re.compile(rf"(?m)^[ \t\u3000\ufeff]*第\s*(?:[{CN_NUMERAL_CHARS}]+|\d+)\s*[条條]")
_ITEM_LINES = re.compile(r"(?m)^[ \t\u3000\ufeff]*\d{1,3}[.．、]")
_MIN_REPEATS = 20  # a few repeated numbers are typos in real texts (reported as warnings)


def parse_document(text: str, meta: DocMeta, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse with the kind the manifest names (rag/kinds), else the detected one; `IngestError`
    when the structure is implausible (see `check_structure`)."""
    numbered_lines = max(len(_ARTICLE_LINES.findall(text)), len(_ITEM_LINES.findall(text)))
    if numbered_lines > limits.max_units:
        raise IngestError(f"文件结构异常：约有 {numbered_lines:,} 行以“第X条”或“1.”开头，"
                          f"条目上限为 {limits.max_units:,} 个")
    doc = kinds.parse(text, meta)
    check_structure(doc, limits)
    return doc


def check_structure(doc: Document, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a parsed document with too many 条目, massively repeated numbers, or a giant unit."""
    numbered = [u for u in doc.units if kinds.numbered(u)]
    if len(numbered) > limits.max_units:
        raise IngestError(f"文件结构异常：解析出 {len(numbered):,} 个条目，上限为 {limits.max_units:,} 个")
    numbers = Counter(u.ref.split("-")[0] for u in numbered)
    repeats = len(numbered) - len(numbers)
    if repeats > _MIN_REPEATS and repeats > limits.max_repeat_share * len(numbered):
        raise IngestError(f"文件结构异常：{len(numbered):,} 个条目中只有 {len(numbers):,} 个不同的编号"
                          f"（{repeats:,} 个编号与前文重复）")
    for u in doc.units:
        if len(u.text) > limits.max_unit_chars:
            raise IngestError(f"文件结构异常：{u.label or u.ref}长达 {len(u.text):,} 个字符，"
                              f"单个条目上限为 {limits.max_unit_chars:,} 个（可能缺少换行或条文编号）")
