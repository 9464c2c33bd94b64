"""`dangjian --help` start-up time of this checkout against a baseline checkout (another commit).

Runs alternate between the two trees in one process, so both see the same machine load; the report
gives each tree's median and the ratio this/baseline, with the load average before and after.

    git worktree add /tmp/baseline <commit>
    .venv/bin/python scripts/help_bench.py /tmp/baseline --runs 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PROBE = "import sys; from rag.cli import main; sys.argv = ['dangjian', '--help']; main()"


def run_once(tree: Path) -> float:
    """One fresh interpreter printing the help from `tree` (its rag/ comes first on sys.path)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", PROBE], cwd=tree, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="a checkout of the commit to compare against")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this": HERE}
    times: dict[str, list[float]] = {name: [] for name in trees}
    load_before = os.getloadavg()
    for tree in trees.values():
        run_once(tree)  # warm the file cache for both before timing
    for _ in range(args.runs):
        for name, tree in trees.items():
            times[name].append(run_once(tree))
    load_after = os.getloadavg()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, tree in trees.items():
        print(f"{name:9} {tree}  median {medians[name] * 1000:.1f} ms  min {min(times[name]) * 1000:.1f} ms")
    print(f"ratio this/baseline {medians['this'] / medians['baseline']:.3f}  "
          f"(load average {load_before[0]:.2f} → {load_after[0]:.2f}, {args.runs} runs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
