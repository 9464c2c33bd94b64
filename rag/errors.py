"""The library's errors, each carrying a Chinese message meant for the user.

    DangjianError
    ├── InputError          bad question (empty, too long)
    ├── CorpusError         corpus folder or manifest unusable
    │   └── IngestError     a file cannot be added to (or removed from) the corpus; the batch goes on
    ├── IndexError_         index missing, stale beyond repair, or corrupt
    ├── EmbedderError       embedding backend unavailable (model not local, package missing)
    ├── DatabaseError       the database (conversations, feedback, document registry) unreachable or refusing
    └── LLMError            LLM endpoint failed (connection, timeout, bad reply)

Edges (CLI, UI, API) convert these once into their own form; nothing else is caught.
"""

from __future__ import annotations


class DangjianError(Exception):
    """Base class; `str(err)` is the user-facing Chinese message."""


class InputError(DangjianError):
    pass


class CorpusError(DangjianError):
    pass


class IngestError(CorpusError):
    """One file refused by `dangjian add` / registration / `remove`; `str(err)` is the reason."""


class IndexError_(DangjianError):  # noqa: N801 - avoid shadowing the builtin IndexError
    pass


class EmbedderError(DangjianError):
    pass


class DatabaseError(DangjianError):
    pass


class LLMError(DangjianError):
    pass
