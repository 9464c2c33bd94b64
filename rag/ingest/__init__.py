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

from ..errors import IngestError as IngestError

if TYPE_CHECKING:  # what a type checker sees; at run time each name loads on first use (`_WHERE`)
    from .add import IngestResult as IngestResult
    from .add import RemoveResult as RemoveResult
    from .add import add_files as add_files
    from .add import register_unlisted as register_unlisted
    from .add import remove_document as remove_document
    from .add import slugify as slugify
    from .add import unlisted_files as unlisted_files
    from .limits import DEFAULT_LIMITS as DEFAULT_LIMITS
    from .limits import Limits as Limits
    from .manifest import MANIFEST as MANIFEST
    from .manifest import ORIGINALS as ORIGINALS
    from .manifest import entry_toml as entry_toml
    from .manifest import read_entries as read_entries
    from .manifest import read_metas as read_metas
    from .meta import detect_meta as detect_meta
    from .parse import check_structure as check_structure
    from .parse import parse_document as parse_document
    from .read import SUPPORTED as SUPPORTED
    from .read import decode_bytes as decode_bytes
    from .read import read_text as read_text
    from .store import recover as recover

# Loaded on first use: the question path reads the manifest (rag.corpus → .manifest) and should not
# pay for the adding machinery (docx, pdf, html readers, metadata guessing): ~20 ms of every `ask`.
# The one table of this package's public names (tests/test_public_surface.py checks the imports above).
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
__all__ = sorted([*_WHERE, "IngestError"])


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
