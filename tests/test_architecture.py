"""Imports only point down: parsing → index → retrieval → answer → interfaces."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

RAG = Path(__file__).resolve().parent.parent / "rag"
LAYER = {
    "choices": -1,  # plain constants config re-exports and `dangjian --help` lists
    "errors": 0, "config": 0, "records": 0, "text": 0, "bm25": 0, "glossary": 0, "numerals": 0, "fsutil": 0,
    "timing": 0.5, "question_encoder": 0.9, "use_tokenizer": 0.9,
    "structure": 1, "refs": 1, "forms": 1, "embed": 1, "tokenize": 1, "intents": 1, "catalog": 1, "roles": 1, "articles": 1.5,
    # ingestion: reading and parsing sit below the corpus loader that uses them; adding sits above it
    "ingest.limits": 0.5, "ingest.manifest": 1, "ingest.read": 1, "ingest.meta": 1.6, "ingest.parse": 1.6,
    "ingest.store": 1.7, "ingest.add": 1.8, "ingest": 1.9,
    "corpus": 2, "parsed": 2, "chunking": 2, "citegraph": 2, "query": 2.5, "stores": 2.5, "stores.recall": 2.55, "inputs": 2.6, "integrity": 2.6,
    "index_parts": 2.7, "index_load": 2.8,
    "index": 3, "retrieve": 4, "answer": 4, "direct": 4.2, "verify": 4, "render": 4, "search": 4.5, "routes": 5,
    "pipeline": 6, "langchain": 6.5, "baseline": 7, "llm_chain": 6.9, "llm": 7,
    "bench_corpus": 7.8, "bench_report": 7.9, "bench": 8,
    # offline tooling: evaluation, ablation, golden answers, feedback export
    "eval.evaluate": 7, "eval.feedback": 7, "eval.golden": 7, "eval.ablation": 8, "eval": 8,
    # onboarding (tour, duties, glossary, quiz) reads documents and composes quotes; the CLI and API use it
    "onboarding.common": 6.1, "onboarding.tour": 6.2, "onboarding.duties": 6.2, "onboarding.terms": 6.2,
    "onboarding.quiz": 6.3, "onboarding.export": 6.3, "onboarding.text": 6.4, "onboarding": 6.5,
    # the shared state's database: conversations, feedback votes (records from eval.feedback), the
    # document registry and the replica's copy of it (ingest below it)
    "db.schema": 7.1, "db.engine": 7.2, "db.legacy": 7.3, "db.conversations": 7.4, "db.feedback": 7.4,
    "db.registry": 7.4, "db.replica": 7.5, "db": 7.6,
    # the stderr printer the edges share (CLI commands, serve): above the library, which never prints
    "progress": 8.4,
    # the CLI package: shared helpers, then the command groups, then the parser that names them all
    "cli.common": 8.5, "cli.questions": 8.6, "cli.corpus": 8.6, "cli.onboarding": 8.6, "cli.evaluation": 8.6,
    "cli.serve": 8.6, "cli.parser": 8.8, "cli": 9, "cli.__main__": 10, "__main__": 10, "__init__": 10,
}


def _name(path: Path) -> str:
    """Module name relative to rag/: "corpus", "ingest.read"; a package's __init__ is the package."""
    parts = path.relative_to(RAG).with_suffix("").parts
    if len(parts) > 1 and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> float:
    """The layer of a module, or of the package holding it when it has none of its own."""
    while module not in LAYER and "." in module:
        module = module.rsplit(".", 1)[0]
    return LAYER[module]


def _imports(path: Path) -> set[str]:
    """rag modules imported by `path`, as names relative to rag/ ("errors", "ingest.read")."""
    package = path.relative_to(RAG).parent.parts  # () for rag/*.py, ("ingest",) for rag/ingest/*.py
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            base = list(package[: len(package) - (node.level - 1)])
            if node.module:
                out.add(".".join([*base, node.module]))
            else:  # from . import x / from .. import x
                out.update(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rag."):
            out.add(node.module.split(".", 1)[1])  # type: ignore[union-attr]
    return {m for m in out if m}


def _modules() -> list[Path]:
    return sorted(RAG.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for path in _modules():
        name = _name(path)
        assert name in LAYER or name.rsplit(".", 1)[0] in LAYER, f"rag/{path.relative_to(RAG)} has no layer"


def test_imports_point_down() -> None:
    for path in _modules():
        here = _layer(_name(path))
        for target in _imports(path):
            if target.startswith(_name(path) + "."):
                continue  # a package's __init__ re-exporting its own modules
            assert _layer(target) < here, f"rag/{path.relative_to(RAG)} imports rag/{target}"


def test_library_never_prints() -> None:
    for path in _modules():
        if path.relative_to(RAG).parts[0] in {"cli", "__main__.py", "progress.py"}:
            continue  # the edges that own stdout and stderr, and their shared progress printer
        assert "print(" not in path.read_text(encoding="utf-8"), path


UI = RAG.parent / "ui"
_LOGGING_SETUP = re.compile(r"logging\.basicConfig|\.addHandler\(|\.setLevel\(|logging\.config\.")


def test_library_never_configures_logging() -> None:
    """Logging set-up belongs to the application that embeds the library, not to the library."""
    for path in _modules():
        if path.relative_to(RAG).parts[0] == "cli":
            continue  # the command line is an application: it may decide what third-party libraries log
        assert not _LOGGING_SETUP.search(path.read_text(encoding="utf-8")), path


INTERFACES = {"ui", "gradio", "fastapi", "starlette", "uvicorn"}


def _absolute_imports(path: Path) -> Iterator[str]:
    """Every absolute module name `path` imports."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_library_never_reaches_the_interfaces() -> None:
    """rag/ is the library and eval/ its data: neither imports the web UI or a web framework; only the
    command line (`dangjian serve` starts the web app) is an edge beside ui/."""
    for path in [*_modules(), *sorted((RAG.parent / "eval").rglob("*.py"))]:
        if path.is_relative_to(RAG / "cli"):
            continue
        for name in _absolute_imports(path):
            assert name.split(".")[0] not in INTERFACES, f"{path}: {name}"


def test_ui_modules_use_each_others_public_names_only() -> None:
    """The web UI's modules share state through objects they are handed (AppState), never through
    another module's private globals (the former `ui.runtime._rt`)."""
    for path in sorted(UI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level >= 1 or (node.module or "").startswith(("ui", "rag"))):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, f"ui/{path.name} imports private {private} from {node.module}"
