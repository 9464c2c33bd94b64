"""ui/gradio_startup.py: Gradio imported through `ui` skips its stub writer, the page skips the app
Gradio builds for an empty `Blocks()`, and nothing else changes.

The import cases run in a fresh interpreter: the hook acts on the first import of Gradio in a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ui import gradio_startup

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_gradio_imported_through_ui_has_no_stub_writer_and_the_hook_is_gone() -> None:
    out = run(
        "import sys, inspect, ui, gradio as gr\n"
        "import gradio.component_meta as m, gradio.blocks_events as be\n"
        "from ui.gradio_startup import no_stubs, _SkipStubWriter\n"
        "print(m.create_or_modify_pyi is no_stubs, be.create_or_modify_pyi is no_stubs,\n"
        "      any(isinstance(f, _SkipStubWriter) for f in sys.meta_path),\n"
        "      'def create_pyi' in inspect.getsource(m),\n"  # the wrapped loader still gives the source
        "      callable(gr.Button.click), [str(e) for e in gr.Textbox.EVENTS][:2])\n"
    )
    assert out == "True True False True True ['change', 'input']"


def test_gradio_imported_before_ui_is_left_alone() -> None:
    out = run(
        "import sys, gradio, ui\n"
        "import gradio.component_meta as m\n"
        "from ui.gradio_startup import no_stubs, skip_stub_writer, _SkipStubWriter\n"
        "print(m.create_or_modify_pyi is no_stubs, skip_stub_writer(),\n"
        "      any(isinstance(f, _SkipStubWriter) for f in sys.meta_path))\n"
    )
    assert out == "False False False"


def test_the_page_builds_and_serves_its_config_without_the_stub_writer() -> None:
    out = run(
        "import ui.app as app, gradio.component_meta as m\n"
        "from ui.gradio_startup import no_stubs\n"
        "from rag.config import Settings\n"
        "blocks = app.build_demo(app.AppState(Settings.from_env()))\n"
        "config = blocks.get_config_file()\n"
        "print(m.create_or_modify_pyi is no_stubs, len(config['components']) > 20,\n"
        "      any(d['targets'] for d in config['dependencies']))\n"
    )
    assert out == "True True True"


@pytest.mark.parametrize("name", ["gradio", "gradio.components", "gradio.component_meta_x", "json"])
def test_the_finder_passes_every_other_module_by(name: str) -> None:
    assert gradio_startup._SkipStubWriter().find_spec(name, None) is None


def test_installing_twice_adds_one_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.delitem(sys.modules, gradio_startup.STUB_MODULE, raising=False)
    gradio_startup.remove_hook()
    assert gradio_startup.skip_stub_writer() and gradio_startup.skip_stub_writer()
    assert sum(isinstance(f, gradio_startup._SkipStubWriter) for f in sys.meta_path) == 1
    gradio_startup.remove_hook()
    assert not any(isinstance(f, gradio_startup._SkipStubWriter) for f in sys.meta_path)


def test_the_page_is_built_with_gradio_left_as_it_is() -> None:
    """The page no longer swaps `gradio.blocks.App` around `Blocks()` (it saved ≈ 0.13 s and was not
    thread-safe); the page builds its queue's app as Gradio does."""
    import gradio.blocks as gradio_blocks

    from rag.config import Settings
    from ui import app as ui_app

    real = gradio_blocks.App
    page = ui_app.build_demo(ui_app.AppState(Settings.from_env()))
    assert gradio_blocks.App is real
    assert page.app is not None and page._queue is not None
    assert not hasattr(gradio_startup, "no_app_for_the_empty_page")


def test_the_mounted_page_keeps_no_event_statistics() -> None:
    """Gradio's queue summarises every event for a /monitoring dashboard the app does not serve; the
    page mounted by create_app does not. A Gradio that renamed the settings fails here."""
    import gradio as gr

    from rag.config import Settings
    from ui.api import create_app
    from ui.runtime import AppState

    with gr.Blocks() as blocks:
        gr.HTML("x")
    queue = blocks._queue
    assert all(hasattr(queue, name) for name in gradio_startup.STATS_ATTRIBUTES)
    assert queue.ANAYLTICS_CACHE_FREQUENCY == 1  # Gradio's own setting: a summary after every event
    create_app(AppState(Settings.from_env()), blocks=blocks)
    assert queue.ANALYTICS_MAX_EVENTS == 1 and queue.ANAYLTICS_CACHE_FREQUENCY == sys.maxsize
    assert blocks.enable_monitoring is False
    assert gradio_startup.skip_event_statistics(object()) is False  # nothing to change: left alone
