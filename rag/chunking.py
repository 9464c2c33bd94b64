"""Document → chunks at two levels: the unit (parent) and its sentences (children)."""

from __future__ import annotations

from collections.abc import Iterable

from .records import Chunk, Document, Unit


def unit_context(doc: Document, unit: Unit) -> str:
    """What an item is embedded with: its section and label, so "第三部分" wording helps recall."""
    parts = [doc.meta.title]
    if unit.section_title:
        parts.append(unit.section_title)
    parts.append(f"{unit.label} {unit.title}")
    return " ".join(parts)


def chunk_document(doc: Document, start: int = 0) -> list[Chunk]:
    chunks: list[Chunk] = []
    for unit in doc.units:
        ctx = unit_context(doc, unit)
        chunks.append(
            Chunk(
                chunk_id=start + len(chunks),
                doc_id=doc.doc_id,
                ref=unit.ref,
                level="unit",
                sent_no=-1,
                text=unit.text.replace("\n", ""),
                context=ctx,
            )
        )
        for i, sent in enumerate(unit.sentences):
            chunks.append(
                Chunk(
                    chunk_id=start + len(chunks),
                    doc_id=doc.doc_id,
                    ref=unit.ref,
                    level="sentence",
                    sent_no=i,
                    text=sent,
                    context=ctx,
                )
            )
    return chunks


def chunk_corpus(docs: Iterable[Document]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(chunk_document(doc, start=len(chunks)))
    return chunks


def embed_text(chunk: Chunk) -> str:
    """Units are embedded with their context; sentences alone (the context dilutes them)."""
    return f"{chunk.context}\n{chunk.text}" if chunk.level == "unit" else chunk.text
