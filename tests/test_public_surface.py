"""The packages' public surfaces and the web UI's state: each lazy facade lists its names in one
table that the type checker's imports agree with, and the page keeps no process-wide state."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACADES = ["rag", "rag.ingest"]


def _typed_names(path: Path) -> dict[str, str]:
    """name → module of the `if TYPE_CHECKING:` re-exports (`from .m import X as X`)."""
    out: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.level == 1, ast.dump(imp)
                for alias in imp.names:
                    assert alias.asname == alias.name, f"{path}: {alias.name} is not re-exported as itself"
                    out[alias.name] = str(imp.module)
    return out


@pytest.mark.parametrize("package", FACADES)
def test_a_facade_lists_its_names_once_and_the_types_agree(package: str) -> None:
    module = importlib.import_module(package)
    path = ROOT / package.replace(".", "/") / "__init__.py"
    assert _typed_names(path) == module._WHERE
    assert module.__all__ == sorted(module.__all__) and set(module._WHERE) <= set(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_the_page_keeps_no_process_wide_state() -> None:
    """Handlers get the AppState they were built with: no `global` rebinding, no module-level
    AppState, Jobs or Assistant in ui/ (the former `default_state()` and `JOBS`)."""
    for path in sorted((ROOT / "ui").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)], f"ui/{path.name} rebinds a global"
        for node in tree.body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Call):
                called = getattr(value.func, "id", getattr(value.func, "attr", ""))
                assert called not in {"AppState", "Jobs", "Assistant", "open_assistant"}, \
                    f"ui/{path.name}: module-level {called}()"
