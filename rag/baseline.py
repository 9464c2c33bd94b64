"""The naive LangChain baseline most tutorials (and Langchain-Chatchat) build, for comparison.

RecursiveCharacterTextSplitter (chunk 250, overlap 50, Chinese separators) over the raw text, a
FAISS index over the chunks with the same embedder, the top-k chunks as the answer, citations
taken from the chunk's position in the text (the item holding its middle). It never abstains and knows no structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .corpus import decode, read_manifest
from .embed import Embedder
from .records import Answer, Citation

_ITEM_START = re.compile(r"^\s*(\d{1,3})[.．]", re.M)
_SECTION_START = re.compile(r"^\s*[一二三四五六七八九十]+、", re.M)


class NaiveBaseline:
    def __init__(self, corpus_dir: Path, emb: Embedder, *, k: int = 3) -> None:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from .langchain import as_langchain

        metas = read_manifest(corpus_dir)
        meta = next((m for m in metas if m.primary), metas[0])
        self.doc_id = meta.doc_id
        raw = decode((corpus_dir / meta.file).read_bytes(), meta.file)
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=250, chunk_overlap=50, add_start_index=True,
            separators=["\n\n", "\n", "。", "！", "？", "；", "，", ""], keep_separator="end")
        docs = splitter.create_documents([raw])
        self.chunks = [d.page_content for d in docs]
        self.refs = [self._ref_at(raw, int(d.metadata["start_index"]) + len(d.page_content) // 2)
                     for d in docs]  # the item holding the chunk's middle
        self.emb = as_langchain(emb)  # as tutorials do: the embedder behind LangChain's interface
        self.k = k
        vectors = np.asarray(self.emb.embed_documents(self.chunks), dtype=np.float32)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    @staticmethod
    def _ref_at(raw: str, pos: int) -> str:
        """The item whose number precedes `pos`; "preamble"/"header" before item 1."""
        last = None
        for m in _ITEM_START.finditer(raw):
            if m.start() > pos:
                break
            last = m.group(1)
        if last is not None:
            return last
        first_section = _SECTION_START.search(raw)
        return "preamble" if first_section and pos > raw.find("总体要求") > 0 else "header"

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        qvec = np.asarray([self.emb.embed_query(question)], dtype=np.float32)
        _sims, ids = self.index.search(qvec, max(self.k, 10))
        order = [int(i) for i in ids[0] if i >= 0]
        retrieved = tuple(dict.fromkeys(f"{self.doc_id}#{self.refs[i]}" for i in order))
        top = order[: self.k]
        cites = tuple(Citation(self.doc_id, self.refs[i], f"第{self.refs[i]}条", "", "", self.chunks[i])
                      for i in top)
        text = "\n".join(f"{self.chunks[i]}〔第{self.refs[i]}条〕" for i in top)
        return Answer(question=question, text=text, abstained=False, kind="general", route="naive",
                      citations=cites, retrieved=retrieved)
