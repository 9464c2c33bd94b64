"""Open an index folder: the manifest and cheap shape checks at once, the rest lazily and checked.

The folder's layout is described in rag/index.py (which builds it); rag/integrity.py lists every
check. Split from the build so the question path reads only what loading needs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import bm25, integrity, parsed
from .chunking import chunk_corpus
from .config import StoreSpec
from .corpus import corpus_hash, load_corpus, read_manifest
from .embed import Embedder
from .errors import IndexError_
from .records import Chunk, Document
from .stores import VECTOR_FILES, DenseStore, is_remote, mismatch, open_store
from .tokenize import Dictionary, Tokenizer, domain_terms

FORMAT_VERSION = 4  # 3: per-file sha256 and the manifest's own checksum; 4: documents.json
BM25_FILES = tuple(f"bm25.{m}.{a}.npy" for m in ("sentence", "unit") for a in bm25.ARRAYS)


FILES = ("manifest.json", parsed.NAME, "chunks.jsonl", "vectors.npy", "vector_keys.npy", "bm25.vocab.json",
         *BM25_FILES, "jieba.words.txt", "jieba.freq.npy")
Progress = Callable[[str, int, int], None]
REBUILD_HINT = integrity.REBUILD_HINT
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where sentence and unit chunks sit, as arrays retrieval indexes with."""

    sentence_ids: np.ndarray  # chunk ids of sentence chunks, in BM25-sentence-model order
    unit_ids: np.ndarray  # chunk ids of unit chunks, in BM25-unit-model order
    unit_of_sentence: np.ndarray  # for each sentence, the position of its unit in `unit_ids`
    sent_no: np.ndarray  # for each sentence, its number inside the unit
    unit_doc: np.ndarray  # for each unit, the position of its document in `Index.docs`
    sent_ptr: np.ndarray  # sentences of unit u: sent_by_unit[sent_ptr[u]:sent_ptr[u + 1]]
    sent_by_unit: np.ndarray
    grouped: bool  # sentences already sit unit by unit (chunk order does this): no gather needed

    def sentences_of(self, unit: int) -> np.ndarray:
        return self.sent_by_unit[self.sent_ptr[unit]:self.sent_ptr[unit + 1]]

    def unit_max(self, per_sentence: np.ndarray, initial: float,
                 where: np.ndarray | None = None) -> np.ndarray:
        """For each unit, the maximum over its sentences of `per_sentence` and `initial`.

        `where` (sentence positions) says only those can exceed `initial`: when they are few, only
        they are visited."""
        out = np.full(len(self.unit_ids), initial, dtype=np.float64)
        if where is not None and len(where) * 8 < len(per_sentence):
            np.maximum.at(out, self.unit_of_sentence[where], per_sentence[where])
            return out
        if len(per_sentence) == 0:
            return out
        grouped = per_sentence[self.sent_by_unit] if not self.grouped else per_sentence
        has = self.sent_ptr[1:] > self.sent_ptr[:-1]
        reduced = np.maximum.reduceat(grouped, self.sent_ptr[:-1][has])
        out[has] = np.maximum(out[has], reduced)
        return out


class Index:
    """A loaded index. Documents and manifest at once; the rest on first use, thread-safely."""

    def __init__(self, folder: Path, docs: list[Document], manifest: dict[str, Any], *,
                 threads: int = 1, preloaded: dict[str, Any] | None = None,
                 store: StoreSpec = StoreSpec()) -> None:
        self.folder = folder
        self.docs = docs
        self.manifest = manifest
        self.threads = threads
        self.store = store  # how to reach the dense store when it is a server (Milvus)
        self._lock = threading.RLock()
        self._parts: dict[str, Any] = dict(preloaded or {})
        self._verified: set[str] = set(self._parts)  # parts built in memory need no file check

    @property
    def primary(self) -> Document:
        return self.docs[0]

    def doc(self, doc_id: str) -> Document | None:
        return next((d for d in self.docs if d.doc_id == doc_id), None)

    def _part(self, name: str, what: str, loader: Callable[[], _T]) -> _T:
        if name not in self._parts:
            with self._lock:
                if name not in self._parts:
                    self._verify(name)
                    try:
                        self._parts[name] = loader()
                    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, MemoryError) as err:
                        raise IndexError_(f"索引文件已损坏：{self.folder / what}，{REBUILD_HINT}") from err
        return self._parts[name]  # type: ignore[no-any-return]

    def _verify(self, name: str) -> None:
        """The part's files against their sha256 in the manifest, once per loaded index."""
        files = self.manifest.get("files")
        if name in self._verified or not isinstance(files, dict):
            return
        names = {
            "chunks": ("chunks.jsonl",),
            "bm25": ("bm25.vocab.json", *BM25_FILES),
            "tokenizer": ("jieba.words.txt", "jieba.freq.npy"),
            "dense": (
                *(("vectors.npy",) if _local_vectors(self.manifest) else ()),
                *sorted(f for f in files if f.startswith("dense.")),
            ),
        }.get(name, ())
        integrity.verify_files(self.folder, self.manifest, names)
        self._verified.add(name)

    def loaded(self, name: str) -> bool:
        """Whether a lazy part (chunks, dense, bm25, tokenizer, layout) has been loaded."""
        return name in self._parts

    @property
    def chunks(self) -> list[Chunk]:
        return self._part("chunks", "chunks.jsonl",
                          lambda: _load_chunks(self.folder, self.manifest, self.docs))

    @property
    def dense(self) -> DenseStore:
        entry = self.manifest.get("dense") or {}
        return self._part("dense", "vectors.npy", lambda: _open_dense(self.folder, self.manifest, entry,
                                                                       self.threads, self.store))

    @property
    def bm25_sent(self) -> bm25.BM25:
        return self._bm25()[0]

    @property
    def bm25_unit(self) -> bm25.BM25:
        return self._bm25()[1]

    def _bm25(self) -> tuple[bm25.BM25, bm25.BM25]:
        return self._part("bm25", "bm25.vocab.json", lambda: _load_bm25(self.folder, self.manifest))

    @property
    def tokenizer(self) -> Tokenizer:
        return self._part("tokenizer", "jieba.words.txt",
                          lambda: _load_tokenizer(self.folder, self.manifest, self.docs))

    @property
    def layout(self) -> Layout:
        return self._part("layout", "chunks.jsonl", lambda: _layout(self.chunks, self.docs))


def _layout(chunks: Sequence[Chunk], docs: Sequence[Document]) -> Layout:
    sent = [c for c in chunks if c.level == "sentence"]
    units = [c for c in chunks if c.level == "unit"]
    pos = {c.key: i for i, c in enumerate(units)}
    doc_pos = {d.doc_id: i for i, d in enumerate(docs)}
    try:
        unit_of_sentence = [pos[c.key] for c in sent]
        unit_doc = [doc_pos.get(c.doc_id, -1) for c in units]
    except KeyError as err:
        raise ValueError(f"sentence chunk without its unit: {err}") from err
    of_sentence = np.array(unit_of_sentence, dtype=np.int64)
    ptr = np.zeros(len(units) + 1, dtype=np.int64)
    np.cumsum(np.bincount(of_sentence, minlength=len(units)), out=ptr[1:])
    by_unit = np.argsort(of_sentence, kind="stable")
    return Layout(np.array([c.chunk_id for c in sent], dtype=np.int64),
                  np.array([c.chunk_id for c in units], dtype=np.int64),
                  of_sentence, np.array([c.sent_no for c in sent], dtype=np.int64),
                  np.array(unit_doc, dtype=np.int64), ptr, by_unit,
                  bool(np.array_equal(by_unit, np.arange(len(by_unit)))))


def read_manifest_json(index_dir: Path) -> dict[str, Any] | None:
    """The index manifest, or None when there is no index folder at all."""
    path = index_dir / "manifest.json"
    if not index_dir.exists():
        return None
    if not index_dir.is_dir():
        raise IndexError_(f"索引目录不是文件夹：{index_dir}（请用 --index 指定一个文件夹）")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexError_(f"索引文件缺失：{path}，{REBUILD_HINT}") from err
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err
    if not isinstance(data, dict):
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}")
    return data


def staleness(index_dir: Path, corpus_dir: Path, emb: Embedder, store: StoreSpec | None = None) -> str:
    """Why the index must be rebuilt ("" when it is current): missing, corpus, embedder or (when
    given) the store changed."""
    manifest = read_manifest_json(index_dir)
    if manifest is None:
        return "索引不存在，正在构建"
    if manifest.get("format_version") != FORMAT_VERSION:
        return "索引格式已更新，正在重建"
    if manifest.get("corpus_sha256") != corpus_hash(corpus_dir, read_manifest(corpus_dir)):
        return "语料已变更，正在重建索引"
    if manifest.get("embedder") != emb.embedder_id:
        return f"向量模型已变更（{manifest.get('embedder')} → {emb.embedder_id}），正在重建索引"
    return mismatch(manifest.get("dense") or {}, store) if store is not None else ""


def _local_vectors(manifest: dict[str, Any]) -> bool:
    """The index folder holds the vectors answering reads (not a replica of a Milvus index)."""
    return not is_remote(manifest.get("dense") or {})


def required_files(manifest: dict[str, Any]) -> tuple[str, ...]:
    """What answering needs: every file, less the vectors when a server store (Milvus) holds them."""
    local = _local_vectors(manifest)
    return tuple(f for f in FILES if local or f not in VECTOR_FILES)


def load(corpus_dir: Path, index_dir: Path, emb: Embedder, *, threads: int = 1,
         store: StoreSpec = StoreSpec()) -> Index:
    """Open a current index: manifest, documents and cheap shape checks now, the rest on first use.
    A missing, truncated or inconsistent file raises `IndexError_` naming it."""
    manifest = read_manifest_json(index_dir)
    if manifest is None:
        raise IndexError_(f"索引不存在：{index_dir}，{REBUILD_HINT}")
    integrity.check_manifest(index_dir, manifest, FORMAT_VERSION)
    required = required_files(manifest)
    integrity.check_folder(index_dir, manifest, required[1:], optional=set(FILES) - set(required))
    _check_shapes(index_dir, manifest)
    docs = _documents(corpus_dir, index_dir, manifest)
    if len(docs) != manifest["counts"]["documents"]:
        recorded = manifest["counts"]["documents"]
        raise integrity.corrupt(index_dir / "manifest.json", f"记录 {recorded} 个文件，语料有 {len(docs)} 个")
    return Index(index_dir, docs, manifest, threads=threads, store=store)


def _documents(corpus_dir: Path, index_dir: Path, manifest: dict[str, Any]) -> list[Document]:
    """The parsed corpus the build saved, when the corpus is still the one it was built from;
    otherwise the corpus as it is now (whose chunks then fail their check against the index)."""
    if manifest.get("corpus_sha256") != corpus_hash(corpus_dir, read_manifest(corpus_dir)):
        return load_corpus(corpus_dir)
    integrity.verify_files(index_dir, manifest, [parsed.NAME])
    path = index_dir / parsed.NAME
    try:
        return parsed.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise integrity.corrupt(path, f"无法解析：{err}") from err


def require_current(index_dir: Path, corpus_dir: Path, emb: Embedder) -> None:
    """For commands that only read: IndexError_ saying to run `dangjian index` when the index is
    missing, stale or corrupt. They never build: a build is bounded work, but not a question's."""
    metas = read_manifest(corpus_dir)  # a broken corpus is the first thing to fix
    manifest = read_manifest_json(index_dir)
    if manifest is None:
        raise IndexError_(f"索引不存在：{index_dir}，请先运行 `dangjian index` 构建索引")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _stale(index_dir, "索引格式已更新")
    integrity.check_manifest(index_dir, manifest, FORMAT_VERSION)
    if manifest["corpus_sha256"] != corpus_hash(corpus_dir, metas):
        raise _stale(index_dir, "语料已变更")
    if manifest["embedder"] != emb.embedder_id:
        raise _stale(index_dir, f"向量模型已变更：{manifest['embedder']} → {emb.embedder_id}")


def _stale(index_dir: Path, why: str) -> IndexError_:
    return IndexError_(f"索引已过期（{why}）：{index_dir}，请运行 `dangjian index` 重建索引")


def _npy_shape(path: Path) -> tuple[int, ...]:
    """An .npy file's shape from its header, checking the file is as long as the header says."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err
    return tuple(int(n) for n in arr.shape)


def _check_shapes(index_dir: Path, manifest: dict[str, Any]) -> None:
    counts = manifest.get("counts")
    if not isinstance(counts, dict):
        raise IndexError_(f"索引文件已损坏：{index_dir / 'manifest.json'}，{REBUILD_HINT}")
    n, dim = counts.get("chunks"), manifest.get("dim")
    lines = _count_lines(index_dir / "chunks.jsonl")
    ok = (lines == n and (not _local_vectors(manifest) or (_npy_shape(index_dir / "vectors.npy") == (n, dim)
                                          and _npy_shape(index_dir / "vector_keys.npy") == (n, 32)))
          and _npy_shape(index_dir / "bm25.sentence.lengths.npy") == (counts.get("sentences"),)
          and _npy_shape(index_dir / "bm25.unit.lengths.npy") == (counts.get("units"),))
    for name in BM25_FILES:
        _npy_shape(index_dir / name)
    if not ok:
        raise IndexError_(f"索引文件数量不一致（{index_dir}），{REBUILD_HINT}")


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def _load_chunks(folder: Path, manifest: dict[str, Any], docs: Sequence[Document]) -> list[Chunk]:
    """The chunks, checked line by line and against chunking the corpus they were built from."""
    path = folder / "chunks.jsonl"
    with open(path, encoding="utf-8") as f:
        chunks = integrity.parse_chunks(path, (line for line in f if line.strip()))
    integrity.check_chunks(path, chunks, chunk_corpus(docs), manifest["counts"])
    return chunks


def _open_dense(folder: Path, manifest: dict[str, Any], entry: dict[str, Any], threads: int,
                spec: StoreSpec) -> DenseStore:
    store = open_store(folder, entry, threads=threads, spec=spec)
    if not _local_vectors(manifest):  # a replica of a Milvus index has no vector files
        return store
    integrity.check_vectors(folder / "vectors.npy", np.load(folder / "vectors.npy", mmap_mode="r"),
                            manifest["counts"]["chunks"], manifest["dim"])
    return store


def _load_bm25(folder: Path, manifest: dict[str, Any]) -> tuple[bm25.BM25, bm25.BM25]:
    counts = manifest["counts"]
    path = folder / "bm25.vocab.json"
    terms = integrity.check_vocab(path, json.loads(path.read_text(encoding="utf-8")), counts["terms"])
    for name, rows in (("sentence", counts["sentences"]), ("unit", counts["units"])):
        arrays = [np.load(folder / f"bm25.{name}.{key}.npy", allow_pickle=False) for key in bm25.ARRAYS]
        integrity.check_bm25(folder, name, arrays, rows, len(terms))
    vocab = {t: i for i, t in enumerate(terms)}
    return bm25.BM25.load(folder, "sentence", vocab), bm25.BM25.load(folder, "unit", vocab)


def _load_tokenizer(folder: Path, manifest: dict[str, Any], docs: Sequence[Document]) -> Tokenizer:
    if manifest.get("terms") != domain_terms(docs):  # words added to jieba: questions cut as the corpus did
        raise integrity.corrupt(folder / "manifest.json", "terms 与语料中的术语不一致")
    total = int(manifest["tokenizer"]["total"])
    return Tokenizer(manifest.get("terms", []), Dictionary.load(folder, total), copy=False)
