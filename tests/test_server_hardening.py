"""The server under bad input, concurrency and a rebuild: real uvicorn on a loopback port.

The conversation state instead of history replay, the history limits by name, every 4xx as
Chinese JSON, the body limits, /docs from local files, answering without a global lock, and a
background rebuild that swaps the index while questions are in flight.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from rag import Assistant, Settings
from rag.config import MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS
from rag.embed import Embedder

ROOT = Path(__file__).resolve().parent.parent
DOC = "dongzhi-2025-3"
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning",
                                        "ignore:The copy keyword:Warning")


def app_for(state: Any, settings: Settings, **kwargs: Any) -> Any:
    import ui.app as ui_app

    state.settings = settings
    return ui_app.build_app(state, **kwargs)


@pytest.fixture(scope="module")
def url(assistant: Assistant, settings: Settings) -> Iterator[str]:
    from testserver import running

    from ui.runtime import AppState

    with running(app_for(AppState(settings, assistant), settings)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30.0) as c:
        yield c


def error_of(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"} and any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]), body
    return str(body["error"])


# -- conversation state ---------------------------------------------------------------------------


def test_state_carries_the_conversation(client: httpx.Client) -> None:
    first = client.post("/api/ask", json={"question": "第8条要求什么？"}).json()
    assert first["state"] == {"doc_id": DOC, "refs": ["8"]}
    nxt = client.post("/api/ask", json={"question": "下一条", "state": first["state"]}).json()
    assert {c["ref"] for c in nxt["citations"]} == {"9"} and nxt["state"] == {"doc_id": DOC, "refs": ["9"]}
    other = client.post("/api/ask", json={"question": "党章第三十二条"}).json()
    then = client.post("/api/ask", json={"question": "下一条", "state": other["state"]}).json()
    assert {(c["doc_id"], c["ref"]) for c in then["citations"]} == {("dangzhang-2022", "33")}


@pytest.mark.parametrize("history", [["第8条要求什么？"], ["党章第三十二条", "下一条"], ["第3条", "流动党员怎么管理？"]])
def test_state_answers_as_history_replay_does(client: httpx.Client, history: list[str]) -> None:
    state = None
    for turn in history:
        state = client.post("/api/ask", json={"question": turn, **({"state": state} if state else {})}).json()["state"]
    with_state = client.post("/api/ask", json={"question": "下一条", "state": state}).json()
    replayed = client.post("/api/ask", json={"question": "下一条", "history": history}).json()
    assert with_state["answer"] == replayed["answer"] and with_state["state"] == replayed["state"]


@pytest.mark.parametrize(("history", "message"), [
    (["第8条"] * (MAX_HISTORY_TURNS + 1), f"history 最多 {MAX_HISTORY_TURNS} 条"),
    (["第8条", "第9条", "党" * (MAX_QUESTION_CHARS + 1)], "history 第3条过长"),
    (["党" * 600] * 4, f"history 合计过长（2400 字），全部之前的提问合计不超过 {MAX_HISTORY_CHARS} 字"),
    (["第8条", "  "], "history 第2条为空"),
])
def test_history_limits_name_the_limit(client: httpx.Client, history: list[str], message: str) -> None:
    err = error_of(client.post("/api/ask", json={"question": "下一条", "history": history}), 400)
    assert message in err and "问题过长" not in err


@pytest.mark.parametrize(("state", "status", "message"), [
    ({"doc_id": "nope", "refs": ["8"]}, 400, "state.doc_id 不是已收录的文件"),
    ({"doc_id": DOC, "refs": ["99"]}, 400, "不是《2025年市直机关党的建设要点》的条目"),
    ({"doc_id": DOC, "refs": ["²"]}, 400, "state.refs"),
    ({"doc_id": "", "refs": ["8"]}, 400, "必须给出 state.doc_id"),
    ({"doc_id": DOC, "refs": ["8"] * 51}, 422, "state（对话状态）.refs 最多 50 条"),
    ({"doc_id": DOC, "refs": "8"}, 422, "类型不对"),
    ({"doc_id": DOC, "extra": 1}, 422, "不认识的字段"),
])
def test_bad_state_is_a_clear_error(client: httpx.Client, state: Any, status: int, message: str) -> None:
    assert message in error_of(client.post("/api/ask", json={"question": "下一条", "state": state}), status)


# -- every 4xx is Chinese JSON ---------------------------------------------------------------------


def post_raw(client: httpx.Client, body: bytes, content_type: str | None = "application/json",
             path: str = "/api/ask") -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return client.post(path, content=body, headers=headers)


@pytest.mark.parametrize(("body", "content_type", "status", "message"), [
    (b'{"question": "\xff\xfe\xe7\xac\xac8"}', "application/json", 400, "UTF-8"),
    (b'{"question": "\\ud800\xe7\xac\xac8\xe6\x9d\xa1"}', "application/json", 400, "question 含有无法识别的字符"),
    (b'{"question": "\\udfff"}', "application/json", 400, "无法识别的字符"),
    (b'{"question": "x", "history": ["ok", "\\udc80"]}', "application/json", 400, "history 第2条 含有无法识别的字符"),
    (b'{"\\ud800": 1}', "application/json", 400, "字段名含有无法识别的字符"),
    (b"[" * 5000 + b"]" * 5000, "application/json", 400, "嵌套过深"),
    (b'{"question": ' + b'{"a": ' * 40 + b"1" + b"}" * 41, "application/json", 400, "嵌套过深"),
    (b"{bad json", "application/json", 400, "不是合法的 JSON"),
    (b'{"question": "x"}', "text/plain", 415, "Content-Type: application/json"),
    (b"question=x", "application/x-www-form-urlencoded", 415, "须为 JSON"),
    (b"question=x", None, 400, "不是合法的 JSON"),
])
def test_bad_bodies(client: httpx.Client, body: bytes, content_type: str | None, status: int,
                    message: str) -> None:
    assert message in error_of(post_raw(client, body, content_type), status)


def test_emoji_pairs_are_not_broken_text(client: httpx.Client) -> None:
    resp = post_raw(client, b'{"question": "\\ud83d\\ude00\xe7\xac\xac8\xe6\x9d\xa1"}')  # 😀第8条
    assert resp.status_code == 200 and resp.json()["retrieved"] == [f"{DOC}#8"]


def test_body_limit(client: httpx.Client, settings: Settings) -> None:
    big = json.dumps({"question": "第8条", "history": ["党" * 100] * 10_000}).encode()
    assert len(big) > settings.max_body_bytes
    assert "请求体过大" in error_of(post_raw(client, big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]

    resp = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "请求体过大" in error_of(resp, 413)
    resp = client.post("/gradio_api/queue/join", content=big, headers={"content-type": "application/json"})
    assert "请求体过大" in error_of(resp, 413)  # the page's routes too


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/items/a/b/c", 404), ("GET", "/api/items/a/b/c/d", 404), ("GET", "/api/nope", 404),
    ("GET", "/api/ask", 405), ("DELETE", "/api/ask", 405), ("PUT", "/api/ask", 405), ("POST", "/api/items/8", 405),
    ("POST", f"/api/items/{DOC}/8", 405), ("GET", "/api/items/99", 404), ("GET", "/api/items/%FF%FE", 404),
    ("POST", "/healthz", 405), ("GET", "/api/glossary/%ED%A0%80", 404),
])
def test_methods_and_paths(client: httpx.Client, method: str, path: str, status: int) -> None:
    error_of(client.request(method, path), status)


def test_docs_use_local_assets_only(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "/docs/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no external favicon
    for name, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css"), ("favicon.png", "png")):
        asset = client.get(f"/docs/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"] and len(asset.content) > 1000
    assert "SwaggerUIBundle" in client.get("/docs/swagger-ui-bundle.js").text
    error_of(client.get("/docs/../../etc/passwd"), 404)
    spec = client.get("/openapi.json").json()
    assert "state" in spec["components"]["schemas"]["AskRequest"]["properties"]
    error_of(client.get("/redoc"), 404)


def test_livez_reveals_nothing(client: httpx.Client) -> None:
    assert client.get("/livez").json() == {"status": "ok"}


# -- no global lock --------------------------------------------------------------------------------


class _Rendezvous:
    """Wraps an embedder: two questions must be inside `encode` at the same time, or both fail.
    Under a lock around answering, the second could never enter while the first waits."""

    def __init__(self, inner: Embedder, parties: int) -> None:
        self.inner = inner
        self.embedder_id = inner.embedder_id
        self.dim = inner.dim
        self.barrier = threading.Barrier(parties, timeout=20)
        self.armed = True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.armed:
            self.barrier.wait()  # BrokenBarrierError after 20 s alone
        return self.inner.encode(texts)


def test_questions_are_answered_in_parallel(assistant: Assistant, settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from ui.runtime import AppState

    emb = _Rendezvous(assistant.emb, 2)
    parallel = Assistant(assistant.index, emb, settings)  # type: ignore[arg-type]
    with TestClient(app_for(AppState(settings, parallel), settings)) as tc:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda q: tc.post("/api/ask", json={"question": q}),
                                    ["流动党员怎么管理？", "发展党员要经过哪些程序？"]))
    assert [r.status_code for r in results] == [200, 200] and not emb.barrier.broken


def test_parallel_conversations_do_not_cross(client: httpx.Client) -> None:
    def conversation(n: int) -> list[str]:
        state = client.post("/api/ask", json={"question": f"第{n}条要求什么？"}).json()["state"]
        refs = []
        for _ in range(2):
            body = client.post("/api/ask", json={"question": "下一条", "state": state}).json()
            state = body["state"]
            refs.append(state["refs"][0])
        return refs

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(conversation, range(1, 17)))
    assert got == [[str(n + 1), str(n + 2)] for n in range(1, 17)]


# -- the index under a running server ------------------------------------------------------------


def test_missing_index_is_503_with_the_command(settings: Settings, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ui.runtime import AppState

    cfg = replace(settings, index_dir=tmp_path / "none")
    with TestClient(app_for(AppState(cfg), cfg)) as tc:
        health = tc.get("/healthz")
        assert health.status_code == 503 and "dangjian index" in health.json()["error"]
        assert "dangjian index" in error_of(tc.post("/api/ask", json={"question": "第8条"}), 503)
    assert not (tmp_path / "none").exists()  # a question never builds


class _Gate:
    """Passes encoding through, except in the rebuild thread while closed: the test can look at
    /healthz mid-rebuild, deterministically."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.embedder_id = inner.embedder_id
        self.dim = inner.dim
        self.open = threading.Event()
        self.entered = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if threading.current_thread().name == "dangjian-rebuild":
            self.entered.set()
            assert self.open.wait(60)
        return self.inner.encode(texts)


@pytest.fixture()
def live_copy(assistant: Assistant, settings: Settings, tmp_path: Path) -> Settings:
    """A private corpus and its (already built) index: the session's, copied."""
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def test_background_rebuild_swaps_while_questions_are_in_flight(assistant: Assistant, live_copy: Settings) -> None:
    from testserver import running

    from rag.index import load
    from rag.ingest import add_files
    from ui.runtime import AppState, warm

    gate = _Gate(assistant.emb)
    first = warm(Assistant(load(live_copy.corpus_dir, live_copy.index_dir, gate), gate, live_copy))  # type: ignore[arg-type]
    state = AppState(live_copy, first)
    stop = threading.Event()
    seen: list[tuple[str, int, str]] = []

    def hammer(c: httpx.Client) -> None:
        while not stop.is_set():
            for q in ("第8条要求什么？", "流动党员怎么管理？"):
                r = c.post("/api/ask", json={"question": q})
                seen.append((q, r.status_code, r.json()["retrieved"][0] if r.status_code == 200 else r.text))

    with running(app_for(state, live_copy)) as base, httpx.Client(base_url=base, timeout=60) as c:
        workers = [threading.Thread(target=hammer, args=(c,)) for _ in range(3)]
        for w in workers:
            w.start()
        add_files([ROOT / "tests" / "data" / "sample-regulation.txt"], live_copy.corpus_dir)
        assert state.check() == "rebuilding"
        assert gate.entered.wait(60)
        health = c.get("/healthz").json()
        assert health["index"] == "rebuilding" and health["progress"]["stage"] == "embed"
        assert health["documents"] == 8 and "语料已变更" in health["message"]  # the last good index answers
        gate.open.set()
        assert state.wait(120).state == "ready"
        after = c.get("/healthz").json()
        new = c.post("/api/ask", json={"question": "示范社区党建工作条例第八条"}).json()
        stop.set()
        for w in workers:
            w.join(30)
    assert after["index"] == "ready" and after["documents"] == 9
    assert "本条例自2021年3月1日起施行。" in new["answer"]
    assert len(seen) > 4 and all(status == 200 for _q, status, _k in seen), seen[:5]
    assert {key for q, _s, key in seen if q.startswith("第8条")} == {f"{DOC}#8"}  # 第8条 throughout
    assert state.check() == "current"


def test_an_index_rebuilt_by_another_command_is_reloaded(assistant: Assistant, live_copy: Settings,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.cli import main
    from rag.index import load
    from ui.runtime import AppState

    state = AppState(live_copy, Assistant(load(live_copy.corpus_dir, live_copy.index_dir, assistant.emb),
                                          assistant.emb, live_copy))
    before = state.assistant()
    assert state.check() == "current"
    monkeypatch.delenv("DANGJIAN_EMBED_BACKEND", raising=False)
    assert main(["index", "--corpus", str(live_copy.corpus_dir), "--index", str(live_copy.index_dir)]) == 0
    capsys.readouterr()
    assert state.check() == "reloaded" and state.assistant() is not before
    assert state.status.state == "ready" and state.check() == "current"


def test_serve_says_the_port_is_busy_before_starting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--port", str(port), "--index", str(tmp_path / "ix"), "--auth", "a:b"])
    err = capsys.readouterr().err
    assert code == 1 and f"端口 {port} 已被占用" in err and "已启动" not in err and "Traceback" not in err
    assert "进程列表（ps）" in err  # --auth still works, with a warning
    assert not (tmp_path / "ix").exists()  # nothing loaded or built before the port was ours
