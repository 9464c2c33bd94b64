"""What older versions wrote beside the server, imported into the database once, nothing lost.

    db = open_database(settings)   # the settings' database, with these imported first:

- `<data_dir>/conversations.sqlite3` (ui/conversations.py's file): every conversation whose id the
  database does not hold yet, with its turns, in one transaction;
- `settings.feedback_path` (feedback.jsonl, rag.eval.feedback's log): its live records in their
  order, except keys the database already holds a (newer) vote for.

After a committed import the file is renamed `<name>.imported-<time>` and kept as a backup: the
next start does not import it again, and a crash between the commit and the rename imports it
again harmlessly (ids and keys already present are skipped).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..config import Settings
from ..errors import DatabaseError
from ..eval.feedback import read as read_log
from .engine import Database, database_url
from .schema import conversations as C
from .schema import feedback as F
from .schema import turns as T

OLD_CONVERSATIONS = "conversations.sqlite3"
_opened: set[tuple[str, str, str]] = set()
_opened_lock = threading.Lock()


def open_database(settings: Settings) -> Database:
    """The settings' database, migrated, with the older files of this data folder imported once."""
    db = Database(database_url(settings))
    key = (db.url, str(settings.data_dir.absolute()), str(settings.feedback_path.absolute()))
    if key not in _opened:
        with _opened_lock:
            if key not in _opened:
                import_conversations(db, settings.data_dir / OLD_CONVERSATIONS)
                import_feedback(db, settings.feedback_path)
                _opened.add(key)
    return db


def _set_aside(path: Path) -> Path:
    """Rename an imported file so it is not imported again; returns its new name. A SQLite file's
    -wal and -shm go with it (the last connection's close normally removed them)."""
    done = path.with_name(f"{path.name}.imported-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, done.with_name(done.name + suffix))
        os.replace(path, done)
    except OSError as err:
        raise DatabaseError(f"已导入 {path}，但无法改名为 {done.name}：{err.strerror or err}") from err
    return done


def _old_rows(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(conversations, turns) of an older conversations.sqlite3."""
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as old:
            heads = old.execute("SELECT id, owner, title, created, updated FROM conversations").fetchall()
            rows = old.execute("SELECT conversation, n, data FROM turns").fetchall()
    except sqlite3.Error as err:
        raise DatabaseError(f"无法读取旧版对话记录 {path}：{err}") from err
    return heads, rows


def import_conversations(db: Database, path: Path) -> int:
    """Import an older conversations.sqlite3 (see the module doc); the number of conversations added."""
    if not path.is_file() or Path(db.engine.url.database or "").absolute() == path.absolute():
        return 0
    heads, rows = _old_rows(path)
    with db.write() as conn:
        have = set(conn.scalars(sa.select(C.c.id)))
        new = [h for h in heads if h[0] not in have]
        ids = {h[0] for h in new}
        if new:
            conn.execute(sa.insert(C), [dict(id=h[0], owner=h[1], title=h[2], created=h[3], updated=h[4])
                                        for h in new])
        kept = [dict(conversation=r[0], n=r[1], data=r[2]) for r in rows if r[0] in ids]
        if kept:
            conn.execute(sa.insert(T), kept)
    _set_aside(path)
    return len(new)


def vote_key(rec: dict[str, Any]) -> tuple[str, int] | None:
    """(conversation, turn) of a record, None for one from before conversations (as the log read it)."""
    conversation, turn = rec.get("conversation"), rec.get("turn")
    return (str(conversation), turn) if conversation and isinstance(turn, int) else None


def insert_vote(conn: Connection, rec: dict[str, Any]) -> None:
    """One record as the newest row (its key's older row must be gone)."""
    key = vote_key(rec)
    conn.execute(sa.insert(F).values(conversation=key[0] if key else None, turn=key[1] if key else None,
                                     data=json.dumps(rec, ensure_ascii=False)))


def _keyed(conn: Connection) -> set[tuple[str, int]]:
    rows = conn.execute(sa.select(F.c.conversation, F.c.turn).where(F.c.conversation.is_not(None)))
    return {(str(r[0]), int(r[1])) for r in rows}


def import_feedback(db: Database, path: Path) -> int:
    """Import an older feedback.jsonl (see the module doc); the number of records added."""
    if not path.is_file():
        return 0
    records = read_log(path)
    with db.write() as conn:
        have = _keyed(conn)
        added = 0
        for rec in records:
            key = vote_key(rec)
            if key is not None and key in have:
                continue
            insert_vote(conn, rec)
            added += 1
    _set_aside(path)
    return added
