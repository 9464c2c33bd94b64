"""dangjian-rag: grounded question answering over party-building documents."""

from .config import Settings
from .errors import CorpusError, DangjianError, EmbedderError, IndexError_, InputError, LLMError
from .pipeline import Assistant
from .query import Options, Query, State
from .records import Answer, Chunk, Citation, DocMeta, Document, Hit, Key, Section, Unit
from .render import answer_json

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
    "Key",
    "IndexError_",
    "InputError",
    "LLMError",
    "Options",
    "Query",
    "Section",
    "Settings",
    "State",
    "Unit",
    "answer_json",
]
