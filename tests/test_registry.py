"""The shared document registry (rag/db/registry.py) on SQLite and PostgreSQL, and replicas' corpus
folders following it (rag/db/replica.py): seeding, uploads and removals reaching the other replica,
refused publishes and interrupted uploads leaving every folder equal to the registry."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_ingest import variant
from test_ingest_faults import template

from rag.config import Settings
from rag.corpus import load_corpus
from rag.db import Database
from rag.db.registry import Registry, RegistryConflict, Upload
from rag.db.replica import Replica, materialise
from rag.ingest import add_files, read_entries, remove_document
from rag.ingest.manifest import MANIFEST

ENTRY = {"doc_id": "a", "file": "a.txt", "title": "甲", "kind": "regulation", "original": "originals/a.docx"}


def _ids(corpus: Path) -> list[str]:
    return [str(e["doc_id"]) for e in read_entries(corpus)]


def test_publish_bumps_the_generation_in_one_transaction(db_url: str) -> None:
    reg = Registry(Database(db_url))
    assert reg.generation() == 0 and reg.snapshot().documents == ()
    a = Upload(ENTRY, {"a.txt": "第一条 甲。".encode(), "originals/a.docx": b"PK\x03\x04\x00binary"})
    b = Upload({"doc_id": "b", "file": "b.txt", "title": "乙", "date": "2025-01-01"}, {"b.txt": b"2"})
    assert reg.publish(add=[a, b]) == 1
    snap = reg.snapshot()
    assert snap.generation == 1 and snap.doc_ids == ["a", "b"]
    assert snap.documents[0].entry == ENTRY and snap.documents[0].files == ("a.txt", "originals/a.docx")
    assert reg.files(["originals/a.docx", "b.txt", "none"]) == {"originals/a.docx": b"PK\x03\x04\x00binary",
                                                               "b.txt": b"2"}
    c = Upload({"doc_id": "c", "file": "c.txt"}, {"c.txt": b"3"})
    with pytest.raises(RegistryConflict, match="已有 doc_id 为 a"):
        reg.publish(add=[c, a])  # c would have gone in first: the whole publish is refused
    with pytest.raises(RegistryConflict, match="已有文件 b.txt"):
        reg.publish(add=[Upload({"doc_id": "d", "file": "b.txt"}, {"b.txt": b"x"})])
    assert reg.generation() == 1 and reg.snapshot().doc_ids == ["a", "b"]
    assert reg.publish(remove=["a"], add=[c]) == 2
    assert reg.snapshot().doc_ids == ["b", "c"] and reg.files(["a.txt", "originals/a.docx"]) == {}
    assert reg.publish(add=[c], only_if_empty=True) is None and reg.generation() == 2


def test_publishes_at_once_queue_on_the_generation(db_url: str) -> None:
    reg = Registry(Database(db_url))
    got: list[int | None] = []
    errors: list[BaseException] = []

    def publish(i: int) -> None:
        try:
            got.append(reg.publish(add=[Upload({"doc_id": f"d{i}", "file": f"d{i}.txt"}, {f"d{i}.txt": b"x"})]))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(got) == list(range(1, 9))  # type: ignore[type-var]
    assert sorted(reg.snapshot().doc_ids) == [f"d{i}" for i in range(8)]


def test_an_empty_registry_is_seeded_once(db_url: str) -> None:
    reg = Registry(Database(db_url))
    assert reg.publish(add=[Upload({"doc_id": "x", "file": "x.txt"}, {"x.txt": b"1"})], only_if_empty=True) == 1
    assert reg.publish(add=[Upload({"doc_id": "y", "file": "y.txt"}, {"y.txt": b"1"})], only_if_empty=True) is None
    assert reg.snapshot().doc_ids == ["x"]


# -- replicas ------------------------------------------------------------------------------------------


@pytest.fixture()
def two(db_url: str, tmp_path: Path) -> tuple[Replica, Replica]:
    """Two replicas on one database, each with its own copy of a small real corpus."""
    import shutil

    tpl = template(tmp_path)
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        shutil.copytree(tpl, folder)
    reg = Registry(Database(db_url))
    return Replica(_settings(folders[0]), reg), Replica(_settings(folders[1]), reg)


def _settings(corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus)


def _docx(tmp_path: Path, word: str) -> Path:
    from test_ingest import make_docx

    return make_docx(tmp_path / f"{word}.docx", variant(word))


def test_an_upload_on_one_replica_reaches_the_other(two: tuple[Replica, Replica], tmp_path: Path) -> None:
    a, b = two
    assert a.join() is True and b.join() is False  # the first seeds, the second follows
    shipped = _ids(a.corpus)
    assert _ids(b.corpus) == shipped and a.generation == b.generation == 1
    assert b.poll() is False  # nothing new
    with a.changing():
        (r,) = add_files([_docx(tmp_path, "滨江社区")], a.corpus)
        a.publish_added([r.doc_id])
    assert a.generation == 2 and b.poll() is True and b.generation == 2
    assert _ids(b.corpus) == [*shipped, r.doc_id]
    for rel in (r.file, r.original):  # the text and the kept original, byte for byte
        assert (b.corpus / rel).read_bytes() == (a.corpus / rel).read_bytes()
    assert r.doc_id in {d.meta.doc_id for d in load_corpus(b.corpus)}  # and it loads
    with b.changing():
        remove_document(b.corpus, r.doc_id)
        b.publish_removed(r.doc_id)
    assert a.poll() is True and _ids(a.corpus) == shipped
    assert (a.corpus / "removed" / r.file).is_file()  # set aside, never deleted
    assert (a.corpus / MANIFEST).read_text(encoding="utf-8").startswith("#")  # the user's comments stay


def test_a_refused_publish_leaves_the_folder_equal_to_the_registry(two: tuple[Replica, Replica],
                                                                   tmp_path: Path) -> None:
    """Both replicas add a document under the same doc_id before either polls: the second publish is
    refused and its folder takes the first replica's document."""
    a, b = two
    a.join()
    b.join()
    upload_a, upload_b = tmp_path / "ua", tmp_path / "ub"
    upload_a.mkdir()
    upload_b.mkdir()
    first = (upload_a / "jifen.txt")
    first.write_text(variant("滨江社区"), encoding="utf-8")
    second = (upload_b / "jifen.txt")
    second.write_text(variant("江北社区"), encoding="utf-8")
    with a.changing():
        (ra,) = add_files([first], a.corpus)
        a.publish_added([ra.doc_id])
    with pytest.raises(RegistryConflict), b.changing():
        (rb,) = add_files([second], b.corpus)
        assert rb.doc_id == ra.doc_id
        b.publish_added([rb.doc_id])
    assert _ids(b.corpus) == _ids(a.corpus)
    assert (b.corpus / ra.file).read_bytes() == (a.corpus / ra.file).read_bytes()
    assert "江北社区" in (b.corpus / "removed" / ra.file).read_text(encoding="utf-8")  # kept aside


def test_an_upload_that_never_published_is_set_aside_on_restart(two: tuple[Replica, Replica],
                                                                tmp_path: Path) -> None:
    """A process killed between its corpus change and its publish: the registry never saw the
    document; the restarted replica's folder follows the registry again."""
    a, b = two
    a.join()
    b.join()
    (r,) = add_files([_docx(tmp_path, "滨江社区")], a.corpus)  # …and the process dies here
    restarted = Replica(_settings(a.corpus), a.registry)
    restarted.join()
    assert _ids(a.corpus) == _ids(b.corpus) and r.doc_id not in _ids(a.corpus)
    assert materialise(a.registry, a.corpus) == a.registry.generation()


def test_a_database_lost_mid_change_sets_the_change_aside(pg_cluster: object, pg_url: str, tmp_path: Path) -> None:
    """The database goes away between a replica's corpus change and its publish, so the folder
    cannot be made equal to the registry either: the documents the change added leave the folder
    (files kept in removed/) — no replica serves what the registry never held — and the next poll
    follows the registry whatever its generation."""
    import shutil

    from rag.errors import DatabaseError

    folder = tmp_path / "a"
    shutil.copytree(template(tmp_path), folder)
    replica = Replica(_settings(folder), Registry(Database(pg_url)))
    replica.join()
    shipped = _ids(folder)
    with pytest.raises(DatabaseError, match="无法读写数据库"), replica.changing():
        (r,) = add_files([_docx(tmp_path, "滨江社区")], folder)
        pg_cluster.drop_database(pg_url)  # type: ignore[attr-defined]
        replica.publish_added([r.doc_id])
    assert _ids(folder) == shipped and (folder / "removed" / r.file).is_file()
    assert replica.generation == -1


# -- publishes announced (PostgreSQL LISTEN/NOTIFY) ---------------------------------------------------


def test_a_publish_wakes_a_listening_replica(db_url: str) -> None:
    """On PostgreSQL a publish on any replica wakes the others' wait at once (the notification,
    not the timeout: a 60 s wait returns True); on SQLite the wait is the polling interval."""
    from rag.db.listen import Listener

    stop = threading.Event()
    listener = Listener(Database(db_url))
    try:
        assert listener.wait(0.01, stop) is False  # connected and listening (PostgreSQL), nothing yet
        Registry(Database(db_url)).publish(add=[Upload({"doc_id": "x", "file": "x.txt"}, {"x.txt": b"1"})])
        assert listener.active is db_url.startswith("postgresql")
        assert listener.wait(60 if listener.active else 0.01, stop) is listener.active
    finally:
        listener.close()


def test_a_lost_listening_connection_falls_back_to_polling_and_reconnects(pg_url: str) -> None:
    from rag.db.listen import Listener

    stop = threading.Event()
    listener = Listener(Database(pg_url))
    registry = Registry(Database(pg_url))
    try:
        assert listener.wait(0.01, stop) is False
        with Database(pg_url).write() as conn:  # the server drops the listener's connection (and
            gone = conn.scalars(sa.text(  # waits until it is gone: termination is otherwise asynchronous)
                "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")).all()
        assert gone == [True]
        registry.publish(add=[Upload({"doc_id": "x", "file": "x.txt"}, {"x.txt": b"1"})])
        assert listener.wait(0.05, stop) is False  # lost with the connection: this round polls
        assert listener.wait(0.01, stop) is False  # listening again
        registry.publish(remove=["x"])
        assert listener.wait(60, stop) is True
    finally:
        listener.close()


def test_a_replicas_wait_ends_when_stopped(db_url: str, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "a"
    shutil.copytree(template(tmp_path), folder)
    replica = Replica(_settings(folder), Registry(Database(db_url)))
    stop = threading.Event()
    assert replica.wait(0.01, stop) is False
    stop.set()
    assert replica.wait(60, stop) is True
    replica.close()


def test_a_long_wait_sees_stop_while_listening(pg_url: str) -> None:
    """A replica polling every 60 s still stops promptly: the listening wait looks at `stop`
    between short waits (the thread sets it while the wait runs; 60 s would fail the join)."""
    from rag.db.listen import Listener

    stop = threading.Event()
    listener = Listener(Database(pg_url))
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(listener.wait(60, stop)))
    try:
        assert listener.wait(0.01, stop) is False  # listening
        waiter.start()
        stop.set()
        waiter.join(timeout=30)
        assert not waiter.is_alive() and result == [False]
    finally:
        listener.close()
