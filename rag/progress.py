"""The one stderr progress printer, shared by the two edges that build an index in a terminal: the
`dangjian` commands (index, add, remove) and `dangjian serve` at start-up. The library itself only
calls the `progress(stage, done, total)` callback it is given and never prints."""

from __future__ import annotations

import sys


class StderrProgress:
    """Build progress on stderr: one line per stage, with rate and time left while embedding."""

    NAMES = {
        "start": "准备",
        "parse": "解析文件",
        "embed": "计算向量",
        "tokenize": "分词",
        "milvus": "写入 Milvus",
        "save": "写入索引",
    }

    def __init__(self) -> None:
        self.stage, self.started = "", 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if stage != self.stage or done == 0:
            self.stage, self.started = stage, now
        line = f"{self.NAMES.get(stage, stage)} {done}/{total}"
        elapsed = now - self.started
        if stage == "embed" and total == 0:
            line = "计算向量：没有新文本（向量全部取自上次的索引）"
        elif stage == "embed" and done and elapsed > 0:
            rate = done / elapsed
            left = (
                f"用时 {_duration(elapsed)}" if done >= total else f"约剩 {_duration((total - done) / rate)}"
            )
            line += f" · {rate:.0f} 块/秒 · {left}"
        end = "\n" if done >= total else ""
        clear = "\033[K" if sys.stderr.isatty() else ""
        print(f"\r{line}{clear}", end=end, file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds >= 60 else f"{seconds} 秒"


def stderr_notify(message: str) -> None:
    """A one-line notice (why the index is rebuilt, what recovery did) on stderr."""
    print(message, file=sys.stderr, flush=True)
