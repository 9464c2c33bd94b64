"""Open an index folder: the manifest and cheap shape checks at once, the rest lazily and checked.

The folder's layout is described in rag/index.py (which builds it); rag/integrity.py lists every
check. Split from the build so the question path reads only what loading needs.
"""

from __future__ import annotations

import ast
import json
import re
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import integrity, parsed
from .config import StoreSpec
from .corpus import corpus_hash, load_corpus, read_manifest
from .errors import CorpusError, IndexError_
from .records import Chunk, DocMeta, Document
from .stores import VECTOR_FILES, is_remote, mismatch

if TYPE_CHECKING:  # the parts load on first use (rag/index_parts.py): a reference needs no numpy
    from .bm25 import BM25
    from .embed import Embedder
    from .index_parts import Layout
    from .stores import DenseStore
    from .tokenize import Tokenizer

FORMAT_VERSION = 4  # 3: per-file sha256 and the manifest's own checksum; 4: documents.json
BM25_ARRAYS = ("indptr", "indices", "tf", "lengths")  # bm25.ARRAYS (a test holds them equal)
BM25_FILES = tuple(f"bm25.{m}.{a}.npy" for m in ("sentence", "unit") for a in BM25_ARRAYS)


FILES = ("manifest.json", parsed.NAME, "chunks.jsonl", "vectors.npy", "vector_keys.npy", "bm25.vocab.json",
         *BM25_FILES, "jieba.words.txt", "jieba.freq.npy")
Progress = Callable[[str, int, int], None]
REBUILD_HINT = integrity.REBUILD_HINT
PENDING_HINT = "请再运行一次 `dangjian add 同一文件` 完成添加，或运行 `dangjian index` 重建索引"
_FIRST_FILE = {"chunks": "chunks.jsonl", "dense": "vectors.npy", "bm25": "bm25.vocab.json",
               "tokenizer": "jieba.words.txt", "layout": "chunks.jsonl"}  # named when a part cannot be read


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

    def _part(self, name: str) -> Any:
        """A lazy part: read a dozen times per question, so a loaded one is one dict lookup."""
        part = self._parts.get(name)
        return part if part is not None else self._load(name)

    def _load(self, name: str) -> Any:
        """Load (and verify) a part on first use; a damaged file is an `IndexError_`."""
        with self._lock:
            if name not in self._parts:
                self._verify(name)
                try:
                    self._parts[name] = self._build(name)
                except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, MemoryError) as err:
                    damaged = self.folder / _FIRST_FILE[name]
                    raise IndexError_(f"索引文件已损坏：{damaged}，{REBUILD_HINT}") from err
        return self._parts[name]

    def _build(self, name: str) -> Any:
        from . import index_parts as parts

        if name == "dense":
            entry = self.manifest.get("dense") or {}
            return parts.open_dense(self.folder, self.manifest, entry, self.threads, self.store,
                                    local=_local_vectors(self.manifest))
        if name == "chunks":
            return parts.load_chunks(self.folder, self.manifest, self.docs)
        if name == "bm25":
            return parts.load_bm25(self.folder, self.manifest)
        if name == "tokenizer":
            return parts.load_tokenizer(self.folder, self.manifest, self.docs)
        return parts.layout(self.chunks, self.docs)

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
        return self._part("chunks")  # type: ignore[no-any-return]

    @property
    def dense(self) -> DenseStore:
        return self._part("dense")  # type: ignore[no-any-return]

    @property
    def bm25_sent(self) -> BM25:
        return self._part("bm25")[0]  # type: ignore[no-any-return]

    @property
    def bm25_unit(self) -> BM25:
        return self._part("bm25")[1]  # type: ignore[no-any-return]

    @property
    def tokenizer(self) -> Tokenizer:
        return self._part("tokenizer")  # type: ignore[no-any-return]

    @property
    def layout(self) -> Layout:
        return self._part("layout")  # type: ignore[no-any-return]


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
    data = integrity.read_verified(index_dir, manifest, parsed.NAME)
    path = index_dir / parsed.NAME
    try:
        return parsed.loads(data.decode("utf-8"))
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
        pending = [m for m in metas if m.doc_id in set(_pending_ids(index_dir, manifest, metas))]
        if pending:
            names = "、".join(f"《{m.title or m.doc_id}》（{m.doc_id}）" for m in pending)
            raise IndexError_(f"索引已过期（语料已变更）：{index_dir}；"
                              f"以下文件的添加没有完成，暂时无法回答：{names}，{PENDING_HINT}")
        raise _stale(index_dir, "语料已变更")
    if manifest["embedder"] != emb.embedder_id:
        raise _stale(index_dir, f"向量模型已变更：{manifest['embedder']} → {emb.embedder_id}")


def _stale(index_dir: Path, why: str) -> IndexError_:
    return IndexError_(f"索引已过期（{why}）：{index_dir}，请运行 `dangjian index` 重建索引")


def indexed_doc_ids(index_dir: Path, manifest: dict[str, Any]) -> list[str] | None:
    """The doc_ids an index answers: its manifest's list, or (an index built before that list
    existed) its documents.json; None when neither can be read."""
    ids = manifest.get("doc_ids")
    if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
        return list(ids)
    try:
        data = json.loads((index_dir / parsed.NAME).read_text(encoding="utf-8"))
        return [str(d["meta"]["doc_id"]) for d in data["documents"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _pending_ids(index_dir: Path, manifest: dict[str, Any], metas: list[DocMeta]) -> list[str]:
    ids = indexed_doc_ids(index_dir, manifest)
    if ids is None:
        return []
    known = set(ids)
    return [m.doc_id for m in metas if m.doc_id not in known]


def pending_documents(index_dir: Path, corpus_dir: Path) -> list[str]:
    """doc_ids the corpus manifest lists but the index does not answer: an add (or a registration)
    whose rebuild did not finish — killed, failed, or still running. [] when there is no index yet
    (then nothing is answerable and the missing index is the message) or it cannot be read."""
    try:
        manifest = read_manifest_json(index_dir)
        metas = read_manifest(corpus_dir)
    except (IndexError_, CorpusError):
        return []
    return _pending_ids(index_dir, manifest, metas) if manifest is not None else []


_NPY_MAGIC = b"\x93NUMPY"
_NPY_DESCR = re.compile(r"[<>|=]([biufcSUV])(\d+)")


def _npy_shape(path: Path) -> tuple[int, ...]:
    """An .npy file's shape from its header (the format numpy documents; read here without numpy),
    checking the file holds the data the header promises and is no pickle."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 10 or head[:6] != _NPY_MAGIC or head[6] not in (1, 2, 3):
                raise ValueError("not an .npy file")
            wide = head[6] > 1
            (size,), start = struct.unpack_from("<I" if wide else "<H", head, 8), 12 if wide else 10
            f.seek(start)
            header = ast.literal_eval(f.read(size).decode("utf-8" if head[6] == 3 else "latin1"))
            f.seek(0, 2)
            length = f.tell()
        descr, shape = header["descr"], header["shape"]
        kind = _NPY_DESCR.fullmatch(descr) if isinstance(descr, str) else None
        counts_ok = isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)
        if kind is None or not counts_ok:
            raise ValueError(f"unsupported header {header!r}")
        items = 1
        for n in shape:
            items *= n
        width = int(kind.group(2)) * (4 if kind.group(1) == "U" else 1)
        if length < start + size + items * width:
            raise ValueError("shorter than its header says")
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, UnicodeDecodeError, struct.error) as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err
    return tuple(shape)


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
