"""LangChain at the edges: the embedder adapter and the retriever inside a small LCEL chain."""

from __future__ import annotations

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from rag import Assistant
from rag.embed import HashEmbedder
from rag.langchain import DangjianRetriever, as_langchain


def test_embedder_adapter_is_a_langchain_embeddings() -> None:
    emb = HashEmbedder()
    lc = as_langchain(emb)
    assert isinstance(lc, Embeddings)
    assert np.allclose(lc.embed_query("第8条"), emb.encode(["第8条"])[0])
    assert len(lc.embed_documents(["甲", "乙"])) == 2 and len(lc.embed_documents(["甲"])[0]) == emb.dim


def test_retriever_returns_quoted_sentences_with_citations(assistant: Assistant) -> None:
    docs = DangjianRetriever(assistant=assistant).invoke("党章第三十二条")
    assert docs and all(isinstance(d, Document) for d in docs)
    unit = assistant.unit("dangzhang-2022#32")
    assert unit is not None
    for d in docs:
        assert d.page_content in unit[1].sentences  # verbatim
        assert d.metadata["doc_id"] == "dangzhang-2022" and d.metadata["ref"] == "32"
        assert d.metadata["citation"] == "〔《中国共产党章程》第三十二条〕"
        assert d.metadata["title"] == "中国共产党章程" and d.metadata["label"] == "第三十二条"


def test_retriever_returns_nothing_when_the_corpus_does_not_answer(assistant: Assistant) -> None:
    assert DangjianRetriever(assistant=assistant).invoke("东莞房价现在多少一平？") == []


def test_retriever_inside_an_lcel_chain(assistant: Assistant) -> None:
    """The engine dropped into a user's chain: retriever → context → prompt → (a stand-in model)."""
    retriever = DangjianRetriever(assistant=assistant)

    def context(docs: list[Document]) -> str:
        return "\n".join(f"{d.page_content}{d.metadata['citation']}" for d in docs)

    prompt = ChatPromptTemplate.from_messages([("system", "只根据以下原文回答：\n{context}"),
                                               ("human", "{question}")])
    model = RunnableLambda(lambda value: value.to_messages()[0].content)  # echoes the grounded system prompt
    chain = {"context": retriever | context, "question": RunnablePassthrough()} | prompt | model
    out = chain.invoke("怎样管理流动党员？")
    assert "只根据以下原文回答" in out and "〔" in out and "流动党员" in out
