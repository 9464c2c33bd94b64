"""The corpus folder: a `manifest.toml` plus document files, loaded into `Document`s."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import fields
from pathlib import Path

from .errors import CorpusError
from .records import DocMeta, Document
from .articles import detect_scheme, parse_regulation
from .structure import parse_notice

MANIFEST = "manifest.toml"
_ENCODINGS = ("utf-8-sig", "gb18030")


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    for enc in _ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise CorpusError(f"无法识别文件编码：{name}（支持 UTF-8、GBK/GB18030）")


def read_manifest(corpus_dir: Path) -> list[DocMeta]:
    path = corpus_dir / MANIFEST
    if not path.is_file():
        raise CorpusError(f"语料目录缺少清单文件：{path}（请参照 README 创建 manifest.toml）")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CorpusError(f"清单文件格式错误：{path}：{err}") from err
    known = {f.name for f in fields(DocMeta)}
    metas = []
    for entry in data.get("documents", []):
        if not entry.get("doc_id") or not entry.get("file"):
            raise CorpusError(f"清单文件 {path} 中有条目缺少 doc_id 或 file")
        entry = {k: (tuple(v) if isinstance(v, list) else str(v) if k == "date" else v)
                 for k, v in entry.items() if k in known}
        metas.append(DocMeta(**entry))
    if not metas:
        raise CorpusError(f"清单文件 {path} 中没有任何文件")
    if sum(m.primary for m in metas) > 1:
        raise CorpusError(f"清单文件 {path} 中只能有一个 primary = true 的主文件")
    return metas


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


def parse_document(text: str, meta: DocMeta) -> Document:
    """Dispatch on the scheme the manifest names; a kind other than notice/regulation is detected."""
    scheme = meta.kind if meta.kind in ("notice", "regulation") else detect_scheme(text)
    return parse_regulation(text, meta) if scheme == "regulation" else parse_notice(text, meta)


def load_corpus(corpus_dir: Path) -> list[Document]:
    """All documents, primary first."""
    metas = read_manifest(corpus_dir)
    docs = [parse_document(decode(_file(corpus_dir, m).read_bytes(), m.file), m) for m in metas]
    for d in docs:
        if not d.numbered:
            raise CorpusError(f"文件 {d.meta.file} 中没有解析出任何编号条目")
    return sorted(docs, key=lambda d: not d.meta.primary)
