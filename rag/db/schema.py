"""The tables, and the numbered migrations that create and change them (the app runs them, never a person).

`schema_migrations` records each applied version. `migrate` runs, in one write transaction per
version, every migration newer than the recorded ones and records it in the same transaction, so a
killed process leaves either the old schema or the new one (PostgreSQL and SQLite both roll DDL
back). Two processes starting together may both try a version: the second one's insert of the
version row collides on the primary key, its transaction rolls back, and it reads the versions
again. A later change to a table is a new migration appended to MIGRATIONS, never an edit of an old one.

    1  conversations, turns          what ui/conversations.py kept in conversations.sqlite3 (same columns)
    2  feedback                      the votes feedback.jsonl held, one row per (conversation, turn)
    3  documents, document_files, registry_state   the shared document registry and its generation
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("applied", sa.Float, nullable=False),
)

conversations = sa.Table(
    "conversations", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
    sa.Index("conversations_owner", "owner", "updated"),
)

turns = sa.Table(
    "turns", metadata,
    sa.Column("conversation", sa.Text, sa.ForeignKey("conversations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.Text, nullable=False),  # the page's turn dict as JSON
)

feedback = sa.Table(
    "feedback", metadata,
    # the order of the latest votes (a re-vote gets a new seq), as the log's line order was
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation", sa.Text, nullable=True),  # NULL: a record from before conversations
    sa.Column("turn", sa.Integer, nullable=True),
    sa.Column("data", sa.Text, nullable=False),  # the record (rag.eval.feedback.make_record) as JSON
    sa.UniqueConstraint("conversation", "turn", name="feedback_one_per_turn"),
    sqlite_autoincrement=True,
)

registry_state = sa.Table(
    "registry_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: one row
    sa.Column("generation", sa.BigInteger, nullable=False),  # +1 with every committed change
    sa.Column("updated", sa.Float, nullable=False),
)

documents = sa.Table(
    "documents", metadata,
    sa.Column("doc_id", sa.Text, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),  # manifest order: where the table goes
    sa.Column("entry", sa.Text, nullable=False),  # the manifest.toml table as JSON
    sa.Column("generation", sa.BigInteger, nullable=False),  # the generation that added it
)

document_files = sa.Table(
    "document_files", metadata,
    sa.Column("path", sa.Text, primary_key=True),  # corpus-relative: "x.txt", "originals/x.docx"
    sa.Column("doc_id", sa.Text, sa.ForeignKey("documents.doc_id", ondelete="CASCADE"), nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),  # bytea on PostgreSQL, BLOB on SQLite
)


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    def step(conn: Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)
    return step


def _registry(conn: Connection) -> None:
    _create(registry_state, documents, document_files)(conn)
    conn.execute(sa.insert(registry_state).values(id=1, generation=0, updated=time.time()))


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "conversations and turns", _create(conversations, turns)),
    (2, "feedback votes", _create(feedback)),
    (3, "document registry", _registry),
)


def applied(conn: Connection) -> set[int]:
    return set(conn.scalars(sa.select(schema_migrations.c.version)))


def migrate(engine: Engine, *, write_options: Mapping[str, Any], attempts: int = 5) -> list[int]:
    """Bring the database to the newest version; the versions applied now (none when current)."""
    done: list[int] = []
    for attempt in range(attempts):
        try:
            with engine.connect() as conn:
                conn.execution_options(**write_options)
                with conn.begin():
                    schema_migrations.create(conn, checkfirst=True)
                for version, name, step in MIGRATIONS:
                    with conn.begin():
                        if version in applied(conn):
                            continue
                        step(conn)
                        conn.execute(sa.insert(schema_migrations).values(version=version, name=name,
                                                                         applied=time.time()))
                    done.append(version)
            return done
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError):  # another process migrated meanwhile
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return done


def current_version() -> int:
    return MIGRATIONS[-1][0]


def json_objects(rows: Iterable[str]) -> list[dict[str, Any]]:
    """The `data` texts (turns, feedback records) that still parse as JSON objects: a damaged row is
    skipped, not a failed page."""
    out = []
    for data in rows:
        try:
            value = json.loads(data)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out
