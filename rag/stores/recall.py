"""How close an approximate store comes to exact search: recall@k, and recall on vectors made
distinct by noise. For `dangjian bench` and the tests; nothing on the question path."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import EXACT_MAX_ROWS, DenseStore, is_remote
from .flat import load_vectors


def tie_aware_recall(exact: np.ndarray, approx_scores: np.ndarray, k: int, eps: float = 1e-5) -> float:
    """Share of the k approximate results scoring at least the exact k-th best score: identical
    vectors (repeated texts) tie, and any of them is a correct answer."""
    kth = np.sort(exact)[::-1][min(k, len(exact)) - 1]
    return float(np.mean(approx_scores[:k] >= kth - eps))


def recall_at_k(
    store: DenseStore, queries: np.ndarray, k: int, vectors: np.ndarray | None = None
) -> float | None:
    """Mean recall@k of an approximate store against exact search (None for an exact store); exact
    scores from `vectors` when given (a server store's rows are not all fetched one by one)."""
    if store.exact or not len(queries):
        return None
    out = []
    for q in queries:
        exact = (np.asarray(vectors @ q, dtype=np.float32) if vectors is not None
                 else store.scores_for(q, np.arange(store.ntotal)))
        sims, _ids = store.search(q, k)
        out.append(tie_aware_recall(exact, sims, k))
    return round(float(np.mean(out)), 4)


def perturbed_recall(vectors: np.ndarray, queries: np.ndarray, k: int, *, noise: float = 0.35,
                     threads: int = 1, seed: int = 0) -> float | None:
    """Recall@k of the store `build_store` would choose, on vectors made distinct by Gaussian noise
    (repeated texts make search easy; real corpora have no exact duplicates)."""
    if len(vectors) <= EXACT_MAX_ROWS or not len(queries):
        return None
    import tempfile

    from . import faiss_ivf

    rng = np.random.default_rng(seed)
    noisy = vectors + rng.normal(0.0, noise / np.sqrt(vectors.shape[1]), vectors.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    with tempfile.TemporaryDirectory(prefix="dangjian-recall-") as tmp:
        entry = faiss_ivf.build(Path(tmp), noisy, threads=threads)
        store = faiss_ivf.IVFStore.open(Path(tmp), noisy, entry, threads=threads)
        return recall_at_k(store, queries, k)


def recall_report(index: Any, emb: Any, questions: Sequence[str], *, k: int = 10) -> dict[str, Any]:
    """For `dangjian bench`: the store in use, its recall@k, and recall on perturbed vectors."""
    from ..glossary import expand

    store = index.dense
    queries = emb.encode([expand(q) for q in questions]) if questions else np.zeros((0, store.dim))
    vectors = load_vectors(index.folder)
    return {"dense_store": store.name, "recall_at_10": recall_at_k(store, queries, k, vectors),
            "recall_at_10_perturbed": None if is_remote({"store": store.name})
            else perturbed_recall(np.asarray(vectors), queries, k)}
