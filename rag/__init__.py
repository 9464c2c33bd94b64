"""dangjian-rag: grounded question answering over party-building documents.

The public names load on first access (PEP 562), so `import rag.cli` — and `dangjian --help` —
does not pay for numpy and the question path.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a type checker sees; at run time each name loads on first use (`_WHERE`)
    from .config import Settings as Settings
    from .errors import CorpusError as CorpusError
    from .errors import DangjianError as DangjianError
    from .errors import EmbedderError as EmbedderError
    from .errors import IndexError_ as IndexError_
    from .errors import InputError as InputError
    from .errors import LLMError as LLMError
    from .pipeline import Assistant as Assistant
    from .query import Options as Options
    from .query import Query as Query
    from .query import State as State
    from .records import Answer as Answer
    from .records import Chunk as Chunk
    from .records import Citation as Citation
    from .records import DocMeta as DocMeta
    from .records import Document as Document
    from .records import Hit as Hit
    from .records import Key as Key
    from .records import Section as Section
    from .records import Unit as Unit
    from .render import answer_json as answer_json

# The public names and the module each comes from: the one table (tests/test_public_surface.py
# checks that the imports above say the same).
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
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
