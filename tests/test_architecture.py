"""Imports only point down: parsing → index → retrieval → answer → interfaces."""

from __future__ import annotations

import ast
from pathlib import Path

RAG = Path(__file__).resolve().parent.parent / "rag"
LAYER = {
    "errors": 0, "config": 0, "records": 0, "text": 0, "bm25": 0, "glossary": 0,
    "structure": 1, "refs": 1, "embed": 1, "tokenize": 1, "intents": 1, "catalog": 1, "articles": 1.5,
    "corpus": 2, "chunking": 2, "citegraph": 2, "query": 2.5, "stores": 2.5, "ingest": 3,
    "index": 3, "retrieve": 4, "answer": 4, "verify": 4, "render": 4, "search": 4.5, "routes": 5,
    "pipeline": 6, "langchain": 6.5, "baseline": 7, "llm": 7, "golden": 7, "evaluate": 7, "ablation": 8,
    "feedback": 7, "bench": 8,
    "cli": 9, "__main__": 10, "__init__": 10,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            out.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rag."):
            out.add(node.module.split(".")[1])  # type: ignore[union-attr]
    return out - {""}


def test_every_module_has_a_layer() -> None:
    assert {p.stem for p in RAG.glob("*.py")} <= LAYER.keys()


def test_imports_point_down() -> None:
    for path in RAG.glob("*.py"):
        for target in _imports(path):
            assert LAYER[target] < LAYER[path.stem], f"rag/{path.stem}.py imports rag/{target}.py"


def test_library_never_prints() -> None:
    for path in RAG.glob("*.py"):
        if path.stem in {"cli", "__main__"}:
            continue
        assert "print(" not in path.read_text(encoding="utf-8"), path
