"""The process's one Assistant (loaded once, shared by the page and the API) and its settings."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence

from rag.config import Settings
from rag.pipeline import Assistant
from rag.records import Answer

APP_TITLE = "党建文件问答"
HISTORY_TURNS = 8  # earlier questions replayed for follow-ups (那第9条呢、下一条)
MAX_HISTORY = 20  # API limit on the history list
GENERIC_ERROR = "系统出现问题，暂时无法回答，请稍后再试。"
EXAMPLES = (
    "第8条要求什么？",
    "我是新任支部书记，要抓哪些工作？",
    "第三部分讲什么？",
    "这个文件是谁印发的？",
    "What does item 12 require?",
)

# -- the assistant holder -------------------------------------------------------------------


class _Runtime:
    """The one Assistant of the process, and the lock that serialises `ask`.

    `Assistant.ask` is pure over a read-only index, but the default embedder initialises lazily
    and numpy/threadpoolctl limits are process-global, so asks are serialised: they take
    milliseconds, and the machine has two cores anyway.
    """

    def __init__(self) -> None:
        self.assistant: Assistant | None = None
        self.settings: Settings | None = None
        self.open_lock = threading.Lock()
        self.ask_lock = threading.Lock()


_rt = _Runtime()


def _stderr_progress(stage: str, done: int, total: int) -> None:
    names = {"parse": "解析文件", "embed": "计算向量", "save": "写入索引"}
    end = "\n" if done >= total else ""
    print(f"\r{names.get(stage, stage)} {done}/{total}", end=end, file=sys.stderr, flush=True)


def _stderr_notify(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_assistant(settings: Settings) -> Assistant:
    """Open (building if absent) the index, with progress on stderr, and warm the embedder up."""
    print(f"正在加载索引 {settings.index_dir} …", file=sys.stderr, flush=True)
    assistant = Assistant.open(settings, progress=_stderr_progress, notify=_stderr_notify)
    assistant.search("党建工作")  # first embedding call initialises the model: do it now
    counts = assistant.index.manifest.get("counts", {})
    print(f"索引已就绪：{counts.get('documents', len(assistant.index.docs))} 个文件，"
          f"{counts.get('units', '?')} 个条目", file=sys.stderr, flush=True)
    return assistant


def set_assistant(assistant: Assistant | None, settings: Settings | None = None) -> None:
    _rt.assistant = assistant
    _rt.settings = settings or (assistant.settings if assistant else None)


def get_assistant() -> Assistant:
    if _rt.assistant is None:
        with _rt.open_lock:
            if _rt.assistant is None:
                settings = _rt.settings or Settings.from_env()
                _rt.assistant = open_assistant(settings)
                _rt.settings = settings
    return _rt.assistant


def ask(question: str, history: Sequence[str] = ()) -> Answer:
    assistant = get_assistant()
    with _rt.ask_lock:
        return assistant.ask(question, list(history))


def runtime_settings(settings: Settings | None = None) -> Settings:
    """`settings` when given, else the process settings (those `serve` set, or the environment)."""
    if settings is not None:
        return settings
    if _rt.settings is not None:
        return _rt.settings
    if _rt.assistant is not None:
        return _rt.assistant.settings
    return Settings.from_env()


def llm_enabled(settings: Settings | None = None) -> bool:
    """Is an LLM endpoint configured (not: is it reachable)? Decides whether the mode switch shows."""
    return runtime_settings(settings).llm_configured

