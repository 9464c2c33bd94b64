"""Two `dangjian serve` processes on one PostgreSQL database, as behind a reverse proxy: what one
replica saves or uploads, the other shows and answers, without a restart; a replica killed in the
middle of an upload leaves the shared registry consistent and every replica answering.

Each replica has its own corpus folder and index (copies of the session's), its own data folder,
and the shared database; the registry's generation is polled every 0.3 s here (default 1 s)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from test_ui_office import TITLE, make_docx
from testserver import free_port, stop_served, wait_served

from rag import Assistant, Settings
from rag.db import Database
from rag.db.registry import Registry
from rag.ingest import read_entries

ROOT = Path(__file__).resolve().parent.parent
VISITOR = "r" * 24
QUESTION = f"《{TITLE}》第三条是什么？"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Replica:
    """One `dangjian serve` process with its own folders; start, kill, start again."""

    def __init__(self, root: Path, settings: Settings, url: str, *, flag: bool, sync_s: float = 0.3) -> None:
        self.root, self.db_url, self.flag, self.sync_s = root, url, flag, sync_s
        self.corpus, self.index = root / "corpus", root / "index"
        shutil.copytree(settings.corpus_dir, self.corpus)
        shutil.copytree(settings.index_dir, self.index)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        port = free_port()
        env = {**os.environ, "DANGJIAN_DATA_DIR": str(self.root / "data"), "DANGJIAN_SYNC_INTERVAL": str(self.sync_s),
               "DANGJIAN_FEEDBACK_PATH": str(self.root / "feedback.jsonl"), "DANGJIAN_WATCH_INTERVAL": "0"}
        args = [sys.executable, "-m", "rag", "serve", "--port", str(port), "--corpus", str(self.corpus),
                "--index", str(self.index)]
        if self.flag:  # one replica names the database on the command line, the other in the environment
            args += ["--database-url", self.db_url]
        else:
            env["DANGJIAN_DATABASE_URL"] = self.db_url
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{port}"
        return wait_served(self.proc, self.url, 120, ready=lambda res: res.json().get("index") == "ready")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        stop_served(self.proc)

    def ask(self, question: str) -> dict[str, Any]:
        res = httpx.post(f"{self.url}/api/ask", json={"question": question}, timeout=30)
        assert res.status_code == 200, res.text
        return dict(res.json())


@pytest.fixture()
def replicas(pg_url: str, settings: Settings, assistant: Assistant, tmp_path: Path) -> Iterator[list[Replica]]:
    """Replicas A and B over one fresh database, A started first (it seeds the registry)."""
    pair = [Replica(tmp_path / name, settings, pg_url, flag=name == "a") for name in ("a", "b")]
    try:
        for replica in pair:
            replica.start()
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def _answered_by(replica: Replica, doc_id: str, deadline_s: float) -> float:
    """Seconds until `replica` answers QUESTION from `doc_id` (fails after `deadline_s`)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        ans = replica.ask(QUESTION)
        if ans["citations"] and ans["citations"][0]["doc_id"] == doc_id:
            assert "每半年公示一次" in ans["answer"]
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{replica.url} did not answer from {doc_id} within {deadline_s} s")


def test_what_a_saves_or_uploads_b_shows_and_answers(replicas: list[Replica], tmp_path: Path) -> None:
    """One pair of replicas for both directions of sharing (starting a pair is most of the cost)."""
    a, b = replicas
    _a_conversation_made_on_a_lists_and_exports_on_b(a, b)
    _a_document_uploaded_on_a_is_answered_by_b_within_5_s(a, b, tmp_path)
    a.stop()  # with the Gradio client's heartbeat stream still open: Ctrl-C ends `serve` all the same
    assert a.proc is not None and a.proc.returncode == 130  # the CLI's Ctrl-C exit, not stop()'s SIGKILL


def _a_conversation_made_on_a_lists_and_exports_on_b(a: Replica, b: Replica) -> None:
    from gradio_client import Client

    cookie = {"Cookie": f"dj_visitor={VISITOR}"}
    client = Client(a.url + "/", headers=cookie, verbose=False)
    client.predict("第8条要求什么？", "extractive", [], api_name="/ask")  # the page's own event
    listed = httpx.get(f"{b.url}/api/conversations", headers=cookie).json()["conversations"]
    assert [c["title"] for c in listed] == ["第8条要求什么？"] and listed[0]["turns"] == 1
    cid = listed[0]["id"]
    txt = httpx.get(f"{b.url}/api/conversations/{cid}.txt", headers=cookie)
    assert txt.status_code == 200 and "第8条" in txt.text and "东直〔2025〕3号" in txt.text
    docx = httpx.get(f"{b.url}/api/conversations/{cid}.docx", headers=cookie)
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert httpx.get(f"{b.url}/api/conversations").json()["conversations"] == []  # another visitor: none


def _a_document_uploaded_on_a_is_answered_by_b_within_5_s(a: Replica, b: Replica, tmp_path: Path) -> None:
    upload = make_docx(tmp_path / "jifen.docx").read_bytes()
    assert not b.ask(QUESTION)["citations"] or b.ask(QUESTION)["citations"][0]["doc_id"] != "jifen"
    res = httpx.post(f"{a.url}/api/documents?wait=1", timeout=120, files={"files": ("jifen.docx", upload, DOCX)})
    assert res.status_code == 200 and res.json()["state"] == "done", res.text
    doc_id = res.json()["report"][0]["doc_id"]
    seconds = _answered_by(b, doc_id, 5.0)
    print(f"B answered from the upload on A after {seconds:.2f} s")
    assert (b.corpus / "originals" / f"{doc_id}.docx").read_bytes() == upload  # the original, byte for byte
    assert doc_id in {d["doc_id"] for d in httpx.get(f"{b.url}/api/documents").json()["documents"]}
    gone = httpx.delete(f"{b.url}/api/documents/{doc_id}?wait=1", timeout=120).json()  # and back the other way
    assert gone["state"] == "done", gone
    deadline = time.monotonic() + 10
    while doc_id in {d["doc_id"] for d in httpx.get(f"{a.url}/api/documents").json()["documents"]}:
        assert time.monotonic() < deadline, "the removal on B did not reach A"
        time.sleep(0.2)


def _consistent(db_url: str) -> list[str]:
    """The registry's documents, after checking that each has every file its manifest table names."""
    reg = Registry(Database(db_url))
    snap = reg.snapshot()
    for doc in snap.documents:
        named = {p for p in (doc.entry.get("file"), doc.entry.get("original")) if p}
        assert named == set(doc.files), (doc.doc_id, named, doc.files)
        assert set(reg.files(list(doc.files))) == named
    with Database(db_url).read() as conn:
        orphans = conn.scalar(sa.text("SELECT COUNT(*) FROM document_files f LEFT JOIN documents d "
                                      "ON d.doc_id = f.doc_id WHERE d.doc_id IS NULL"))
    assert orphans == 0
    return snap.doc_ids


@pytest.mark.parametrize("when", ["at-once", "rebuilding"])
def test_a_replica_killed_mid_upload(replicas: list[Replica], tmp_path: Path, when: str) -> None:
    """SIGKILL A as soon as its upload job runs (wherever that lands: parsing, publishing, building)
    or once it is rebuilding its index (after the publish): the registry holds the document whole or
    not at all; B keeps answering (and answers the document if it was published); A restarted
    follows the registry and answers too."""
    a, b = replicas
    before = _consistent(a.db_url)
    upload = make_docx(tmp_path / "jifen.docx").read_bytes()
    res = httpx.post(f"{a.url}/api/documents", timeout=60, files={"files": ("jifen.docx", upload, DOCX)})
    assert res.status_code == 202, res.text
    if when == "rebuilding":
        deadline = time.monotonic() + 60
        while httpx.get(f"{a.url}/api/documents/job").json()["stage"] in ("导入文件", ""):  # ingest
            assert time.monotonic() < deadline
            time.sleep(0.01)
    a.kill()
    after = _consistent(a.db_url)
    assert after in (before, [*before, "jifen"]), after
    if when == "rebuilding":
        assert after == [*before, "jifen"]  # the publish precedes the rebuild
    assert "第8条" in b.ask("第8条要求什么？")["answer"]
    if "jifen" in after:
        _answered_by(b, "jifen", 10.0)
    a.start()
    assert [str(e["doc_id"]) for e in read_entries(a.corpus)] == after
    assert "第8条" in a.ask("第8条要求什么？")["answer"]
    if "jifen" in after:
        _answered_by(a, "jifen", 30.0)
    assert json.dumps(_consistent(a.db_url)) == json.dumps(after)
