"""Saved conversations: one SQLite file (WAL) in the data folder, every row scoped to its owner.

    store = store_for(settings)                 # <data_dir>/conversations.sqlite3
    cid = store.create(owner, "第8条要求什么？")
    n = store.add_turn(owner, cid, turn)        # → the turn's index (0, 1, …)
    store.list(owner) / get(owner, cid) / rename(owner, cid, title) / delete(owner, cid)

`owner` is the string `ui.access.owner_of` derives from a request ("user:…" with --auth,
"visitor:…" from the random-id cookie without). Every read and write names the owner, so one
owner can never see, change or delete another's conversation: a foreign id behaves like a missing
one. A turn is the page's dict (question, history, answer JSON, vote, …) stored as JSON text.
Each call opens its own short-lived connection: handlers run on many threads, SQLite's WAL lets
readers proceed during a write, and `busy_timeout` queues concurrent writers.

Quotas (rag/config.py): an owner keeps at most MAX_CONVERSATIONS — `create` removes the least
recently updated ones beyond it, in the same transaction — and a conversation at most
MAX_TURNS_PER_CONVERSATION turns: `add_turn` then raises `ConversationFull` (a DangjianError with
the Chinese message the page shows).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import MAX_CONVERSATIONS, MAX_TURNS_PER_CONVERSATION, Settings
from rag.errors import DangjianError

DB_NAME = "conversations.sqlite3"
MAX_TITLE = 60
MAX_LISTED = 200
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (conversation, n));
"""
_ready: set[Path] = set()
_ready_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Summary:
    id: str
    title: str
    created: float
    updated: float
    turns: int


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float
    turns: tuple[dict[str, Any], ...]


def title_of(question: str) -> str:
    """A conversation's default title: its first question, on one line, cut to MAX_TITLE."""
    line = " ".join(question.split())
    return line if len(line) <= MAX_TITLE else line[:MAX_TITLE - 1] + "…"


class ConversationFull(DangjianError):
    """A conversation holds MAX_TURNS_PER_CONVERSATION turns: the next answer goes in a new one."""


class Store:
    """The conversations of every owner in one SQLite file."""

    def __init__(self, path: Path, *, max_conversations: int = MAX_CONVERSATIONS,
                 max_turns: int = MAX_TURNS_PER_CONVERSATION) -> None:
        self.path = path
        self.max_conversations = max_conversations
        self.max_turns = max_turns

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self._init()
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA busy_timeout = 10000")
                # WAL without an fsync per commit: a crash of the process loses nothing, a power
                # cut at most the last turns, never the file; the writer lock is held ~0.05 ms
                # instead of an fsync (1–8 ms here) that every other answer's save queued behind
                conn.execute("PRAGMA synchronous = NORMAL")
                yield conn
            finally:
                conn.close()
        except sqlite3.Error as err:
            raise DangjianError(f"无法读写对话记录 {self.path}：{err}") from err
        except OSError as err:
            raise DangjianError(f"无法读写对话记录 {self.path}：{err.strerror or err}") from err

    def _init(self) -> None:
        key = self.path.resolve()
        if key in _ready and self.path.exists():
            return
        with _ready_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
            finally:
                conn.close()
            _ready.add(key)

    def create(self, owner: str, title: str) -> str:
        """A new conversation of `owner`; beyond `max_conversations` the owner's least recently
        updated ones are deleted (with their turns) in the same transaction."""
        cid = secrets.token_urlsafe(12)
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                           (cid, owner, title_of(title) or "新对话", now, now))
                db.execute(
                    "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE owner = ? "
                    "ORDER BY updated DESC, created DESC LIMIT -1 OFFSET ?)", (owner, self.max_conversations))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return cid

    def _owns(self, db: sqlite3.Connection, owner: str, cid: str) -> bool:
        row = db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (cid, owner)).fetchone()
        return row is not None

    def add_turn(self, owner: str, cid: str, turn: dict[str, Any]) -> int | None:
        """Append `turn`; its index, or None when `cid` is not this owner's conversation.
        `ConversationFull` when it already holds `max_turns` turns."""
        data = json.dumps(turn, ensure_ascii=False)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if not self._owns(db, owner, cid):
                    db.execute("ROLLBACK")
                    return None
                (n,) = db.execute("SELECT COUNT(*) FROM turns WHERE conversation = ?", (cid,)).fetchone()
                if n >= self.max_turns:
                    raise ConversationFull(f"这个对话已有 {self.max_turns} 轮问答，达到上限，"
                                           "这条回答未保存：请点“新对话”继续提问")
                db.execute("INSERT INTO turns VALUES (?, ?, ?)", (cid, n, data))
                db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), cid))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return int(n)

    def set_turn(self, owner: str, cid: str, n: int, turn: dict[str, Any]) -> bool:
        """Replace turn `n` (a vote changed); False when it is not this owner's."""
        data = json.dumps(turn, ensure_ascii=False)
        with self._db() as db:
            cur = db.execute(
                "UPDATE turns SET data = ? WHERE conversation = ? AND n = ? AND conversation IN "
                "(SELECT id FROM conversations WHERE id = ? AND owner = ?)", (data, cid, n, cid, owner))
            return cur.rowcount == 1

    def list(self, owner: str, *, limit: int = MAX_LISTED) -> list[Summary]:
        """This owner's conversations, the most recently used first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.n) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation = c.id WHERE c.owner = ? "
                "GROUP BY c.id ORDER BY c.updated DESC LIMIT ?", (owner, limit)).fetchall()
        return [Summary(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def get(self, owner: str, cid: str) -> Conversation | None:
        with self._db() as db:
            head = db.execute(
                "SELECT id, title, created, updated FROM conversations WHERE id = ? AND owner = ?",
                (cid, owner),
            ).fetchone()
            if head is None:
                return None
            rows = db.execute("SELECT data FROM turns WHERE conversation = ? ORDER BY n", (cid,)).fetchall()
        turns = []
        for (data,) in rows:
            try:
                turn = json.loads(data)
            except json.JSONDecodeError:
                continue
            if isinstance(turn, dict):
                turns.append(turn)
        return Conversation(head[0], head[1], head[2], head[3], tuple(turns))

    def rename(self, owner: str, cid: str, title: str) -> bool:
        title = title_of(title)
        if not title:
            return False
        with self._db() as db:
            cur = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, cid, owner)
            )
            return cur.rowcount == 1

    def delete(self, owner: str, cid: str) -> bool:
        with self._db() as db:
            cur = db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (cid, owner))
            return cur.rowcount == 1


def store_for(settings: Settings) -> Store:
    """The store in the settings' data folder (a new handle each time: handles hold no connection)."""
    return Store(settings.data_dir / DB_NAME)
