"""The one way to open the assistant: every edge (CLI, API, page, bench, LangChain) gets its
`Assistant` here, with the same checks, and says explicitly whether a missing index may be built.

    open_assistant(settings, build_if_missing=False)  # commands that only read: IndexError_ says
                                                      # to run `dangjian index`
    open_assistant(settings, build_if_missing=True)   # serve, bench, tests: build under the corpus lock
    build_assistant(settings, emb, progress)          # a rebuild (serve's watcher, the 文件 tab)

"Current" means the same thing on every path: the index exists and is intact, was built from the
corpus as it is now, with this embedder, for the store the settings ask for (`auto` takes it as built).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import fsutil
from .config import Settings
from .corpus import read_manifest
from .embed import Embedder, make_embedder
from .errors import DangjianError, IndexError_
from .index_load import Progress, load, read_manifest_json, require_current, staleness
from .pipeline import Assistant
from .stores import mismatch

__all__ = ["BUILD_WAIT_S", "build_assistant", "open_assistant", "without_hint"]

BUILD_WAIT_S = 120.0  # how long opening waits for another command that holds the corpus
Notify = Callable[[str], None]


def _quiet_progress(_stage: str, _done: int, _total: int) -> None:
    """No progress shown (the library is silent; the edges pass their own)."""


def _quiet_notify(_message: str) -> None:
    """No notice shown."""


def without_hint(message: str) -> str:
    """An index error without its "run dangjian index" advice (for a caller about to do just that)."""
    return re.sub(r"[，：]请(?:先运行|再运行一次|运行) `dangjian (?:index|add)[^`]*`.*$", "", message)


def _load(settings: Settings, emb: Embedder) -> Assistant:
    """The index as it is, when current; IndexError_ (saying to run `dangjian index`) otherwise."""
    s = settings
    require_current(s.index_dir, s.corpus_dir, emb)
    wrong_store = mismatch((read_manifest_json(s.index_dir) or {}).get("dense") or {}, s.store_spec)
    if wrong_store:
        raise IndexError_(f"索引已过期（{wrong_store.split('，')[0]}）：{s.index_dir}，"
                          "请运行 `dangjian index` 重建索引")
    return Assistant(load(s.corpus_dir, s.index_dir, emb, threads=s.threads, store=s.store_spec), emb, s)


def build_assistant(settings: Settings, emb: Embedder, progress: Progress = _quiet_progress, *,
                    wait_s: float = BUILD_WAIT_S) -> Assistant:
    """Build the corpus as it now is, holding the corpus lock (no `dangjian add` changes it meanwhile).
    TimeoutError when another command holds the lock longer than `wait_s`."""
    from .index import build  # the build machinery (chunking, BM25, numpy): only when building

    s = settings
    read_manifest(s.corpus_dir)  # a broken corpus: its own clear error, before locking it
    with fsutil.locked(s.corpus_dir, timeout_s=wait_s):
        index = build(s.corpus_dir, s.index_dir, emb, progress, threads=s.threads, store=s.store_spec)
    return Assistant(index, emb, s)


def _as_is(assistant: Assistant) -> Assistant:
    return assistant


def open_assistant(settings: Settings, *, build_if_missing: bool, embeddings: Embedder | None = None,
                   progress: Progress = _quiet_progress, notify: Notify = _quiet_notify,
                   prepare: Callable[[Assistant], Assistant] = _as_is) -> Assistant:
    """The assistant over the index `settings` name. When the index is missing, stale or corrupt:
    IndexError_ (`build_if_missing=False`), or a build now, announced through `notify` with the
    reason. `embeddings`: an embedder already loaded (a server keeps one across reloads).
    `prepare`: run on the opened assistant before it counts as opened (a server loads every lazy
    part of the index there, so a part found corrupt then is a failed load, rebuilt like one)."""
    emb = embeddings if embeddings is not None else make_embedder(settings)
    try:
        return prepare(_load(settings, emb))
    except IndexError_ as err:
        if not build_if_missing:
            raise
        s = settings
        why = staleness(s.index_dir, s.corpus_dir, emb, s.store_spec)
        notify(why or f"{without_hint(str(err))}，正在构建索引…")
    try:
        return prepare(build_assistant(settings, emb, progress))
    except TimeoutError as exc:
        raise DangjianError(f"语料目录正被另一个 dangjian 命令修改：{settings.corpus_dir}，"
                            "请稍后重试") from exc
