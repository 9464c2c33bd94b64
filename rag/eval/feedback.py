"""User feedback (👍/👎 per answer) and its export: 👍 as candidate eval questions, 👎 for review.

The file is JSONL, one record per line, and holds **one record per (conversation, turn)**:

    {"time": "2025-05-01T10:00:00+08:00", "conversation": "k3J…", "turn": 0,
     "question": "第8条要求什么？", "history": [], "answer": "第8条 …", "abstained": false,
     "kind": "item", "citations": ["dongzhi-2025-3#8"], "primary_doc": "dongzhi-2025-3",
     "vote": "up", "reason": ""}

`set_vote` is the page's only write: the last state wins (a new vote replaces the old record),
`vote=None` (undo) removes it, so repeated clicks never duplicate. Each write rereads the file,
replaces the record and renames a complete new file into place, under a lock held across threads
and processes (`rag.fsutil.locked` on the file's folder), so concurrent votes are never lost or
interleaved. Records written by older versions (no conversation) are kept as they are.

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
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from .. import fsutil
from ..errors import DangjianError

Vote = Literal["up", "down"]
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


def _key(line: str) -> tuple[str, int] | None:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return None
    if isinstance(rec, dict) and rec.get("conversation") and isinstance(rec.get("turn"), int):
        return str(rec["conversation"]), int(rec["turn"])
    return None


def set_vote(
    path: Path, *, conversation: str, turn: int, vote: str | None, **fields: Any
) -> dict[str, Any] | None:
    """Record the vote on turn `turn` of `conversation` (replacing any earlier one); `vote=None`
    removes it. Returns the record written, or None after an undo."""
    if not conversation:
        raise DangjianError("反馈缺少对话标识")
    rec = make_record(vote=vote, conversation=conversation, turn=turn, **fields) if vote is not None else None
    with _locked(path):
        kept = [line for line in _lines(path) if line.strip() and _key(line) != (conversation, turn)]
        if rec is not None:
            kept.append(json.dumps(rec, ensure_ascii=False))
        try:
            fsutil.atomic_write(path, "".join(line + "\n" for line in kept).encode("utf-8"))
        except OSError as err:
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
    """All well-formed records; a missing file is empty, broken lines are skipped."""
    out = []
    for line in _lines(path):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("question"), str) and rec.get("vote") in VOTES:
            out.append(rec)
    return out


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
    rows = to_eval(read(path))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as err:
            raise DangjianError(f"无法写入 {out}：{err.strerror or err}") from err
    return rows, text
