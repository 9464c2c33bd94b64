"""Adding documents to the corpus, registering files dropped into it, removing documents.

    add_files(paths, corpus)      → [IngestResult]   one per file; a bad file never stops the batch
    register_unlisted(corpus)     → [IngestResult]   files in corpus/ that the manifest does not name
    remove_document(corpus, id)   → RemoveResult     manifest entry and its files

What lands in the corpus for an added file: a UTF-8 `.txt` is copied byte for byte as
`<doc_id>.txt`; anything else (GBK text, Markdown, Word, PDF, HTML) is written as the extracted
UTF-8 text `<doc_id>.txt` (what was parsed is what is indexed) and the original is kept unchanged
as `originals/<doc_id><suffix>`, named by the entry's `original` field. A dropped-in `.txt` is
registered where it lies (the manifest names it as it is); any other dropped-in file stays where
it lies as the `original` of an extracted `<doc_id>.txt`. Nothing in the corpus is overwritten.
Adding content the corpus already holds is a success that says so ("exists"), so re-running an
interrupted `dangjian add` is safe. Crash safety: see `store`.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from .. import fsutil, kinds
from ..errors import IngestError
from ..records import DocMeta
from ..text import squash
from .limits import DEFAULT_LIMITS, Limits
from .manifest import (
    META_FIELDS,
    ORIGINALS,
    append_entry,
    named_files,
    original_of,
    read_entries,
    remove_entry,
)
from .meta import detect_meta
from .parse import parse_document
from .read import SUPPORTED, decode_bytes, read_text
from .store import clear_journal, replay_journal, session, set_aside, write_journal

Status = Literal["ok", "exists", "error"]
Mode = Literal["add", "register"]


@dataclass(frozen=True, slots=True)
class IngestResult:
    path: str
    status: Status  # "exists": the same text is already in the corpus (as doc_id); nothing written
    reason: str = ""  # the Chinese error message when status == "error"
    doc_id: str = ""
    file: str = ""  # the corpus text file, relative to the corpus folder
    original: str = ""  # the kept original (originals/… or a dropped-in file), "" when `file` is it
    encoding: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # the manifest entry that was written
    units: int = 0
    articles: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.status != "error"


@dataclass(frozen=True, slots=True)
class RemoveResult:
    doc_id: str
    title: str
    files: tuple[str, ...]  # corpus-relative files that were deleted (or moved)
    moved_to: tuple[str, ...] = ()  # with keep_files: their names inside removed/


def slugify(name: str) -> str:
    """ASCII doc_id from a file stem: lower case, [a-z0-9-]; "" when nothing ASCII is left."""
    s = unicodedata.normalize("NFKC", name).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:60].strip("-")


def _text_hash(text: str) -> str:
    return hashlib.sha256(squash(unicodedata.normalize("NFC", text)).encode("utf-8")).hexdigest()


class _Corpus:
    """The corpus as one batch sees it: manifest entries and the text hashes of their files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries = read_entries(root)
        self._hashes: dict[str, str] | None = None

    def hashes(self) -> dict[str, str]:
        """text hash → doc_id, computed on first use (reads every listed text once per batch)."""
        if self._hashes is None:
            self._hashes = {}
            for e in self.entries:
                f = self.root / str(e.get("file", ""))
                if e.get("file") and f.is_file():
                    try:
                        text = decode_bytes(f.read_bytes(), f.name)[0]
                    except IngestError:
                        continue
                    self._hashes.setdefault(_text_hash(text), e["doc_id"])
        return self._hashes

    def committed(self, entry: dict[str, Any], text_hash: str) -> None:
        self.entries.append(entry)
        self.hashes().setdefault(text_hash, entry["doc_id"])


def _overrides_for(path: Path, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Global fields, then per-file dicts keyed by the path as given or its file name."""
    out = {k: v for k, v in overrides.items() if not isinstance(v, Mapping)}
    for key in (str(path), path.name):
        if isinstance(overrides.get(key), Mapping):
            out.update(overrides[key])
    return out


def add_files(paths: Iterable[str | os.PathLike[str]], corpus_dir: str | os.PathLike[str], *,
              overrides: Mapping[str, Any] | None = None, limits: Limits = DEFAULT_LIMITS,
              allow_ambiguous: bool = False) -> list[IngestResult]:
    """Add each file to the corpus; one result per path, in order. See the module docstring.

    `overrides`: manifest fields that win over the detected ones — global (`{"kind": "regulation"}`)
    or per file (`{"a.pdf": {"doc_id": "x", "title": "…"}}`); the key "encoding" forces the codec
    of a text/HTML file. doc_id, file and primary may only be given per file. A text whose
    encoding detection is unsure is refused unless `allow_ambiguous` or an encoding is given.
    """
    overrides = dict(overrides or {})
    global_keys = {k for k, v in overrides.items() if not isinstance(v, Mapping)}
    root = Path(corpus_dir)
    with session(root):
        state = _Corpus(root)
        results = []
        for raw in paths:
            path = Path(raw)
            ov = _overrides_for(path, overrides)
            step = partial(_add_one, path, state, ov, limits, allow_ambiguous, global_keys, mode="add")
            results.append(_guarded(step, path))
        return results


def _guarded(step: Callable[[], IngestResult], path: Path) -> IngestResult:
    """Run one file's step; its refusal or I/O error becomes that file's result."""
    try:
        return step()
    except IngestError as err:
        return IngestResult(path=str(path), status="error", reason=str(err))
    except OSError as err:
        reason = f"读写文件失败：{path.name}（{err.strerror or err}）"
        return IngestResult(path=str(path), status="error", reason=reason)


def _is_note_file(p: Path) -> bool:
    """README.md, SOURCES.md and the like describe the folder; they are not documents."""
    return p.suffix.lower() == ".md" and p.stem.isupper()


def unlisted_files(corpus_dir: str | os.PathLike[str]) -> list[Path]:
    """Documents dropped into the corpus folder that no manifest entry names yet."""
    root = Path(corpus_dir)
    named = named_files(read_entries(root))
    return sorted(p for p in root.iterdir()
                  if p.is_file() and p.suffix.lower() in SUPPORTED and p.name not in named
                  and not p.name.startswith(".") and not _is_note_file(p))


def register_unlisted(corpus_dir: str | os.PathLike[str], *,
                      limits: Limits = DEFAULT_LIMITS) -> list[IngestResult]:
    """Register dropped-in files through the same path as `add`; every file stays where it lies."""
    root = Path(corpus_dir)
    with session(root):
        state = _Corpus(root)
        return [_guarded(partial(_add_one, p, state, {}, limits, False, set(), mode="register"), p)
                for p in unlisted_files(root)]


def _check_overrides(ov: Mapping[str, Any], global_keys: set[str]) -> None:
    if global_keys & {"doc_id", "file", "primary"}:
        raise IngestError("doc_id、file、primary 只能针对单个文件指定")
    unknown = set(ov) - META_FIELDS - {"encoding", "source"}
    if unknown:
        raise IngestError(f"不认识的清单字段：{'、'.join(sorted(unknown))}")


def _doc_id(path: Path, ov: Mapping[str, Any], text: str, state: _Corpus) -> str:
    doc_id = str(ov.get("doc_id") or slugify(path.stem)
                 or "doc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", doc_id):
        raise IngestError(f"doc_id 只能包含字母、数字、-、_、.：{doc_id}")
    taken = next((e for e in state.entries if e.get("doc_id") == doc_id), None)
    if taken is not None:
        raise IngestError(f"语料中已有 doc_id 为 {doc_id} 的文件《{taken.get('title', '')}》，未添加；"
                          "请换一个文件名，或（命令行）用 --doc-id 指定其他 doc_id")
    return doc_id


_TITLE_MARKS = "《》〈〉「」『』\"“”'‘’"


def _title_key(title: str) -> str:
    """A title as two documents are compared: NFKC, no whitespace, no surrounding 《》 or quotes."""
    return squash(unicodedata.normalize("NFKC", title)).strip(_TITLE_MARKS)


def _check_title(title: str, state: _Corpus) -> None:
    """Refuse a document whose title is a collected document's title (or one of its aliases): a
    question naming 《…》 would reach whichever the resolver met first, and the upload would pass
    for the collected document. Different text under the same title is a different document."""
    key = _title_key(title)
    if not key:
        return
    for e in state.entries:
        names = [str(e.get("title", "")), *(str(a) for a in e.get("aliases") or ())]
        if any(_title_key(n) == key for n in names):
            raise IngestError(
                f"语料中已有同名文件《{e.get('title', '')}》（doc_id：{e.get('doc_id', '')}），"
                "内容与这个文件不同，未添加；如果这是另一份文件，请给它另起标题"
                "（命令行：dangjian add 文件 --title 新标题；网页上传：修改文件中的标题后重新上传）；"
                "如果要替换已收录的文件，请先移除它")


def _add_one(path: Path, state: _Corpus, ov: dict[str, Any], limits: Limits, allow_ambiguous: bool,
             global_keys: set[str], *, mode: Mode) -> IngestResult:
    _check_overrides(ov, global_keys)
    text, note = read_text(path, limits=limits, encoding=ov.get("encoding"))
    if "ambiguous" in note and not allow_ambiguous:
        raise IngestError(f"无法确定文件编码：{path.name}（{note}；"
                          "请转换为 UTF-8 后重试，或用 --encoding 指定编码）")
    text_hash = _text_hash(text)
    if same := state.hashes().get(text_hash):
        listed = next(e for e in state.entries if e.get("doc_id") == same)
        return IngestResult(path=str(path), status="exists", doc_id=same, file=str(listed.get("file", "")),
                            original=original_of(listed), encoding=note, meta=dict(listed))
    doc_id = _doc_id(path, ov, text, state)
    file, original, creates = _layout(path, doc_id, text, note, ov, mode)
    for rel in (file, original):
        if rel and rel in named_files(state.entries):
            raise IngestError(f"语料清单中已有文件 {rel}；请指定其他 doc_id")
    for rel, _data in creates:
        if (state.root / rel).exists():
            raise IngestError(f"语料目录中已存在文件 {rel}，不会覆盖；请指定其他 doc_id")
    if ov.get("primary") and any(e.get("primary") for e in state.entries):
        raise IngestError("语料中已有主文件（primary = true），只能有一个")

    fields_ = {**detect_meta(text, path.name), **{k: v for k, v in ov.items() if k in META_FIELDS}}
    fields_.update(doc_id=doc_id, file=file)
    if isinstance(fields_.get("aliases"), (list, tuple)):
        fields_["aliases"] = tuple(fields_["aliases"])
    fields_["date"] = str(fields_.get("date", ""))
    _check_title(str(fields_.get("title", "")), state)
    meta = DocMeta(**fields_)
    doc = parse_document(text, meta, limits=limits)
    if not doc.numbered:
        raise IngestError(f"文件中没有解析出任何编号条目（“第X条”或“1.”），也没有找到通知标题"
                          f"（如“关于……的通知”）及其正文段落：{path.name}")
    kind = kinds.of(doc)
    warnings = tuple(kind.check(doc))

    entry: dict[str, Any] = {k: v for k, v in fields_.items() if k in META_FIELDS}
    entry["kind"] = kind.name  # the kind that parsed it, detected or given
    entry["aliases"] = list(meta.aliases)
    entry.update({k: v for k, v in (("source", ov.get("source")), ("original", original)) if v})
    _commit(state, entry, creates)
    state.committed(entry, text_hash)
    return IngestResult(path=str(path), status="ok", doc_id=doc_id, file=file, original=original,
                        encoding=note, meta=entry, units=len(doc.units), articles=len(doc.numbered),
                        warnings=warnings)


def _layout(path: Path, doc_id: str, text: str, note: str, ov: Mapping[str, Any],
            mode: Mode) -> tuple[str, str, list[tuple[str, bytes]]]:
    """(text file, original, files to create) for one document, all corpus-relative."""
    suffix = path.suffix.lower()
    forced = "encoding" in ov
    if mode == "register":
        if suffix == ".txt" and not forced:
            return path.name, "", []  # registered where it lies; the loader decodes it the same way
        file = str(ov.get("file") or f"{doc_id}.txt")
        return file, path.name, [(file, text.encode("utf-8"))]
    file = str(ov.get("file") or f"{doc_id}.txt")
    if suffix == ".txt" and note in ("utf-8", "utf-8-sig") and not forced:
        return file, "", [(file, path.read_bytes())]
    original = f"{ORIGINALS}/{doc_id}{suffix}"
    return file, original, [(file, text.encode("utf-8")), (original, path.read_bytes())]


def _commit(state: _Corpus, entry: dict[str, Any], creates: list[tuple[str, bytes]]) -> None:
    """Journal, create the files, append to the manifest (the commit point), drop the journal."""
    root = state.root
    if creates:
        write_journal(root, [rel for rel, _ in creates])
    try:
        for rel, data in creates:
            try:
                fsutil.create_new(root / rel, data)
            except FileExistsError as err:
                raise IngestError(f"语料目录中已存在文件 {rel}，不会覆盖；请指定其他 doc_id") from err
        append_entry(root, entry)
    except BaseException:
        replay_journal(root)  # undo: the files the manifest does not name go
        raise
    if creates:
        clear_journal(root)


def remove_document(corpus_dir: str | os.PathLike[str], doc_id: str, *,
                    keep_files: bool = False) -> RemoveResult:
    """Take a document out of the corpus: its manifest entry, then its text and kept original
    (deleted, or moved into removed/ with `keep_files` so that registration does not re-add them)."""
    root = Path(corpus_dir)
    with session(root):
        entries = read_entries(root)
        entry = next((e for e in entries if e.get("doc_id") == doc_id), None)
        if entry is None:
            ids = "、".join(str(e.get("doc_id")) for e in entries) or "（无）"
            raise IngestError(f"语料中没有 doc_id 为 {doc_id} 的文件；现有：{ids}")
        title = str(entry.get("title", ""))
        if entry.get("primary"):
            raise IngestError(f"不能删除主文件 {doc_id}（《{title}》，primary = true）："
                              "“第8条”这类不指明文件的引用都指向它；"
                              "如需更换主文件，请先在 manifest.toml 中把 primary = true 移到另一个文件")
        others = named_files(e for e in entries if e is not entry)
        files = tuple(rel for rel in (str(entry.get("file", "")), original_of(entry))
                      if rel and rel not in others and (root / rel).is_file())
        write_journal(root, files, keep=keep_files)
        remove_entry(root, doc_id)  # the commit point
        moved = tuple(set_aside(root, root / rel) for rel in files) if keep_files else ()
        if not keep_files:
            for rel in files:
                (root / rel).unlink(missing_ok=True)
            fsutil.fsync_dir(root)
        clear_journal(root)
        return RemoveResult(doc_id=doc_id, title=title, files=files, moved_to=moved)
