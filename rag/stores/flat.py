"""Exact inner-product search over the memory-mapped `vectors.npy`: what faiss's IndexFlatIP
computes, but every score is handed back, so retrieval can rank all rows without asking for
k = all rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

VECTORS = "vectors.npy"


def load_vectors(folder: Path) -> np.ndarray:
    """float32 rows, memory-mapped read-only (pages load as they are touched)."""
    vectors: np.ndarray = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise ValueError(f"{VECTORS}: expected a 2-d float32 array, got {vectors.dtype} {vectors.shape}")
    return vectors


class FlatStore:
    name = "flat"
    exact = True

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    @property
    def ntotal(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def all_scores(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors @ q.astype(np.float32), dtype=np.float32)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.all_scores(q)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]
        return scores[top], top.astype(np.int64)

    def scores_for(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[rows] @ q.astype(np.float32), dtype=np.float32)
