"""Registry changes announced at once on PostgreSQL: NOTIFY at publish, LISTEN on every replica.

    announce(conn, generation)    # inside the publish transaction: delivered when it commits
    listener = Listener(db)
    listener.wait(1.0, stop)      # True as soon as a publish committed (on any replica), else
                                  # False after the timeout (or `stop` set): polling stays the fallback

The notification only says "look now"; the generation row stays the truth (`Replica.poll`), so a
notification lost (a dropped connection, a replica started after it) costs at most one polling
interval. SQLite has no notifications: `wait` is the interval itself. The listening connection is
the replica's own, outside the engine's pool (it holds LISTEN for the process's lifetime); when it
breaks, `wait` sleeps out that interval and the next call connects again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .engine import Database

CHANNEL = "dangjian_registry"
STOP_CHECK_S = 0.5


def announce(conn: Connection, generation: int) -> None:
    """Tell the listening replicas that `generation` is published (PostgreSQL; nothing on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(CHANNEL, str(generation))))


class Listener:
    """One LISTEN connection to the registry's database, used by one thread (the replica's follower)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Any = None  # a psycopg.Connection in autocommit mode, once connected

    @property
    def active(self) -> bool:
        return self.db.dialect == "postgresql"

    def _connect(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            url = self.db.engine.url.set(drivername="postgresql")
            self._conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                                         connect_timeout=10)
            self._conn.execute(f"LISTEN {CHANNEL}")
        return self._conn

    def wait(self, timeout_s: float, stop: threading.Event) -> bool:
        """Block until a publish is announced (True), or `timeout_s` passes or `stop` is set (False;
        seen within STOP_CHECK_S, so a long polling interval does not hold up a shutdown)."""
        if not self.active or stop.is_set():
            stop.wait(timeout_s)
            return False
        import psycopg

        try:
            conn = self._connect()
            deadline = time.monotonic() + timeout_s
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                if any(True for _ in conn.notifies(timeout=min(left, STOP_CHECK_S), stop_after=1)):
                    return True
            return False
        except psycopg.Error:  # the server restarted or the connection dropped: poll this round
            self.close()
            stop.wait(timeout_s)
            return False

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
