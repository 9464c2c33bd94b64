"""Milvus as the store: the chunks' dense vectors AND their texts live in Milvus (a server, a
cluster, or Milvus Lite embedded in this process for a `.db` path); the only module that imports
pymilvus (lazily: `pip install '.[milvus]'`).

Two collections per index, `<name>_units` and `<name>_sentences`, mirror the two local BM25
models: a collection's BM25 statistics (document count, average length, document frequencies)
are its own, and units and sentences must not share them. Each row: the chunk id (primary key),
its doc_id (for scoping), the text BM25 reads (Milvus's built-in BM25 function on a jieba
analyzer with the corpus's domain terms and the local stopwords, k1/b as rag/bm25.py) and the
vector. Per question and level the server answers one hybrid search, dense ANN + BM25 fused by
RRF (`ranked`); exact dense scores of the best units come from filtered searches (`scores_for`).

The default collection name is a fingerprint of everything written (schema, analyzer, chunk
texts, vectors): two corpora never mix, and rebuilding an unchanged corpus writes nothing. A
collection named by DANGJIAN_MILVUS_COLLECTION is rewritten on every build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import bm25
from ..config import StoreSpec
from ..errors import IndexError_
from ..records import Chunk
from ..tokenize import STOPWORDS

SCHEMA_VERSION = 1
LEVELS = ("units", "sentences")
RANK_K = 1024  # rows each route (dense, BM25) returns per level; fusion gives rows beyond it no rank
NPROBE = 64
INSERT_BATCH = 512
MAX_TEXT_BYTES = 65_535  # Milvus VARCHAR limit
TIMEOUT_S = 60.0
MAX_IDS = 16_384  # Milvus's largest topk: scores_for asks in batches of this many ids
HINT = "请运行 `dangjian index --store milvus` 重建"
INSTALL = "未安装 Milvus 支持：请运行 pip install '.[milvus]'（即 pymilvus 与 milvus-lite）"
# jieba keeps punctuation as tokens; the local tokenizer drops them, so the analyzer stops them too.
PUNCTUATION = tuple("，。、；：？！“”‘’（）《》〔〕【】〈〉「」『』…—·,.;:?!()[]<>\"'/\\-_+=*&%$#@~`|")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")
Progress = Callable[[str, int, int], None]


def _pymilvus() -> Any:
    """pymilvus, its log handlers replaced by a NullHandler: the library stays silent."""
    try:
        import pymilvus
    except ImportError as err:
        raise IndexError_(INSTALL) from err
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer", "milvus_lite"):
        log = logging.getLogger(name)
        log.handlers[:] = [logging.NullHandler()]
        log.propagate = True  # whoever configures logging (an edge) still sees the records
    return pymilvus


def is_lite(uri: str) -> bool:
    return not re.match(r"^(https?|tcp|grpcs?|unix):", uri)


def _client(spec: StoreSpec, *, create: bool = False) -> Any:
    """A connected MilvusClient; a clear message when Milvus (Lite) cannot be reached or opened.
    A Milvus Lite file is created only by a build (`create`)."""
    pm = _pymilvus()
    uri = spec.uri
    if is_lite(uri):
        if not uri.endswith(".db"):
            raise IndexError_(f"DANGJIAN_MILVUS_URI 应为以 .db 结尾的文件路径（Milvus Lite）或 "
                              f"http://主机:19530（Milvus 服务器），而不是 {uri}")
        try:
            import jieba
            import milvus_lite  # noqa: F401
        except ImportError as err:
            raise IndexError_(INSTALL) from err
        jieba.setLogLevel(logging.WARNING)  # Milvus Lite's analyzer loads global jieba, which logs on stderr
        if not create and not Path(uri).exists():
            raise IndexError_(f"Milvus Lite 文件不存在：{uri}（可用 DANGJIAN_MILVUS_URI 指定），{HINT}")
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return pm.MilvusClient(uri=uri, token=spec.token, timeout=TIMEOUT_S)
    except Exception as err:  # pymilvus raises several unrelated classes for "cannot connect"
        if is_lite(uri):
            raise IndexError_(
                f"无法打开 Milvus Lite 文件 {uri}：可能正被另一个进程使用（Milvus Lite 只允许一个"
                f"进程打开；多个进程或副本请连接 Milvus 服务器）"
            ) from err
        raise IndexError_(f"无法连接 Milvus（{uri}）：{err}") from err


def public_uri(uri: str) -> str:
    """`uri` without user:password, fit for the manifest that replicas copy."""
    return re.sub(r"//[^/@]*@", "//", uri)


def release(spec: StoreSpec) -> None:
    """Stop this process's embedded Milvus Lite server for `spec.uri`, so another process can open it."""
    if spec.uri and is_lite(spec.uri):
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:
            return
        server_manager_instance.release_server(spec.uri)


# -- what is written ------------------------------------------------------------------------------


def analyzer(terms: Sequence[str]) -> dict[str, Any]:
    """jieba in search mode with the default dictionary plus the domain terms, minus stopwords."""
    return {"tokenizer": {"type": "jieba", "mode": "search", "dict": ["_default_", *terms]},
            "filter": [{"type": "stop", "stop_words": sorted({*STOPWORDS, *PUNCTUATION})}]}


def bm25_text(chunk: Chunk) -> str:
    """What BM25 reads, as the local models do (rag/index.py `_fit_bm25`): a unit with its context."""
    text = f"{chunk.context} {chunk.text}" if chunk.level == "unit" else chunk.text
    raw = text.encode("utf-8")
    return raw[:MAX_TEXT_BYTES].decode("utf-8", "ignore") if len(raw) > MAX_TEXT_BYTES else text


def dense_index(rows: int, exact_max_rows: int) -> dict[str, Any]:
    """FLAT (exact) while cheap, IVF_FLAT beyond, with the local faiss IVF's parameters (faiss_ivf.py)."""
    if rows <= exact_max_rows:
        return {"index_type": "FLAT"}
    nlist = max(1, min(rows // 39, int(4 * math.sqrt(rows))))
    return {"index_type": "IVF_FLAT", "nlist": nlist, "nprobe": min(NPROBE, nlist)}


def content_sha256(chunks: Sequence[Chunk], vectors: np.ndarray, params: dict[str, Any]) -> str:
    """sha256 of everything a collection holds: rows (ids, doc_ids, texts), vectors, schema."""
    h = hashlib.sha256(json.dumps({"schema": SCHEMA_VERSION, **params}, ensure_ascii=False,
                                  sort_keys=True).encode("utf-8"))
    for c in chunks:
        h.update(
            json.dumps([c.chunk_id, c.doc_id, c.level, bm25_text(c)], ensure_ascii=False).encode("utf-8")
        )
    h.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    return h.hexdigest()


def collection_base(spec: StoreSpec, fp: str) -> str:
    if not spec.collection:
        return f"dangjian_{fp[:20]}"
    if not _NAME.fullmatch(spec.collection):
        raise IndexError_(
            f"DANGJIAN_MILVUS_COLLECTION 只能含字母、数字和下划线，且不以数字开头：{spec.collection}"
        )
    return spec.collection


def _schema(pm: Any, dim: int, analyzer_params: dict[str, Any]) -> Any:
    schema = pm.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", pm.DataType.INT64, is_primary=True)
    schema.add_field("doc_id", pm.DataType.VARCHAR, max_length=512)
    schema.add_field("text", pm.DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                     analyzer_params=analyzer_params)
    schema.add_field("sparse", pm.DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", pm.DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(pm.Function(name="bm25", function_type=pm.FunctionType.BM25,
                                    input_field_names=["text"], output_field_names=["sparse"]))
    return schema


def _index_params(client: Any, dense: dict[str, Any]) -> Any:
    params = client.prepare_index_params()
    extra = {"nlist": dense["nlist"]} if "nlist" in dense else {}
    params.add_index(field_name="vector", index_type=dense["index_type"], metric_type="IP", params=extra)
    params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": bm25.K1, "bm25_b": bm25.B})
    return params


def _write(client: Any, name: str, level: list[Chunk], vectors: np.ndarray, schema: Any, index_params: Any,
           progress: Progress, done: int, total: int) -> int:
    """Drop and create one collection, insert its rows in batches, flush; returns rows done so far."""
    if client.has_collection(name):
        client.drop_collection(name)
    client.create_collection(name, schema=schema, index_params=index_params)
    for start in range(0, len(level), INSERT_BATCH):
        batch = level[start:start + INSERT_BATCH]
        client.insert(name, [{"id": c.chunk_id, "doc_id": c.doc_id, "text": bm25_text(c),
                              "vector": vectors[c.chunk_id].tolist()} for c in batch])
        done += len(batch)
        progress("milvus", done, total)
    client.flush(name)
    return done


def _row_counts(client: Any, base: str) -> dict[str, int] | None:
    """Rows per collection, or None when either is missing."""
    names = [f"{base}_{level}" for level in LEVELS]
    if not all(client.has_collection(n) for n in names):
        return None
    return {
        level: int(client.get_collection_stats(n)["row_count"])
        for level, n in zip(LEVELS, names, strict=True)
    }


def build(spec: StoreSpec, vectors: np.ndarray, chunks: Sequence[Chunk], terms: Sequence[str], *,
          exact_max_rows: int, progress: Progress) -> dict[str, Any]:
    """Write both collections unless identical ones are there; returns the manifest entry."""
    pm = _pymilvus()
    levels = {"units": [c for c in chunks if c.level == "unit"],
              "sentences": [c for c in chunks if c.level == "sentence"]}
    rows = {k: len(v) for k, v in levels.items()}
    dense = {k: dense_index(n, exact_max_rows) for k, n in rows.items()}
    params: dict[str, Any] = {
        "analyzer": analyzer(terms),
        "dense": dense,
        "bm25": [bm25.K1, bm25.B],
        "dim": int(vectors.shape[1]),
    }
    fp = content_sha256(chunks, vectors, params)
    base = collection_base(spec, fp)
    client = _client(spec, create=True)
    try:
        if spec.collection or _row_counts(client, base) != rows:
            done = 0
            schema = _schema(pm, int(vectors.shape[1]), params["analyzer"])
            for level, part in levels.items():
                done = _write(client, f"{base}_{level}", part, vectors, schema,
                              _index_params(client, dense[level]), progress, done, len(chunks))
        if _row_counts(client, base) != rows:
            raise IndexError_(f"写入 Milvus 后行数不符（{base}），{HINT}")
    except IndexError_:
        raise
    except Exception as err:  # pymilvus / grpc errors carry no common base class
        raise IndexError_(f"写入 Milvus 失败（{spec.uri}，{base}）：{err}") from err
    finally:
        client.close()  # an embedded Lite server keeps running (and locking its file) until `release`
    return {
        "store": "milvus",
        "uri": public_uri(spec.uri),
        "collection": base,
        "fingerprint": fp,
        "rows": rows,
        "dim": params["dim"],
        "dense_index": dense,
        "schema": SCHEMA_VERSION,
    }


# -- the question path ---------------------------------------------------------------------------


def _doc_filter(docs: Collection[str]) -> str:
    return f"doc_id in {json.dumps(sorted(docs), ensure_ascii=False)}" if docs else ""


def _hits(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores) of the first query's hits, as the server ordered them."""
    hits = result[0] if len(result) else []
    ids = np.fromiter((int(h["id"]) for h in hits), dtype=np.int64, count=len(hits))
    scores = np.fromiter((float(h["distance"]) for h in hits), dtype=np.float64, count=len(hits))
    return ids, scores


class MilvusStore:
    """Both collections of one index on a Milvus server (or embedded Milvus Lite)."""

    name = "milvus"
    exact = False
    fuses = True  # answers `ranked`: the hybrid search is fused on the server (rag/retrieve.py)

    def __init__(self, client: Any, spec: StoreSpec, entry: dict[str, Any]) -> None:
        self.client = client
        self.spec = spec
        self.base = str(entry["collection"])
        self.rows = {k: int(v) for k, v in entry["rows"].items()}
        self.dense_index = entry.get("dense_index", {})
        self._dim = int(entry["dim"])

    @classmethod
    def open(cls, spec: StoreSpec, entry: dict[str, Any]) -> MilvusStore:
        """Connect, check both collections hold what the local index expects, load them."""
        client = _client(spec)
        store = cls(client, spec, entry)
        try:
            found = _row_counts(client, store.base)
            if found != store.rows:
                what = "不存在" if found is None else f"行数 {found} 与本地索引 {store.rows} 不符"
                raise IndexError_(f"Milvus（{spec.uri}）中的集合 {store.base}_* {what}，{HINT}")
            for level in LEVELS:
                client.load_collection(f"{store.base}_{level}")
        except IndexError_:
            client.close()
            raise
        except Exception as err:
            client.close()
            raise IndexError_(f"Milvus 不可用（{spec.uri}）：{err}") from err
        return store

    def close(self) -> None:
        """Disconnect; an embedded Milvus Lite server stops, so another process may open its file."""
        self.client.close()
        release(self.spec)

    @property
    def ntotal(self) -> int:
        return sum(self.rows.values())

    @property
    def dim(self) -> int:
        return self._dim

    def _search_params(self, level: str, *, exhaustive: bool = False) -> dict[str, Any]:
        idx = self.dense_index.get(level, {})
        if "nlist" not in idx:
            return {"metric_type": "IP"}
        return {"metric_type": "IP", "params": {"nprobe": idx["nlist"] if exhaustive else idx["nprobe"]}}

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # a server gone away mid-question: a clear message, not a traceback
            raise IndexError_(f"Milvus 查询失败（{self.spec.uri}）：{err}") from err

    def ranked(self, q: np.ndarray | None, text: str | None, *, level: str, rrf_k: int,
               k: int | None = None, docs: Collection[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """One level's chunks ranked on the server: RRF (constant `rrf_k`) of the dense ANN route
        (when `q` is given) and the BM25 route (when `text` is), each returning its best k rows
        within `docs` (k: `RANK_K`). Returns (chunk ids, RRF scores), best first."""
        pm = _pymilvus()
        k = k or RANK_K
        expr = _doc_filter(docs)
        reqs = []
        if q is not None:
            reqs.append(pm.AnnSearchRequest([np.asarray(q, dtype=np.float32).tolist()], "vector",
                                            self._search_params(level), k, expr=expr))
        if text is not None:
            reqs.append(pm.AnnSearchRequest([text], "sparse", {"metric_type": "BM25"}, k, expr=expr))
        if not reqs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        res = self._call(self.client.hybrid_search, f"{self.base}_{level}", reqs, pm.RRFRanker(rrf_k),
                         limit=k * len(reqs), output_fields=["id"])  # [] means "all fields" to Milvus Lite
        return _hits(res)

    def _dense(self, level: str, q: np.ndarray, k: int, expr: str = "", *,
               exhaustive: bool = False) -> tuple[np.ndarray, np.ndarray]:
        res = self._call(
            self.client.search,
            f"{self.base}_{level}",
            [np.asarray(q, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=k,
            filter=expr,
            output_fields=["id"],
            search_params=self._search_params(level, exhaustive=exhaustive),
        )
        return _hits(res)

    def all_scores(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError("Milvus scores chosen rows (scores_for) or the best k (search)")

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best chunks by dense score over both collections: (scores, chunk ids)."""
        parts = [self._dense(level, q, min(k, self.rows[level])) for level in LEVELS if self.rows[level]]
        ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        top = np.lexsort((ids, -scores))[:k]
        return scores[top].astype(np.float32), ids[top]

    def scores_for(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact dense scores of the given chunk ids (searches filtered to them; -1 if absent)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), -1.0, dtype=np.float32)
        wanted = np.unique(rows)
        got: dict[int, float] = {}
        for start in range(0, len(wanted), MAX_IDS):
            ids = wanted[start:start + MAX_IDS].tolist()
            expr = f"id in [{','.join(map(str, ids))}]"
            for level in LEVELS:
                found, scores = self._dense(level, q, len(ids), expr, exhaustive=True)
                got.update(zip(found.tolist(), scores.tolist(), strict=True))
        for i, r in enumerate(rows.tolist()):
            out[i] = got.get(r, -1.0)
        return out
