"""Run an ASGI app with uvicorn in a background thread (for tests and screenshots), or wait for a
`dangjian serve` process a test started and stop it as a user would."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0,
            ready_path: str = "/livez") -> Iterator[str]:
    """Serve `app` on a loopback port until the block exits; yields the base URL. Ready means
    `ready_path` answers 200: /livez needs no login, so apps behind auth start too."""
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                           proxy_headers=False,  # as `serve` runs it: ui.origin decides
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if not thread.is_alive():
                raise RuntimeError(f"server on {base} exited during start-up")
            try:
                if httpx.get(base + ready_path, timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on {base} not ready after {timeout:.0f}s")
            time.sleep(0.1)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=3)
        if thread.is_alive():  # open streaming connections (Gradio heartbeats): stop anyway
            server.force_exit = True
            thread.join(timeout=5)


def wait_served(proc: subprocess.Popen[bytes], url: str, timeout: float,
                ready: Callable[[httpx.Response], bool] = lambda res: res.status_code == 200) -> str:
    """`url` once the `serve` process answers /healthz as `ready` says; its stderr's tail when it
    exits first (stderr must be a pipe)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode()[-3000:] if proc.stderr else "serve exited")
        try:
            if ready(httpx.get(url + "/healthz", timeout=2)):
                return url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError("serve did not start")


def stop_served(proc: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """Ctrl-C, as a user stops `serve`; killed when it does not end within `timeout`."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
