"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a temp folder, a free port.

    with Cluster.start() as cluster:        # initdb + pg_ctl start (as `postgres`/`nobody` under root)
        url = cluster.create_database()     # postgresql://postgres@127.0.0.1:PORT/t_… (trust auth)

The binaries are found under /usr/lib/postgresql/<version>/bin (or on PATH). When they are absent the
tests skip — unless the environment variable CI is set: CI installs postgresql (.ci/run), so there
their absence is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SUPERUSER = "postgres"


def bindir() -> Path | None:
    """The newest installed server's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def require_bindir() -> Path:
    """The binaries, or a skip (a failure under CI)."""
    found = bindir()
    if found is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: these tests must run)", pytrace=False)
        pytest.skip(message)
    return found


def _runner(root: Path) -> tuple[list[str], int | None]:
    """How to run the server binaries: as ourselves, or under root as an unprivileged account
    (PostgreSQL refuses to run as root). Some containers have a plain root-only file where
    /dev/null should be, which initdb's shell redirections cannot open as that account: then the
    commands run in a private mount namespace with a writable file bound over /dev/null (the
    server started there stays in it; nothing outside changes)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        prefix = ["runuser", "-u", name, "--"]
        if not stat.S_ISCHR(os.stat("/dev/null").st_mode):
            sink = root / "devnull"
            sink.touch(mode=0o666)
            sink.chmod(0o666)
            prefix = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /dev/null && exec "$@"', str(sink),
                      *prefix]
        return prefix, uid
    raise RuntimeError("running as root and neither a postgres nor a nobody account exists")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    def __init__(self, root: Path, port: int, prefix: list[str], bin_dir: Path) -> None:
        self.root, self.port, self.prefix, self.bin = root, port, prefix, bin_dir

    @property
    def base_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, timeout=120, cwd=self.root)
        if done.returncode:
            log = (self.root / "log").read_text(errors="replace")[-2000:] if (self.root / "log").exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}"
                               f"{done.stdout.decode(errors='replace')[-2000:]}\n{log}")

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[Cluster]:
        bin_dir = require_bindir()
        root = Path(tempfile.mkdtemp(prefix="dangjian-pg-"))  # not under pytest's 0700 root-only folders
        prefix, uid = _runner(root)
        if uid is not None:
            os.chown(root, uid, -1)
        cluster = cls(root, _free_port(), prefix, bin_dir)
        try:
            cluster._run(str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, "-A", "trust",
                         "-E", "UTF8", "--locale=C", "--no-sync")
            options = (f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
            cluster._run(str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-o", options,
                         "-l", str(root / "log"), "-w", "-t", "60", "start")
            yield cluster
        finally:
            try:
                cluster._run(str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
            except (subprocess.SubprocessError, OSError):
                pass
            shutil.rmtree(root, ignore_errors=True)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base_url}/{name}"

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
