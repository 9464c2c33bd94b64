"""The naive LangChain baseline most tutorials (and Langchain-Chatchat) build, for comparison.

RecursiveCharacterTextSplitter (chunk 250, overlap 50, Chinese separators) over the raw text of
every document in the corpus, a FAISS index over the chunks with the same embedder, the top-k
chunks as the answer, citations taken from the chunk's position in its text (the item or
article holding its middle). It never abstains and knows no structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .corpus import decode, read_manifest
from .embed import Embedder
from .numerals import CN_NUMERAL_CHARS, cn_to_int
from .records import Answer, Citation

_ITEM_START = re.compile(r"^\s*(\d{1,3})[.．]", re.M)
_ARTICLE_START = re.compile(rf"^[\s\u3000]*第([{CN_NUMERAL_CHARS}\d]+)条", re.M)
_GENERAL_PROGRAM = re.compile(r"^[\s\u3000]*总[\s\u3000]*纲[\s\u3000]*$", re.M)  # 党章's 总纲
_SECTION_START = re.compile(r"^\s*[一二三四五六七八九十]+、", re.M)


class NaiveBaseline:
    def __init__(self, corpus_dir: Path, emb: Embedder, *, k: int = 3) -> None:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from .langchain import as_langchain

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=250, chunk_overlap=50, add_start_index=True,
            separators=["\n\n", "\n", "。", "！", "？", "；", "，", ""], keep_separator="end")
        self.chunks: list[str] = []
        self.keys: list[tuple[str, str]] = []  # (doc_id, ref) of each chunk
        for meta in read_manifest(corpus_dir):
            raw = decode((corpus_dir / meta.file).read_bytes(), meta.file)
            for d in splitter.create_documents([raw]):
                middle = int(d.metadata["start_index"]) + len(d.page_content) // 2
                self.chunks.append(d.page_content)
                self.keys.append((meta.doc_id, self._ref_at(raw, middle, notice=meta.kind == "notice")))
        self.emb = as_langchain(emb)  # as tutorials do: the embedder behind LangChain's interface
        self.k = k
        vectors = np.asarray(self.emb.embed_documents(self.chunks), dtype=np.float32)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    @staticmethod
    def _ref_at(raw: str, pos: int, *, notice: bool) -> str:
        """The item (notice) or article (regulation) whose number precedes `pos`; before the first
        one: "preamble"/"header" in the notice, "lead" in a regulation."""
        last = None
        for m in (_ITEM_START if notice else _ARTICLE_START).finditer(raw):
            if m.start() > pos:
                break
            last = m.group(1) if notice else str(cn_to_int(m.group(1)) or m.group(1))
        if last is not None:
            return last
        if not notice:
            return "preamble" if _GENERAL_PROGRAM.search(raw[:pos]) else "lead"
        first_section = _SECTION_START.search(raw)
        return "preamble" if first_section and pos > raw.find("总体要求") > 0 else "header"

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        qvec = np.asarray([self.emb.embed_query(question)], dtype=np.float32)
        _sims, ids = self.index.search(qvec, max(self.k, 10))
        order = [int(i) for i in ids[0] if i >= 0]
        retrieved = tuple(dict.fromkeys(f"{self.keys[i][0]}#{self.keys[i][1]}" for i in order))
        top = order[: self.k]
        cites = tuple(
            Citation(
                doc_id=self.keys[i][0],
                ref=self.keys[i][1],
                label=f"第{self.keys[i][1]}条",
                title="",
                section="",
                quote=self.chunks[i],
            )
            for i in top
        )
        text = "\n".join(f"{self.chunks[i]}〔第{self.keys[i][1]}条〕" for i in top)
        return Answer(question=question, text=text, abstained=False, kind="general", route="naive",
                      citations=cites, retrieved=retrieved)
