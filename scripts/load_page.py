#!/usr/bin/env python3
"""Loopback load test of the web page's own event path: many browser sessions asking at once.

    python scripts/load_page.py                                  # 1, 10, 50, 100 sessions × 10 questions
    python scripts/load_page.py --sessions 1,3 --questions 2 --json   # (the CI test)

It starts `dangjian serve` in its own process on a free loopback port (or uses --url) with its
conversations in a temporary data folder, then for each concurrency level runs that many sessions
at once. A session does what the page's scripts (ui/page_js.py) do in a browser, over raw HTTP:

  open       GET /api/session (the visitor cookie: answers are saved to the visitor's
             conversations), the Gradio heartbeat stream (held open for the whole session, as the
             browser holds it), and the boot event (the header's `submit`: the page's link)
  ask        per question, back to back: POST /api/page/ask (ui/page_api.py) with the body FLOW
             (ui/static/flow.js) sends — question, seq, qid, the open conversation's id, the
             state the last answered turn carries (its data-state), the earlier questions, the
             scope, the mode — read to the end of its NDJSON answer
             A mix of 第N条 lookups, regulation articles, free questions, and follow-ups
             (下一条 …) after a lookup; the open conversation's id comes from the answer's line
             (the conversation list it sends for a new conversation), as the page's script reads it.

A question's latency is client wall time from the request to the answer's last line: what a user
waits between Enter and the answer arriving (the browser's drawing excluded). An error is a
refused request, an answer that is not a turn (the page would put the question back), a turn the
server could not save, or no answer within --timeout. Ratios are to the 1-session level of the same
run. Target (issue 24): 50 sessions p95 ≤ 0.5 s with 0 errors.
Exit 0 unless --check is given and the target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import resource
import secrets
import string
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadtest import FOLLOW_UPS, MIX, start_server, stop_server, summary  # noqa: E402

TARGET_SESSIONS, TARGET_P95_MS = 50, 500.0
_CURRENT_CONV = re.compile(r'class="dj-conv dj-current" data-id="([^"]+)"')
_ENVELOPE_KIND = re.compile(r'<template class="dj-append"[^>]*data-kind="([a-z]+)"')
_TURN_STATE = re.compile(r'<div class="dj-turn" data-turn="\d+" data-state="([^"]*)"')


# -- one HTTP/1.1 keep-alive connection ---------------------------------------------------------


class Http:
    """One keep-alive connection over asyncio streams, like one of a browser's pooled connections.
    Bodies framed by Content-Length or chunked; `events` reads a Server-Sent-Events response line
    by line. The load generator shares two cores with the server, so it must stay cheap."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _send(self, method: str, path: str, body: bytes | None) -> asyncio.StreamReader:
        """Send the request; a kept-alive connection the server has meanwhile closed (uvicorn
        closes idle ones after 5 s) is replaced by a new one, as a browser does."""
        if self.reader is not None and self.reader.at_eof():
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 *(f"{k}: {v}" for k, v in self.headers.items())]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        await self.writer.drain()
        return self.reader

    async def _head(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, str], list[str]]:
        first = (await reader.readline()).split()
        if len(first) < 2:
            raise ConnectionResetError("the server closed the connection")
        status = int(first[1])
        headers: dict[str, str] = {}
        cookies: list[str] = []
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _sep, value = line.decode("latin-1").partition(":")
            if name.lower() == "set-cookie":
                cookies.append(value.strip())
            headers[name.lower()] = value.strip()
        return status, headers, cookies

    async def request(self, method: str, path: str, payload: Any = None, *,
                      parse: bool = True) -> tuple[int, Any, list[str]]:
        """→ (status, the body parsed as JSON (None when it is not; its bytes when not `parse`),
        Set-Cookie values)."""
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        try:
            status, headers, cookies = await self._head(await self._send(method, path, body))
        except ConnectionError:  # closed while idle, between our check and the request: once more
            await self.close()
            status, headers, cookies = await self._head(await self._send(method, path, body))
        assert self.reader is not None
        reader = self.reader
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raw = b"".join([chunk async for chunk in self._chunks(reader)])
        else:
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
        if "close" in headers.get("connection", "").lower():
            await self.close()
        if not parse:
            return status, raw, cookies
        try:
            return status, json.loads(raw), cookies
        except ValueError:
            return status, None, cookies

    async def _chunks(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while size := int((await reader.readline()).split(b";")[0], 16):
            yield await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readline()  # the blank line after the last chunk: the connection is reusable

    async def events(self, path: str) -> AsyncIterator[tuple[int, Any]]:
        """GET an event stream → (status, message) per `data:` line (status alone when refused)."""
        reader = await self._send("GET", path, None)
        status, headers, _cookies = await self._head(reader)
        if status != 200:
            await reader.readexactly(int(headers.get("content-length", "0")))
            yield status, None
            return
        pending = b""
        async for chunk in self._chunks(reader):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.startswith(b"data: "):
                    try:
                        yield status, json.loads(line[6:])
                    except ValueError:
                        yield status, line[6:].decode("utf-8", "replace")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


# -- what the page's scripts send ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """The one Gradio event a session fires (boot: the header's `submit`), found by its component's
    elem_id in the page's config; questions go to the page's own route."""

    boot_fn: int
    boot_trigger: int


def page_events(config: dict[str, Any]) -> Page:
    ids = {c["props"].get("elem_id"): c["id"] for c in config["components"] if c.get("props")}
    for dep in config["dependencies"]:
        if [ids["dj-header"], "submit"] in [list(t) for t in dep["targets"]]:
            return Page(int(dep["id"]), ids["dj-header"])
    raise SystemExit("the page has no submit event on #dj-header: has the page changed?")


def session_hash() -> str:
    """A new Gradio session each time (not from the seed: a server reused with --url keeps the
    sessions of earlier runs for an hour, conversation state included)."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(11))


@dataclass(slots=True)
class Tally:
    """What the sessions of one level measured."""

    asked: list[float] = field(default_factory=list)  # seconds per answered question
    boots: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each: what went wrong


@dataclass(slots=True)
class Session:
    """One browser tab: its connections, visitor cookie, Gradio session and open conversation."""

    page: Page
    host: str
    port: int
    rng: random.Random
    timeout: float
    sh: str = ""
    conv: str = ""
    state: dict[str, Any] | None = None  # what the last answered turn carries (its data-state)
    asked: list[str] = field(default_factory=list)  # the questions the page shows
    api: Http = field(init=False)
    stream: Http = field(init=False)

    def __post_init__(self) -> None:
        self.sh = session_hash()
        origin = {"Origin": f"http://{self.host}:{self.port}", "Accept-Encoding": "identity"}
        self.api = Http(self.host, self.port, dict(origin))
        self.stream = Http(self.host, self.port, {**origin, "Accept": "text/event-stream"})

    async def open(self) -> None:
        status, _body, cookies = await self.api.request("GET", "/api/session")
        visitor = next((c.split(";")[0] for c in cookies if c.startswith("dj_visitor=")), "")
        if status != 200 or not visitor:
            raise RuntimeError(f"/api/session answered {status} without the visitor cookie")
        self.api.headers["Cookie"] = self.stream.headers["Cookie"] = visitor

    async def fire(self, fn: int, trigger: int, data: list[Any],
                   event_data: dict[str, Any]) -> dict[str, Any]:
        """Join the queue with one event and read the session's stream to its completion → output."""
        status, body, _ = await self.api.request("POST", "/gradio_api/queue/join", {
            "data": data, "event_data": event_data, "fn_index": fn, "trigger_id": trigger,
            "session_hash": self.sh})
        if status != 200 or not isinstance(body, dict) or "event_id" not in body:
            raise RuntimeError(f"queue/join answered {status}: {str(body)[:120]}")
        done: dict[str, Any] | None = None
        async for code, msg in self.stream.events(f"/gradio_api/queue/data?session_hash={self.sh}"):
            if code != 200:
                raise RuntimeError(f"queue/data answered {code}")
            if isinstance(msg, dict) and msg.get("msg") == "process_completed":
                if not msg.get("success"):
                    raise RuntimeError(f"the event failed: {str(msg.get('output'))[:120]}")
                done = msg["output"]
            elif isinstance(msg, dict) and msg.get("msg") == "unexpected_error":
                raise RuntimeError(f"unexpected error: {msg.get('message')}")
        if done is None:
            raise RuntimeError("the event stream closed without an answer")
        return done

    async def boot(self) -> None:
        link = {"action": "boot", "q": "", "item": "", "doc": "", "conv": ""}
        await self.fire(self.page.boot_fn, self.page.boot_trigger, [], link)

    async def ask(self, question: str, n: int) -> None:
        seq = f"{self.sh}-{n}"
        body = {"question": question, "seq": seq, "qid": f"q{seq}", "conv": self.conv, "docs": [],
                "mode": "extractive", "state": self.state, "n": len(self.asked), "retry": False,
                "history": self.asked[-50:]}
        status, raw, _ = await self.api.request("POST", "/api/page/ask", body, parse=False)
        if status != 200 or not isinstance(raw, bytes):
            raise RuntimeError(f"/api/page/ask answered {status}: {str(raw)[:120]}")
        lines = [json.loads(x) for x in raw.decode("utf-8").splitlines() if x.strip()]
        last = lines[-1] if lines else {}
        kind = _ENVELOPE_KIND.match(str(last.get("html", "")))
        if kind is None or kind.group(1) != "turn" or last.get("kind") != "turn":
            raise RuntimeError(f"not an answered turn: {str(last)[:120]}")
        if last.get("status"):  # the turn was answered but not saved (the status line says why)
            raise RuntimeError(f"status: {re.sub('<[^>]+>', '', str(last['status']))[:120]}")
        if last.get("sidebar"):  # a new conversation: the list marks it as the open one
            current = _CURRENT_CONV.search(last["sidebar"])
            if current is None or current.group(1) != last.get("conv"):
                raise RuntimeError("the answer's conversation list does not show it: the turn was not saved")
        elif not last.get("meta") or last.get("conv") != self.conv:
            raise RuntimeError("the answer names no saved conversation: the turn was not saved")
        self.conv = str(last["conv"])
        state = _TURN_STATE.search(last["html"])
        self.state = json.loads(html.unescape(state.group(1))) if state else None
        self.asked.append(question)

    async def close(self) -> None:
        await self.api.close()
        await self.stream.close()


async def heartbeat(host: str, port: int, sh: str, headers: dict[str, str]) -> None:
    """The page's heartbeat stream: held open until the session ends (then Gradio drops its state)."""
    conn = Http(host, port, headers)
    try:
        async for _status, _msg in conn.events(f"/gradio_api/heartbeat/{sh}"):
            pass
    finally:
        await conn.close()


def next_question(rng: random.Random, last: str) -> str:
    """The mix, with a follow-up (下一条, 上一条, 这一条…) after a 第N条 answer three times in ten."""
    if last.startswith("第") and "条" in last and rng.random() < 0.3:
        return rng.choice(FOLLOW_UPS)
    return rng.choice(MIX)


async def run_session(page: Page, url: str, questions: int, seed: int, timeout: float, tally: Tally) -> None:
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    s = Session(page, host, int(port), random.Random(seed), timeout)
    beat: asyncio.Task[None] | None = None
    try:
        await s.open()
        beat = asyncio.create_task(heartbeat(s.host, s.port, s.sh, s.api.headers))
        start = time.perf_counter()
        await asyncio.wait_for(s.boot(), timeout)
        tally.boots.append(time.perf_counter() - start)
    except (OSError, RuntimeError, ValueError, asyncio.IncompleteReadError, TimeoutError) as err:
        tally.errors.append(f"open: {type(err).__name__}: {err}")
        tally.errors.extend(["not asked: the session did not open"] * questions)
        questions = 0
    last = ""
    for n in range(questions):
        last = next_question(s.rng, last)
        start = time.perf_counter()
        try:
            await asyncio.wait_for(s.ask(last, n), timeout)
            tally.asked.append(time.perf_counter() - start)
        except (OSError, RuntimeError, ValueError, asyncio.IncompleteReadError, TimeoutError) as err:
            tally.errors.append(f"{last}: {type(err).__name__}: {err}")
            await s.close()  # a broken response leaves its connection unusable
    if beat is not None:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
    await s.close()


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU of process `pid` so far (None: unknown, e.g. a server given by --url)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def level(page: Page, url: str, sessions: int, questions: int, seed: int, timeout: float, *,
                pid: int | None) -> dict[str, Any]:
    """`sessions` sessions at once, `questions` each → one row of the report. Server CPU per answer
    (with the sessions' boots) says what an answer costs whatever else the machine is running."""
    tally = Tally()
    server_before, client_before = cpu_seconds(pid), own_cpu_seconds()
    start = time.perf_counter()
    await asyncio.gather(*(run_session(page, url, questions, seed * 1000 + i, timeout, tally)
                           for i in range(sessions)))
    seconds = time.perf_counter() - start
    server_after, answers = cpu_seconds(pid), max(1, len(tally.asked))
    boots = sorted(tally.boots)
    row = {"sessions": sessions, **summary(tally.asked, len(tally.errors), seconds),
           "boot_p50_ms": round(boots[len(boots) // 2] * 1000, 1) if boots else None,
           "seconds": round(seconds, 2)}
    row["per_second"] = round(len(tally.asked) / seconds, 1)  # answers per second for the whole server
    row["server_cpu_ms_per_answer"] = (round((server_after - server_before) * 1000 / answers, 1)
                                       if server_before is not None and server_after is not None else None)
    row["client_cpu_ms_per_answer"] = round((own_cpu_seconds() - client_before) * 1000 / answers, 1)
    row["error_examples"] = sorted(set(tally.errors))[:5]
    return row


async def run(url: str, levels: list[int], questions: int, seed: int, timeout: float, *,
              pid: int | None = None) -> dict[str, Any]:
    host_port = url.split("//", 1)[1].rstrip("/")
    host, port = host_port.rsplit(":", 1)
    config_conn = Http(host, int(port), {"Accept-Encoding": "identity"})
    status, config, _ = await config_conn.request("GET", "/config")
    await config_conn.close()
    if status != 200 or not isinstance(config, dict):
        raise SystemExit(f"/config answered {status}")
    page = page_events(config)
    await level(page, url, 1, 3, seed - 1, timeout, pid=pid)  # warm-up, not recorded: lazy loads
    rows = [await level(page, url, n, questions, seed + i, timeout, pid=pid) for i, n in enumerate(levels)]
    base = next((r for r in rows if r["sessions"] == 1), None)
    for row in rows:
        row["p95_over_1_session"] = (round(row["p95_ms"] / base["p95_ms"], 1)
                                     if base and base["requests"] and row["requests"] else None)
    return {"questions_per_session": questions, "levels": rows}


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    target = next((r for r in report["levels"] if r["sessions"] == TARGET_SESSIONS), None)
    if target is None:
        return {"target_level_run": False}
    return {"target_level_run": True,
            "p95_le_500ms_with_0_errors": target["errors"] == 0 and target["p95_ms"] <= TARGET_P95_MS}


def markdown(report: dict[str, Any]) -> str:
    lines = [f"load average before: {report['loadavg_before']}  after: {report['loadavg_after']}; "
             f"{report['questions_per_session']} questions per session, back to back",
             "| sessions | questions | errors | p50 ms | p95 ms | p99 ms | max ms | answers/s "
             "| p95 ÷ 1 session | boot p50 ms | server CPU ms/answer | client CPU ms/answer |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["levels"]:
        lines.append(f"| {r['sessions']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} "
                     f"| {r['p99_ms']} | {r['max_ms']} | {r['per_second']} | {r['p95_over_1_session']} "
                     f"| {r['boot_p50_ms']} | {r['server_cpu_ms_per_answer']} "
                     f"| {r['client_cpu_ms_per_answer']} |")
    v = report["verdict"]
    if v.get("target_level_run"):
        lines += ["", f"{TARGET_SESSIONS} sessions p95 ≤ {TARGET_P95_MS:.0f} ms, 0 errors: "
                  f"{'yes' if v['p95_le_500ms_with_0_errors'] else 'NO'}"]
    for r in report["levels"]:
        lines += [f"errors at {r['sessions']} sessions: {e}" for e in r["error_examples"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1,10,50,100", help="concurrency levels, comma-separated")
    parser.add_argument("--questions", type=int, default=10, help="questions per session")
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument("--pid", type=int, help="the process id of the --url server (for its CPU figures)")
    parser.add_argument("--corpus")
    parser.add_argument("--index")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before a question counts as failed")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    levels = [int(x) for x in args.sessions.split(",") if x.strip()]
    proc, url = None, args.url
    with tempfile.TemporaryDirectory(prefix="load-page-") as data:
        if not url:
            env = {"DANGJIAN_DATA_DIR": data, "DANGJIAN_FEEDBACK_PATH": str(Path(data) / "feedback.jsonl")}
            proc, url = start_server(args.corpus, args.index, args.startup_timeout, env=env)
        try:
            before = [round(x, 2) for x in os.getloadavg()]
            pid = proc.pid if proc is not None else args.pid
            report = asyncio.run(run(url, levels, args.questions, args.seed, args.timeout, pid=pid))
            report["loadavg_before"], report["loadavg_after"] = before, [round(x, 2) for x in os.getloadavg()]
        finally:
            if proc is not None:
                stop_server(proc)
    report["verdict"] = verdict(report)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else markdown(report))
    met = report["verdict"].get("p95_le_500ms_with_0_errors", False)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
