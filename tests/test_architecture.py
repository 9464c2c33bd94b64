"""Imports only point down: foundation → parsing → index → retrieval → answer → tooling → storage →
interfaces.

Each module of rag/ and ui/ belongs to one named layer; an import (at module level, inside a
function, or for type checking alike) may reach its own layer or a lower one, never a higher one,
and the import graph has no cycles. The graph is read from the code with `ast`, so a new module or
a new import is checked without anyone updating a list — except that a new module must be placed in
a layer (test_every_module_has_a_layer says which).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAG = ROOT / "rag"
UI = ROOT / "ui"

# Lowest first. A module's layer is found by its dotted name relative to the repository
# ("rag.ingest.read"): a listed package places all its modules (the longest listed name wins, so one
# of them may be placed on its own); `rag` names only the package's public surface, rag/__init__.py.
LAYERS: dict[str, tuple[str, ...]] = {
    # data types and helpers every stage shares; they import nothing above themselves
    "foundation": ("rag.records", "rag.errors", "rag.config", "rag.choices", "rag.text", "rag.numerals",
                   "rag.fsutil", "rag.timing", "rag.vocabulary", "rag.ranking"),
    # documents in: raw text → Document trees, names and references, the corpus on disk
    # (rag.kinds: the document kinds — how each is parsed, labelled, cited — and their registry)
    "parsing": ("rag.structure", "rag.articles", "rag.kinds", "rag.refs", "rag.catalog", "rag.roles",
                "rag.citegraph", "rag.ingest", "rag.corpus", "rag.parsed", "rag.chunking"),
    # the index: embedders (and the default model's question and tokenizer paths), BM25, stores,
    # build / load / integrity checks
    "index": ("rag.embed", "rag.question_encoder", "rag.use_tokenizer", "rag.tokenize", "rag.bm25",
              "rag.stores", "rag.integrity", "rag.index_parts", "rag.index_load", "rag.index"),
    # a question understood (form, intents, query expansion, request bounds) and candidates fetched
    "retrieval": ("rag.query", "rag.forms", "rag.intents", "rag.glossary", "rag.inputs", "rag.retrieve"),
    # a question answered: routes, the search route's ranking and quotes, composition, rendering to
    # JSON, LLM generation and its check, the Assistant, the public package, onboarding views
    "answer": ("rag", "rag.answer", "rag.direct", "rag.figures", "rag.search", "rag.routes", "rag.render", "rag.verify",
               "rag.llm_chain", "rag.llm", "rag.pipeline", "rag.assistant", "rag.langchain", "rag.onboarding"),
    # offline tooling over the library: evaluation, ablation, benchmarks, the naive baseline
    "tooling": ("rag.eval", "rag.bench", "rag.bench_corpus", "rag.bench_report", "rag.baseline",
                "rag.stores.recall"),
    # the state the edges keep between requests: the database (conversations, feedback votes, the
    # document registry and the replicas that follow it) and the feedback log it imports
    "storage": ("rag.db", "rag.eval.feedback"),
    # the edges: the command line, its stderr printer, the web UI and HTTP API
    "interfaces": ("rag.cli", "rag.__main__", "rag.progress", "ui"),
}
RANK = {name: n for n, name in enumerate(LAYERS)}

# Upward imports that are known and accepted, each with its reason: (importer, imported) → why.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    """Every module of rag/ and ui/ by dotted name ("rag.ingest.read", "ui.app", "rag" for rag/__init__)."""
    return {_module_name(p): p for package in (RAG, UI) for p in sorted(package.rglob("*.py"))}


def _owner(name: str) -> str:
    """The module a dotted import target lives in: "rag.forms.BLANK" → "rag.forms"; "" for outside code."""
    mods = _modules()
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _targets(module: str, path: Path) -> Iterator[str]:
    """The project modules `module` imports, anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            yield from (_owner(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                source = ".".join(p for p in (base, node.module) if p)
            else:
                source = node.module or ""
            for alias in node.names:  # `from . import answer` names a module, `from .forms import BLANK` a value
                yield _owner(f"{source}.{alias.name}") if f"{source}.{alias.name}" in _modules() else _owner(source)


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(t for t in _targets(m, p) if t and t != m) for m, p in _modules().items()}


def _covers(member: str, module: str) -> bool:
    """`member` names `module` itself or, being a package below the top, a module inside it."""
    return module == member or (member not in {"rag"} and module.startswith(member + "."))


def _layer(module: str) -> str | None:
    best = max((member for members in LAYERS.values() for member in members if _covers(member, module)),
               key=len, default=None)
    return next((layer for layer, members in LAYERS.items() if best in members), None)


def test_every_module_has_a_layer() -> None:
    homeless = [m for m in _modules() if _layer(m) is None]
    assert homeless == [], f"place these modules in a layer of LAYERS: {homeless}"


def test_no_import_reaches_a_higher_layer() -> None:
    upward = sorted(
        f"{m} ({_layer(m)}) imports {t} ({_layer(t)})"
        for m, targets in _graph().items() for t in targets
        if (m, t) not in ALLOWED_UPWARD and RANK[_layer(t) or ""] > RANK[_layer(m) or ""]
    )
    assert upward == [], "imports reaching up:\n" + "\n".join(upward)


def test_allowed_upward_imports_still_exist() -> None:
    """An allowance whose import is gone must go too, or it would quietly permit a new one."""
    stale = [pair for pair in ALLOWED_UPWARD if pair[1] not in _graph().get(pair[0], frozenset())]
    assert stale == []


def test_the_import_graph_has_no_cycles() -> None:
    graph, state, cycles = _graph(), dict.fromkeys(_graph(), 0), []  # 0 new, 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state[nxt] == 1:
                cycles.append(" → ".join([*path[path.index(nxt):], nxt]))
            elif state[nxt] == 0:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if state[start] == 0:
            visit(start, [start])
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_an_upward_import() -> None:
    """The test above can fail: a parsing module importing the pipeline would be reported."""
    assert RANK[_layer("rag.pipeline") or ""] > RANK[_layer("rag.structure") or ""]
    assert "rag.answer" in _graph()["rag.search"]  # relative `from . import answer as compose`
    assert "rag.retrieve" in _graph()["rag.search"]  # an import inside a function counts too
    assert "ui.runtime" in _graph()["rag.cli.serve"]


def _rag_files() -> list[Path]:
    return sorted(RAG.rglob("*.py"))


def test_library_never_prints() -> None:
    for path in _rag_files():
        if path.relative_to(RAG).parts[0] in {"cli", "__main__.py", "progress.py"}:
            continue  # the edges that own stdout and stderr, and their shared progress printer
        assert "print(" not in path.read_text(encoding="utf-8"), path


_LOGGING_SETUP = re.compile(r"logging\.basicConfig|\.addHandler\(|\.setLevel\(|logging\.config\.")


def test_library_never_configures_logging() -> None:
    """Logging set-up belongs to the application that embeds the library, not to the library."""
    for path in _rag_files():
        if path.relative_to(RAG).parts[0] == "cli":
            continue  # the command line is an application: it may decide what third-party libraries log
        assert not _LOGGING_SETUP.search(path.read_text(encoding="utf-8")), path


INTERFACES = {"ui", "gradio", "fastapi", "starlette", "uvicorn"}


def _absolute_imports(path: Path) -> Iterator[str]:
    """Every absolute module name `path` imports."""
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_library_never_reaches_the_interfaces() -> None:
    """rag/ is the library and eval/ its data: neither imports the web UI or a web framework; only the
    command line (`dangjian serve` starts the web app) is an edge beside ui/."""
    for path in [*_rag_files(), *sorted((ROOT / "eval").rglob("*.py"))]:
        if path.is_relative_to(RAG / "cli"):
            continue
        for name in _absolute_imports(path):
            assert name.split(".")[0] not in INTERFACES, f"{path}: {name}"


def test_ui_modules_use_each_others_public_names_only() -> None:
    """The web UI's modules share state through objects they are handed (AppState), never through
    another module's private globals (the former `ui.runtime._rt`)."""
    for path in sorted(UI.glob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and (node.level >= 1 or (node.module or "").startswith(("ui", "rag"))):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, f"ui/{path.name} imports private {private} from {node.module}"
