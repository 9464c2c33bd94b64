"""The database every store writes to: its URL, one engine per URL per process, migrated on first use.

    url = database_url(settings)   # settings.database_url, else sqlite:///<data_dir>/dangjian.sqlite3
    engine = engine_for(url)       # created once, migrated to the newest schema version

SQLAlchemy Core speaks both dialects; what differs is only how a connection is set up. SQLite: a
pool of open connections (a new one per use re-opened the file and re-ran the pragmas on every
save), each set up once by the connect event — WAL so readers proceed during a write, foreign keys
on, synchronous=NORMAL — and every write transaction starts with `BEGIN IMMEDIATE` so concurrent
writers queue on `busy_timeout` instead of failing when a read lock would have to be upgraded. The
pool hands a connection to one thread at a time (the driver is built serialized and
`check_same_thread` is off), and a transaction a failed block left open is rolled back on return.
PostgreSQL (psycopg 3): a small pool, connections checked before use so a restarted server costs
one retry, not an error page. Row locks (`FOR UPDATE`) serialise the writes that must see each
other there; SQLite's compiler leaves them out (IMMEDIATE already did it). Either pool drops what
it holds in a forked child (a connection never crosses `fork`: both processes would use its socket
or file locks), so a child opens its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, SQLAlchemyError

from ..config import Settings
from ..errors import DatabaseError
from .schema import migrate

DB_NAME = "dangjian.sqlite3"
SQLITE_BUSY_MS = 10_000
# Connections kept open per SQLite file; more threads at once get extra ones, closed when returned
# (never a wait for a free connection: SQLite's own write lock is what writers queue on).
SQLITE_POOL = 8
_T = TypeVar("_T")
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def database_url(settings: Settings) -> str:
    """The configured URL, else the embedded SQLite file in the data folder (zero setup)."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / DB_NAME).absolute()}"


def shared(settings: Settings) -> bool:
    """Is the database named explicitly (replicas may share it) rather than the embedded default?"""
    return bool(settings.database_url)


def _parse(url: str) -> URL:
    """`postgresql://` means psycopg 3 (SQLAlchemy's bare default would be psycopg2, not installed)."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseError(f"数据库地址格式不对：{redact(url)}"
                            "（例如 postgresql://用户:密码@主机/库名）") from err
    if parsed.drivername in _DRIVERS:
        parsed = parsed.set(drivername=_DRIVERS[parsed.drivername])
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"不支持的数据库：{parsed.get_backend_name()}（支持 SQLite 与 PostgreSQL）")
    return parsed


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "（无法解析的地址）"


def _forget_after_fork(engine: Engine) -> None:
    """A pooled connection opened before a `fork` is discarded in the child, not shared with the
    parent (SQLAlchemy's recipe for pools and os.fork)."""

    @event.listens_for(engine, "connect")
    def _born(_dbapi_conn: Any, record: Any) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi_conn: Any, record: Any, proxy: Any) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None  # not closed: the parent's
            raise DisconnectionError("connection opened in another process")  # the pool reconnects


def _sqlite_engine(url: URL, *, pooled: bool = True) -> Engine:
    """`pooled=False`: a new connection per use, as before the pool (scripts/bench_db.py's baseline)."""
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = ({"poolclass": sa.pool.QueuePool, "pool_size": SQLITE_POOL, "max_overflow": -1}
                            if pooled else {"poolclass": sa.pool.NullPool})
    engine = sa.create_engine(url, **pool,
                              connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False})
    _forget_after_fork(engine)

    @event.listens_for(engine, "connect")
    def _setup(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        # WAL without an fsync per commit: a crash of the process loses nothing, a power cut at
        # most the last turns, never the file; the writer lock is held ~0.05 ms instead of an
        # fsync (1–8 ms here) that every other answer's save queued behind (scripts/load_page.py)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def _create(url: str, *, pooled: bool = True) -> Engine:
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, pooled=pooled)
    engine = sa.create_engine(parsed, pool_size=4, max_overflow=8, pool_pre_ping=True, pool_recycle=1800,
                              connect_args={"connect_timeout": 10})
    _forget_after_fork(engine)
    return engine


def engine_for(url: str) -> Engine:
    """The process's engine for `url`, migrated to the newest schema on first use."""
    engine = _engines.get(url)
    if engine is not None:
        return engine
    with _engines_lock:
        if url not in _engines:
            with converted(url):
                engine = _create(url)
                migrate(engine, write_options={"write": True})
            _engines[url] = engine
        return _engines[url]


def dispose(url: str) -> None:
    """Close the pooled connections of `url`'s engine and forget it (tests; a server shutting down)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@contextmanager
def converted(url: str) -> Iterator[None]:
    """A database failure inside the block becomes a DatabaseError naming the URL (password hidden)."""
    try:
        yield
    except (SQLAlchemyError, OSError) as err:
        detail = " ".join(str(getattr(err, "orig", None) or err).split())[:300]
        raise DatabaseError(f"无法读写数据库 {redact(url)}：{detail}") from err


class Database:
    """One URL's engine and the two kinds of transaction the stores use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads (a consistent snapshot on PostgreSQL)."""
        with converted(self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that writes: committed when the block ends, rolled back if it raises."""
        with converted(self.url), self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                yield conn

    def retry(self, work: Callable[[Connection], _T], *, attempts: int = 3) -> _T:
        """`work` in a write transaction, again when two writers collided (a unique key both tried
        to take on PostgreSQL, where rows that do not exist yet cannot be locked)."""
        for attempt in range(attempts):
            try:
                with self.write() as conn:
                    return work(conn)
            except DatabaseError as err:
                if attempt == attempts - 1 or not isinstance(err.__cause__, sa.exc.IntegrityError):
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")
