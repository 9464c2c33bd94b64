"""Run a library operation in a child and SIGKILL it at a chosen instant, from a process safe to fork.

tests/test_ingest_faults.py kills hundreds of children. Forking the pytest process itself is not
safe: an xdist worker runs execnet's I/O thread, and test files that ran before in the same worker
may have left server threads behind; a lock another thread holds at fork() stays held in the
child for ever. So the forks happen in a helper started with the *spawn* method — a fresh
interpreter whose only thread runs the operations it is sent. It imports the library once and
runs `warm` once (a tokenizer cache, say), so each try still costs a fork, not a Python start-up.

    with Killer(warm=None) as kill:
        mutations = kill(op)                      # run to completion: how many mutations it made
        kill(op, kill_at=3, after=True)           # SIGKILL right after the 3rd mutation
        kill(op, delay=0.05)                      # SIGKILL 50 ms after the start

`op` and `warm` travel to the helper by pickle (a pipe between two processes of this test, never a
file), so they are module-level functions or `functools.partial`s of them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

# Every call that changes the file system; opening to read is not a step.
MUTATORS = ("open", "link", "rename", "replace", "unlink", "fsync", "mkdir", "rmdir", "chmod")


def _arm(kill_at: int, after: bool, counter: list[int]) -> None:
    """In the child: SIGKILL ourselves before/after the `kill_at`-th mutation (0: never, just count)."""
    for name in MUTATORS:
        real = getattr(os, name)

        def wrapper(*args: Any, _real: Callable[..., Any] = real, _name: str = name, **kwargs: Any) -> Any:
            if _name == "open" and not ((args[1] if len(args) > 1 else kwargs.get("flags", 0)) & os.O_CREAT):
                return _real(*args, **kwargs)
            counter[0] += 1
            if counter[0] == kill_at and not after:
                os.kill(os.getpid(), signal.SIGKILL)
            result = _real(*args, **kwargs)
            if counter[0] == kill_at and after:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(os, name, wrapper)


def _fork_once(op: Callable[[], object], kill_at: int, after: bool, delay: float | None) -> tuple[int, bool]:
    """In the helper: fork, run `op` in the child as asked; (mutations counted, child failed)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into the helper's loop
        code = 3
        try:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            counter = [0]
            _arm(kill_at, after, counter)
            op()
            os.write(write_fd, str(counter[0]).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    if delay is not None:
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)  # a child that already exited is a zombie until waited for: no error
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as f:
        count = int(f.read() or b"0")
    return count, os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0


def _serve(conn: Connection, warm: Callable[[], object] | None) -> None:
    """The helper's loop: one (op, kill_at, after, delay) in, one (count, failed) out; None ends it."""
    if warm is not None:
        warm()
    conn.send("ready")
    while (job := conn.recv()) is not None:
        conn.send(_fork_once(*job))


class Killer:
    """The spawned helper and the call that sends it one try (see the module docstring)."""

    def __init__(self, warm: Callable[[], object] | None = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, warm), name="kill-helper", daemon=True)
        self._proc.start()
        child.close()
        assert self._conn.recv() == "ready"

    def __call__(self, op: Callable[[], object], *, kill_at: int = 0, after: bool = False,
                 delay: float | None = None) -> int:
        """Run `op` in a forked child (killed as asked); how many mutations it made when not killed."""
        self._conn.send((op, kill_at, after, delay))
        count, failed = self._conn.recv()
        assert not failed, "the operation failed in the child"
        return int(count)

    def __enter__(self) -> Killer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._conn.send(None)
            self._proc.join(timeout=30)
        except OSError:
            pass  # the helper is gone already (its failure is what the test reports)
        finally:
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
            self._conn.close()
