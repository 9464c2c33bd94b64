"""User feedback (👍/👎 per answer) and its export: 👍 as candidate eval questions, 👎 for review.

The page now keeps its votes in the database (rag/db/feedback.py, the same records); this module
is the record format, the export (`to_eval`, `export_records`), and the JSONL log older versions
wrote — read by `dangjian feedback-export --feedback FILE` and imported once by rag/db/legacy.py.

The file is JSONL, an append-only log of votes and retractions per (conversation, turn):

    {"time": "2025-05-01T10:00:00+08:00", "conversation": "k3J…", "turn": 0,
     "question": "第8条要求什么？", "history": [], "answer": "第8条 …", "abstained": false,
     "kind": "item", "citations": ["dongzhi-2025-3#8"], "primary_doc": "dongzhi-2025-3",
     "vote": "up", "reason": ""}
    {"time": "2025-05-01T10:00:05+08:00", "conversation": "k3J…", "turn": 0, "vote": null}

When read, the LAST line of a (conversation, turn) wins: a vote replaces the earlier one, a
retraction (`"vote": null`, written by an undo) removes it; the records come out in the order of
their latest line. `set_vote` is the page's only write. It appends one line (a vote must not cost
a rewrite of the whole file: that took 236 ms per vote at 50,000 records, appending ≈4 ms, mostly
the fsync, at any size; `scripts/bench_feedback.py`) and,
once the file holds more than twice as many lines as live records, compacts it: the live records
are written aside and renamed into place. Each process remembers what it has read of the file
(`_Log`), so a vote reads only what other processes appended since its last one, and all of it
only after another process compacted. Every write holds a lock across threads and processes
(`rag.fsutil.locked` on the file's folder), so concurrent votes are never lost or interleaved.
Records written by older versions (no conversation) are kept as they are; files written by older
versions (one line per key) read the same. A reader that predates the log sees retractions as
broken lines (skipped) until the next compaction drops the retracted vote.

`to_eval` turns the records into the schema of eval/questions.jsonl for 👍 (`gold` as item numbers
for the primary document, `doc#ref` strings otherwise) and into "needs review" items for 👎 —
no `gold` (a wrong answer's citations are not a gold answer), with the reason and the answer shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import fsutil
from ..errors import DangjianError

VOTES: tuple[str, ...] = ("up", "down")
MAX_REASON = 500
REVIEW = "needs_review"

_write_lock = threading.Lock()


def make_record(*, question: str, history: Sequence[str], answer: str, abstained: bool,
                citations: Iterable[str], vote: str, kind: str = "", primary_doc: str = "",
                time: str | None = None, conversation: str = "", turn: int | None = None,
                reason: str = "") -> dict[str, Any]:
    """A feedback record; `citations` are `doc_id#ref` keys (duplicates dropped, order kept)."""
    if vote not in VOTES:
        raise DangjianError(f"无效的反馈：“{vote}”（应为 up 或 down）")
    rec: dict[str, Any] = {"time": time or datetime.now().astimezone().isoformat(timespec="seconds")}
    if conversation:
        rec.update(conversation=conversation, turn=turn)
    rec.update({
        "question": question,
        "history": list(history),
        "answer": answer,
        "abstained": bool(abstained),
        "kind": kind,
        "citations": list(dict.fromkeys(citations)),
        "primary_doc": primary_doc,
        "vote": vote,
        "reason": " ".join(reason.split())[:MAX_REASON],
    })
    return rec


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the feedback file's lock: threads of this process, then other processes (a flock on
    the folder, which the kernel drops if the process dies; no lock file is left behind)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _write_lock, fsutil.locked(path.parent, timeout_s=30):
            yield
    except (OSError, TimeoutError) as err:
        raise DangjianError(f"无法写入反馈文件 {path}：{getattr(err, 'strerror', None) or err}") from err


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except (OSError, UnicodeDecodeError) as err:
        raise DangjianError(f"无法读取反馈文件 {path}：{err}") from err


Key = tuple[str, int]


def _parse(line: str) -> tuple[Key | None, dict[str, Any] | None]:
    """(key, record) of one line: key None for records without a conversation (older versions)
    and for lines that are no record at all; record None for the latter and for a retraction."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return None, None
    if not isinstance(rec, dict):
        return None, None
    key = (str(rec["conversation"]), int(rec["turn"])) \
        if rec.get("conversation") and isinstance(rec.get("turn"), int) else None
    return key, rec if rec.get("vote") is not None else None


def _live(lines: Iterable[str]) -> list[tuple[str, dict[str, Any] | None]]:
    """The lines that still count, in the order of each one's latest line: the last vote of every
    (conversation, turn) unless retracted after it, and every line without a key as it is."""
    latest: dict[Key | int, tuple[str, dict[str, Any] | None]] = {}
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        key, rec = _parse(line)
        if key is None:
            latest[n] = (line, rec)  # unkeyed: never replaced (an int never equals a Key)
            continue
        latest.pop(key, None)  # re-inserted below: the order follows the latest vote
        if rec is not None:
            latest[key] = (line, rec)
    return list(latest.values())


@dataclass(slots=True)
class _Log:
    """What this process has read of one feedback file, so a vote need not read it again.

    (dev, ino, size, mtime) as last seen: unchanged → nothing to read; the same file grown with the
    same first line → read only the new bytes; anything else (another process compacted it, or it
    was replaced) → read it all. Only the compaction decision and the skipping of an undo of a
    vote that does not exist rely on it; the records themselves are always in the file."""

    stat: tuple[int, int, int, int] = (0, 0, 0, 0)
    head: bytes = b""  # the first line: a compacted or replaced file starts otherwise (or is smaller)
    lines: int = 0  # non-blank lines
    live: set[Key] = field(default_factory=set)  # keys whose latest line is a vote
    loose: int = 0  # lines without a key, kept as they are
    newline: bool = True  # ends with "\n" (or is empty): the next line can be appended as it is

    @property
    def wasteful(self) -> bool:
        """More than twice as many lines as live records: time to compact."""
        return self.lines > 2 * (len(self.live) + self.loose)

    def add(self, data: bytes) -> None:
        """Account for `data` appended to the file (whole lines, the last maybe unterminated)."""
        if not data:
            return
        text = data.decode("utf-8", errors="replace")
        if not self.newline:  # the rest of a line begun without its end: a broken line, counted once
            text = text.partition("\n")[2] if "\n" in text else ""
        for line in text.splitlines():
            if not line.strip():
                continue
            self.lines += 1
            key, rec = _parse(line)
            if key is None:
                self.loose += 1
            elif rec is None:
                self.live.discard(key)
            else:
                self.live.add(key)
        self.newline = data.endswith(b"\n")


_logs: dict[Path, _Log] = {}  # read and changed only under _write_lock


def _stat(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _caught_up(path: Path) -> _Log:
    """This process's `_Log` of `path`, brought up to the file as it is now (under the lock)."""
    key = path.resolve()
    try:
        st = path.stat()
    except FileNotFoundError:
        _logs[key] = _Log()
        return _logs[key]
    log = _logs.get(key)
    if log is not None and log.stat == _stat(st):
        return log
    with path.open("rb") as fh:
        head = fh.readline()
        same = (log is not None and log.stat[:2] == (st.st_dev, st.st_ino) and log.stat[2] <= st.st_size
                and head == log.head)
        if log is None or not same:
            log = _Log(head=head)
            fh.seek(0)
        else:
            fh.seek(log.stat[2])
        log.add(fh.read())
    log.stat = _stat(st)
    _logs[key] = log
    return log


def _append(path: Path, log: _Log, line: str) -> None:
    """Append one line (after a newline, should the file end in a broken line) and account for it."""
    data = ("" if log.newline else "\n") + line + "\n"
    with path.open("ab") as fh:
        fh.write(data.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
        st = os.fstat(fh.fileno())
    if not log.head:
        log.head = (line + "\n").encode("utf-8")
    log.add(data.encode("utf-8"))
    log.stat = _stat(st)


def _compact(path: Path) -> None:
    """Rewrite `path` as its live lines (written aside, then renamed) and remember the result."""
    kept = [line for line, _rec in _live(_lines(path))]
    data = "".join(line + "\n" for line in kept).encode("utf-8")
    fsutil.atomic_write(path, data)
    log = _Log(head=data.partition(b"\n")[0] + b"\n" if data else b"")
    log.add(data)
    log.stat = _stat(path.stat())
    _logs[path.resolve()] = log


def set_vote(
    path: Path, *, conversation: str, turn: int, vote: str | None, **fields: Any
) -> dict[str, Any] | None:
    """Record the vote on turn `turn` of `conversation` (replacing any earlier one); `vote=None`
    removes it. Returns the record written, or None after an undo. One appended line, O(1)
    amortised: the occasional compaction rewrites L live records after at least L+1 votes."""
    if not conversation:
        raise DangjianError("反馈缺少对话标识")
    rec = make_record(vote=vote, conversation=conversation, turn=turn, **fields) if vote is not None else None
    with _locked(path):
        try:
            log = _caught_up(path)
            if rec is None and (conversation, turn) not in log.live:
                return None  # nothing to undo
            line = rec if rec is not None else {
                "time": datetime.now().astimezone().isoformat(timespec="seconds"),
                "conversation": conversation, "turn": turn, "vote": None}
            _append(path, log, json.dumps(line, ensure_ascii=False))
            if log.wasteful:
                _compact(path)
        except OSError as err:
            _logs.pop(path.resolve(), None)  # unsure what reached the file: read it again next time
            raise DangjianError(f"无法写入反馈文件 {path}：{err.strerror or err}") from err
    return rec


def append(path: Path, record: dict[str, Any]) -> None:
    """Append one record as a JSON line, under the same lock as `set_vote` (parents created)."""
    line = json.dumps(record, ensure_ascii=False)
    with _locked(path):
        try:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as err:
            raise DangjianError(f"无法写入反馈文件 {path}：{err.strerror or err}") from err


def record(path: Path, **fields: Any) -> dict[str, Any]:
    """`make_record(**fields)` then `append`: a vote outside any conversation (scripts, old pages)."""
    rec = make_record(**fields)
    append(path, rec)
    return rec


def read(path: Path) -> list[dict[str, Any]]:
    """The live well-formed records (the latest vote of each conversation turn, unless retracted,
    and every record without one), in the order of their latest line; a missing file is empty,
    broken lines are skipped."""
    return [rec for _line, rec in _live(_lines(path))
            if rec is not None and isinstance(rec.get("question"), str) and rec.get("vote") in VOTES]


def _gold(citations: Iterable[str], primary_doc: str) -> list[int | str]:
    gold: list[int | str] = []
    for key in citations:
        doc_id, _, ref = str(key).rpartition("#")
        item: int | str = int(ref) if ref.isdigit() and (doc_id == primary_doc or not doc_id) else key
        if item not in gold:
            gold.append(item)
    return gold


def _row(question: str, history: tuple[str, ...], rec: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha1(json.dumps([question, history], ensure_ascii=False).encode()).hexdigest()
    head = {"id": f"fb-{digest[:10]}", "question": question, "history": list(history)}
    if rec["vote"] == "down":  # a wrong answer's citations are no gold: a reviewer decides
        return {**head, "category": REVIEW, "vote": "down", "reason": str(rec.get("reason") or ""),
                "answer": str(rec.get("answer") or ""), "citations": list(rec.get("citations") or ())}
    return {**head, "gold": _gold(rec.get("citations") or (), str(rec.get("primary_doc") or "")),
            "answerable": not rec.get("abstained", False), "must_include": [], "category": "feedback",
            "vote": "up"}


def to_eval(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """👍 → candidate eval questions, 👎 → needs-review items; the latest vote wins for a repeated
    (question, history), whichever conversation it came from."""
    latest: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for rec in records:
        history = tuple(str(h) for h in rec.get("history") or ())
        key = (rec["question"], history)
        latest.pop(key, None)  # re-insert so the order follows the latest vote
        latest[key] = rec
    return [_row(question, history, rec) for (question, history), rec in latest.items()]


def export(path: Path, out: Path | None = None) -> tuple[list[dict[str, Any]], str]:
    """Read `path`, convert, and write JSONL to `out` (or return it for stdout). → (rows, text).
    A missing feedback file is an error: exporting nothing silently would hide a wrong path."""
    if not path.is_file():
        raise DangjianError(f"找不到反馈文件 {path}：网页上还没有人点过 👍/👎，或路径不对"
                            "（--feedback 文件，或 DANGJIAN_FEEDBACK_PATH）")
    return export_records(read(path), out)


def export_records(records: Iterable[dict[str, Any]],
                   out: Path | None = None) -> tuple[list[dict[str, Any]], str]:
    """`to_eval(records)` as JSONL, written to `out` (or returned for stdout). → (rows, text)."""
    rows = to_eval(records)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as err:
            raise DangjianError(f"无法写入 {out}：{err.strerror or err}") from err
    return rows, text
