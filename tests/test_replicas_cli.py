"""`dangjian add` / `remove` on one machine, a running `dangjian serve` replica on another (its own
folders), one PostgreSQL database: the replica answers the CLI's document within 5 s of the command
returning, and stops answering it after the CLI's removal, without a restart. The replica polls the
registry only every 60 s here: what reaches it sooner is the publish's NOTIFY (rag/db/listen.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_replicas import QUESTION, ROOT, Replica, _answered_by, _consistent
from test_ui_office import make_docx

from rag import Assistant, Settings


@pytest.fixture()
def replica(pg_url: str, settings: Settings, assistant: Assistant, tmp_path: Path) -> Iterator[Replica]:
    """Replica B serving; it seeds the registry from its copy of the corpus."""
    b = Replica(tmp_path / "b", settings, pg_url, flag=True, sync_s=60)
    try:
        b.start()
        yield b
    finally:
        b.stop()


def _cli(settings: Settings, root: Path, url: str, *args: str) -> str:
    """One `dangjian` command on machine A (its own corpus and index copies); its stdout."""
    corpus, index = root / "corpus", root / "index"
    if not corpus.exists():
        shutil.copytree(settings.corpus_dir, corpus)
        shutil.copytree(settings.index_dir, index)
    env = {**os.environ, "DANGJIAN_DATA_DIR": str(root / "data"), "DANGJIAN_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "rag", *args, "--corpus", str(corpus), "--index", str(index)],
                          cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done.stdout.decode()


def _listed(replica: Replica) -> set[str]:
    return {d["doc_id"] for d in httpx.get(f"{replica.url}/api/documents").json()["documents"]}


def test_a_cli_add_and_remove_reach_a_running_replica(replica: Replica, settings: Settings,
                                                      tmp_path: Path) -> None:
    upload = make_docx(tmp_path / "jifen.docx")
    out = _cli(settings, tmp_path / "a", replica.db_url, "add", str(upload))
    assert "✓ jifen" in out and "已登记到共享数据库" in out
    seconds = _answered_by(replica, "jifen", 5.0)
    print(f"the replica answered the CLI's add {seconds:.2f} s after the command returned")
    assert (replica.corpus / "originals" / "jifen.docx").read_bytes() == upload.read_bytes()
    assert _consistent(replica.db_url)[-1] == "jifen"
    out = _cli(settings, tmp_path / "a", replica.db_url, "remove", "jifen")
    assert "已移除 jifen" in out and "已登记到共享数据库" in out
    deadline = time.monotonic() + 5.0
    while "jifen" in _listed(replica) or any(c["doc_id"] == "jifen" for c in replica.ask(QUESTION)["citations"]):
        assert time.monotonic() < deadline, "the replica still answers from the removed document after 5 s"
        time.sleep(0.1)
    assert "jifen" not in _consistent(replica.db_url)
    assert (replica.corpus / "removed" / "jifen.txt").is_file()  # set aside on the replica, never deleted
