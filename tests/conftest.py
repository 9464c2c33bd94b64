"""Shared fixtures: the real corpus, a real index built once per session with the default model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("run")
    return Settings(corpus_dir=CORPUS, index_dir=base / "index", feedback_path=base / "feedback.jsonl",
                    data_dir=base / "data")


@pytest.fixture(scope="session")
def assistant(settings: Settings) -> Assistant:
    return Assistant.open(settings)


@pytest.fixture(scope="session")
def notice_only(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Assistant:
    """The notice alone, as the product shipped before the regulations: its figures must not drop."""
    root = tmp_path_factory.mktemp("notice-only")
    corpus = root / "corpus"
    corpus.mkdir()
    manifest = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    head, _sep, _rest = manifest.partition("\n[[documents]]\ndoc_id = \"dangzhang-2022\"")
    (corpus / "manifest.toml").write_text(head + "\n", encoding="utf-8")
    shutil.copy(CORPUS / "notice-2025-dongzhi-3.txt", corpus)
    return Assistant.open(replace(settings, corpus_dir=corpus, index_dir=root / "index"))


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the corpus a test may modify."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def ui_module(assistant: Assistant, settings: Settings) -> ModuleType:
    """`ui.app` wired to the session's assistant (one index, one model load for every UI test)."""
    import ui.app as module

    module.set_assistant(assistant, settings)
    return module


@pytest.fixture(scope="session")
def base_url(ui_module: ModuleType, settings: Settings) -> Iterator[str]:
    """The API + Gradio app served by a real uvicorn server on a loopback port."""
    from ui.testserver import running

    app = ui_module.create_app(settings=settings, blocks=ui_module.build_demo())
    with running(app) as url:
        yield url


@pytest.fixture(scope="session")
def onboarding():  # type: ignore[no-untyped-def]
    """The 新任书记入门 views of the shipped corpus (documents only: no index, no model)."""
    from rag.onboarding import Onboarding

    return Onboarding.from_corpus(CORPUS)
