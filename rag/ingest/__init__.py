"""Ingestion: files → corpus documents. Private modules behind this one public surface.

    read      file → text (one decoder for every text the project reads; docx, pdf, html)
    meta      text → title, 文号, 发文机关, date, kind, aliases
    parse     text → Document, refusing implausible structure (the corpus loader uses it too)
    manifest  the only reader and writer of corpus/manifest.toml
    store     journal + recovery: every corpus change survives a kill at any instant
    add       add files, register files dropped into corpus/, remove documents
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ..errors import IngestError

if TYPE_CHECKING:
    from .add import (
        IngestResult,
        RemoveResult,
        add_files,
        register_unlisted,
        remove_document,
        slugify,
        unlisted_files,
    )
    from .limits import DEFAULT_LIMITS, Limits
    from .manifest import MANIFEST, ORIGINALS, entry_toml, read_entries, read_metas
    from .meta import detect_meta
    from .parse import check_structure, parse_document
    from .read import SUPPORTED, decode_bytes, read_text
    from .store import recover

# Loaded on first use: the question path reads the manifest (rag.corpus → .manifest) and should not
# pay for the adding machinery (docx, pdf, html readers, metadata guessing): ~20 ms of every `ask`.
_WHERE = {
    **dict.fromkeys(("IngestResult", "RemoveResult", "add_files", "register_unlisted", "remove_document",
                     "slugify", "unlisted_files"), "add"),
    **dict.fromkeys(("DEFAULT_LIMITS", "Limits"), "limits"),
    **dict.fromkeys(("MANIFEST", "ORIGINALS", "entry_toml", "read_entries", "read_metas"), "manifest"),
    "detect_meta": "meta",
    **dict.fromkeys(("check_structure", "parse_document"), "parse"),
    **dict.fromkeys(("SUPPORTED", "decode_bytes", "read_text"), "read"),
    "recover": "store",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_LIMITS",
    "MANIFEST",
    "ORIGINALS",
    "SUPPORTED",
    "IngestError",
    "IngestResult",
    "Limits",
    "RemoveResult",
    "add_files",
    "check_structure",
    "decode_bytes",
    "detect_meta",
    "entry_toml",
    "parse_document",
    "read_entries",
    "read_metas",
    "read_text",
    "recover",
    "register_unlisted",
    "remove_document",
    "slugify",
    "unlisted_files",
]
