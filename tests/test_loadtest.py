"""scripts/loadtest.py runs end to end against a real `dangjian serve` process (small counts): every
request answered, the report complete. The figures themselves come from a full run of the script
(README "可靠性与安全"); nothing here asserts a latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_loadtest_script_small_run(assistant: Assistant, settings: Settings) -> None:
    args = [sys.executable, str(ROOT / "scripts" / "loadtest.py"), "--clients", "6", "--requests", "4",
            "--abusive", "2", "--probes", "12", "--json", "--corpus", str(settings.corpus_dir),
            "--index", str(settings.index_dir)]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["normal"]["requests"] == 24 and report["normal"]["errors"] == 0
    assert report["baseline"]["lookup"]["requests"] == 12 and report["baseline"]["lookup"]["errors"] == 0
    assert report["lookup_under_abuse"]["requests"] == 12 and report["lookup_under_abuse"]["errors"] == 0
    assert report["abusive"]["errors"] == 0 and report["abusive"]["requests"] >= 2
    assert report["abusive"]["body_chars"]["question"] >= 3  # a body at the limits, accepted
    assert set(report["verdict"]) >= {"normal_p99_le_1s", "lookup_p95_le_100ms_with_abuse"}
