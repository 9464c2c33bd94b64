"""rag.db on both backends (the embedded SQLite and a real PostgreSQL): saved conversations, feedback
votes, the schema's migrations, and the import of what older versions wrote (conversations.sqlite3,
feedback.jsonl) without losing a row."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from rag.config import Settings
from rag.db import Database, current_version, open_database
from rag.db.conversations import MAX_TITLE, ConversationFull, Store, store_for
from rag.db.feedback import Votes, votes_for
from rag.errors import DangjianError, DatabaseError
from rag.eval import feedback as jsonl

DOC = "dongzhi-2025-3"


def _vote(votes: Votes, conversation: str, turn: int, vote: str | None, reason: str = "") -> dict | None:
    return votes.set_vote(conversation=conversation, turn=turn, vote=vote, question=f"问题{turn}", history=[],
                          answer="答案〔第8条〕", abstained=False, kind="item", citations=[f"{DOC}#8"],
                          primary_doc=DOC, reason=reason)


def _threads(work: Any, n: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as err:  # noqa: BLE001 - reported to the test
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


# -- conversations -------------------------------------------------------------------------------------


def test_conversations_are_scoped_and_survive_reopening(db_url: str) -> None:
    store = Store(Database(db_url))
    cid = store.create("visitor:a", "第8条要求什么？\n（测试）" + "长" * 80)
    assert store.add_turn("visitor:a", cid, {"question": "第8条要求什么？"}) == 0
    assert store.add_turn("visitor:a", cid, {"question": "那第9条呢？"}) == 1
    assert store.add_turn("visitor:b", cid, {"question": "偷偷加一条"}) is None  # not b's
    (summary,) = store.list("visitor:a")
    assert summary.turns == 2 and len(summary.title) == MAX_TITLE and "\n" not in summary.title
    assert store.list("visitor:b") == [] and store.get("visitor:b", cid) is None
    assert not store.rename("visitor:b", cid, "x") and not store.delete("visitor:b", cid)
    assert not store.set_turn("visitor:b", cid, 0, {"question": "改"})
    reopened = Store(Database(db_url))
    conv = reopened.get("visitor:a", cid)
    assert conv is not None and [t["question"] for t in conv.turns] == ["第8条要求什么？", "那第9条呢？"]
    assert reopened.set_turn("visitor:a", cid, 1, {"question": "那第9条呢？", "vote": "up"})
    assert reopened.get("visitor:a", cid).turns[1]["vote"] == "up"  # type: ignore[union-attr]
    assert reopened.rename("visitor:a", cid, "学习") and reopened.list("visitor:a")[0].title == "学习"
    assert not reopened.rename("visitor:a", cid, "   ")
    assert reopened.delete("visitor:a", cid) and reopened.get("visitor:a", cid) is None
    with Database(db_url).read() as conn:  # its turns went with it
        assert conn.scalar(sa.text("SELECT COUNT(*) FROM turns")) == 0


def test_turns_appended_at_once_get_consecutive_numbers(db_url: str) -> None:
    store = Store(Database(db_url))
    cid = store.create("user:a", "并发")
    got: list[int | None] = []
    assert _threads(lambda i: got.append(store.add_turn("user:a", cid, {"question": f"问{i}"})), 16) == []
    assert sorted(got) == list(range(16))  # type: ignore[type-var]


def test_an_owner_keeps_the_most_recent_conversations(db_url: str) -> None:
    store = Store(Database(db_url), max_conversations=3)
    other = store.create("user:b", "别人的")
    ids = [store.create("user:a", f"问{i}") for i in range(3)]
    store.add_turn("user:a", ids[0], {"question": "问0 的追问"})  # used again: now the most recent
    newest = store.create("user:a", "问3")
    assert [s.id for s in store.list("user:a")] == [newest, ids[0], ids[2]]
    assert store.get("user:a", ids[1]) is None and [s.id for s in store.list("user:b")] == [other]


def test_a_conversation_takes_at_most_max_turns(db_url: str) -> None:
    store = Store(Database(db_url), max_turns=3)
    cid = store.create("user:a", "问")
    assert [store.add_turn("user:a", cid, {"question": f"问{i}"}) for i in range(3)] == [0, 1, 2]
    with pytest.raises(ConversationFull, match="已有 3 轮问答，达到上限.*新对话"):
        store.add_turn("user:a", cid, {"question": "问3"})
    assert len(store.get("user:a", cid).turns) == 3  # type: ignore[union-attr]


def test_quota_defaults_come_from_the_config(tmp_path: Path) -> None:
    from rag.config import MAX_CONVERSATIONS, MAX_TURNS_PER_CONVERSATION

    store = store_for(Settings(data_dir=tmp_path, feedback_path=tmp_path / "none.jsonl"))
    assert (store.max_conversations, store.max_turns) == (MAX_CONVERSATIONS, MAX_TURNS_PER_CONVERSATION)


# -- feedback ------------------------------------------------------------------------------------------


def test_one_vote_per_turn_the_latest_wins_and_undo(db_url: str) -> None:
    votes = Votes(Database(db_url))
    for _ in range(3):
        _vote(votes, "c1", 0, "up")
    _vote(votes, "c1", 1, "up")
    _vote(votes, "c2", 0, "up")
    rec = _vote(votes, "c1", 0, "down", reason="  引用的条目\n不对  ")
    assert rec is not None and rec["reason"] == "引用的条目 不对"
    assert [(r["conversation"], r["turn"], r["vote"]) for r in votes.records()] == [
        ("c1", 1, "up"), ("c2", 0, "up"), ("c1", 0, "down")]  # in the order of the latest vote
    assert _vote(votes, "c1", 1, None) is None  # undo
    _vote(votes, "c9", 3, None)  # undoing what was never voted changes nothing
    votes.record(question="旧问题", history=[], answer="a", abstained=False, citations=[], vote="up")
    assert [r["question"] for r in votes.records()] == ["问题0", "问题0", "旧问题"]
    rows = jsonl.to_eval(votes.records())  # the export reads the rows as it read the log's lines
    assert [(r["question"], r["category"]) for r in rows] == [("问题0", jsonl.REVIEW), ("旧问题", "feedback")]
    with pytest.raises(DangjianError):
        _vote(votes, "c1", 0, "sideways")
    with pytest.raises(DangjianError):
        _vote(votes, "", 0, "up")


def test_concurrent_votes_are_neither_lost_nor_duplicated(db_url: str) -> None:
    votes = Votes(Database(db_url))

    def click(worker: int) -> None:
        for i in range(10):  # workers 0-2 and 3-5 vote on the same turns: collisions on first votes
            _vote(votes, f"c{worker % 3}", i % 5, "up" if i % 2 else "down")

    assert _threads(click, 6) == []
    keys = [(r["conversation"], r["turn"]) for r in votes.records()]
    assert sorted(keys) == sorted((f"c{w}", t) for w in range(3) for t in range(5))


# -- schema and migrations -----------------------------------------------------------------------------


def test_the_schema_is_created_and_versioned_by_the_app(db_url: str) -> None:
    db = Database(db_url)
    with db.read() as conn:
        versions = list(conn.scalars(sa.text("SELECT version FROM schema_migrations ORDER BY version")))
        tables = set(sa.inspect(conn).get_table_names())
    assert versions == list(range(1, current_version() + 1))
    assert {"conversations", "turns", "feedback", "documents", "document_files", "registry_state"} <= tables


def test_processes_starting_together_migrate_once(db_url: str, tmp_path: Path) -> None:
    """Two fresh processes open one empty database at the same moment: both come up, one set of tables."""
    import subprocess
    import sys

    code = ("import sys; from rag.db import Database; from rag.db.conversations import Store\n"
            "Store(Database(sys.argv[1])).create('user:a', sys.argv[2])\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url, f"进程{i}"], stderr=subprocess.PIPE)
             for i in range(3)]
    outs = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert sorted(s.title for s in Store(Database(db_url)).list("user:a")) == ["进程0", "进程1", "进程2"]


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    from pgcluster import _free_port

    url = f"postgresql://nobody:secret@127.0.0.1:{_free_port()}/none"
    with pytest.raises(DatabaseError, match="无法读写数据库") as err:
        Database(url)
    assert "secret" not in str(err.value)  # the password never reaches a message
    with pytest.raises(DatabaseError, match="不支持的数据库"):
        Database("mysql://x@y/z")



# -- the connection pool -------------------------------------------------------------------------------


def test_a_sqlite_connection_is_kept_with_its_settings(tmp_path: Path) -> None:
    """Saves and lists reuse pooled connections (no reopening per use), and a connection handed to
    another thread still has WAL, synchronous=NORMAL, foreign keys and the busy timeout."""
    db = Database(f"sqlite:///{tmp_path / 'dangjian.sqlite3'}")
    opened: list[int] = []
    sa.event.listen(db.engine, "connect", lambda *_: opened.append(1))
    store = Store(db)
    for i in range(10):
        cid = store.create("user:a", f"问{i}")
        store.add_turn("user:a", cid, {"question": f"问{i}"})
        store.list("user:a")
    assert opened == []  # the connection the migration opened served all of them
    seen: list[tuple[Any, ...]] = []

    def settings(_: int) -> None:
        with db.read() as conn:
            seen.append(tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                              for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")))

    assert _threads(settings, 4) == []
    assert seen == [("wal", 1, 1, 10_000)] * 4


def test_a_failed_write_leaves_the_pooled_connection_clean(db_url: str) -> None:
    """A write block that raises is rolled back, and the connection it returns to the pool starts
    the next transaction afresh (no half transaction carried into another request)."""
    db = Database(db_url)
    store = Store(db)
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute(sa.text("INSERT INTO conversations (id, owner, title, created, updated) "
                             "VALUES ('x', 'user:a', '半截', 0, 0)"))
        raise RuntimeError("the handler failed")
    for _ in range(3):  # whichever pooled connection comes next
        assert store.list("user:a") == []
    store.create("user:a", "完整")
    assert [s.title for s in store.list("user:a")] == ["完整"]


def test_a_forked_child_opens_its_own_connection(db_url: str) -> None:
    """A child forked after the parent used the pool never touches the parent's connection (its
    socket or file locks): it opens its own, and both go on working."""
    import os

    db = Database(db_url)
    store = Store(db)
    store.create("user:a", "父进程")
    opened_by: list[int] = []
    sa.event.listen(db.engine, "connect", lambda *_: opened_by.append(os.getpid()))
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only when it saved through a connection of its own
        code = 1
        try:
            store.create("user:a", "子进程")
            code = 0 if opened_by == [os.getpid()] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert opened_by == []  # the parent's pooled connection is still its own
    assert sorted(s.title for s in store.list("user:a")) == ["子进程", "父进程"]

# -- what older versions wrote -------------------------------------------------------------------------


def _old_conversations(path: Path) -> None:
    """A conversations.sqlite3 exactly as ui/conversations.py (before rag.db) created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as old, old:
        old.execute("PRAGMA journal_mode = WAL")
        old.executescript("""
            CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL,
                created REAL NOT NULL, updated REAL NOT NULL);
            CREATE INDEX conversations_owner ON conversations (owner, updated);
            CREATE TABLE turns (conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                n INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (conversation, n));""")
        old.execute("INSERT INTO conversations VALUES ('old1', 'visitor:a', '第8条要求什么？', 1.0, 2.0)")
        old.execute("INSERT INTO conversations VALUES ('old2', 'user:b', '党费', 3.0, 4.0)")
        for n, q in enumerate(["第8条要求什么？", "那第9条呢？"]):
            old.execute("INSERT INTO turns VALUES ('old1', ?, ?)", (n, json.dumps({"question": q}, ensure_ascii=False)))


def test_older_conversations_and_feedback_are_imported_once(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", feedback_path=tmp_path / "feedback.jsonl", database_url=db_url)
    _old_conversations(settings.data_dir / "conversations.sqlite3")
    jsonl.set_vote(settings.feedback_path, conversation="old1", turn=0, vote="up", question="第8条要求什么？",
                   history=[], answer="a", abstained=False, citations=[f"{DOC}#8"], primary_doc=DOC)
    jsonl.set_vote(settings.feedback_path, conversation="old1", turn=1, vote="down", question="那第9条呢？",
                   history=["第8条要求什么？"], answer="a", abstained=False, citations=[])
    jsonl.record(settings.feedback_path, question="更早的问题", history=[], answer="a", abstained=False,
                 citations=[], vote="up")
    expected = jsonl.to_eval(jsonl.read(settings.feedback_path))

    store = store_for(settings)
    conv = store.get("visitor:a", "old1")
    assert conv is not None and conv.title == "第8条要求什么？" and (conv.created, conv.updated) == (1.0, 2.0)
    assert [t["question"] for t in conv.turns] == ["第8条要求什么？", "那第9条呢？"]
    assert [s.id for s in store.list("user:b")] == ["old2"]
    assert store.add_turn("visitor:a", "old1", {"question": "下一条"}) == 2  # and it goes on
    votes = votes_for(settings)
    assert jsonl.to_eval(votes.records()) == expected  # the export is what the log would have given
    # set aside, kept as backups, not imported again
    assert not (settings.data_dir / "conversations.sqlite3").exists() and not settings.feedback_path.exists()
    assert len(list(settings.data_dir.glob("conversations.sqlite3.imported-*"))) == 1
    assert len(list(tmp_path.glob("feedback.jsonl.imported-*"))) == 1
    from rag.db import legacy

    legacy._opened.clear()  # a new process
    open_database(settings)
    assert len(votes.records()) == 3 and len(store.get("visitor:a", "old1").turns) == 3  # type: ignore[union-attr]


def test_a_second_import_skips_what_the_database_holds(tmp_path: Path) -> None:
    """A crash between the import's commit and the rename imports the file again: nothing doubles."""
    from rag.db.legacy import import_conversations, import_feedback

    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    old = tmp_path / "data" / "conversations.sqlite3"
    _old_conversations(old)
    log = tmp_path / "feedback.jsonl"
    jsonl.set_vote(log, conversation="old1", turn=0, vote="up", question="q", history=[], answer="a",
                   abstained=False, citations=[])
    copy_c, copy_f = old.read_bytes(), log.read_bytes()
    assert (import_conversations(db, old), import_feedback(db, log)) == (2, 1)
    old.write_bytes(copy_c)
    log.write_bytes(copy_f)
    assert (import_conversations(db, old), import_feedback(db, log)) == (0, 0)
    assert len(Votes(db).records()) == 1


def test_the_default_is_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", feedback_path=tmp_path / "f.jsonl")
    store_for(settings).create("user:a", "问")
    assert (tmp_path / "data" / "dangjian.sqlite3").is_file()
    assert Settings.from_env({"DANGJIAN_DATABASE_URL": "postgresql://u@h/db"}).database_url == "postgresql://u@h/db"
    assert replace(settings, database_url="").database_url == ""
