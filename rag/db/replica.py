"""One replica's corpus folder kept equal to the shared registry; its uploads published to it.

    replica = Replica(settings)   # settings.database_url names the database the replicas share
    replica.join()                # first replica: seed the registry from its corpus; every replica:
                                  # make its corpus folder list what the registry lists
    replica.poll()                # the registry moved on (another replica uploaded)? follow it → True
    replica.wait(1.0, stop)       # until a publish is announced (PostgreSQL NOTIFY) or 1 s passes
    with replica.changing():      # this replica's own add/remove: corpus change, then publish
        results = add_files(…)
        replica.publish_added(doc_ids)

The registry is the truth, the corpus folder a local copy that the index is built from (each
replica builds its own index, or shares a Milvus server's collection: see README "多副本部署").
Materialising follows the corpus folder's own crash-safety rules (rag/ingest/store.py): under its
lock, journal the files, write them, rewrite the manifest — the commit point — then drop the
journal. A document the folder lists and the registry does not (an upload whose publish never
committed: the process was killed, or another replica took its doc_id first; a document removed
on another replica) leaves the manifest and its files move into removed/, so every replica
converges on the registry and nothing only one folder held is deleted.

`changing` holds a lock that `poll` also takes, so this process never materialises between its own
corpus change and its publish (which would undo the change before it reached the registry).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import fsutil
from ..config import Settings
from ..errors import CorpusError, DatabaseError
from ..ingest.manifest import append_entry, named_files, original_of, read_entries, remove_entry
from ..ingest.store import clear_journal, session, set_aside, write_journal
from .listen import Listener
from .registry import Listed, Registry, Upload, entry_json, registry_for


def _files_of(entry: dict[str, Any]) -> list[str]:
    return [p for p in (str(entry.get("file", "")), original_of(entry)) if p]


def _upload(corpus: Path, entry: dict[str, Any]) -> Upload:
    """A local manifest entry with its files' bytes, as the registry stores it."""
    files = {}
    for rel in _files_of(entry):
        path = corpus / rel
        if path.is_file():
            files[rel] = path.read_bytes()
        elif rel == entry.get("file"):
            raise CorpusError(f"清单中列出的文件不存在：{path}")
    return Upload(dict(entry), files)


def _drop(corpus: Path, entries: list[dict[str, Any]], doc_id: str) -> None:
    """Take one document out of the folder: journal, manifest (commit), its files moved into
    removed/ (as `dangjian remove --keep-files` does: a document only this folder held is kept
    there, never deleted), journal gone."""
    entry = next(e for e in entries if e.get("doc_id") == doc_id)
    others = named_files(e for e in entries if e is not entry)
    files = [rel for rel in _files_of(entry) if rel not in others and (corpus / rel).is_file()]
    write_journal(corpus, files, keep=True)
    remove_entry(corpus, doc_id)
    for rel in files:
        set_aside(corpus, corpus / rel)
    clear_journal(corpus)
    entries.remove(entry)


def _place(corpus: Path, doc: Listed, data: dict[str, bytes]) -> None:
    """Put one registered document into the folder: journal, files, manifest (commit), journal gone."""
    missing = [p for p in doc.files if p not in data]
    if missing:
        raise CorpusError(f"文件登记中缺少 {doc.doc_id} 的文件：{'、'.join(missing)}")
    write_journal(corpus, list(doc.files))
    for rel in doc.files:
        path = corpus / rel
        if not (path.is_file() and path.read_bytes() == data[rel]):
            path.parent.mkdir(parents=True, exist_ok=True)
            fsutil.atomic_write(path, data[rel])  # the registry's bytes win over a stray local file
    append_entry(corpus, doc.entry)
    clear_journal(corpus)


def _listed(corpus: Path) -> set[str]:
    return {str(e.get("doc_id")) for e in read_entries(corpus)}


def _set_aside(corpus: Path, doc_ids: set[str]) -> None:
    """Take these documents out of the folder (their files into removed/), under the corpus lock."""
    if not doc_ids:
        return
    with session(corpus):
        entries = read_entries(corpus)
        for doc_id in sorted(doc_ids & {str(e.get("doc_id")) for e in entries}):
            _drop(corpus, entries, doc_id)


def materialise(registry: Registry, corpus: Path) -> int:
    """Make the corpus folder list exactly the registry's documents; the generation it now holds."""
    with session(corpus):
        snap = registry.snapshot()
        wanted = {d.doc_id: d for d in snap.documents}
        entries = read_entries(corpus)
        for e in list(entries):
            doc_id = str(e.get("doc_id"))
            if doc_id not in wanted or entry_json(e) != entry_json(wanted[doc_id].entry):
                _drop(corpus, entries, doc_id)
        have = {str(e.get("doc_id")) for e in entries}
        todo = [d for d in snap.documents if d.doc_id not in have]
        data = registry.files([p for d in todo for p in d.files]) if todo else {}
        for doc in todo:
            _place(corpus, doc, data)
        return snap.generation


class Replica:
    """This process's view of the registry: the generation its corpus folder holds, and the lock
    that keeps its own changes and `poll` apart."""

    def __init__(self, settings: Settings, registry: Registry | None = None) -> None:
        self.corpus = settings.corpus_dir
        self.registry = registry or registry_for(settings)
        self.generation = -1  # not joined yet
        self._lock = threading.RLock()
        self._listener = Listener(self.registry.db)

    def join(self) -> bool:
        """Seed an empty registry from this corpus (the first replica), then follow the registry.
        True when the registry was seeded from here."""
        with self._lock:
            with session(self.corpus):
                uploads = [_upload(self.corpus, e) for e in read_entries(self.corpus)]
            seeded = self.registry.publish(add=uploads, only_if_empty=True) is not None
            self.generation = materialise(self.registry, self.corpus)
            return seeded

    def poll(self) -> bool:
        """Follow the registry when its generation moved; True when the corpus folder changed."""
        with self._lock:
            if self.registry.generation() == self.generation:
                return False
            self.generation = materialise(self.registry, self.corpus)
            return True

    def wait(self, interval_s: float, stop: threading.Event) -> bool:
        """Between two polls: until another replica's publish is announced (PostgreSQL LISTEN, so
        the follower polls at once) or `interval_s` passes; True when `stop` is set (the follower's
        loop ends). Polling stays the rule: a lost notification costs one interval."""
        self._listener.wait(interval_s, stop)
        return stop.is_set()

    def close(self) -> None:
        """Drop the listening connection (the next `wait` would open it again)."""
        self._listener.close()

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Around this process's own corpus change and its publish; after a failure (the publish
        refused, or the change itself) the folder is made equal to the registry again. When the
        database cannot be reached for that either, the documents the block added are set aside
        into removed/ (the registry never saw them: no folder may serve them) and the next `poll`
        follows the registry whatever its generation."""
        with self._lock:
            before = _listed(self.corpus)
            try:
                yield
            except BaseException:
                try:
                    self.generation = materialise(self.registry, self.corpus)
                except DatabaseError:
                    _set_aside(self.corpus, _listed(self.corpus) - before)
                    self.generation = -1
                raise

    def publish_added(self, doc_ids: Sequence[str]) -> int:
        """Publish documents just added to the corpus folder (texts and originals) in one change."""
        with self._lock:
            entries = {str(e.get("doc_id")): e for e in read_entries(self.corpus)}
            uploads = [_upload(self.corpus, entries[d]) for d in doc_ids if d in entries]
            return self._published(self.registry.publish(add=uploads))

    def publish_removed(self, doc_id: str) -> int:
        with self._lock:
            return self._published(self.registry.publish(remove=[doc_id]))

    def _published(self, generation: int | None) -> int:
        """After our own publish: the folder holds it; anything another replica published between
        our last poll and this one is followed now."""
        assert generation is not None
        if generation == self.generation + 1:
            self.generation = generation
        else:
            self.generation = materialise(self.registry, self.corpus)
        return self.generation
