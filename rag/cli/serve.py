"""The web UI and its logins: serve, passwd."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import DangjianError
from ..text import SURROGATE
from .common import BROKEN_ARG, _settings, _tolerant_stdin


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        from ui.runtime import AppState  # no web framework yet

        from ..db import shared
        from ..db.replica import Replica

        state = AppState(settings)
        if shared(settings):  # replicas: the corpus folder follows the shared registry, before loading
            state.join(Replica(settings))
        state.preload()  # the index and model load while the web framework imports
        from ui.app import serve
    except ImportError as err:
        raise DangjianError(f"无法启动网页界面：{err}") from err
    return serve(settings, host=args.host, port=args.port, auth=args.auth, state=state)


def _read_password() -> str:
    """Twice without echo on a terminal; one line from stdin otherwise (for scripts)."""
    if not sys.stdin.isatty():
        _tolerant_stdin()
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise DangjianError("两次输入的密码不一致")
    return first


def cmd_passwd(args: argparse.Namespace) -> int:
    """`dangjian passwd USER [--file F]`: a "user:scrypt$…" line, printed or written into F."""
    try:
        from ui.auth import auth_line, with_user
    except ImportError as err:
        raise DangjianError(f"无法加载登录模块：{err}") from err
    password = _read_password()
    if SURROGATE.search(password):
        raise DangjianError(f"密码{BROKEN_ARG}")
    line = auth_line(args.user, password)
    if not args.auth_file:
        print(line)
        return 0
    from .. import fsutil

    path = Path(args.auth_file)
    if not path.exists():  # private from the first byte: atomic_write keeps an existing file's mode
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        old = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DangjianError(f"密码文件不是 UTF-8 文本：{path}") from err
    fsutil.atomic_write(path, with_user(old, args.user, line).encode("utf-8"))
    print(f"已写入 {path}（用户 {args.user}）；启动时设置 DANGJIAN_AUTH_FILE={path}", file=sys.stderr)
    return 0
