"""LangChain at the edges: our embedder as LangChain `Embeddings`, the engine as a `BaseRetriever`.

    from rag.langchain import DangjianRetriever
    retriever = DangjianRetriever(assistant=open_assistant(Settings.from_env(), build_if_missing=True))
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | llm

The retriever runs the whole question path (references resolved, abstention kept): it returns
one `Document` per quoted sentence — `page_content` the verbatim sentence, `metadata` the
citation (doc_id, ref, label, document title, section, marker 〔第8条〕) — and nothing when the
corpus does not answer. Only code that talks to LangChain imports this module; the question path
and `dangjian --help` never load langchain_core.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answer import marker
from .embed import Embedder
from .pipeline import Assistant
from .records import Answer

__all__ = ["DangjianRetriever", "EmbedderEmbeddings", "as_langchain", "documents"]


class EmbedderEmbeddings(Embeddings):
    """An `Embedder` seen through LangChain's `Embeddings` interface (lists of floats)."""

    def __init__(self, emb: Embedder) -> None:
        self.emb = emb

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.emb.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.emb.encode([text])[0].tolist()  # type: ignore[no-any-return]


def as_langchain(emb: Embedder) -> EmbedderEmbeddings:
    return EmbedderEmbeddings(emb)


def documents(assistant: Assistant, ans: Answer) -> list[LCDocument]:
    """One LangChain `Document` per quoted sentence of an answer; none when it abstained."""
    if ans.abstained:
        return []
    out = []
    for c in ans.citations:
        found = assistant.unit(c.key)
        doc = found[0] if found else None
        out.append(LCDocument(page_content=c.quote, metadata={
            "doc_id": c.doc_id, "ref": c.ref, "key": c.key, "label": c.label, "unit_title": c.title,
            "title": doc.meta.title if doc else "", "section": c.section,
            "citation": marker(*found) if found else f"〔{c.label}〕", "route": ans.route,
        }))
    return out


class DangjianRetriever(BaseRetriever):
    """The engine as a LangChain retriever: verbatim sentences with their citations."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any  # rag.Assistant (typed loosely: pydantic does not validate it)
    history: list[str] = []

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return documents(self.assistant, self.assistant.ask(query, self.history))
