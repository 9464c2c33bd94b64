"""The shared document registry: which documents, their manifest tables, their files, a generation.

    reg = Registry(db)
    reg.generation()                                   # bumps with every committed change
    snap = reg.snapshot()                              # generation + documents in manifest order
    reg.publish(add=[Upload(entry, {"x.txt": b"…", "originals/x.docx": b"…"})], remove=["old-doc"])
    reg.files(["x.txt"])                               # path → bytes

Every change is one transaction that also bumps the generation, so a replica that reads generation
N and then the documents sees exactly what N names, and a process killed in the middle of a
publish leaves the registry as it was. The generation row is locked first (`FOR UPDATE`; SQLite's
IMMEDIATE transaction does the same), so publishes queue rather than interleave. The files are
the corpus-relative texts and kept originals (`x.txt`, `originals/x.docx`), bytes as written.
On PostgreSQL a publish also NOTIFYs the replicas listening (rag/db/listen.py), so they look at once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..config import Settings
from ..errors import DatabaseError
from .engine import Database
from .legacy import open_database
from .listen import announce
from .schema import document_files as DF
from .schema import documents as D
from .schema import registry_state as S


class RegistryConflict(DatabaseError):
    """A publish names a document or file the registry already holds (another replica was first)."""


@dataclass(frozen=True, slots=True)
class Upload:
    entry: dict[str, Any]  # the manifest table (doc_id, file, title, …, original)
    files: Mapping[str, bytes] = field(default_factory=dict)  # corpus-relative path → bytes


@dataclass(frozen=True, slots=True)
class Listed:
    doc_id: str
    entry: dict[str, Any]
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    generation: int
    documents: tuple[Listed, ...]  # in manifest order

    @property
    def doc_ids(self) -> list[str]:
        return [d.doc_id for d in self.documents]


def entry_json(entry: Mapping[str, Any]) -> str:
    """A manifest table as stored (and compared): sorted keys, dates and the like as text."""
    return json.dumps(dict(entry), ensure_ascii=False, sort_keys=True, default=str)


def _lock(conn: Connection) -> int:
    generation = conn.scalar(sa.select(S.c.generation).where(S.c.id == 1).with_for_update())
    if generation is None:
        raise DatabaseError("数据库缺少文件登记表的状态行（数据库被手工改动过？）")
    return int(generation)


def _add(conn: Connection, upload: Upload, position: int, generation: int) -> None:
    doc_id = str(upload.entry.get("doc_id") or "")
    if not doc_id:
        raise RegistryConflict("登记的文件缺少 doc_id")
    if conn.scalar(sa.select(D.c.doc_id).where(D.c.doc_id == doc_id)) is not None:
        raise RegistryConflict(f"文件登记中已有 doc_id 为 {doc_id} 的文件（可能刚由另一个副本添加）")
    taken = conn.scalar(sa.select(DF.c.path).where(DF.c.path.in_(list(upload.files))))
    if taken is not None:
        raise RegistryConflict(f"文件登记中已有文件 {taken}（可能刚由另一个副本添加）")
    conn.execute(sa.insert(D).values(doc_id=doc_id, position=position, entry=entry_json(upload.entry),
                                     generation=generation))
    for path, data in upload.files.items():
        conn.execute(sa.insert(DF).values(path=path, doc_id=doc_id, data=data,
                                          sha256=hashlib.sha256(data).hexdigest()))


def _remove(conn: Connection, doc_ids: Iterable[str]) -> None:
    ids = list(doc_ids)
    conn.execute(sa.delete(DF).where(DF.c.doc_id.in_(ids)))
    conn.execute(sa.delete(D).where(D.c.doc_id.in_(ids)))


class Registry:
    """The documents every replica serves, in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def generation(self) -> int:
        with self.db.read() as conn:
            return int(conn.scalar(sa.select(S.c.generation).where(S.c.id == 1)) or 0)

    def snapshot(self) -> Snapshot:
        """The generation and the documents it names, read in one transaction."""
        with self.db.read() as conn:
            generation = int(conn.scalar(sa.select(S.c.generation).where(S.c.id == 1)) or 0)
            rows = conn.execute(sa.select(D.c.doc_id, D.c.entry).order_by(D.c.position, D.c.doc_id)).all()
            paths: dict[str, list[str]] = {}
            for doc_id, path in conn.execute(sa.select(DF.c.doc_id, DF.c.path).order_by(DF.c.path)):
                paths.setdefault(doc_id, []).append(path)
        return Snapshot(generation, tuple(Listed(r[0], json.loads(r[1]), tuple(paths.get(r[0], ())))
                                          for r in rows))

    def files(self, paths: Sequence[str]) -> dict[str, bytes]:
        """The bytes of the named files (those the registry holds), checked against their sha256."""
        with self.db.read() as conn:
            query = sa.select(DF.c.path, DF.c.data, DF.c.sha256).where(DF.c.path.in_(list(paths)))
            rows = conn.execute(query)
            out = {}
            for path, data, digest in rows:
                if hashlib.sha256(bytes(data)).hexdigest() != digest:
                    raise DatabaseError(f"文件登记中的 {path} 已损坏（校验和不符）")
                out[str(path)] = bytes(data)
        return out

    def publish(self, *, add: Sequence[Upload] = (), remove: Sequence[str] = (),
                only_if_empty: bool = False) -> int | None:
        """Remove and add documents in one transaction and bump the generation; the new generation.
        `only_if_empty`: do nothing (None) unless the registry has never held a document — the
        first replica seeds it from its corpus, the others then follow the registry."""
        with self.db.write() as conn:
            generation = _lock(conn) + 1
            if only_if_empty and (generation > 1 or conn.scalar(sa.select(sa.func.count()).select_from(D))):
                return None
            _remove(conn, remove)
            last = conn.scalar(sa.select(sa.func.max(D.c.position)))
            start = 0 if last is None else int(last) + 1
            for i, upload in enumerate(add):
                _add(conn, upload, start + i, generation)
            conn.execute(sa.update(S).where(S.c.id == 1).values(generation=generation, updated=time.time()))
            announce(conn, generation)  # delivered to the other replicas when this commits
        return generation


def registry_for(settings: Settings) -> Registry:
    return Registry(open_database(settings))
