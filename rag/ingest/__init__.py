"""Ingestion: files → corpus documents. Private modules behind this one public surface.

    read      file → text (one decoder for every text the project reads; docx, pdf, html)
    meta      text → title, 文号, 发文机关, date, kind, aliases
    parse     text → Document, refusing implausible structure (the corpus loader uses it too)
    manifest  the only reader and writer of corpus/manifest.toml
    store     journal + recovery: every corpus change survives a kill at any instant
    add       add files, register files dropped into corpus/, remove documents
"""

from __future__ import annotations

from ..errors import IngestError
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
