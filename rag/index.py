"""Build, save and load the index: an inspectable folder, no pickle.

    index/
      manifest.json   format version, corpus sha256, embedder id and dimension, counts, terms
      chunks.jsonl    one chunk per line (unit and sentence level)
      vectors.faiss   faiss IndexFlatIP over normalised vectors, row i = chunk i
      bm25.json       two BM25 models (sentence level, unit level) over jieba tokens

Writes go to a sibling temp folder that is renamed into place, so a failed build leaves the
previous index serving.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import bm25, fsutil
from .chunking import chunk_corpus, embed_text
from .corpus import corpus_hash, load_corpus, read_manifest
from .embed import VectorEmbeddings
from .errors import IndexError_
from .records import Chunk, Document
from .tokenize import Tokenizer, domain_terms

FORMAT_VERSION = 1
FILES = ("manifest.json", "chunks.jsonl", "vectors.faiss", "bm25.json")
Progress = Callable[[str, int, int], None]
REBUILD_HINT = "请运行 `dangjian index` 重建索引"


@dataclass
class Index:
    """A loaded index: documents, chunks, vectors, BM25 models and the tokenizer they share."""

    docs: list[Document]
    chunks: list[Chunk]
    faiss_index: Any
    bm25_sent: bm25.BM25
    bm25_unit: bm25.BM25
    tokenizer: Tokenizer
    manifest: dict[str, Any]

    @property
    def primary(self) -> Document:
        return self.docs[0]

    def doc(self, doc_id: str) -> Document | None:
        return next((d for d in self.docs if d.doc_id == doc_id), None)

    @cached_property
    def sentence_ids(self) -> list[int]:
        """Chunk ids of sentence chunks, in BM25-sentence-model order."""
        return [c.chunk_id for c in self.chunks if c.level == "sentence"]

    @cached_property
    def unit_ids(self) -> list[int]:
        """Chunk ids of unit chunks, in BM25-unit-model order."""
        return [c.chunk_id for c in self.chunks if c.level == "unit"]

    @cached_property
    def unit_of_sentence(self) -> list[int]:
        """For each sentence chunk, the position of its unit in `unit_ids`."""
        pos = {self.chunks[cid].key: i for i, cid in enumerate(self.unit_ids)}
        return [pos[self.chunks[cid].key] for cid in self.sentence_ids]


def _noop(stage: str, done: int, total: int) -> None:
    pass


def _embed_all(emb: VectorEmbeddings, texts: list[str], progress: Progress) -> np.ndarray:
    batch = 32
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(emb.encode(texts[start : start + batch]))
        progress("embed", min(start + batch, len(texts)), len(texts))
    return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, emb.dim), np.float32)


def build(corpus_dir: Path, index_dir: Path, emb: VectorEmbeddings,
          progress: Progress = _noop) -> Index:
    """Parse, chunk, embed and save; the old index stays in place until the new one is complete."""
    import faiss

    fsutil.sweep_siblings(index_dir.resolve())  # what a killed build left: .index.tmp-*, .index.old-*
    docs = load_corpus(corpus_dir)
    progress("parse", len(docs), len(docs))
    chunks = chunk_corpus(docs)
    terms = domain_terms(docs)
    tok = Tokenizer(terms)
    vectors = _embed_all(emb, [embed_text(c) for c in chunks], progress)
    fidx = faiss.IndexFlatIP(emb.dim)
    fidx.add(vectors)
    sent_model = bm25.fit([tok.tokens(c.text) for c in chunks if c.level == "sentence"])
    unit_model = bm25.fit([tok.tokens(f"{c.context} {c.text}") for c in chunks if c.level == "unit"])
    manifest = {
        "format_version": FORMAT_VERSION,
        "corpus_sha256": corpus_hash(corpus_dir, read_manifest(corpus_dir)),
        "embedder": emb.embedder_id, "dim": emb.dim,
        "counts": {"documents": len(docs), "chunks": len(chunks),
                   "units": sum(c.level == "unit" for c in chunks),
                   "sentences": sum(c.level == "sentence" for c in chunks)},
        "terms": terms, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    _write_atomic(index_dir, manifest, chunks, fidx, sent_model, unit_model)
    progress("save", 1, 1)
    return Index(docs, chunks, fidx, sent_model, unit_model, tok, manifest)


def _write_atomic(index_dir: Path, manifest: dict[str, Any], chunks: list[Chunk], fidx: Any,
                  sent_model: bm25.BM25, unit_model: bm25.BM25) -> None:
    import faiss

    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = fsutil.make_temp_dir(index_dir)
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        faiss.write_index(fidx, str(tmp / "vectors.faiss"))
        (tmp / "bm25.json").write_text(json.dumps(
            {"sentence": sent_model.to_json(), "unit": unit_model.to_json()}, ensure_ascii=False),
            encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
        _swap(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(new: Path, target: Path) -> None:
    """Move `new` into `target`'s place; the old folder is removed only after the move."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{time.time_ns()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest_json(index_dir: Path) -> dict[str, Any] | None:
    """The index manifest, or None when there is no index folder at all."""
    path = index_dir / "manifest.json"
    if not index_dir.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise IndexError_(f"索引文件缺失：{path}，{REBUILD_HINT}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err
    if not isinstance(data, dict):
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}")
    return data


def staleness(index_dir: Path, corpus_dir: Path, emb: VectorEmbeddings) -> str:
    """Why the index must be rebuilt ("" when it is current): missing, corpus or embedder changed."""
    manifest = read_manifest_json(index_dir)
    if manifest is None:
        return "索引不存在，正在构建"
    if manifest.get("format_version") != FORMAT_VERSION:
        return "索引格式已更新，正在重建"
    if manifest.get("corpus_sha256") != corpus_hash(corpus_dir, read_manifest(corpus_dir)):
        return "语料已变更，正在重建索引"
    if manifest.get("embedder") != emb.embedder_id:
        return f"向量模型已变更（{manifest.get('embedder')} → {emb.embedder_id}），正在重建索引"
    return ""


def load(corpus_dir: Path, index_dir: Path, emb: VectorEmbeddings) -> Index:
    """Load a current index; any missing, corrupt or inconsistent file raises `IndexError_`."""
    manifest = read_manifest_json(index_dir)
    if manifest is None:
        raise IndexError_(f"索引不存在：{index_dir}，{REBUILD_HINT}")
    for name in FILES:
        if not (index_dir / name).is_file():
            raise IndexError_(f"索引文件缺失：{index_dir / name}，{REBUILD_HINT}")
    chunks = _load_chunks(index_dir / "chunks.jsonl")
    fidx = _load_faiss(index_dir / "vectors.faiss")
    sent_model, unit_model = _load_bm25(index_dir / "bm25.json")
    counts = manifest.get("counts", {})
    if not (len(chunks) == fidx.ntotal == counts.get("chunks")
            and len(sent_model.tfs) == counts.get("sentences")
            and len(unit_model.tfs) == counts.get("units") and fidx.d == manifest.get("dim") == emb.dim):
        raise IndexError_(f"索引文件数量不一致（{index_dir}），{REBUILD_HINT}")
    docs = load_corpus(corpus_dir)
    return Index(docs, chunks, fidx, sent_model, unit_model,
                 Tokenizer(manifest.get("terms", [])), manifest)


def _load_chunks(path: Path) -> list[Chunk]:
    try:
        with open(path, encoding="utf-8") as f:
            return [Chunk(**json.loads(line)) for line in f if line.strip()]
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err


def _load_faiss(path: Path) -> Any:
    import faiss

    try:
        return faiss.read_index(str(path))
    except RuntimeError as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err


def _load_bm25(path: Path) -> tuple[bm25.BM25, bm25.BM25]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return bm25.BM25.from_json(data["sentence"]), bm25.BM25.from_json(data["unit"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, UnicodeDecodeError) as err:
        raise IndexError_(f"索引文件已损坏：{path}，{REBUILD_HINT}") from err


def open_index(corpus_dir: Path, index_dir: Path, emb: VectorEmbeddings,
               progress: Progress = _noop, notify: Callable[[str], None] = lambda _m: None) -> Index:
    """Load the index, building or rebuilding it first when it is missing or stale."""
    reason = staleness(index_dir, corpus_dir, emb)
    if reason:
        notify(reason)
        return build(corpus_dir, index_dir, emb, progress)
    return load(corpus_dir, index_dir, emb)
