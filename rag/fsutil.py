"""Crash-safe file operations: atomic writes, never-overwrite creates, a folder lock, leftover sweeps.

Every temporary this module makes is named `.<target>.tmp-<pid>-<random>` beside its target, so
a sweep can tell a dead writer's leftover (remove it) from a live writer's work in progress
(leave it). Writers that hold `locked(folder)` may sweep everything: nobody else writes there.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS: no locking, the rest still holds
    fcntl = None  # type: ignore[assignment]

_TMP_RE = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-[^/]*$")
_OLD_RE = re.compile(r"^\.(?P<target>.+)\.old-\d+$")


def temp_path(target: Path) -> Path:
    """A fresh sibling name for writing `target` aside: `.<name>.tmp-<pid>-<random>`."""
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in `folder` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: readers see the old bytes or the new ones, never a mix."""
    tmp = temp_path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    try:
        _write_synced(tmp, data, mode)
        os.chmod(tmp, mode)  # the umask applied at creation
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def create_new(path: Path, data: bytes) -> None:
    """Create `path` holding `data`; FileExistsError if it exists. Never a partial file under `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        _write_synced(tmp, data, 0o644)
        try:
            os.link(tmp, path)  # atomic and refuses to overwrite
        except FileExistsError:
            raise
        except OSError:  # a filesystem without hard links: exclusive create, then rename over it
            _write_synced(path, b"", 0o644)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def make_temp_dir(target: Path) -> Path:
    """A fresh sibling folder to build `target` in, named so that `sweep_siblings` knows its writer."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(target)
    tmp.mkdir(mode=0o755)
    return tmp


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists (ours or anyone's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(pid: str, *, everyone: bool) -> bool:
    """A temporary nobody is writing any more (its writer's process is gone)."""
    return everyone or not pid_alive(int(pid))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep_temp_files(folder: Path, *, everyone: bool = False) -> list[Path]:
    """Remove the `.<name>.tmp-…` leftovers in `folder` whose writer is gone (all of them when
    `everyone`, i.e. the caller holds the folder's lock). Returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for p in sorted(folder.iterdir()):
        m = _TMP_RE.match(p.name)
        if m and _stale(m.group("pid"), everyone=everyone):
            _remove(p)
            removed.append(p)
    return removed


def sweep_siblings(target: Path) -> list[Path]:
    """Before rebuilding folder `target`: recover or remove what an interrupted build left beside it.

    A kill between the two renames of a swap leaves `target` missing and the previous version as
    `.<name>.old-<ns>`: it is put back. Then `.<name>.old-*` and dead writers' `.<name>.tmp-*`
    siblings are removed. Returns what was removed or restored.
    """
    parent, name = target.parent, target.name
    if not parent.is_dir():
        return []
    olds = sorted(p for p in parent.iterdir() if (m := _OLD_RE.match(p.name)) and m.group("target") == name)
    touched: list[Path] = []
    if olds and not target.exists():
        olds[-1].rename(target)
        touched.append(olds.pop())
    for old in olds:
        _remove(old)
        touched.append(old)
    for p in sorted(parent.iterdir()):
        m = _TMP_RE.match(p.name)
        if m and m.group("target") == name and _stale(m.group("pid"), everyone=False):
            _remove(p)
            touched.append(p)
    return touched


@contextlib.contextmanager
def locked(folder: Path, *, timeout_s: float = 60.0) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (flock on the directory itself: no lock file to leave
    behind; the kernel releases it when the process dies). TimeoutError when another holder
    keeps it longer than `timeout_s`."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(str(folder)) from None
                time.sleep(0.05)
            except OSError:  # a filesystem without flock (some network mounts): go on unlocked
                break
        yield
    finally:
        os.close(fd)
