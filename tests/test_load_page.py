"""scripts/load_page.py drives a real `dangjian serve` through the page's own event path (small
counts): every question answered as a saved turn, the report complete. The figures come from a
full run of the script (eval/bench.md); nothing here asserts a latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_load_page_script_small_run(assistant: Assistant, settings: Settings) -> None:
    args = [sys.executable, str(ROOT / "scripts" / "load_page.py"), "--sessions", "1,3", "--questions", "3",
            "--json", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    levels = {row["sessions"]: row for row in report["levels"]}
    assert set(levels) == {1, 3}
    for sessions, row in levels.items():
        assert row["requests"] == sessions * 3, row
        assert row["errors"] == 0 and row["error_examples"] == [], row
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["boot_p50_ms"] is not None and row["per_second"] > 0
        assert row["server_cpu_ms_per_answer"] is not None
    assert levels[1]["p95_over_1_session"] == 1.0
    assert report["verdict"] == {"target_level_run": False}  # 50 sessions were not asked for


def test_load_page_counts_a_refused_question_as_an_error(tmp_path: Path) -> None:
    """A server that does not answer the page's events: every question is an error, none a latency."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import load_page
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    import asyncio

    from testserver import running

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        assert scope["type"] in ("http", "lifespan")
        if scope["type"] == "lifespan":
            return
        body = json.dumps({"ok": True}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if scope["path"] == "/api/session":
            headers.append((b"set-cookie", b"dj_visitor=abcdefghijklmnopqrstuv; Path=/"))
        status = 200 if scope["path"] in ("/api/session", "/gradio_api/app_id") else 503
        await send({"type": "http.response.start", "status": status, "headers": headers})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": body})  # type: ignore[operator]

    page = load_page.Page(boot_fn=1, boot_trigger=2)
    with running(app, ready_path="/gradio_api/app_id") as url:
        row = asyncio.run(load_page.level(page, url.rstrip("/"), 2, 3, seed=1, timeout=10, pid=None))
    assert row["requests"] == 0 and row["errors"] == 2 + 2 * 3  # each session's boot, then its 3 questions
    assert any("queue/join answered 503" in e for e in row["error_examples"])
