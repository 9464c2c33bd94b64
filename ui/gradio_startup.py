"""What Gradio does at start-up that this app does not need, skipped: its type-stub writer on
import, which holds the interpreter lock while `dangjian serve` loads the index beside it
(eval/bench.md). (The swap of `gradio.blocks.App` around `Blocks()` that also lived here is gone:
it saved ≈ 0.13 s and was not thread-safe.)

The stub writer: every component class Gradio defines goes through
`gradio.component_meta.ComponentMeta`, which calls `create_or_modify_pyi`: it reads the class's
source file, parses it with `ast`, renders a jinja template and compares the result with the
installed `.pyi` stub, rewriting the stub when they differ. That keeps stubs current while
Gradio's own developers edit components; an installed Gradio already ships them. It is half of
`import gradio` here (≈ 1.2 of 2.7 s).

`skip_stub_writer()` installs a one-shot import hook: when `gradio.component_meta` is executed, its
`create_or_modify_pyi` is replaced by a function that does nothing, before any component class is
made. Nothing Gradio does at run time reads the stubs, so the page is unchanged (tests build and
drive it in a browser). If Gradio is already imported, or a later Gradio has no such function, the
hook leaves it alone.

The queue's event statistics (`skip_event_statistics`, per mounted page): after every event
Gradio's queue summarises its recent events for the /monitoring dashboard — a pandas DataFrame of
up to 10,000 records, grouped per function, in a worker thread holding the interpreter lock — even
when the dashboard is off, as it is here (`create_app` mounts with `enable_monitoring=False`). With
many sessions that summary, not the answers, decided how many events a second the page served
(eval/bench.md, "网页：多人同时提问"). The queue keeps one record and never summarises again; a
Gradio without these attributes is left alone, and tests/test_gradio_startup.py fails so the
change is noticed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

STUB_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def no_stubs(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for Gradio's stub writer."""
    return None


class _NoStubsLoader(importlib.abc.Loader):
    """Runs the real loader, then swaps the stub writer out of the fresh module."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        if callable(getattr(module, STUB_WRITER, None)):
            setattr(module, STUB_WRITER, no_stubs)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, … for tools that ask
        return getattr(self.inner, name)


class _SkipStubWriter(importlib.abc.MetaPathFinder):
    """Finds `gradio.component_meta` once, with the loader above; every other import passes by."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != STUB_MODULE:
            return None
        remove_hook()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _NoStubsLoader(spec.loader)
        return spec


def skip_stub_writer() -> bool:
    """Install the hook unless Gradio's component module is already loaded → whether installed."""
    if STUB_MODULE in sys.modules:
        return False
    if not any(isinstance(finder, _SkipStubWriter) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SkipStubWriter())
    return True


def remove_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _SkipStubWriter)]


STATS_ATTRIBUTES = ("ANALYTICS_MAX_EVENTS", "ANAYLTICS_CACHE_FREQUENCY")  # sic: Gradio's spelling


def skip_event_statistics(blocks: Any) -> bool:
    """Stop `blocks`' queue summarising events for the dashboard this app does not serve →
    whether its queue had the settings to change."""
    queue = getattr(blocks, "_queue", None)
    if queue is None or not all(hasattr(queue, name) for name in STATS_ATTRIBUTES):
        return False
    queue.ANALYTICS_MAX_EVENTS = 1
    queue.ANAYLTICS_CACHE_FREQUENCY = sys.maxsize
    return True
