"""faiss HNSW over the index's vectors: the only module that imports faiss for retrieval.

Parameters were chosen with `dangjian bench` so that recall@10 against exact search stays
≥ 0.98 on perturbed vectors at 100k chunks (eval/bench.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

FILE = "dense.hnsw.faiss"
M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 256


def _faiss(threads: int) -> Any:
    import faiss

    faiss.omp_set_num_threads(max(1, threads))
    return faiss


def build(folder: Path, vectors: np.ndarray, *, threads: int = 1) -> dict[str, Any]:
    faiss = _faiss(threads)
    index = faiss.IndexHNSWFlat(int(vectors.shape[1]), M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(folder / FILE))
    return {"store": "hnsw", "file": FILE, "M": M, "ef_construction": EF_CONSTRUCTION, "ef_search": EF_SEARCH}


class HNSWStore:
    name = "hnsw"
    exact = False

    def __init__(self, index: Any, vectors: np.ndarray, ef_search: int) -> None:
        self.index = index
        self.vectors = vectors
        self.ef_search = ef_search

    @classmethod
    def open(cls, folder: Path, vectors: np.ndarray, entry: dict[str, Any], *, threads: int = 1) -> HNSWStore:
        faiss = _faiss(threads)
        try:
            index = faiss.read_index(str(folder / str(entry.get("file", FILE))))
        except RuntimeError as err:
            raise ValueError(f"{FILE}: {err}") from err
        if index.ntotal != len(vectors) or index.d != vectors.shape[1]:
            raise ValueError(f"{FILE} does not match vectors.npy")
        index.hnsw.efSearch = int(entry.get("ef_search", EF_SEARCH))
        return cls(index, vectors, index.hnsw.efSearch)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def all_scores(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError("an approximate store does not score every row")

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        self.index.hnsw.efSearch = max(self.ef_search, k)
        sims, ids = self.index.search(np.asarray(q, dtype=np.float32).reshape(1, -1), k)
        return sims[0], ids[0]

    def scores_for(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[rows] @ q.astype(np.float32), dtype=np.float32)
