"""The `dangjian` command: a thin shell over `rag`. Library errors become one stderr line + exit 1.

Commands that only read (ask, chat, search, show, eval) never build the index: a missing or stale
one is a one-line message saying to run `dangjian index`; index, add and remove build (bounded by
the ingest limits), under the corpus lock. Unreadable paths, undecodable arguments or input and a
closed pipe (`dangjian ask … | head`) are one line or silence, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from ..errors import DangjianError
from ..text import SURROGATE
from .common import BROKEN_ARG, EXIT_ERROR
from .parser import build_parser

__all__ = ["build_parser", "main"]

PATH_ARGS = frozenset({"corpus", "index", "files", "file", "thresholds", "report", "out", "feedback",
                       "export", "root", "worker"})  # file names may be any bytes; everything else is text
POSITIONAL = frozenset({"ref", "term", "role", "user", "doc_id"})
OS_ERRORS = {errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
             errno.EISDIR: "这是一个文件夹，不是文件", errno.ENOTDIR: "路径中有一段不是文件夹",
             errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读", errno.ENAMETOOLONG: "路径过长",
             errno.ELOOP: "符号链接循环", errno.EINVAL: "参数无效"}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "reads_files", False):  # a question does not pay for `logging`
        quiet_third_party_logs()
    try:
        _check_text_args(args)
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except DangjianError as err:
        print(f"dangjian: {err}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `dangjian ask … | head`: the reader has all it wanted
        _silence_stdout()
        return 0
    except OSError as err:  # a path the library hands to the OS as given (--index, --out, …)
        print(f"dangjian: {_os_message(err)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _check_text_args(args: argparse.Namespace) -> None:
    """Text arguments (not file names) that held undecodable bytes: one line naming the argument."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        if name in PATH_ARGS or not any(isinstance(v, str) and SURROGATE.search(v) for v in values):
            continue
        label = (
            "问题" if name == "question" else name if name in POSITIONAL else "--" + name.replace("_", "-")
        )
        raise DangjianError(f"参数 {label} {BROKEN_ARG}")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _os_message(err: OSError) -> str:
    why = OS_ERRORS.get(err.errno or 0) or err.strerror or str(err)
    where = err.filename if err.filename is not None else ""
    return f"无法访问 {where}：{why}" if where else f"系统错误：{why}"


def quiet_third_party_logs() -> None:
    """The application's logging choice, made at the edge (the library configures none): pypdf warns
    on every odd object of a PDF, and an import reports its problems once, in Chinese."""
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
