"""`corpus/manifest.toml`: the only code that reads or writes it (tomllib in, tomli-w out).

One `[[documents]]` table per document. Fields are `DocMeta`'s, plus two that only ingestion
reads: `source` (free-text provenance, e.g. where an official text was obtained) and `original`
(the file the text was extracted from: `originals/<doc_id>.docx`, or a file dropped into corpus/).
Manifests written before `original` existed named it `source = "originals/…"`; that still counts.

Edits keep the file as the user wrote it: an appended table goes after the existing bytes, a
removed table is cut out with the comment lines directly above it, and the result is parsed and
compared with what was meant before it replaces the old file atomically. Only a manifest too
unusual for that (a table split by other tables, an inline array) is rewritten whole.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import tomli_w

from ..errors import CorpusError
from ..fsutil import atomic_write
from ..records import DocMeta

MANIFEST = "manifest.toml"
ORIGINALS = "originals"
HEADER = "# Documents in the corpus. One [[documents]] table per file.\n"
FIELD_ORDER = ("doc_id", "file", "title", "doc_number", "issuer", "date", "kind", "primary", "aliases",
               "addressees", "notice_title", "terms", "preamble_words", "source", "original")
META_FIELDS = frozenset(f.name for f in fields(DocMeta))
_TABLE_RE = re.compile(r"^[ \t]*\[\[[ \t]*documents[ \t]*\]\][ \t]*(?:#.*)?$")


def manifest_path(corpus_dir: Path) -> Path:
    return corpus_dir / MANIFEST


def _load(corpus_dir: Path) -> tuple[str, dict[str, Any]]:
    """The manifest's text and parsed data; ("", {}) when there is none."""
    path = manifest_path(corpus_dir)
    if not path.is_file():
        return "", {}
    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CorpusError(f"清单文件格式错误：{path}：{err}") from err
    docs = data.get("documents", [])
    if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
        raise CorpusError(f"清单文件格式错误：{path}：documents 应为 [[documents]] 表")
    return text, data


def read_entries(corpus_dir: Path) -> list[dict[str, Any]]:
    """The `[[documents]]` tables as plain dicts, in file order; [] when there is no manifest."""
    return list(_load(corpus_dir)[1].get("documents", []))


def read_metas(corpus_dir: Path) -> list[DocMeta]:
    """The manifest as `DocMeta`s, validated: what the corpus loader and the index build read."""
    path = manifest_path(corpus_dir)
    if not path.is_file():
        raise CorpusError(f"语料目录缺少清单文件：{path}（请参照 README 创建 manifest.toml）")
    metas = []
    for entry in read_entries(corpus_dir):
        if not entry.get("doc_id") or not entry.get("file"):
            raise CorpusError(f"清单文件 {path} 中有条目缺少 doc_id 或 file")
        values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else str(v) if k == "date" else v)
                                  for k, v in entry.items() if k in META_FIELDS}
        metas.append(DocMeta(**values))
    if not metas:
        raise CorpusError(f"清单文件 {path} 中没有任何文件")
    if sum(bool(m.primary) for m in metas) > 1:
        raise CorpusError(f"清单文件 {path} 中只能有一个 primary = true 的主文件")
    ids = [m.doc_id for m in metas]
    if dup := sorted({i for i in ids if ids.count(i) > 1}):
        raise CorpusError(f"清单文件 {path} 中 doc_id 重复：{'、'.join(dup)}")
    return metas


def original_of(entry: Mapping[str, Any]) -> str:
    """The kept original of an entry ("" when the text file is the original)."""
    if entry.get("original"):
        return str(entry["original"])
    source = str(entry.get("source", ""))
    return source if source.startswith(f"{ORIGINALS}/") else ""


def named_files(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every corpus-relative path the manifest names (texts and originals)."""
    out: set[str] = set()
    for e in entries:
        out.update(p for p in (str(e.get("file", "")), original_of(e)) if p)
    return out


def _clean(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Stable key order, empty values and `primary = false` left out, tuples as lists."""
    keys = [k for k in FIELD_ORDER if k in entry] + sorted(k for k in entry if k not in FIELD_ORDER)
    out: dict[str, Any] = {}
    for k in keys:
        v = entry[k]
        if v in ("", None, (), []) or (k == "primary" and v is False):
            continue
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def entry_toml(entry: Mapping[str, Any]) -> str:
    """One `[[documents]]` table as TOML text."""
    return tomli_w.dumps({"documents": [_clean(entry)]})


def write_entries(corpus_dir: Path, entries: Iterable[Mapping[str, Any]]) -> None:
    """A new manifest listing `entries` (a generated corpus: `dangjian bench`'s synthetic folders)."""
    text = HEADER + "\n" + tomli_w.dumps({"documents": [_clean(e) for e in entries]})
    atomic_write(manifest_path(corpus_dir), text.encode("utf-8"))


def _commit(corpus_dir: Path, text: str, expected: dict[str, Any]) -> None:
    """Write `text` if it parses to `expected`, else the whole of `expected` (comments lost)."""
    try:
        ok = tomllib.loads(text) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        text = HEADER + "\n" + tomli_w.dumps(expected)
    atomic_write(manifest_path(corpus_dir), text.encode("utf-8"))


def append_entry(corpus_dir: Path, entry: Mapping[str, Any]) -> None:
    """Add one document: the existing bytes stay, the new table follows them. The commit point of
    `dangjian add`: until this rename, nothing the corpus loader reads has changed."""
    old, data = _load(corpus_dir)
    table = entry_toml(entry)
    expected = {**data, "documents": [*data.get("documents", []), tomllib.loads(table)["documents"][0]]}
    if not old:
        old = HEADER
    sep = "" if old.endswith("\n\n") else "\n" if old.endswith("\n") else "\n\n"
    _commit(corpus_dir, old + sep + table, expected)


def _spans(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges of each [[documents]] table, with the comments directly above it."""
    starts = []
    for h in (i for i, ln in enumerate(lines) if _TABLE_RE.match(ln)):
        s = h
        while s > 0 and lines[s - 1].lstrip().startswith("#"):
            s -= 1
        starts.append(s)
    return [(s, starts[i + 1] if i + 1 < len(starts) else len(lines)) for i, s in enumerate(starts)]


def remove_entry(corpus_dir: Path, doc_id: str) -> dict[str, Any]:
    """Drop one document's table; the other tables keep their bytes. Returns the removed entry."""
    old, data = _load(corpus_dir)
    docs = data.get("documents", [])
    at = next((i for i, d in enumerate(docs) if d.get("doc_id") == doc_id), None)
    if at is None:
        raise CorpusError(f"清单中没有 doc_id 为 {doc_id} 的文件")
    expected = {**data, "documents": docs[:at] + docs[at + 1:]}
    lines = old.splitlines(keepends=True)
    spans = _spans(lines)
    text = ""
    if len(spans) == len(docs):
        start, end = spans[at]
        kept = lines[:start] + lines[end:]
        text = "".join(kept)
    _commit(corpus_dir, text, expected)
    return dict(docs[at])
