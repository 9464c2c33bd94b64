"""Run question sets through several configurations side by side and write a markdown report."""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from pathlib import Path

from ..baseline import NaiveBaseline
from ..pipeline import Assistant
from ..query import Options
from . import evaluate as ev

CONFIGS: tuple[tuple[str, str], ...] = (
    ("full", "完整流程 full pipeline"),
    ("no_doc_aware", "去掉文件感知排序 without document-aware ranking (fused order across documents)"),
    ("no_refs", "去掉引用解析 without reference resolver"),
    ("bm25", "仅 BM25 (BM25 only)"),
    ("dense", "仅向量 (dense only)"),
    ("naive", "朴素 LangChain 基线 naive LangChain baseline"),
)
_OPTIONS = {"full": Options(), "no_doc_aware": Options(doc_aware=False), "no_refs": Options(use_refs=False),
            "bm25": Options(mode="bm25"), "dense": Options(mode="dense")}


def _with_options(assistant: Assistant, options: Options) -> ev.Asker:
    """Ask with these options (one closure per configuration, not a late-bound loop variable)."""
    return lambda q, h: assistant.ask(q, h, options=options)


def run_all(
    assistant: Assistant, questions: Sequence[ev.Question], *, k: int = 5
) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for name, _label in CONFIGS:
        if name == "naive":
            base = NaiveBaseline(assistant.settings.corpus_dir, assistant.emb)
            results = ev.run(questions, base.ask, k=k)
        else:
            opts = _OPTIONS[name]
            results = ev.run(questions, _with_options(assistant, opts), k=k)
        out[name] = ev.aggregate(results)
    return out


ABLATION_SETS = ("eval/questions.jsonl", "eval/questions-regs.jsonl", "eval/questions-heldout.jsonl")


def _table(table: dict[str, dict[str, float | None]]) -> str:
    names = [c for c, _ in CONFIGS if c in table]
    head = "| metric | " + " | ".join(names) + " |"
    rows = [head, "|" + "---|" * (len(names) + 1)]
    for metric in ev.METRICS:
        cells = []
        for c in names:
            v = table[c].get(metric)
            cells.append("—" if v is None else (f"{v:.1f}" if metric.startswith("latency") else f"{v:.3f}"))
        rows.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def markdown(tables: Sequence[tuple[str, int, dict[str, dict[str, float | None]]]], corpus: str) -> str:
    """One table per question set: (source file, number of questions, metrics per configuration)."""
    sections = [f"## `{source}` ({n} questions)\n\n{_table(table)}" for source, n, table in tables]
    legend = "\n".join(f"- `{c}`: {label}" for c, label in CONFIGS)
    return (f"# 消融实验 Ablation\n\n"
            f"Corpus: {corpus}. Regenerate: `dangjian eval --ablation`.\n"
            f"Machine: {platform.machine()}, Python {platform.python_version()}; generated "
            f"{time.strftime('%Y-%m-%d')}. Latency is per question after load, in ms.\n\n"
            + "\n\n".join(sections) + f"\n\n{legend}\n")


def write_report(assistant: Assistant, sets: Sequence[tuple[str, Sequence[ev.Question]]], path: Path, *,
                 k: int = 5) -> Path:
    tables = [(source, len(qs), run_all(assistant, qs, k=k)) for source, qs in sets]
    docs = assistant.index.docs
    corpus = f"{len(docs)} documents (" + "、".join(f"《{d.meta.title}》" for d in docs) + ")"
    text = markdown(tables, corpus)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
