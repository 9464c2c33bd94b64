"""Saved conversations, every row scoped to its owner, in the database (SQLite or PostgreSQL).

    store = store_for(settings)
    cid = store.create(owner, "第8条要求什么？")
    n = store.add_turn(owner, cid, turn)        # → the turn's index (0, 1, …)
    store.list(owner) / get(owner, cid) / rename(owner, cid, title) / delete(owner, cid)

`owner` is the string `ui.access.owner_of` derives from a request ("user:…" with --auth,
"visitor:…" from the random-id cookie without). Every read and write names the owner, so one
owner can never see, change or delete another's conversation: a foreign id behaves like a missing
one. A turn is the page's dict (question, history, answer JSON, vote, …) stored as JSON text.

Quotas (rag/config.py): an owner keeps at most MAX_CONVERSATIONS — `create` removes the least
recently updated ones beyond it, in the same transaction — and a conversation at most
MAX_TURNS_PER_CONVERSATION turns: `add_turn` then raises `ConversationFull` (a DangjianError with
the Chinese message the page shows). `add_turn` locks the conversation's row, so turns appended at
once by two replicas (or threads) get consecutive numbers.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..config import MAX_CONVERSATIONS, MAX_TURNS_PER_CONVERSATION, Settings
from ..errors import DangjianError
from .engine import Database
from .legacy import open_database
from .schema import conversations as C
from .schema import json_objects
from .schema import turns as T

MAX_TITLE = 60
MAX_LISTED = 200


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


def _owned(owner: str, cid: str) -> sa.ColumnElement[bool]:
    return sa.and_(C.c.id == cid, C.c.owner == owner)


class Store:
    """The conversations of every owner in one database."""

    def __init__(self, db: Database, *, max_conversations: int = MAX_CONVERSATIONS,
                 max_turns: int = MAX_TURNS_PER_CONVERSATION) -> None:
        self.db = db
        self.max_conversations = max_conversations
        self.max_turns = max_turns

    def create(self, owner: str, title: str) -> str:
        """A new conversation of `owner`; beyond `max_conversations` the owner's least recently
        updated ones are deleted (with their turns) in the same transaction."""
        cid = secrets.token_urlsafe(12)
        now = time.time()
        with self.db.write() as conn:
            conn.execute(sa.insert(C).values(id=cid, owner=owner, title=title_of(title) or "新对话",
                                             created=now, updated=now))
            beyond = (sa.select(C.c.id).where(C.c.owner == owner)
                      .order_by(C.c.updated.desc(), C.c.created.desc()).offset(self.max_conversations))
            old = list(conn.scalars(beyond))
            if old:
                conn.execute(sa.delete(T).where(T.c.conversation.in_(old)))
                conn.execute(sa.delete(C).where(C.c.id.in_(old)))
        return cid

    def add_turn(self, owner: str, cid: str, turn: dict[str, Any]) -> int | None:
        """Append `turn`; its index, or None when `cid` is not this owner's conversation.
        `ConversationFull` when it already holds `max_turns` turns."""
        data = json.dumps(turn, ensure_ascii=False)
        with self.db.write() as conn:
            if conn.execute(sa.select(C.c.id).where(_owned(owner, cid)).with_for_update()).first() is None:
                return None
            count = sa.select(sa.func.count()).select_from(T).where(T.c.conversation == cid)
            n = int(conn.scalar(count) or 0)
            if n >= self.max_turns:
                raise ConversationFull(f"这个对话已有 {self.max_turns} 轮问答，达到上限，"
                                       "这条回答未保存：请点“新对话”继续提问")
            conn.execute(sa.insert(T).values(conversation=cid, n=n, data=data))
            conn.execute(sa.update(C).where(C.c.id == cid).values(updated=time.time()))
        return n

    def set_turn(self, owner: str, cid: str, n: int, turn: dict[str, Any]) -> bool:
        """Replace turn `n` (a vote changed); False when it is not this owner's."""
        data = json.dumps(turn, ensure_ascii=False)
        mine = sa.select(C.c.id).where(_owned(owner, cid))
        with self.db.write() as conn:
            done = conn.execute(sa.update(T).where(T.c.conversation == cid, T.c.n == n,
                                                   T.c.conversation.in_(mine)).values(data=data))
            return done.rowcount == 1

    def list(self, owner: str, *, limit: int = MAX_LISTED) -> list[Summary]:
        """This owner's conversations, the most recently used first."""
        count = (sa.select(sa.func.count()).select_from(T).where(T.c.conversation == C.c.id)
                 .correlate(C).scalar_subquery())
        query = (sa.select(C.c.id, C.c.title, C.c.created, C.c.updated, count)
                 .where(C.c.owner == owner).order_by(C.c.updated.desc()).limit(limit))
        with self.db.read() as conn:
            return [Summary(r[0], r[1], r[2], r[3], int(r[4])) for r in conn.execute(query)]

    def get(self, owner: str, cid: str) -> Conversation | None:
        with self.db.read() as conn:
            head = conn.execute(sa.select(C.c.id, C.c.title, C.c.created, C.c.updated)
                                .where(_owned(owner, cid))).first()
            if head is None:
                return None
            rows = list(conn.scalars(sa.select(T.c.data).where(T.c.conversation == cid).order_by(T.c.n)))
        return Conversation(head[0], head[1], head[2], head[3], tuple(json_objects(rows)))

    def rename(self, owner: str, cid: str, title: str) -> bool:
        title = title_of(title)
        if not title:
            return False
        with self.db.write() as conn:
            return conn.execute(sa.update(C).where(_owned(owner, cid)).values(title=title)).rowcount == 1

    def delete(self, owner: str, cid: str) -> bool:
        with self.db.write() as conn:
            return _delete(conn, owner, cid)


def _delete(conn: Connection, owner: str, cid: str) -> bool:
    if conn.execute(sa.select(C.c.id).where(_owned(owner, cid)).with_for_update()).first() is None:
        return False
    conn.execute(sa.delete(T).where(T.c.conversation == cid))  # not left to ON DELETE CASCADE: an
    conn.execute(sa.delete(C).where(C.c.id == cid))  # older file may predate the foreign key pragma
    return True


def store_for(settings: Settings) -> Store:
    """The store of the settings' database (a new handle each time: the engine is shared per URL);
    an older conversations.sqlite3 in the data folder is imported on first use."""
    return Store(open_database(settings))
