"""The server's corpus jobs: adding and removing documents, then switching the running server to
the rebuilt index without a restart. One job at a time, in a background thread; the page polls.

    jobs = Jobs(server)                  # server: the AppState (its settings, rebuild_now, pending)
    jobs.start_add(paths) → bool         `rag.ingest.add_files` (the path `dangjian add` takes), then
                                         the rebuild
    jobs.start_remove(doc_id) → bool     `rag.ingest.remove_document`, then the same
    jobs.status() → JobStatus            stage, progress, per-file report, message

The rebuild is the server's `rebuild_now`: the new index is built beside the old one (rag.index.build
writes aside and renames), a new `Assistant` is opened on it and warmed up while the old one keeps
answering, and only then is the server's reference swapped. An answer in flight holds the old
object, so it finishes on the old index.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from rag import kinds
from rag.config import Settings
from rag.errors import DangjianError
from rag.ingest import IngestResult, add_files, remove_document

if TYPE_CHECKING:
    from rag.db.replica import Replica

GENERIC_ERROR = "系统出现问题，暂时无法回答，请稍后再试。"
State = Literal["idle", "running", "done", "error"]
STAGES = {"ingest": "导入文件", "remove": "移除文件", "parse": "解析文件", "embed": "计算向量",
          "tokenize": "分词统计", "save": "写入索引", "swap": "切换到新索引"}
Progress = Callable[[str, int, int], None]


class RebuildFailed(DangjianError):
    """A rebuild failed: the message is the Chinese reason; `delay_s` the wait before the automatic
    retry (0: none scheduled)."""

    def __init__(self, reason: str, delay_s: float) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


class Server(Protocol):
    """What a job needs of the server (`ui.runtime.AppState`)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def replica(self) -> Replica | None: ...  # with a shared database: changes are published there

    def rebuild_now(self, progress: Progress) -> object: ...

    def pending(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class JobStatus:
    state: State = "idle"
    action: str = ""  # "add" | "remove"
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    report: tuple[dict[str, Any], ...] = ()
    started: float = 0.0
    finished: float = 0.0
    generation: int = 0  # bumps with every finished job: the page refreshes what it shows

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def stage_name(self) -> str:
        return STAGES.get(self.stage, self.stage)


def report_line(r: IngestResult, unfinished: Collection[str] = ()) -> dict[str, Any]:
    """One uploaded file's outcome, as `dangjian add` prints it, for the page and the API. A file
    whose document is listed but not answerable (`unfinished`) is never reported as 已收录."""
    name = Path(r.path).name
    if r.status == "ok":
        kind = kinds.get(str(r.meta.get("kind", ""))) or kinds.DEFAULT
        text = (f"已添加 {r.doc_id}：《{r.meta.get('title', '')}》（{kind.display}），"
                f"{r.articles} {kind.unit_word}，编码 {r.encoding}")
        text += "".join(f"；注意：{w}" for w in r.warnings)
    elif r.status == "exists" and r.doc_id in unfinished:
        text = f"{r.doc_id} 已在语料中，但上次添加没有完成（索引未重建），现在完成"
    else:
        text = r.reason
    return {"file": name, "status": r.status, "doc_id": r.doc_id, "text": text}


class Jobs:
    """One corpus change at a time, run in a background thread; the page polls `status()`."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._status = JobStatus()

    def status(self) -> JobStatus:
        return self._status

    def _set(self, **changes: Any) -> None:
        self._status = replace(self._status, **changes)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self._set(stage=stage, done=done, total=total)

    def _start(self, action: str, work: Callable[[], str]) -> bool:
        with self._lock:
            if self._status.running:
                return False
            self._status = JobStatus("running", action, "ingest" if action == "add" else "remove",
                                     started=time.time(), generation=self._status.generation)
        threading.Thread(target=self._run, args=(work,), name=f"dangjian-{action}", daemon=True).start()
        return True

    def _run(self, work: Callable[[], str]) -> None:
        try:
            message = work()
            self._set(state="done", message=message)
        except DangjianError as err:
            self._set(state="error", message=str(err))
        except Exception:  # noqa: BLE001 - the page shows a generic message; the traceback goes to stderr
            traceback.print_exc(file=sys.stderr)
            self._set(state="error", message=GENERIC_ERROR)
        finally:
            self._set(finished=time.time(), generation=self._status.generation + 1)

    def _rebuild(self, changed: str, note: str = "") -> None:
        """The server's rebuild and swap; its failure says what happened to the corpus, why the index
        was not rebuilt (the reason the server recorded) and when it is retried, in one message."""
        try:
            self._progress("swap", 0, 1)
            self._server.rebuild_now(self._progress)
            self._progress("swap", 1, 1)
        except RebuildFailed as err:
            retry = f"{err.delay_s:.0f} 秒后自动重试" if err.delay_s else "稍后自动重试"
            raise DangjianError(f"{changed}，但重建索引失败：{err}。"
                                f"仍使用上一次的索引回答，{retry}{note}") from err

    def start_add(self, paths: Sequence[str | Path], *, cleanup: Path | None = None) -> bool:
        """Add uploaded files (already on this machine) and rebuild; False when a job is running.
        `cleanup`: a temporary folder holding the uploads, removed once they are in the corpus."""
        files = [Path(p) for p in paths]
        corpus = self._server.settings.corpus_dir

        def work() -> str:
            replica = self._server.replica
            try:
                with replica.changing() if replica else contextlib.nullcontext():
                    results = add_files(files, corpus)
                    if replica:  # shared with the other replicas before this one rebuilds
                        replica.publish_added([r.doc_id for r in results if r.status == "ok"])
            finally:
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)
            # listed but not served: an earlier add whose rebuild failed or was killed; finish it
            unfinished = set(self._server.pending()) & {r.doc_id for r in results if r.status == "exists"}
            self._set(report=tuple(report_line(r, unfinished) for r in results))
            added = sum(r.status == "ok" for r in results)
            failed = sum(r.status == "error" for r in results)
            if not added and not unfinished:
                return f"没有新增文件（{failed} 个失败）" if failed else "没有新增文件：都已收录"
            self._rebuild("文件已加入语料", "；新文件在重建成功前显示为“待完成”，暂时无法提问")
            tail = f"，{failed} 个失败" if failed else ""
            done = f"已添加 {added} 个文件" if added else f"已完成 {len(unfinished)} 个文件的添加"
            return f"{done}{tail}；索引已重建，新文件现在就可以提问"

        return self._start("add", work)

    def start_remove(self, doc_id: str) -> bool:
        corpus = self._server.settings.corpus_dir

        def work() -> str:
            replica = self._server.replica
            with replica.changing() if replica else contextlib.nullcontext():
                r = remove_document(corpus, doc_id)
                if replica:
                    replica.publish_removed(doc_id)
            self._set(report=({"file": r.doc_id, "status": "ok", "doc_id": r.doc_id,
                               "text": f"已移除《{r.title}》（{'、'.join(r.files) or '无文件'}）"},))
            self._rebuild(f"《{r.title}》已从语料移除")
            return f"已移除《{r.title}》；索引已重建"

        return self._start("remove", work)

    def wait(self, timeout: float = 120.0) -> JobStatus:
        """Block until the running job ends (tests, the API's ?wait=1)."""
        deadline = time.monotonic() + timeout
        while self._status.running and time.monotonic() < deadline:
            time.sleep(0.05)
        return self._status


