"""Feedback-vote benchmark: what one 👍/👎 costs as the feedback file grows.

    .venv/bin/python scripts/bench_feedback.py [--records 1000,50000] [--votes 200]

For each size, a temporary feedback file is filled with that many votes (one per conversation
turn, as the page writes them), then `rag.eval.feedback.set_vote` is timed for `--votes` clicks:
new votes, changed votes and undos in turn, as a user clicks. The first click of a process is
timed separately (it may read the file once); the rest give the median and mean per vote. The
ratio compares the largest size with the smallest: ≈1 means a vote's cost does not grow with
the file, ≈(size ratio) means every vote rewrites it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.eval import feedback  # noqa: E402 - after the path fix-up, to bench this checkout

FIELDS = {"question": "第8条要求什么？", "history": [], "answer": "第8条 深化“四强”党支部建设……〔第8条〕",
          "abstained": False, "kind": "item", "citations": ["dongzhi-2025-3#8"],
          "primary_doc": "dongzhi-2025-3"}


def fill(path: Path, records: int) -> None:
    """`records` votes in the file, written directly (building them through set_vote would take
    minutes on a version that rewrites the file per vote)."""
    lines = (json.dumps(feedback.make_record(vote="up", conversation=f"c{i // 10}", turn=i % 10, **FIELDS),
                        ensure_ascii=False) for i in range(records))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def clicks(path: Path, votes: int, records: int) -> tuple[float, list[float]]:
    """(first click s, the others' s): new votes, changed votes and undos, round-robin."""
    times = []
    for n in range(votes + 1):
        kind = n % 3
        conv, turn = (f"new{n}", 0) if kind == 0 else (f"c{(n * 7919) % max(records // 10, 1)}", n % 10)
        vote = None if kind == 2 else ("down" if kind == 1 else "up")
        start = time.perf_counter()
        feedback.set_vote(path, conversation=conv, turn=turn, vote=vote, **FIELDS)
        times.append(time.perf_counter() - start)
    return times[0], times[1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", default="1000,50000",
                    help="file sizes (votes already in it), comma-separated")
    ap.add_argument("--votes", type=int, default=200, help="clicks timed per size")
    args = ap.parse_args()
    sizes = [int(s) for s in args.records.split(",") if s.strip()]
    medians = {}
    print(f"{'records':>8} {'first ms':>9} {'median ms':>10} {'mean ms':>8} {'file lines':>10}")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-feedback-") as tmp:
            path = Path(tmp) / "feedback.jsonl"
            fill(path, size)
            first, rest = clicks(path, args.votes, size)
            medians[size] = statistics.median(rest)
            lines = sum(1 for _ in path.open(encoding="utf-8"))
            print(f"{size:>8} {first * 1e3:>9.2f} {medians[size] * 1e3:>10.3f} "
                  f"{statistics.fmean(rest) * 1e3:>8.3f} {lines:>10}")
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        print(f"ratio median({hi}) / median({lo}) = {medians[hi] / medians[lo]:.2f} "
              f"(file {hi / lo:.0f}x larger)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
