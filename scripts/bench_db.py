"""Storage benchmark: what a conversation save and the list/reopen after it cost, per engine setup.

    .venv/bin/python scripts/bench_db.py [--rounds 300] [--threads 1,8] [--database-url postgresql://…]

One round is what the page does around an answer: create a conversation, append a turn (the
answer's JSON, ~3 KB), list the owner's conversations, open the conversation. Each SQLite setup
gets its own fresh file in a temporary folder: `per-use` opens a new connection for every
transaction (the engine before the pool: file opened and pragmas re-run each time), `pooled` is
the engine as shipped. The setups alternate in blocks of 50 rounds so both see the same machine
load; the ratio is pooled ÷ per-use in the same run. With `--threads N`, N threads run rounds at
once (the page's handlers run on many threads) and the figure is wall time per round. A
PostgreSQL URL adds the shipped PostgreSQL engine (pooled, pre-ping) for comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.db import Database  # noqa: E402 - after the path fix-up, to bench this checkout
from rag.db.conversations import Store  # noqa: E402
from rag.db.engine import _create, _engines  # noqa: E402 - the baseline engine is a private knob
from rag.db.schema import migrate  # noqa: E402

CITATION = {"doc_id": "dongzhi-2025-3", "ref": "8", "quote": "深化“四强”党支部建设" * 10}
TURN = {"question": "第8条要求什么？", "history": ["支部委员会由几人组成？"], "mode": "extractive",
        "answer": {"text": "第8条 深化“四强”党支部建设。" * 40, "citations": [CITATION]},
        "state": {"doc": "dongzhi-2025-3", "ref": "8"}, "vote": None}
BLOCK = 50


def sqlite_database(folder: Path, *, pooled: bool) -> Database:
    url = f"sqlite:///{folder / ('pooled' if pooled else 'per-use') / 'dangjian.sqlite3'}"
    engine = _create(url, pooled=pooled)
    migrate(engine, write_options={"write": True})
    _engines[url] = engine  # Database(url) picks this engine up instead of creating the shipped one
    return Database(url)


def one_round(store: Store, owner: str) -> None:
    cid = store.create(owner, str(TURN["question"]))
    store.add_turn(owner, cid, TURN)
    store.list(owner)
    store.get(owner, cid)


def timed_block(store: Store, rounds: int, threads: int, tag: str) -> list[float]:
    """Seconds per round: each round's own time (1 thread) or the block's wall time ÷ rounds."""
    if threads == 1:
        out = []
        for i in range(rounds):
            start = time.perf_counter()
            one_round(store, f"user:{tag}{i % 20}")
            out.append(time.perf_counter() - start)
        return out
    per = rounds // threads

    def work(t: int) -> None:
        for i in range(per):
            one_round(store, f"user:{tag}{t}-{i % 5}")

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return [(time.perf_counter() - start) / (per * threads)]


def bench(stores: dict[str, Store], rounds: int, threads: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in stores}
    for store in stores.values():  # warm-up: first connections, page cache
        timed_block(store, 10, 1, f"warm{threads}")
    for block in range(0, rounds, BLOCK):
        for name, store in stores.items():
            times[name] += timed_block(store, min(BLOCK, rounds - block), threads, f"t{threads}b{block}")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=300, help="rounds per setup and thread count")
    ap.add_argument("--threads", default="1,8", help="threads at once, comma-separated")
    ap.add_argument("--database-url", default="", help="also bench this PostgreSQL database")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        stores = {name: Store(sqlite_database(Path(tmp), pooled=pooled), max_conversations=10**6)
                  for name, pooled in (("sqlite per-use", False), ("sqlite pooled", True))}
        if args.database_url:
            stores["postgresql pooled"] = Store(Database(args.database_url), max_conversations=10**6)
        for threads in (int(t) for t in args.threads.split(",") if t.strip()):
            times = bench(stores, args.rounds, threads)
            base = statistics.median(times["sqlite per-use"])
            for name, ts in times.items():
                med = statistics.median(ts)
                p95 = sorted(ts)[int(0.95 * (len(ts) - 1))]
                rows.append({"setup": name, "threads": threads, "median_ms": round(med * 1000, 3),
                             "p95_ms": round(p95 * 1000, 3), "ratio": round(med / base, 3)})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print("| setup | threads | median ms/round | p95 ms/round | ÷ sqlite per-use |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        tail = f"{r['p95_ms']:.2f}" if r["threads"] == 1 else "–"
        print(f"| {r['setup']} | {r['threads']} | {r['median_ms']:.2f} | {tail} | {r['ratio']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
