"""User feedback (👍/👎 per answer): appended to a JSONL file, exported as candidate eval questions.

One record per vote, one JSON object per line:

    {"time": "2025-05-01T10:00:00+08:00", "question": "第8条要求什么？", "history": [],
     "answer": "第8条 …", "abstained": false, "kind": "item",
     "citations": ["dongzhi-2025-3#8"], "primary_doc": "dongzhi-2025-3", "vote": "up"}

`export` turns them into the schema of eval/questions.jsonl (`gold` as item numbers for the
primary document, `doc#ref` strings otherwise) so a reviewer can promote them into the eval set.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ..errors import DangjianError

Vote = Literal["up", "down"]
VOTES: tuple[str, ...] = ("up", "down")

_write_lock = threading.Lock()


def make_record(*, question: str, history: Sequence[str], answer: str, abstained: bool,
                citations: Iterable[str], vote: str, kind: str = "", primary_doc: str = "",
                time: str | None = None) -> dict[str, Any]:
    """A feedback record; `citations` are `doc_id#ref` keys (duplicates dropped, order kept)."""
    if vote not in VOTES:
        raise DangjianError(f"无效的反馈：“{vote}”（应为 up 或 down）")
    return {
        "time": time or datetime.now().astimezone().isoformat(timespec="seconds"),
        "question": question,
        "history": list(history),
        "answer": answer,
        "abstained": bool(abstained),
        "kind": kind,
        "citations": list(dict.fromkeys(citations)),
        "primary_doc": primary_doc,
        "vote": vote,
    }


def append(path: Path, record: dict[str, Any]) -> None:
    """Append one record as a JSON line (thread-safe within the process, parents created)."""
    line = json.dumps(record, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _write_lock, path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError as err:
        raise DangjianError(f"无法写入反馈文件 {path}：{err.strerror or err}") from err


def record(path: Path, **fields: Any) -> dict[str, Any]:
    """`make_record(**fields)` then `append`; returns the record written."""
    rec = make_record(**fields)
    append(path, rec)
    return rec


def read(path: Path) -> list[dict[str, Any]]:
    """All well-formed records; a missing file is empty, broken lines are skipped."""
    if not path.exists():
        return []
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DangjianError(f"无法读取反馈文件 {path}：{err}") from err
    for line in lines:
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


def to_eval(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidate eval questions; the latest vote wins for a repeated (question, history)."""
    latest: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for rec in records:
        history = tuple(str(h) for h in rec.get("history") or ())
        key = (rec["question"], history)
        latest.pop(key, None)  # re-insert so the order follows the latest vote
        latest[key] = rec
    out = []
    for (question, history), rec in latest.items():
        digest = hashlib.sha1(json.dumps([question, history], ensure_ascii=False).encode()).hexdigest()
        out.append({
            "id": f"fb-{digest[:10]}",
            "question": question,
            "history": list(history),
            "gold": _gold(rec.get("citations") or (), str(rec.get("primary_doc") or "")),
            "answerable": not rec.get("abstained", False),
            "must_include": [],
            "category": "feedback",
            "vote": rec["vote"],
        })
    return out


def export(path: Path, out: Path | None = None) -> tuple[list[dict[str, Any]], str]:
    """Read `path`, convert, and write JSONL to `out` (or return it for stdout). → (rows, text)."""
    rows = to_eval(read(path))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as err:
            raise DangjianError(f"无法写入 {out}：{err.strerror or err}") from err
    return rows, text
