"""Is an index folder exactly what `build` wrote? Checks for every file of it, each with a Chinese
error that names the file and the command that repairs it.

    manifest.json   schema (types of every field), its own sha256 over the rest ("checksum")
    every file      listed in the manifest with its sha256 and size; nothing missing, nothing extra
    at load         sizes only (a stat each); a file's sha256 is computed once, before its first read
    chunks.jsonl    field names and types, ids 0…n-1 in order, and equal to chunking the parsed corpus
    vectors.npy     float32, n × dim, finite, unit length (or zero)
    bm25.*          integer arrays, one row per unit / sentence, lengths = summed term frequencies

A reference lookup (第8条) reads nothing but the manifest and the corpus, so it hashes nothing;
a free question verifies the parts it loads. Nothing here repairs: the CLI says to run
`dangjian index`, the server rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import IndexError_
from .records import Chunk

if TYPE_CHECKING:  # numpy loads with the arrays it checks or saves, not with the index
    import numpy as np

_T = TypeVar("_T")
REBUILD_HINT = "请运行 `dangjian index` 重建索引"
MANIFEST = "manifest.json"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK_FIELDS = {"chunk_id": int, "doc_id": str, "ref": str, "level": str, "sent_no": int, "text": str,
                 "context": str}
_COUNTS = ("documents", "chunks", "units", "sentences", "terms")


def corrupt(path: Path, why: str) -> IndexError_:
    return IndexError_(f"索引文件已损坏：{path}（{why}），{REBUILD_HINT}")


def missing(path: Path) -> IndexError_:
    return IndexError_(f"索引文件缺失：{path}，{REBUILD_HINT}")


# -- writing ----------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    """{name: {"sha256", "bytes"}} for every file `build` wrote into `folder` (the manifest aside)."""
    return {p.name: {"sha256": file_sha256(p), "bytes": p.stat().st_size}
            for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest without its own "checksum" field, in a canonical form."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(manifest: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The manifest with the files' checksums and its own checksum: call last, after every file is written."""
    sealed = {**manifest, "files": describe_files(folder)}
    sealed["checksum"] = manifest_checksum(sealed)
    return sealed


# -- the manifest -----------------------------------------------------------------------------------


def _is_int(value: object, *, minimum: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _schema_problem(m: dict[str, Any], format_version: int) -> str:
    """What is wrong with the manifest's fields, or ""."""
    counts, tok, dense, files = m.get("counts"), m.get("tokenizer"), m.get("dense"), m.get("files")
    checks: list[tuple[bool, str]] = [
        (m.get("format_version") == format_version, "format_version"),
        (isinstance(m.get("corpus_sha256"), str) and bool(_HEX64.match(m["corpus_sha256"])), "corpus_sha256"),
        (isinstance(m.get("embedder"), str) and bool(m["embedder"]), "embedder"),
        (_is_int(m.get("dim"), minimum=1), "dim"),
        (isinstance(counts, dict) and all(_is_int(counts.get(k)) for k in _COUNTS), "counts"),
        (isinstance(m.get("terms"), list) and all(isinstance(t, str) for t in m["terms"]), "terms"),
        (isinstance(tok, dict) and isinstance(tok.get("dict_sha256"), str)
         and _is_int(tok.get("total"), minimum=1), "tokenizer"),
        (isinstance(dense, dict) and isinstance(dense.get("store"), str), "dense"),
        (isinstance(files, dict) and all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) and bool(_HEX64.match(v["sha256"]))
            and _is_int(v.get("bytes")) for v in files.values()), "files"),
    ]
    bad = [name for ok, name in checks if not ok]
    if bad:
        return f"字段 {'、'.join(bad)} 缺失或类型不对"
    assert isinstance(counts, dict)  # checked above
    if counts["chunks"] != counts["units"] + counts["sentences"]:
        return "counts.chunks 不等于 units + sentences"
    return ""


def check_manifest(folder: Path, manifest: dict[str, Any], format_version: int) -> None:
    """Schema, then the manifest's own checksum: an edited manifest is as corrupt as a truncated one."""
    path = folder / MANIFEST
    problem = _schema_problem(manifest, format_version)
    if problem:
        raise corrupt(path, problem)
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise corrupt(path, "校验和不符")


def check_folder(folder: Path, manifest: dict[str, Any], required: Iterable[str],
                 optional: Iterable[str] = ()) -> None:
    """Every listed file present with its recorded size (an `optional` one may be absent: a Milvus
    replica has no vector files), every required file listed, nothing else."""
    files: dict[str, dict[str, Any]] = manifest["files"]
    absent_ok = set(optional)
    for name in required:
        if name not in files:
            raise corrupt(folder / MANIFEST, f"没有列出 {name}")
    for name, entry in files.items():
        path = folder / name
        if name in absent_ok and not path.exists():
            continue
        if "/" in name or name in ("", ".", "..") or not path.is_file():
            raise missing(path)
        size = path.stat().st_size
        if size != entry["bytes"]:
            raise corrupt(path, f"大小 {size} 字节，应为 {entry['bytes']} 字节")
    extra = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST and p.name not in files)
    if extra:
        raise IndexError_(f"索引目录中有不属于这个索引的文件：{folder / extra[0]}，{REBUILD_HINT}")


def verify_files(folder: Path, manifest: dict[str, Any], names: Iterable[str]) -> None:
    """Each named file's sha256 against the manifest (the caller hashes each file once per load)."""
    for name in names:
        _checked(folder, manifest, name, lambda path: (file_sha256(path), None))


def read_verified(folder: Path, manifest: dict[str, Any], name: str) -> bytes:
    """A small file's bytes, read once and checked against its sha256 in the manifest."""
    def read(path: Path) -> tuple[str, bytes]:
        data = path.read_bytes()
        return hashlib.sha256(data).hexdigest(), data

    return _checked(folder, manifest, name, read)


def _checked(folder: Path, manifest: dict[str, Any], name: str,
             read: Callable[[Path], tuple[str, _T]]) -> _T:
    """`read`'s value for the named file, once its sha256 (`read`'s digest) matches the manifest's."""
    entry = manifest["files"].get(name)
    path = folder / name
    if entry is None:
        raise corrupt(folder / MANIFEST, f"没有列出 {name}")
    try:
        actual, value = read(path)
    except FileNotFoundError as err:
        raise missing(path) from err
    except OSError as err:
        raise corrupt(path, f"无法读取：{err.strerror or err}") from err
    if actual != entry["sha256"]:
        raise corrupt(path, "校验和不符")
    return value


# -- the parts --------------------------------------------------------------------------------------


def parse_chunks(path: Path, lines: Iterable[str]) -> list[Chunk]:
    """chunks.jsonl → Chunks: one JSON object a line with exactly Chunk's fields, ids in order."""
    chunks: list[Chunk] = []
    for n, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except ValueError as err:
            raise corrupt(path, f"第{n}行不是 JSON") from err
        if not isinstance(row, dict) or set(row) != set(_CHUNK_FIELDS):
            raise corrupt(path, f"第{n}行的字段不对")
        for key, kind in _CHUNK_FIELDS.items():
            if not isinstance(row[key], kind) or isinstance(row[key], bool):
                raise corrupt(path, f"第{n}行的 {key} 类型不对")
        if row["chunk_id"] != n - 1:
            raise corrupt(path, f"第{n}行的 chunk_id 为 {row['chunk_id']}，应为 {n - 1}")
        if row["level"] not in ("unit", "sentence"):
            raise corrupt(path, f"第{n}行的 level 不是 unit 或 sentence")
        chunks.append(Chunk(**row))
    return chunks


def check_chunks(path: Path, chunks: Sequence[Chunk], expected: Sequence[Chunk],
                 counts: dict[str, int]) -> None:
    """The stored chunks are what chunking the corpus gives: same units, sentences, texts, order."""
    units = sum(c.level == "unit" for c in chunks)
    if (len(chunks), units, len(chunks) - units) != (counts["chunks"], counts["units"], counts["sentences"]):
        raise corrupt(path, f"共 {len(chunks)} 块（{units} 个条目），与 manifest.json 的数量不一致")
    keys = {c.key for c in expected}
    for n, (have, want) in enumerate(zip(chunks, expected, strict=False), 1):
        if have != want:
            why = "不在语料中" if have.key not in keys else "与语料不一致"
            raise corrupt(path, f"第{n}行（{have.key}）{why}")
    if len(chunks) != len(expected):
        raise corrupt(path, f"共 {len(chunks)} 块，语料分块为 {len(expected)} 块")


def check_vectors(path: Path, vectors: np.ndarray, rows: int, dim: int) -> None:
    import numpy as np

    if vectors.dtype != np.float32 or vectors.shape != (rows, dim):
        raise corrupt(path, f"应为 {rows}×{dim} 的 float32 数组，实为 {vectors.dtype} {vectors.shape}")
    for start in range(0, rows, 8192):  # in blocks: the array may be a large memory map
        block = np.asarray(vectors[start:start + 8192])
        squared = np.einsum("ij,ij->i", block, block)
        if not np.all(np.isfinite(squared)):
            raise corrupt(path, "含有非有限数值")
        if np.any((np.abs(squared - 1.0) > 2e-3) & (squared > 1e-12)):
            raise corrupt(path, "向量未归一化")


def check_bm25(folder: Path, name: str, arrays: Sequence[np.ndarray], n_docs: int, n_terms: int) -> None:
    """One BM25 model's arrays: integer typed, one length per document, postings that add up."""
    import numpy as np

    indptr, indices, tf, lengths = arrays
    for key, arr in zip(("indptr", "indices", "tf", "lengths"), arrays, strict=True):
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise corrupt(folder / f"bm25.{name}.{key}.npy", f"应为一维整数数组，实为 {arr.dtype}")
    if len(lengths) != n_docs:
        raise corrupt(folder / f"bm25.{name}.lengths.npy", f"{len(lengths)} 行，应为 {n_docs} 行")
    if len(indptr) != n_terms + 1 or (len(indptr) and (indptr[0] != 0 or indptr[-1] != len(indices))) \
            or np.any(np.diff(indptr) < 0):
        raise corrupt(folder / f"bm25.{name}.indptr.npy", "与词表或倒排表不一致")
    if len(tf) != len(indices) or (len(tf) and tf.min() < 1):
        raise corrupt(folder / f"bm25.{name}.tf.npy", "词频与倒排表不一致")
    if len(indices) and (indices.min() < 0 or indices.max() >= n_docs):
        raise corrupt(folder / f"bm25.{name}.indices.npy", "文档编号越界")
    summed = np.bincount(indices, weights=tf, minlength=n_docs) if len(indices) else np.zeros(n_docs)
    if not np.array_equal(summed.astype(np.int64), lengths.astype(np.int64)):
        raise corrupt(folder / f"bm25.{name}.lengths.npy", "与词频之和不一致")


def check_vocab(path: Path, terms: object, n_terms: int) -> list[str]:
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise corrupt(path, "应为词语列表")
    if len(terms) != n_terms or len(set(terms)) != len(terms):
        raise corrupt(path, f"{len(terms)} 个词语（应为 {n_terms} 个，且互不相同）")
    return terms
