"""The corpus folder: a `manifest.toml` plus document files, loaded into `Document`s.

Reading, decoding and parsing are ingestion's (`rag.ingest`), so that what `dangjian add`
checked is exactly what the index is built from. They are imported when a file is parsed: opening a
current index reads the parsed corpus it saved and needs only the manifest and the hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import CorpusError, IngestError
from .ingest.manifest import MANIFEST, read_metas
from .records import DocMeta, Document

__all__ = ["MANIFEST", "corpus_hash", "decode", "load_corpus", "read_manifest"]


def decode(data: bytes, name: str) -> str:
    """A corpus file's text: the one decoder ingestion uses (UTF-8/UTF-16/GB18030/Big5)."""
    from .ingest.read import decode_bytes

    return decode_bytes(data, name)[0]


def read_manifest(corpus_dir: Path) -> list[DocMeta]:
    """The manifest's documents, validated (missing manifest, bad TOML, two primaries → CorpusError)."""
    return read_metas(corpus_dir)


def corpus_hash(corpus_dir: Path, metas: list[DocMeta]) -> str:
    """sha256 over the manifest and every listed file: what the index was built from."""
    h = hashlib.sha256((corpus_dir / MANIFEST).read_bytes())
    for m in metas:
        h.update(m.file.encode())
        h.update(_file(corpus_dir, m).read_bytes())
    return h.hexdigest()


def _file(corpus_dir: Path, meta: DocMeta) -> Path:
    path = corpus_dir / meta.file
    if not path.is_file():
        raise CorpusError(f"清单中列出的文件不存在：{path}")
    return path


def _load(corpus_dir: Path, meta: DocMeta) -> Document:
    from .ingest.parse import parse_document

    try:
        doc = parse_document(decode(_file(corpus_dir, meta).read_bytes(), meta.file), meta)
    except IngestError as err:
        raise CorpusError(f"文件 {meta.file} 无法载入：{err}") from err
    if not doc.numbered:
        raise CorpusError(f"文件 {meta.file} 中没有解析出任何编号条目")
    return doc


def load_corpus(corpus_dir: Path) -> list[Document]:
    """All documents, primary first."""
    docs = [_load(corpus_dir, m) for m in read_manifest(corpus_dir)]
    return sorted(docs, key=lambda d: not d.meta.primary)
