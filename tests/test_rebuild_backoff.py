"""The server's rebuilds after a corpus change (issue #20): a failing rebuild backs off (5 s doubling
to 10 min, at once on a corpus change), logs one line per failure, and /healthz and the 文件 page say
why while the last good index answers; a rebuild in progress is `rebuilding`; a document listed but
not served is pending. Small corpus, hash embedder, a controlled clock: no wall-clock waits."""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ingest import SAMPLE_TEXT, variant
from test_ingest_faults import template

from rag import Assistant, Settings
from rag.embed import make_embedder
from rag.index import build, load
from rag.ingest import add_files
from ui import documents, documents_page
from ui.runtime import RETRY_MAX_S, AppState

QUOTE = "本条例自2021年3月1日起施行。"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    s = Settings(embed_backend="hash", corpus_dir=template(tmp_path), index_dir=tmp_path / "ix",
                 data_dir=tmp_path / "data", feedback_path=tmp_path / "feedback.jsonl")
    build(s.corpus_dir, s.index_dir, make_embedder(s))
    return s


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def state(settings: Settings, clock: Clock) -> Iterator[AppState]:
    """The served state (the page's, the API's and the jobs') over the small corpus's index."""
    emb = make_embedder(settings)
    st = AppState(settings, Assistant(load(settings.corpus_dir, settings.index_dir, emb), emb, settings),
                  clock=clock)
    try:
        yield st
    finally:
        st.jobs.wait()


def healthz(state: AppState) -> tuple[int, dict[str, Any]]:
    import gradio as gr
    from fastapi.testclient import TestClient

    from ui.api import create_app

    resp = TestClient(create_app(state, blocks=gr.Blocks())).get("/healthz")
    return resp.status_code, resp.json()


def disk_full(attempts: list[float], clock: Clock) -> Any:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        attempts.append(clock.now)
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/index/vectors.npy")
    return fail


def add_sample(settings: Settings, doc_id: str = "shequ", word: str = "示范社区") -> str:
    """A document in the corpus (the corpus half of an upload): the served index is now behind."""
    src = settings.corpus_dir.parent / f"{doc_id}.txt"
    src.write_text(variant(word), encoding="utf-8")
    [res] = add_files([src], settings.corpus_dir)
    assert res.status == "ok" and res.doc_id == doc_id, res.reason
    return res.doc_id


def test_a_failing_rebuild_backs_off_and_says_why(state: AppState, settings: Settings, clock: Clock,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    attempts: list[float] = []
    monkeypatch.setattr("rag.index.build", disk_full(attempts, clock))
    doc = add_sample(settings)
    assert state.check() == "rebuilding" and state.wait(30).state == "failed"
    delays = [state.status.delay_s]
    for _ in range(9):
        clock.now = attempts[-1] + delays[-1] - 0.5  # not yet: no new attempt
        assert state.check() == "failed" and len(attempts) == len(delays)
        clock.now = attempts[-1] + delays[-1]  # due: one more attempt, the delay doubles
        assert state.check() == "rebuilding" and state.wait(30).state == "failed"
        delays.append(state.status.delay_s)
    assert delays == [5, 10, 20, 40, 80, 160, 320, RETRY_MAX_S, RETRY_MAX_S, RETRY_MAX_S]

    err = capsys.readouterr().err
    assert err.count("dangjian: 重建索引失败（连续第") == 10 and err.count("Traceback") == 1
    assert "重建索引失败（连续第 10 次）：磁盘空间不足（/srv/index/vectors.npy）；600 秒后重试" in err

    code, body = healthz(state)  # the old index keeps answering: 200, with the failure and the retry
    assert code == 200 and body["status"] == "ok" and body["index"] == "failed" and body["documents"] == 2
    assert body["reason"] == "磁盘空间不足（/srv/index/vectors.npy）" and "仍使用上一次的索引回答" in body["message"]
    assert body["retry"]["failures"] == 10 and body["retry"]["delay_s"] == RETRY_MAX_S and body["retry"]["at"]
    assert body["pending"] == [doc]
    assert "第8条" in state.ask("第8条要求什么？").text
    page = documents_page.job_html(state)
    assert "重建索引失败：磁盘空间不足" in page and "下次自动重试" in page and "已连续失败 10 次" in page
    table = documents_page.docs_html(state)
    assert "待完成" in table and 'data-pending="1"' in table and "1 个待完成" in table

    clock.now = attempts[-1] + 1  # inside the delay, but the corpus changes: retried at once
    add_sample(settings, "jiayi", "甲乙社区")
    assert state.check() == "rebuilding" and state.wait(30).state == "failed" and len(attempts) == 11

    monkeypatch.undo()  # the cause is fixed: the next due retry succeeds and resets the backoff
    clock.now = attempts[-1] + RETRY_MAX_S
    assert state.check() == "rebuilding" and state.wait(60).state == "ready"
    code, body = healthz(state)
    assert body["index"] == "ready" and body["pending"] == [] and body["documents"] == 4
    assert "retry" not in body and "reason" not in body
    assert QUOTE in state.ask("示范社区党建工作条例第八条").text


class Gate:
    """Holds the server's build until the test has looked at /healthz."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.release.wait(60)
        return build(*args, **kwargs)


def upload(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_an_upload_rebuild_in_progress_is_rebuilding_and_the_document_pending(
        state: AppState, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate()
    monkeypatch.setattr("rag.index.build", gate)
    assert state.jobs.start_add([upload(tmp_path, "shequ.txt", SAMPLE_TEXT)])
    assert gate.entered.wait(60)
    code, body = healthz(state)
    assert code == 200 and body["index"] == "rebuilding" and body["documents"] == 2  # the old index answers
    assert body["pending"] == ["shequ"]
    assert state.check() == "rebuilding"  # the watcher does not start a second build meanwhile
    assert "第8条" in state.ask("第8条要求什么？").text
    gate.release.set()
    assert state.jobs.wait(60).state == "done"
    code, body = healthz(state)
    assert body["index"] == "ready" and body["pending"] == [] and body["documents"] == 3


def test_an_upload_whose_rebuild_failed_is_finished_by_uploading_it_again(
        state: AppState, settings: Settings, tmp_path: Path, clock: Clock,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    attempts: list[float] = []
    monkeypatch.setattr("rag.index.build", disk_full(attempts, clock))
    src = upload(tmp_path, "shequ.txt", SAMPLE_TEXT)
    assert state.jobs.start_add([src])
    job = state.jobs.wait(60)
    assert job.state == "error" and job.report[0]["status"] == "ok"
    assert job.message == ("文件已加入语料，但重建索引失败：磁盘空间不足（/srv/index/vectors.npy）。"
                           "仍使用上一次的索引回答，5 秒后自动重试；新文件在重建成功前显示为“待完成”，暂时无法提问")
    assert state.status.state == "failed" and state.health()["pending"] == ["shequ"]
    assert state.check() == "failed" and len(attempts) == 1  # the watcher waits out the delay
    assert [r.pending for r in documents.rows(state.assistant())] == [False, False, True]
    assert capsys.readouterr().err.count("Traceback") == 1

    monkeypatch.undo()
    again = upload(tmp_path, "shequ.txt", SAMPLE_TEXT)  # the same file: finishes the add, no 已收录
    assert state.jobs.start_add([again])
    job = state.jobs.wait(60)
    assert job.state == "done" and job.message.startswith("已完成 1 个文件的添加")
    assert "已收录" not in job.report[0]["text"] and "上次添加没有完成" in job.report[0]["text"]
    assert state.health()["pending"] == [] and QUOTE in state.ask("示范社区党建工作条例第八条").text
