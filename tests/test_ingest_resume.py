"""An add that did not finish is visible and resumable; an upload never takes a collected document's
title or doc_id (issue #20). Small corpus (the notice and one regulation), hash embedder: fast."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ingest import SAMPLE_TEXT
from test_ingest_faults import template

from rag.cli import main
from rag.index import pending_documents
from rag.ingest import add_files, read_entries

ROOT = Path(__file__).resolve().parent.parent
QUOTE = "本条例自2021年3月1日起施行。"  # the sample regulation's last article
EMBEDDING = b"<embedding>"

# `dangjian add` as the console script runs it, except that the hash embedder announces the
# embedding stage on stderr and then sleeps: the test kills the process there, deterministically.
SLOW_EMBED = f"""
import sys, time
from rag import embed
def encode(self, texts, _real=embed.HashEmbedder.encode):
    sys.stderr.write({EMBEDDING.decode()!r}); sys.stderr.flush()
    time.sleep(120)
    return _real(self, texts)
embed.HashEmbedder.encode = encode
from rag.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cli(args: list[str], *, prelude: str | None = None) -> list[str]:
    code = ["-c", prelude] if prelude else ["-m", "rag"]
    return [sys.executable, *code, *args]


def env() -> dict[str, str]:
    return {**os.environ, "DANGJIAN_EMBED_BACKEND": "hash", "PYTHONPATH": str(ROOT)}


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(args), capture_output=True, text=True, env=env(), cwd=ROOT, timeout=120,
                          check=False)


def kill_while_embedding(args: list[str]) -> bytes:
    """Start `dangjian …`, SIGKILL it once it is embedding; returns what it wrote to stderr."""
    proc = subprocess.Popen(cli(args, prelude=SLOW_EMBED), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env(), cwd=ROOT)
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while EMBEDDING not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen.decode(errors="replace")
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if ready:
                seen += os.read(proc.stderr.fileno(), 4096)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    return seen


@pytest.fixture()
def where(tmp_path: Path) -> list[str]:
    corpus = template(tmp_path)
    return ["--corpus", str(corpus), "--index", str(tmp_path / "ix")]


def test_add_killed_while_embedding_is_pending_until_added_again(where: list[str], tmp_path: Path) -> None:
    corpus, index = Path(where[1]), Path(where[3])
    src = tmp_path / "shequ.txt"
    src.write_text(SAMPLE_TEXT, encoding="utf-8")
    assert run(["index", *where]).returncode == 0
    kill_while_embedding(["add", str(src), *where])
    assert "shequ" in {e["doc_id"] for e in read_entries(corpus)}  # committed to the corpus…
    assert pending_documents(index, corpus) == ["shequ"]  # …but not answerable: pending

    asked = run(["ask", "示范社区党建工作条例第八条", *where])
    assert asked.returncode == 1 and "Traceback" not in asked.stderr
    assert "以下文件的添加没有完成，暂时无法回答：《中国共产党示范社区党建工作条例》（shequ）" in asked.stderr
    assert "`dangjian add 同一文件`" in asked.stderr and "`dangjian index`" in asked.stderr

    again = run(["add", str(src), *where])
    assert again.returncode == 0, again.stderr
    assert "已收录" not in again.stdout
    assert f"↻ {src}：shequ 已在语料中，但上次添加没有完成" in again.stdout
    assert "✓ shequ 已完成添加，现在可以提问" in again.stdout
    assert pending_documents(index, corpus) == []
    answer = run(["ask", "示范社区党建工作条例第八条", *where])
    assert answer.returncode == 0 and QUOTE in answer.stdout, answer.stderr

    third = run(["add", str(src), *where])  # now it really is there: said so, nothing rebuilt
    assert third.returncode == 0 and third.stdout.splitlines() == [f"= {src}：已收录（shequ，shequ.txt），未重复添加"]


def test_add_again_rebuilds_when_there_is_no_index(where: list[str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No index at all (killed during the first build): the document is not answerable, so no 已收录."""
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    src = tmp_path / "shequ.txt"
    src.write_text(SAMPLE_TEXT, encoding="utf-8")
    add_files([src], where[1])  # the corpus half of `dangjian add`, as if killed before building
    assert main(["add", str(src), *where]) == 0
    out = capsys.readouterr().out
    assert "已收录" not in out and "索引已重建" in out
    assert main(["ask", "示范社区党建工作条例第八条", *where]) == 0 and QUOTE in capsys.readouterr().out
