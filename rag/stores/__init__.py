"""Dense vector stores behind one small protocol: exact numpy search while it is cheap, faiss IVF
beyond that. The index folder keeps `vectors.npy` (row i = chunk i) whatever the store; a store
adds its own files next to it and records its name and parameters in the manifest.

    store = open_store(index_dir, manifest["dense"], threads=1)
    if store.exact:  scores = store.all_scores(q)        # every row, for rank fusion
    else:            sims, rows = store.search(q, k)     # the best k rows (approximate)
    exact = store.scores_for(q, rows)                    # exact scores of chosen rows

Milvus (rag/stores/milvus.py, `StoreSpec(name="milvus")`) is the second kind: a server that also
holds the texts and fuses dense and BM25 rankings itself (`fuses`, `ranked`); the index folder
then needs no vector files to answer (`VECTOR_FILES` stay on the machine that builds, as its cache).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..config import STORES, StoreSpec
from ..errors import DangjianError
from ..records import Chunk

if TYPE_CHECKING:  # numpy loads with a store, not with the index (a reference lookup needs none)
    import numpy as np

# Measured with `dangjian bench --store flat,ivf` (eval/bench.md): at 10k chunks exact search (and
# ranking every row) costs what IVF does; at 20k it costs ~3 ms more per question. Below this size
# exactness is (nearly) free; above it IVF.
EXACT_MAX_ROWS = 15_000
ANN_K = 256  # rows an approximate store returns; fusion gives rows beyond it no dense rank
VECTOR_FILES = ("vectors.npy", "vector_keys.npy")


class DenseStore(Protocol):
    name: str
    exact: bool  # all_scores() is cheap enough to score every row for each question

    @property
    def ntotal(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def all_scores(self, q: np.ndarray) -> np.ndarray:
        """Inner product of `q` with every row (float32); only for exact stores."""
        ...

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best rows: (scores, row ids), best first; ids are -1 past the end."""
        ...

    def scores_for(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products for the given rows."""
        ...


def _check(spec: StoreSpec) -> None:
    if spec.name not in STORES:
        choices = "；".join(f"{k}——{v}" for k, v in STORES.items())
        raise DangjianError(f"未知的向量库：{spec.name}（DANGJIAN_STORE / --store 可选：{choices}）")


def build_store(folder: Path, vectors: np.ndarray, *, threads: int = 1,
                exact_max_rows: int = EXACT_MAX_ROWS, spec: StoreSpec = StoreSpec(),
                chunks: Sequence[Chunk] = (), terms: Sequence[str] = (),
                progress: Callable[[str, int, int], None] = lambda *_a: None) -> dict[str, Any]:
    """Write the store's files (beyond vectors.npy) into `folder`, or its collections into Milvus
    (which also reads the chunks' texts and the domain terms); returns its manifest entry."""
    _check(spec)
    if spec.name == "milvus":
        from . import milvus

        return milvus.build(spec, vectors, chunks, terms, exact_max_rows=exact_max_rows, progress=progress)
    if len(vectors) <= exact_max_rows:
        return {"store": "flat"}
    from . import faiss_ivf

    return faiss_ivf.build(folder, vectors, threads=threads)


def limit_blas(threads: int) -> None:
    """Cap BLAS threads for this process: one question's matrix-vector product gains nothing from
    a second thread, and on a busy machine threads that spin-wait for each other lose badly."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(max(1, threads), user_api="blas")


def is_remote(entry: dict[str, Any]) -> bool:
    """The store keeps the vectors itself: the index folder's `VECTOR_FILES` are not needed to answer."""
    return entry.get("store") == "milvus"


def resolve(spec: StoreSpec, built: dict[str, Any], index_dir: Path) -> StoreSpec:
    """The store to build or open for an index whose manifest entry is `built` ({} for none): "auto"
    keeps the kind it was built for (local for a new index), so `dangjian add` and a replica need no
    --store. Milvus's address: the one given, else the one it was built with, else a Milvus Lite
    file beside the index folder."""
    _check(spec)
    name = spec.name if spec.name != "auto" else ("milvus" if is_remote(built) else "local")
    if name != "milvus":
        return replace(spec, name=name)
    recorded = str(built.get("uri") or "") if is_remote(built) else ""
    return replace(spec, name=name,
                   uri=spec.uri or recorded or str(index_dir.parent / f"{index_dir.name}.milvus.db"))


def mismatch(entry: dict[str, Any], spec: StoreSpec) -> str:
    """Why an index built for store `entry` does not serve `spec` ("" when it does): "auto" opens an
    index as it was built; "milvus" or "local" ask for that kind, and an index of the other is rebuilt."""
    _check(spec)
    built = str(entry.get("store", "flat"))
    if spec.name != "auto" and (spec.name == "milvus") != (built == "milvus"):
        return f"向量库已变更（{built} → {spec.name}），正在重建索引"
    if spec.name == "milvus" and spec.collection and spec.collection != entry.get("collection"):
        return f"Milvus 集合已变更（{entry.get('collection')} → {spec.collection}），正在重建索引"
    return ""


def open_store(folder: Path, entry: dict[str, Any], *, threads: int = 1,
               spec: StoreSpec = StoreSpec()) -> DenseStore:
    """The store the manifest entry names, over the vectors in `folder` (Milvus: at `spec.uri`)."""
    limit_blas(threads)
    name = entry.get("store", "flat")
    if name == "milvus":
        from . import milvus

        return milvus.MilvusStore.open(resolve(spec, entry, folder), entry)
    from .flat import FlatStore, load_vectors

    vectors = load_vectors(folder)
    if name == "flat":
        return FlatStore(vectors)
    if name == "ivf":
        from . import faiss_ivf

        return faiss_ivf.IVFStore.open(folder, vectors, entry, threads=threads)
    raise ValueError(f"unknown dense store {name!r}")
