"""Shared by the command modules: the parser class, settings from flags, the loaded assistant,
stdin that tolerates undecodable bytes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..errors import DangjianError

if TYPE_CHECKING:  # annotations only: `dangjian --help` imports none of these (nor config's dataclasses)
    from ..config import Settings
    from ..pipeline import Assistant
    from ..query import Options

DOC_HELP = "只在这些文件中查找（doc_id，可重复；默认全部文件）"
DATABASE_HELP = ("保存对话、反馈和文件登记的数据库，如 postgresql://用户:密码@主机/库名"
                 "（多副本共用；默认数据目录中的 SQLite；也可设 DANGJIAN_DATABASE_URL）")
SHARED_CHANGE_HELP = ("多副本共用的数据库，如 postgresql://用户:密码@主机/库名（或 DANGJIAN_DATABASE_URL）："
                      "先让语料目录与其中的文件登记一致，再把改动登记进去，各副本随之更新")
EXIT_ERROR = 1
EXIT_USAGE = 2
BROKEN_ARG = "含有无法识别的字符（不是有效的 UTF-8，或截断的表情符号）"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"dangjian: 参数错误：{message}（用 dangjian --help 查看用法）\n")


def _settings(args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    from ..config import Settings

    try:
        s = Settings.from_env()
    except ValueError as err:  # a DANGJIAN_* number that does not parse
        raise DangjianError(str(err)) from err
    if getattr(args, "corpus", None):
        s = replace(s, corpus_dir=Path(args.corpus))
    if getattr(args, "index", None):
        s = replace(s, index_dir=Path(args.index))
    if getattr(args, "database_url", None):
        s = replace(s, database_url=args.database_url)
    if getattr(args, "store_choice", None):
        s = replace(s, store=args.store_choice)
    return s


def _assistant(args: argparse.Namespace) -> Assistant:
    """The index as it is: never built here (a missing or stale one says to run `dangjian index`)."""
    from ..assistant import open_assistant

    return open_assistant(_settings(args), build_if_missing=False)


def _tolerant_stdin() -> None:
    """Undecodable input lines become lone surrogates (which `validate` refuses), not a traceback."""
    reconfigure: Callable[..., None] | None = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _options(args: argparse.Namespace) -> Options:
    from ..query import Options

    return Options(docs=tuple(dict.fromkeys(args.doc or ())))
