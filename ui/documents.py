"""The 文件 tab's table: the documents the running index serves, with their provenance.

    rows(assistant) → [DocRow]   title, 文号, 发文机关, date, …, and those listed but not served yet

Adding and removing documents are the server's jobs (`ui.jobs`, `AppState.jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.errors import DangjianError
from rag.ingest import read_entries
from rag.pipeline import Assistant


@dataclass(frozen=True, slots=True)
class DocRow:
    doc_id: str
    title: str
    doc_number: str
    issuer: str
    date: str
    kind: str
    articles: int
    units: int
    source: str  # the manifest's provenance note, else the original file, else the text file
    primary: bool
    pending: bool = False  # in the corpus, not in the served index: its add has not finished (待完成)


def rows(assistant: Assistant) -> list[DocRow]:
    """The documents the running index serves, with their provenance from the corpus manifest, then
    those the manifest lists that it does not serve yet (pending: the rebuild is running, failed, or
    a `dangjian add` was killed): an administrator sees them rather than wondering where they went."""
    try:
        entries = {str(e.get("doc_id")): e for e in read_entries(assistant.settings.corpus_dir)}
    except DangjianError:
        entries = {}
    out = []
    for doc in assistant.index.docs:
        e = entries.pop(doc.doc_id, {})
        source = str(e.get("source") or e.get("original") or e.get("file") or doc.meta.file)
        m = doc.meta
        out.append(DocRow(doc.doc_id, m.title, m.doc_number, m.issuer, m.date, m.kind, len(doc.numbered),
                          len(doc.units), source, m.primary))
    for doc_id, e in entries.items():
        source = str(e.get("source") or e.get("original") or e.get("file") or "")
        text = {k: str(e.get(k, "")) for k in ("title", "doc_number", "issuer", "date", "kind")}
        out.append(DocRow(doc_id, text["title"], text["doc_number"], text["issuer"], text["date"],
                          text["kind"], 0, 0, source, bool(e.get("primary")), pending=True))
    return out
