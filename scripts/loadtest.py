#!/usr/bin/env python3
"""Loopback load test of `dangjian serve`: many normal clients, then abusive ones beside a prober.

    python scripts/loadtest.py                        # 50 clients × 20 questions; 4 abusive clients
    python scripts/loadtest.py --clients 5 --requests 3 --abusive 1 --probes 10 --json   # (the CI test)

It starts `dangjian serve` in its own process on a free loopback port (or uses --url), then:

  baseline   one client alone: 第8条 lookups (`--probes` of them) and the normal question mix
  normal     `--clients` concurrent clients, each asking `--requests` questions back to back (no
             pause): references, regulation articles, free questions, and follow-ups that send the
             `state` the previous answer returned
  abusive    `--abusive` clients loop on the most expensive body the API accepts (picked by timing
             the candidates once: the longest question, the longest history, both), while one
             prober asks 第8条 `--probes` times
Targets (issue 10): normal p99 ≤ 1 s with 0 errors; the prober's p95 ≤ 100 ms beside 4 abusive
clients. Latencies are client-side wall time; ratios are to the baseline of the same run.
Exit 0 unless --check is given and a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS  # noqa: E402

LOOKUP = "第8条要求什么？"
MIX = [
    *(f"第{n}条要求什么？" for n in range(1, 20)),
    "党章第三十二条", "纪律处分条例第八条是什么", "发展党员工作细则第十条",
    "流动党员怎么管理？", "发展党员要经过哪些程序？", "基层党组织书记述职评议怎么开展？",
    "党费怎么收缴和使用？", "厉行节约对公务接待有什么规定？", "党员教育培训每年多少学时？",
    "第三部分讲什么？", "这个文件是谁印发的？", "What does item 12 require?", "今天天气怎么样？",
]
FOLLOW_UPS = ["下一条", "那上一条呢？", "这一条里关于党员的要求是什么？"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ms = [x * 1000 for x in latencies]
    return {"requests": len(ms), "errors": errors, "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1) if ms else None,
            "per_second": round(len(ms) / seconds, 1) if seconds else None}


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    corpus: str | None, index: str | None, timeout: float, *, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`dangjian serve` on a free loopback port, without login or corpus watching; `env`: more variables."""
    port = free_port()
    args = [sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--corpus", corpus] if corpus else []
    args += ["--index", index] if index else []
    env = {**os.environ, "DANGJIAN_WATCH_INTERVAL": "0", "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    env.pop("DANGJIAN_AUTH", None)
    env.pop("DANGJIAN_AUTH_FILE", None)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise SystemExit(f"dangjian serve exited ({proc.returncode}):\n{err}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"dangjian serve not ready after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


# -- clients ------------------------------------------------------------------------------------


class Connection:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams: the load generator shares the
    machine with the server, so it must cost far less per request than a full HTTP library."""

    def __init__(self, url: str) -> None:
        host_port = url.split("//", 1)[1].rstrip("/")
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            try:
                return await self._post(path, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _sep, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def ask(conn: Connection, body: dict[str, Any]) -> tuple[float, int, dict[str, Any]]:
    payload = json.dumps(body, ensure_ascii=False).encode()
    start = time.perf_counter()
    try:
        status, raw = await conn.post("/api/ask", payload)
        data = json.loads(raw) if status == 200 else {}
    except (OSError, ValueError, asyncio.IncompleteReadError):
        status, data = 0, {}
    return time.perf_counter() - start, status, data


async def normal_client(url: str, n: int, rng: random.Random, out: list[float],
                        errors: list[int]) -> None:
    """Questions back to back; after an answer about a unit, sometimes a follow-up with its state."""
    client = Connection(url)
    state: dict[str, Any] | None = None
    for _ in range(n):
        if state and state.get("refs") and rng.random() < 0.3:
            body: dict[str, Any] = {"question": rng.choice(FOLLOW_UPS), "state": state}
        else:
            body = {"question": rng.choice(MIX)}
        seconds, status, data = await ask(client, body)
        out.append(seconds)
        if status != 200:
            errors.append(status)
        state = data.get("state")
    await client.close()


def abusive_bodies(rng: random.Random) -> list[dict[str, Any]]:
    """Bodies at the limits: the longest question, the longest history, both (random CJK text
    that no reference resolves, so every unit is ranked)."""
    def text(n: int) -> str:
        return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))

    turn = MAX_HISTORY_CHARS // MAX_HISTORY_TURNS
    history = [text(turn) for _ in range(MAX_HISTORY_TURNS)]
    return [{"question": text(MAX_QUESTION_CHARS)},
            {"question": "下一条", "history": history},
            {"question": text(MAX_QUESTION_CHARS), "history": history}]


async def worst_body(client: Connection, rng: random.Random) -> tuple[dict[str, Any], float]:
    timed = []
    for body in abusive_bodies(rng):
        seconds, status, _ = await ask(client, body)
        if status != 200:
            raise SystemExit(f"an abusive body within the limits was refused ({status}): the limits changed?")
        timed.append((seconds, body))
    seconds, body = max(timed, key=lambda t: t[0])
    return body, seconds


async def abuser(url: str, body: dict[str, Any], stop: asyncio.Event,
                 out: list[float], errors: list[int]) -> None:
    client = Connection(url)
    while not stop.is_set():
        seconds, status, _ = await ask(client, body)
        out.append(seconds)
        if status != 200:
            errors.append(status)
    await client.close()


async def prober(client: Connection, n: int, out: list[float], errors: list[int]) -> None:
    for _ in range(n):
        seconds, status, data = await ask(client, {"question": LOOKUP})
        out.append(seconds)
        if status != 200 or data.get("retrieved", [""])[0] != "dongzhi-2025-3#8":
            errors.append(status)
        await asyncio.sleep(0.01)


# -- phases -------------------------------------------------------------------------------------


async def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    probe = Connection(url)
    base_lookup: list[float] = []
    base_errors: list[int] = []
    await prober(probe, args.probes, base_lookup, base_errors)
    base_mix: list[float] = []
    await normal_client(url, len(MIX), random.Random(args.seed), base_mix, base_errors)

    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    await asyncio.gather(*(normal_client(url, args.requests, random.Random(args.seed + i), latencies, errors)
                           for i in range(args.clients)))
    normal = summary(latencies, len(errors), time.perf_counter() - start)

    body, body_s = await worst_body(probe, rng)
    stop = asyncio.Event()
    abused: list[float] = []
    abuse_errors: list[int] = []
    probes: list[float] = []
    probe_errors: list[int] = []
    start = time.perf_counter()
    tasks = [asyncio.create_task(abuser(url, body, stop, abused, abuse_errors)) for _ in range(args.abusive)]
    await asyncio.sleep(0.5 if args.abusive else 0)  # let the abusers get going
    await prober(probe, args.probes, probes, probe_errors)
    stop.set()
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - start
    await probe.close()
    return {
        "baseline": {"lookup": summary(base_lookup, len(base_errors), 0), "mix": summary(base_mix, 0, 0)},
        "normal": {"clients": args.clients, **normal},
        "abusive": {
            "clients": args.abusive,
            "body_chars": {
                "question": len(body["question"]),
                "history": sum(map(len, body.get("history", []))),
            },
            "body_alone_ms": round(body_s * 1000, 1),
            **summary(abused, len(abuse_errors), seconds),
        },
        "lookup_under_abuse": summary(probes, len(probe_errors), 0),
    }


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    normal, probe, base = report["normal"], report["lookup_under_abuse"], report["baseline"]["lookup"]
    return {
        "normal_p99_le_1s": normal["errors"] == 0 and normal["p99_ms"] <= 1000,
        "lookup_p95_le_100ms_with_abuse": probe["errors"] == 0 and probe["p95_ms"] <= 100,
        "normal_p99_over_baseline_mix_p99": round(normal["p99_ms"] / report["baseline"]["mix"]["p99_ms"], 1),
        "lookup_p95_under_abuse_over_idle": round(probe["p95_ms"] / base["p95_ms"], 1),
    }


def markdown(report: dict[str, Any]) -> str:
    n, a, p, b = report["normal"], report["abusive"], report["lookup_under_abuse"], report["baseline"]
    v = report["verdict"]
    return "\n".join(
        [
            f"load average before: {report['loadavg_before']}  after: {report['loadavg_after']}",
            "| phase | requests | errors | p50 ms | p95 ms | p99 ms | per s |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| baseline: 第8条 alone | {b['lookup']['requests']} | {b['lookup']['errors']} "
            f"| {b['lookup']['p50_ms']} | "
            f"{b['lookup']['p95_ms']} | {b['lookup']['p99_ms']} | |",
            f"| baseline: question mix alone | {b['mix']['requests']} | 0 | {b['mix']['p50_ms']} "
            f"| {b['mix']['p95_ms']} | "
            f"{b['mix']['p99_ms']} | |",
            f"| {n['clients']} normal clients | {n['requests']} | {n['errors']} | {n['p50_ms']} "
            f"| {n['p95_ms']} | "
            f"{n['p99_ms']} | {n['per_second']} |",
            f"| {a['clients']} abusive clients ({a['body_chars']}, {a['body_alone_ms']} ms alone) "
            f"| {a['requests']} | "
            f"{a['errors']} | {a['p50_ms']} | {a['p95_ms']} | {a['p99_ms']} | {a['per_second']} |",
            f"| 第8条 beside them | {p['requests']} | {p['errors']} | {p['p50_ms']} | {p['p95_ms']} "
            f"| {p['p99_ms']} | |",
            "",
            f"normal p99 ≤ 1 s, 0 errors: {'yes' if v['normal_p99_le_1s'] else 'NO'} "
            f"({v['normal_p99_over_baseline_mix_p99']}× the mix's p99 alone)",
            "第8条 p95 ≤ 100 ms beside abusive clients: "
            f"{'yes' if v['lookup_p95_le_100ms_with_abuse'] else 'NO'} "
            f"({v['lookup_p95_under_abuse_over_idle']}× its p95 alone)",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="questions per normal client")
    parser.add_argument("--abusive", type=int, default=4)
    parser.add_argument(
        "--probes", type=int, default=200, help="第8条 lookups (baseline, and beside the abusers)"
    )
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument("--corpus")
    parser.add_argument("--index")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    proc = None
    url = args.url
    if not url:
        proc, url = start_server(args.corpus, args.index, args.startup_timeout)
    try:
        before = [round(x, 2) for x in os.getloadavg()]
        report = asyncio.run(run(url, args))
        report["loadavg_before"], report["loadavg_after"] = before, [round(x, 2) for x in os.getloadavg()]
    finally:
        if proc is not None:
            stop_server(proc)
    report["verdict"] = verdict(report)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else markdown(report))
    met = report["verdict"]["normal_p99_le_1s"] and report["verdict"]["lookup_p95_le_100ms_with_abuse"]
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
