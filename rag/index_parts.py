"""The parts of an index that load on first use: chunks, layout, dense store, BM25, tokenizer.

Apart from rag/index_load.py so that opening an index and answering a reference (第8条) imports
neither numpy nor the stores: `Index` imports this module when a part is first asked for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import bm25, integrity
from .chunking import chunk_corpus
from .config import StoreSpec
from .records import Chunk, Document
from .stores import DenseStore, open_store
from .tokenize import Dictionary, Tokenizer, domain_terms


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


def layout(chunks: Sequence[Chunk], docs: Sequence[Document]) -> Layout:
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



def load_chunks(folder: Path, manifest: dict[str, Any], docs: Sequence[Document]) -> list[Chunk]:
    """The chunks, checked line by line and against chunking the corpus they were built from."""
    path = folder / "chunks.jsonl"
    with open(path, encoding="utf-8") as f:
        chunks = integrity.parse_chunks(path, (line for line in f if line.strip()))
    integrity.check_chunks(path, chunks, chunk_corpus(docs), manifest["counts"])
    return chunks


def open_dense(folder: Path, manifest: dict[str, Any], entry: dict[str, Any], threads: int,
               spec: StoreSpec, *, local: bool) -> DenseStore:
    store = open_store(folder, entry, threads=threads, spec=spec)
    if not local:  # a replica of a Milvus index has no vector files
        return store
    integrity.check_vectors(folder / "vectors.npy", np.load(folder / "vectors.npy", mmap_mode="r"),
                            manifest["counts"]["chunks"], manifest["dim"])
    return store


def load_bm25(folder: Path, manifest: dict[str, Any]) -> tuple[bm25.BM25, bm25.BM25]:
    counts = manifest["counts"]
    path = folder / "bm25.vocab.json"
    terms = integrity.check_vocab(path, json.loads(path.read_text(encoding="utf-8")), counts["terms"])
    for name, rows in (("sentence", counts["sentences"]), ("unit", counts["units"])):
        arrays = [np.load(folder / f"bm25.{name}.{key}.npy", allow_pickle=False) for key in bm25.ARRAYS]
        integrity.check_bm25(folder, name, arrays, rows, len(terms))
    vocab = {t: i for i, t in enumerate(terms)}
    return bm25.BM25.load(folder, "sentence", vocab), bm25.BM25.load(folder, "unit", vocab)


def load_tokenizer(folder: Path, manifest: dict[str, Any], docs: Sequence[Document]) -> Tokenizer:
    if manifest.get("terms") != domain_terms(docs):  # words added to jieba: questions cut as the corpus did
        raise integrity.corrupt(folder / "manifest.json", "terms 与语料中的术语不一致")
    total = int(manifest["tokenizer"]["total"])
    return Tokenizer(manifest.get("terms", []), Dictionary.load(folder, total), copy=False)
