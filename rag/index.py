"""Build, save and load the index: an inspectable folder of JSON and `.npy` files, no pickle.

    index/
      manifest.json            format version, corpus sha256, embedder, counts, terms, dense store,
                               tokenizer dictionary identity, what the last build embedded
      chunks.jsonl             one chunk per line (unit and sentence level)
      vectors.npy              float32 normalised vectors, row i = chunk i
      vector_keys.npy          sha256 of the text each row embedded (n × 32 bytes): a rebuild's
                               vector cache
      dense.*                  the dense store's own files when it is not exact (rag/stores/)
      bm25.vocab.json          the terms; bm25.{sentence,unit}.{indptr,indices,tf,lengths}.npy
                               the two BM25 models as sparse term-major matrices (rag/bm25.py)
      jieba.words.txt, jieba.freq.npy   jieba's prefix dictionary, so loading skips jieba's start-up

Loading is lazy: `load` reads the manifest and the documents (all a reference lookup needs) and
checks the files' sizes and shapes; chunks, vectors, BM25 and the tokenizer load on first use, each
file checked against its sha256 in the manifest first (rag/integrity.py lists every check). A
rebuild reuses the previous index's vectors for every text it already embedded (same embedder,
checksums intact), so `dangjian add` embeds only the new document's chunks. Writes go to a sibling
temp folder renamed into place, so a failed build leaves the previous index serving.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import bm25, fsutil, integrity
from .chunking import chunk_corpus, embed_text
from .corpus import corpus_hash, load_corpus, read_manifest
from .config import StoreSpec
from .embed import Embedder
from .errors import IndexError_
from .records import Chunk, Document
from .stores import EXACT_MAX_ROWS, VECTOR_FILES, DenseStore, build_store, is_remote, mismatch, open_store, resolve
from .tokenize import Dictionary, Tokenizer, cached_dictionary, dictionary_sha256, domain_terms

FORMAT_VERSION = 3  # 3: per-file sha256 and the manifest's own checksum
BM25_FILES = tuple(f"bm25.{m}.{a}.npy" for m in ("sentence", "unit") for a in bm25.ARRAYS)
FILES = ("manifest.json", "chunks.jsonl", "vectors.npy", "vector_keys.npy", "bm25.vocab.json",
         *BM25_FILES, "jieba.words.txt", "jieba.freq.npy")
Progress = Callable[[str, int, int], None]
REBUILD_HINT = integrity.REBUILD_HINT
EMBED_BATCH = 64
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
        names = {"chunks": ("chunks.jsonl",), "bm25": ("bm25.vocab.json", *BM25_FILES),
                 "tokenizer": ("jieba.words.txt", "jieba.freq.npy"),
                 "dense": (*(f for f in VECTOR_FILES[:1] if f in required_files(self.manifest)), *sorted(f for f in files if f.startswith("dense.")))}.get(name, ())
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


# -- build ----------------------------------------------------------------------------------------


def _noop(stage: str, done: int, total: int) -> None:
    pass


def text_key(text: str) -> bytes:
    """The vector cache key of an embedded text (the embedder id is checked per index)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _previous(index_dir: Path, emb: Embedder) -> tuple[dict[str, Any] | None, dict[bytes, int], Any]:
    """The previous index's manifest, and its vectors by text key when the embedder is the same."""
    try:
        manifest = read_manifest_json(index_dir)
    except IndexError_:
        return None, {}, None
    if manifest is None or manifest.get("embedder") != emb.embedder_id:
        return manifest, {}, None
    if not _verified(index_dir, manifest, ("vectors.npy", "vector_keys.npy")):
        return manifest, {}, None  # never reuse vectors a corrupt index holds
    try:
        keys = np.load(index_dir / "vector_keys.npy", allow_pickle=False)
        vectors = np.load(index_dir / "vectors.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return manifest, {}, None
    if keys.dtype != np.uint8 or keys.shape != (len(vectors), 32) or vectors.ndim != 2:
        return manifest, {}, None
    raw = keys.tobytes()
    return manifest, {raw[i * 32:(i + 1) * 32]: i for i in range(len(keys))}, vectors


def _embed(emb: Embedder, texts: list[str], index_dir: Path,
           progress: Progress) -> tuple[np.ndarray, np.ndarray, int]:
    """Vectors for `texts`: reused from the previous index by text key, the rest embedded once each."""
    keys = [text_key(t) for t in texts]
    _manifest, cached, old = _previous(index_dir, emb)
    todo = list(dict.fromkeys(k for k in keys if k not in cached))
    text_of = dict(zip(keys, texts, strict=True))
    fresh: dict[bytes, np.ndarray] = {}
    progress("embed", 0, len(todo))
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start:start + EMBED_BATCH]
        fresh.update(zip(batch, emb.encode([text_of[k] for k in batch]), strict=True))
        progress("embed", min(start + EMBED_BATCH, len(todo)), len(todo))
    dim = old.shape[1] if old is not None and not fresh else emb.dim
    vectors = np.empty((len(texts), dim), dtype=np.float32)
    for row, key in enumerate(keys):
        vectors[row] = fresh[key] if key in fresh else old[cached[key]]
    key_rows = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32)
    return vectors, key_rows, len(todo)


def build(corpus_dir: Path, index_dir: Path, emb: Embedder, progress: Progress = _noop, *,
          threads: int = 1, exact_max_rows: int = EXACT_MAX_ROWS, store: StoreSpec = StoreSpec()) -> Index:
    """Parse, chunk, embed what is new, count terms, save; the old index serves until the new one
    is complete. Progress stages: parse, embed (texts to embed), tokenize, milvus (rows written,
    for that store), save."""
    index_dir = index_dir.resolve()
    fsutil.sweep_siblings(index_dir)  # what a killed build left: .index.tmp-*, .index.old-*
    docs = load_corpus(corpus_dir)
    progress("parse", len(docs), len(docs))
    chunks = chunk_corpus(docs)
    terms = domain_terms(docs)
    previous = _previous_manifest(index_dir)
    store = resolve(store, (previous or {}).get("dense") or {}, index_dir)  # "auto" keeps the previous kind
    sha = dictionary_sha256()
    cache_ok = previous is not None and _verified(index_dir, previous, ("jieba.words.txt", "jieba.freq.npy"))
    dictionary = cached_dictionary(index_dir if cache_ok else None, (previous or {}).get("tokenizer"), sha)
    vectors, keys, embedded = _embed(emb, [embed_text(c) for c in chunks], index_dir, progress)
    tok = Tokenizer(terms, dictionary, copy=True)
    sent_model, unit_model = _fit_bm25(tok, chunks, progress)
    manifest = {
        "format_version": FORMAT_VERSION,
        "corpus_sha256": corpus_hash(corpus_dir, read_manifest(corpus_dir)),
        "embedder": emb.embedder_id, "dim": int(vectors.shape[1]),
        "counts": {"documents": len(docs), "chunks": len(chunks),
                   "units": sum(c.level == "unit" for c in chunks),
                   "sentences": sum(c.level == "sentence" for c in chunks),
                   "terms": len(sent_model.vocab)},
        "terms": terms, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "tokenizer": {"dict_sha256": sha, "total": dictionary.total},
        "vectors": {"embedded": embedded, "reused": len({r.tobytes() for r in keys}) - embedded},
    }
    tmp = fsutil.make_temp_dir(index_dir)
    try:
        manifest["dense"] = build_store(tmp, vectors, threads=threads, exact_max_rows=exact_max_rows,
                                        spec=store, chunks=chunks, terms=terms, progress=progress)
        manifest = _write(tmp, manifest, chunks, vectors, keys, (sent_model, unit_model), dictionary)
        progress("save", 1, 1)
        _swap(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    parts = {"chunks": chunks, "bm25": (sent_model, unit_model), "tokenizer": tok}
    return Index(index_dir, docs, manifest, threads=threads, preloaded=parts, store=store)


def _verified(index_dir: Path, manifest: dict[str, Any], names: Sequence[str]) -> bool:
    """Whether the previous index's manifest is intact and these files match their checksums."""
    try:
        integrity.check_manifest(index_dir, manifest, FORMAT_VERSION)
        integrity.verify_files(index_dir, manifest, names)
    except IndexError_:
        return False
    return True


def _previous_manifest(index_dir: Path) -> dict[str, Any] | None:
    try:
        return read_manifest_json(index_dir)
    except IndexError_:
        return None


def _fit_bm25(tok: Tokenizer, chunks: Sequence[Chunk], progress: Progress) -> tuple[bm25.BM25, bm25.BM25]:
    """Both models over one vocabulary (sentence text; unit context + text)."""
    sentences, units = [], []
    for n, c in enumerate(chunks, 1):
        if c.level == "sentence":
            sentences.append(tok.tokens(c.text))
        else:
            units.append(tok.tokens(f"{c.context} {c.text}"))
        if n % 2000 == 0 or n == len(chunks):
            progress("tokenize", n, len(chunks))
    vocab: dict[str, int] = {}
    sent_model = bm25.fit(sentences, vocab)
    unit_model = bm25.fit(units, vocab)
    return bm25.extend_vocab(sent_model, vocab), unit_model


def _write(tmp: Path, manifest: dict[str, Any], chunks: Sequence[Chunk], vectors: np.ndarray,
           keys: np.ndarray, models: tuple[bm25.BM25, bm25.BM25], dictionary: Dictionary) -> dict[str, Any]:
    """Every file, then the manifest sealed with their checksums (written last); returns it."""
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
    np.save(tmp / "vector_keys.npy", keys, allow_pickle=False)
    vocab = sorted(models[0].vocab, key=models[0].vocab.__getitem__)
    (tmp / "bm25.vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    models[0].save(tmp, "sentence")
    models[1].save(tmp, "unit")
    dictionary.save(tmp)
    sealed = integrity.seal(manifest, tmp)
    (tmp / "manifest.json").write_text(json.dumps(sealed, ensure_ascii=False, indent=2), encoding="utf-8")
    return sealed


# -- the folder ------------------------------------------------------------------------------------


def _swap(new: Path, target: Path) -> None:
    """Move `new` into `target`'s place; the old folder is removed only after the move."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{time.time_ns()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- load -----------------------------------------------------------------------------------------


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


def required_files(manifest: dict[str, Any]) -> tuple[str, ...]:
    """What answering needs: every file, less the vectors when a server store (Milvus) holds them."""
    remote = is_remote(manifest.get("dense") or {})
    return tuple(f for f in FILES if not (remote and f in VECTOR_FILES))


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
    docs = load_corpus(corpus_dir)
    if len(docs) != manifest["counts"]["documents"]:
        recorded = manifest["counts"]["documents"]
        raise integrity.corrupt(index_dir / "manifest.json", f"记录 {recorded} 个文件，语料有 {len(docs)} 个")
    return Index(index_dir, docs, manifest, threads=threads, store=store)


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
    vectors = "vectors.npy" in required_files(manifest)
    ok = (lines == n and (not vectors or (_npy_shape(index_dir / "vectors.npy") == (n, dim)
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
    if "vectors.npy" not in required_files(manifest):  # a replica of a Milvus index has no vector files
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


def open_index(corpus_dir: Path, index_dir: Path, emb: Embedder,
               progress: Progress = _noop, notify: Callable[[str], None] = lambda _m: None, *,
               threads: int = 1, store: StoreSpec = StoreSpec()) -> Index:
    """Load the index, building or rebuilding it first when it is missing or stale."""
    reason = staleness(index_dir, corpus_dir, emb, store)
    if reason:
        notify(reason)
        return build(corpus_dir, index_dir, emb, progress, threads=threads, store=store)
    return load(corpus_dir, index_dir, emb, threads=threads, store=store)
