"""Build, save and load the index: an inspectable folder of JSON and `.npy` files, no pickle.

    index/
      manifest.json            format version, corpus sha256, embedder, counts, terms, dense store,
                               tokenizer dictionary identity, what the last build embedded,
                               the doc_ids it answers (a listed document missing there is pending)
      documents.json           the parsed corpus (rag/parsed.py): opening a current index does
                               not parse the documents again
      chunks.jsonl             one chunk per line (unit and sentence level)
      vectors.npy              float32 normalised vectors, row i = chunk i
      vector_keys.npy          sha256 of the text each row embedded (n × 32 bytes): a rebuild's
                               vector cache
      dense.*                  the dense store's own files when it is not exact (rag/stores/)
      bm25.vocab.json          the terms; bm25.{sentence,unit}.{indptr,indices,tf,lengths}.npy
                               the two BM25 models as sparse term-major matrices (rag/bm25.py)
      jieba.words.txt, jieba.freq.npy   jieba's prefix dictionary, so loading skips jieba's start-up

Loading (rag/index_load.py) is lazy: `load` reads the manifest and the documents (all a reference
lookup needs) and checks the files' sizes and shapes; chunks, vectors, BM25 and the tokenizer load
on first use, each file checked against its sha256 in the manifest first (rag/integrity.py lists
every check). A rebuild reuses the previous index's vectors for every text it already embedded
(same embedder, checksums intact), so `dangjian add` embeds only the new document's chunks. Writes
go to a sibling temp folder renamed into place, so a failed build leaves the previous index serving.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from . import bm25, fsutil, integrity, parsed
from .chunking import chunk_corpus, embed_text
from .config import StoreSpec
from .corpus import corpus_hash, load_corpus, read_manifest
from .embed import Embedder
from .errors import IndexError_
from .index_load import (
    BM25_FILES,
    FILES,
    FORMAT_VERSION,
    REBUILD_HINT,
    Index,
    Progress,
    load,
    pending_documents,
    read_manifest_json,
    require_current,
    required_files,
    staleness,
)
from .index_parts import Layout
from .records import Chunk, Document
from .stores import EXACT_MAX_ROWS, build_store, resolve
from .tokenize import Dictionary, Tokenizer, cached_dictionary, dictionary_sha256, domain_terms

__all__ = [
    "BM25_FILES",
    "EMBED_BATCH",
    "FILES",
    "FORMAT_VERSION",
    "REBUILD_HINT",
    "Index",
    "Layout",
    "Progress",
    "build",
    "load",
    "open_index",
    "pending_documents",
    "read_manifest_json",
    "require_current",
    "required_files",
    "staleness",
    "text_key",
]

EMBED_BATCH = 64


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
        "doc_ids": [d.doc_id for d in docs],  # what it answers: a listed document not here is pending
        "tokenizer": {"dict_sha256": sha, "total": dictionary.total},
        "vectors": {"embedded": embedded, "reused": len({r.tobytes() for r in keys}) - embedded},
    }
    tmp = fsutil.make_temp_dir(index_dir)
    try:
        manifest["dense"] = build_store(tmp, vectors, threads=threads, exact_max_rows=exact_max_rows,
                                        spec=store, chunks=chunks, terms=terms, progress=progress)
        manifest = _write(tmp, manifest, docs, chunks, vectors, keys, (sent_model, unit_model), dictionary)
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


def _write(tmp: Path, manifest: dict[str, Any], docs: list[Document], chunks: Sequence[Chunk],
           vectors: np.ndarray, keys: np.ndarray, models: tuple[bm25.BM25, bm25.BM25],
           dictionary: Dictionary) -> dict[str, Any]:
    """Every file, then the manifest sealed with their checksums (written last); returns it."""
    (tmp / parsed.NAME).write_text(parsed.dumps(docs), encoding="utf-8")
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


def open_index(corpus_dir: Path, index_dir: Path, emb: Embedder,
               progress: Progress = _noop, notify: Callable[[str], None] = lambda _m: None, *,
               threads: int = 1, store: StoreSpec = StoreSpec()) -> Index:
    """Load the index, building or rebuilding it first when it is missing or stale."""
    reason = staleness(index_dir, corpus_dir, emb, store)
    if reason:
        notify(reason)
        return build(corpus_dir, index_dir, emb, progress, threads=threads, store=store)
    return load(corpus_dir, index_dir, emb, threads=threads, store=store)
