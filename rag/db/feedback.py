"""The page's 👍/👎 votes in the database: one row per (conversation, turn), the latest vote wins.

    votes = votes_for(settings)
    votes.set_vote(conversation="k3J…", turn=0, vote="up", question=…, …)   # → the record
    votes.set_vote(conversation="k3J…", turn=0, vote=None)                   # undo → None
    votes.records()            # the live records, in the order of their latest vote

A record is `rag.eval.feedback.make_record`'s dict, stored whole as JSON, so `rag.eval.feedback.to_eval`
turns these rows into eval candidates exactly as it did the lines of the old feedback.jsonl (which
`rag.db.legacy` imports once). A vote replaces the row of its key with a new one (a new `seq`, so
the order follows the latest vote, as the log's line order did); records from before conversations
existed have no key and are kept as they are.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..config import Settings
from ..errors import DangjianError
from ..eval.feedback import VOTES, make_record
from .engine import Database
from .legacy import insert_vote, open_database
from .schema import feedback as F
from .schema import json_objects


class Votes:
    """Feedback records in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def set_vote(self, *, conversation: str, turn: int, vote: str | None,
                 **fields: Any) -> dict[str, Any] | None:
        """Record the vote on turn `turn` of `conversation` (replacing any earlier one); `vote=None`
        removes it. Returns the record written, or None after an undo."""
        if not conversation:
            raise DangjianError("反馈缺少对话标识")
        rec = None if vote is None else make_record(vote=vote, conversation=conversation, turn=turn, **fields)

        def write(conn: Connection) -> None:
            conn.execute(sa.delete(F).where(F.c.conversation == conversation, F.c.turn == turn))
            if rec is not None:
                insert_vote(conn, rec)

        self.db.retry(write)  # two first votes on one turn at once: one insert collides, then replaces
        return rec

    def record(self, **fields: Any) -> dict[str, Any]:
        """A vote outside any conversation (scripts): kept beside the others, never replaced."""
        rec = make_record(**fields)
        with self.db.write() as conn:
            insert_vote(conn, rec)
        return rec

    def records(self) -> list[dict[str, Any]]:
        """The live well-formed records, oldest latest-vote first (what `to_eval` takes)."""
        with self.db.read() as conn:
            rows = list(conn.scalars(sa.select(F.c.data).order_by(F.c.seq)))
        return [rec for rec in json_objects(rows)
                if isinstance(rec.get("question"), str) and rec.get("vote") in VOTES]


def votes_for(settings: Settings) -> Votes:
    """The votes of the settings' database (older feedback.jsonl imported on first use)."""
    return Votes(open_database(settings))
