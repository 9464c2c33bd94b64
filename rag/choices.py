"""Closed choices the `dangjian --help` text lists (answer modes, vector stores). A module of plain
constants: the parser imports it without loading config's dataclasses; rag/config.py re-exports them."""

from __future__ import annotations

from typing import Literal, get_args

# Who writes an answer: quotes only, or a verified LLM reply (CLI --mode, API "mode", the page's switch).
AnswerMode = Literal["extractive", "llm"]
ANSWER_MODES: tuple[AnswerMode, ...] = get_args(AnswerMode)

# Where the dense vectors (and, for Milvus, the BM25 postings) of an index live. An unknown name
# (DANGJIAN_STORE) is refused where a store is chosen (rag/stores), with these choices in the message.
STORES: dict[str, str] = {
    "auto": "沿用索引构建时的向量库，新索引用本地（默认）",
    "local": "本地：按规模选择精确检索或 faiss IVF",
    "milvus": "Milvus：向量与 BM25 存于 Milvus（需 pip install '.[milvus]'；地址见 DANGJIAN_MILVUS_URI）",
}
