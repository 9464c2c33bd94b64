"""Corpus and index commands: index, add, remove; every corpus change ends with a rebuild under
the corpus lock.

With a shared database (DANGJIAN_DATABASE_URL / --database-url) the corpus folder is one replica's
copy of the registry (rag/db/replica.py): each command first makes the folder follow the registry
(seeding an empty one from it, as the first `serve` does), then changes it and publishes the change
in one registry transaction that bumps the generation — exactly as the page's upload does — before
rebuilding this folder's index, so every running replica answers it within its sync interval. A
refused or failed publish leaves the folder equal to the registry (the change is set aside).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DangjianError
from ..progress import StderrProgress, stderr_notify
from .common import EXIT_ERROR, _settings

if TYPE_CHECKING:
    from ..config import Settings
    from ..db.replica import Replica
    from ..index import Index
    from ..ingest.add import IngestResult


def cmd_index(args: argparse.Namespace) -> int:
    from ..ingest import register_unlisted

    s = _settings(args)
    _recover(s.corpus_dir)
    replica = _follow_registry(s)
    with _publishing(s, replica, "新登记的文件"):
        results = register_unlisted(s.corpus_dir)
        _publish_added(s, replica, results)
    _report(results)
    idx = _rebuild(s)
    c = idx.manifest["counts"]
    print(f"索引已写入 {s.index_dir}：{c['documents']} 个文件，{c['units']} 个条目，{c['sentences']} 个句子")
    if (dense := idx.manifest.get("dense", {})).get("store") == "milvus":
        print(f"Milvus（{dense['uri']}）：集合 {dense['collection']}_units、{dense['collection']}_sentences")
    return 0


def _report(results: Sequence[IngestResult], unfinished: Collection[str] = ()) -> None:
    """One line per ingested file: ✓ with what was found, = already there, ↻ in the corpus but not
    yet answerable (an add that did not finish: the rebuild that follows completes it), or ✗."""
    for r in results:
        if r.status == "ok":
            print(f"✓ {r.doc_id}（{r.units} 个条目，{r.file}，编码 {r.encoding}）")
        elif r.status == "exists" and r.doc_id in unfinished:
            print(f"↻ {r.path}：{r.doc_id} 已在语料中，但上次添加没有完成（索引未重建），现在完成")
        elif r.status == "exists":
            print(f"= {r.path}：已收录（{r.doc_id}，{r.file}），未重复添加")
        else:
            print(f"✗ {r.path}：{r.reason}")


def _unanswerable(s: Settings, present: Sequence[IngestResult]) -> tuple[set[str], bool]:
    """Of the documents `add` found already in the corpus, those the index does not answer (an add
    killed or failed after its manifest commit; all of them when there is no readable index), and
    whether the index is behind the corpus at all. Either way `add` rebuilds rather than say 已收录."""
    from ..corpus import corpus_hash, read_manifest
    from ..errors import IndexError_
    from ..index_load import pending_documents, read_manifest_json

    try:
        manifest = read_manifest_json(s.index_dir)
    except IndexError_:
        manifest = None
    if manifest is None:
        return {r.doc_id for r in present}, True
    behind = manifest.get("corpus_sha256") != corpus_hash(s.corpus_dir, read_manifest(s.corpus_dir))
    return set(pending_documents(s.index_dir, s.corpus_dir)) & {r.doc_id for r in present}, behind


def _recover(corpus_dir: Path) -> None:
    """Finish or undo what an interrupted add/index/remove left behind; say so on stderr."""
    from ..ingest import recover

    for note in recover(corpus_dir):
        stderr_notify(note)


def _rebuild(s: Settings) -> Index:
    """The index build every corpus change ends with, under the corpus lock: a running `serve`
    that rebuilds in the background waits for it instead of racing it."""
    from .. import fsutil
    from ..corpus import read_manifest
    from ..embed import make_embedder
    from ..index import build

    read_manifest(s.corpus_dir)
    try:
        with fsutil.locked(s.corpus_dir, timeout_s=300.0):
            return build(s.corpus_dir, s.index_dir, make_embedder(s), StderrProgress(), threads=s.threads,
                         store=s.store_spec)
    except TimeoutError as err:
        raise DangjianError(f"语料目录正被另一个 dangjian 命令使用：{s.corpus_dir}，请稍后重试") from err


def _follow_registry(s: Settings) -> Replica | None:
    """With a shared database: this folder made equal to the registry before it is changed (an
    empty registry is seeded from it), a note on stderr when that changed it; None without one."""
    from ..db import shared
    from ..db.replica import Replica
    from ..ingest import read_entries

    if not shared(s):
        return None
    before = [str(e.get("doc_id")) for e in read_entries(s.corpus_dir)]
    replica = Replica(s)
    if replica.join():
        stderr_notify(f"共享数据库的文件登记为空：已登记本语料目录的 {len(before)} 个文件")
    after = [str(e.get("doc_id")) for e in read_entries(s.corpus_dir)]
    if after != before:
        added, gone = [d for d in after if d not in before], [d for d in before if d not in after]
        stderr_notify(f"语料目录已按共享数据库的文件登记同步（第 {replica.generation} 版）："
                      f"取回 {'、'.join(added) or '无'}；移入 removed/ {'、'.join(gone) or '无'}")
    return replica


@contextlib.contextmanager
def _publishing(s: Settings, replica: Replica | None, what: str) -> Iterator[None]:
    """Around a corpus change and its publish (Replica.changing puts the folder back to the registry
    after any failure): a refused or failed publish also says so and names the database; the
    change's own errors (no such doc_id, an unreadable file) read as without a database."""
    if replica is None:
        yield
        return
    from ..db import redact
    from ..errors import DatabaseError

    try:
        with replica.changing():
            yield
    except DatabaseError as err:
        raise DangjianError(f"{err}——{what}没有登记到共享数据库 {redact(s.database_url)}：本次改动已撤销，"
                            "语料目录与登记一致，各副本不受影响") from err


def _publish_added(s: Settings, replica: Replica | None, results: Sequence[IngestResult]) -> None:
    added = [r.doc_id for r in results if r.status == "ok"]
    if replica is not None and added:
        _published(s, replica.publish_added(added))


def _published(s: Settings, generation: int) -> None:
    from ..db import redact

    print(f"已登记到共享数据库 {redact(s.database_url)}（第 {generation} 版）："
          f"各副本随即取回并重建索引（最迟 {s.sync_interval_s:g} 秒后发现）")


def cmd_remove(args: argparse.Namespace) -> int:
    """Take one document out of the corpus, then rebuild the index; one line of report."""
    from ..ingest import remove_document

    s = _settings(args)
    _recover(s.corpus_dir)
    replica = _follow_registry(s)
    with _publishing(s, replica, "这次移除"):
        r = remove_document(s.corpus_dir, args.doc_id, keep_files=args.keep_files)
        if replica is not None:
            _published(s, replica.publish_removed(r.doc_id))
    _rebuild(s)
    files = "、".join(r.files) or "无"
    done = (
        f"文件已移入 removed/：{'、'.join(r.moved_to)}"
        if args.keep_files and r.moved_to
        else f"已删除文件：{files}"
    )
    print(f"已移除 {r.doc_id}（《{r.title}》），{done}；索引已重建：{s.index_dir}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Copy documents into the corpus (one report line each), then rebuild the index."""
    from ..ingest import add_files

    s = _settings(args)
    _recover(s.corpus_dir)
    flags = {k: v for k, v in {"doc_id": args.doc_id, "title": args.title, "kind": args.kind,
                               "encoding": args.encoding}.items() if v}
    if len(args.files) > 1 and {"doc_id", "title"} & flags.keys():
        raise DangjianError("--doc-id / --title 只能在添加单个文件时使用")
    overrides = {args.files[0]: flags} if len(args.files) == 1 else flags
    replica = _follow_registry(s)
    with _publishing(s, replica, "新加入的文件"):
        results = add_files(args.files, s.corpus_dir, overrides=overrides,
                            allow_ambiguous=args.allow_ambiguous)
        _publish_added(s, replica, results)
    present = [r for r in results if r.status == "exists"]
    # An add killed or failed after its manifest commit left the document listed but unanswerable:
    # adding the same file again finishes that add instead of saying it is already there.
    unfinished, behind = _unanswerable(s, present) if present else (set(), False)
    _report(results, unfinished)
    if any(r.status == "ok" for r in results) or behind:
        _rebuild(s)
        print(f"索引已重建：{s.index_dir}")
        for r in present:
            if r.doc_id in unfinished:
                print(f"✓ {r.doc_id} 已完成添加，现在可以提问")
    return 0 if all(r.succeeded for r in results) else EXIT_ERROR
