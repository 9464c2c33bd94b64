"""The parsed corpus as JSON, saved in the index (`documents.json`).

Opening an index used to re-parse every document (eight of them: ~25 ms and the ingestion
modules' imports) before a reference question could be answered; the build has already done that
work, and the index records the corpus hash it was built from, so a current index reads this instead.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .records import DocMeta, Document, Section, Unit

NAME = "documents.json"
VERSION = 1


def dumps(docs: list[Document]) -> str:
    return json.dumps({"version": VERSION, "documents": [asdict(d) for d in docs]}, ensure_ascii=False)


def loads(text: str) -> list[Document]:
    """`text` → Documents; anything but the shape `dumps` writes is a ValueError."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("版本不符")
        return [_document(d) for d in data["documents"]]
    except (TypeError, KeyError, AttributeError) as err:
        raise ValueError(str(err)) from err


def _document(d: dict[str, Any]) -> Document:
    meta = d["meta"]
    return Document(
        meta=DocMeta(**{**meta, "aliases": _strs(meta["aliases"]), "terms": _strs(meta.get("terms", [])),
                         "preamble_words": _strs(meta.get("preamble_words", []))}),
        units=tuple(Unit(**{**u, "sentences": _strs(u["sentences"]), "path": _strs(u["path"])})
                    for u in d["units"]),
        sections=tuple(Section(**{**s, "refs": _strs(s["refs"])}) for s in d["sections"]),
        citations=tuple((str(title), _strs(refs)) for title, refs in d["citations"]),
    )


def _strs(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError("应为字符串列表")
    return tuple(values)
