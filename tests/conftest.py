"""Shared fixtures: the real corpus, a real index built once per session with the default model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index") / "index")


@pytest.fixture(scope="session")
def assistant(settings: Settings) -> Assistant:
    return Assistant.open(settings)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the corpus a test may modify."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst
