"""The corruption matrix (tests/test_index_corruption.py) through the server: /healthz over the app
object refuses every damaged index with a clear message (it loads and checks every part), the
server's start-up rebuilds a corrupt index, and `dangjian index` repairs one without reusing
vectors the damage touched."""

# ruff: noqa: F401, F811 - the matrix's fixtures, imported from its module, are named as parameters
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_index_corruption import (
    COMMANDS,
    VARIANTS,
    _unnormalise,
    array,
    clean,
    damaged,
    expected,
    hashed,
    run_cli,
)

from rag.config import Settings

REPAIRED = ["truncated vectors.npy", "chunks: ids shifted by one", "bm25: tf as strings",
            "flipped byte in jieba.words.txt"]


def healthz(corpus: Path, index: Path) -> tuple[int, dict[str, Any]]:
    """GET /healthz of a fresh app over the index (an empty page: /healthz does not depend on it)."""
    import gradio as gr

    from ui.api import create_app
    from ui.runtime import AppState

    settings = Settings(corpus_dir=corpus, index_dir=index, embed_backend="hash")
    app = create_app(AppState(settings), blocks=gr.Blocks())
    resp = TestClient(app).get("/healthz")
    return resp.status_code, resp.json()


@pytest.fixture(scope="module")
def clean_health(clean: Path) -> dict[str, Any]:
    status, body = healthz(clean / "corpus", clean / "index")
    assert status == 200 and body["index"] == "ready"
    return body


@pytest.mark.parametrize("name", [v[0] for v in VARIANTS])
def test_healthz_refuses_a_corrupt_index(name: str, clean: Path, clean_health: dict[str, Any],
                                         tmp_path: Path) -> None:
    _resealed, harmless = damaged(clean / "index", tmp_path / "index", name)
    status, body = healthz(clean / "corpus", tmp_path / "index")
    if harmless:
        assert (status, body) == (200, clean_health)
    else:
        assert status == 503, body
        assert body["status"] == "unavailable" and "dangjian index" in body["error"], body
        assert "Traceback" not in body["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("preload", [False, True], ids=["load", "preload"])
@pytest.mark.parametrize("name", REPAIRED)
def test_serve_start_up_rebuilds_a_corrupt_index(name: str, preload: bool, clean: Path, clean_health: dict[str, Any],
                                                  expected: dict[str, str], hashed: None, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from ui.runtime import AppState

    index = tmp_path / "index"
    damaged(clean / "index", index, name)
    notes: list[str] = []
    settings = Settings(corpus_dir=clean / "corpus", index_dir=index, embed_backend="hash")
    state = AppState(settings)
    if preload:  # `dangjian serve` starts loading before the web framework imports
        state.preload()
    state.open(lambda *_a: None, notes.append)
    assert len(notes) == 1 and "正在构建索引" in notes[0]
    assert healthz(clean / "corpus", index) == (200, clean_health)
    code, out, _err = run_cli(COMMANDS["free"], clean / "corpus", index, capsys)
    assert code == 0 and out == expected["free"]


def test_dangjian_index_repairs_and_never_reuses_corrupt_vectors(clean: Path, expected: dict[str, str],
                                                                 hashed: None, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "index"
    damaged(clean / "index", index, "truncated chunks.jsonl")
    array("vectors.npy", _unnormalise)(index)  # same keys, wrong vectors: a naive rebuild would reuse them
    code, _out, err = run_cli(["index"], clean / "corpus", index, capsys)
    assert code == 0, err
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["vectors"]["reused"] == 0
    assert np.array_equal(np.load(index / "vectors.npy"), np.load(clean / "index" / "vectors.npy"))
    code, out, _err = run_cli(COMMANDS["search"], clean / "corpus", index, capsys)
    assert code == 0 and out == expected["search"]


def test_serve_start_up_uses_the_preloaded_index(clean: Path, hashed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.runtime import AppState

    settings = Settings(corpus_dir=clean / "corpus", index_dir=clean / "index", embed_backend="hash")
    state = AppState(settings)
    loads: list[int] = []
    real = state._load
    monkeypatch.setattr(state, "_load", lambda: loads.append(1) or real())
    state.preload()
    assistant = state.open(lambda *_a: None, lambda _m: None)
    assert loads == [1] and state.assistant() is assistant  # loaded once, in the preload thread
    assert assistant.ask("第8条要求什么？").citations[0].ref == "8"
