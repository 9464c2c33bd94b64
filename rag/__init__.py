"""dangjian-rag: grounded question answering over party-building documents.

The public names load on first access (PEP 562), so `import rag.cli` — and `dangjian --help` —
does not pay for numpy and the question path.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings
    from .errors import CorpusError, DangjianError, EmbedderError, IndexError_, InputError, LLMError
    from .pipeline import Assistant
    from .query import Options, Query, State
    from .records import Answer, Chunk, Citation, DocMeta, Document, Hit, Key, Section, Unit
    from .render import answer_json

_WHERE = {
    "Settings": "config",
    **dict.fromkeys(("CorpusError", "DangjianError", "EmbedderError", "IndexError_", "InputError",
                     "LLMError"), "errors"),
    "Assistant": "pipeline",
    **dict.fromkeys(("Options", "Query", "State"), "query"),
    **dict.fromkeys(("Answer", "Chunk", "Citation", "DocMeta", "Document", "Hit", "Key", "Section",
                     "Unit"), "records"),
    "answer_json": "render",
}

__all__ = [
    "Answer",
    "Assistant",
    "Chunk",
    "Citation",
    "CorpusError",
    "DangjianError",
    "DocMeta",
    "Document",
    "EmbedderError",
    "Hit",
    "IndexError_",
    "InputError",
    "Key",
    "LLMError",
    "Options",
    "Query",
    "Section",
    "Settings",
    "State",
    "Unit",
    "answer_json",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
