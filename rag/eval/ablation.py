"""Run question sets through several configurations side by side and write a markdown report.

A configuration is data: how questions are read (`Options`) and how they are ranked
(`RankSettings`), run through the same code as every answer. `naive` is the one that is not a
configuration of this pipeline: the LangChain baseline (rag/baseline.py).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..baseline import NaiveBaseline
from ..pipeline import Assistant
from ..query import Options
from ..ranking import RankSettings
from . import evaluate as ev


@dataclass(frozen=True, slots=True)
class Config:
    """A named configuration of the pipeline: reading `options`, ranking `ranking`."""

    name: str
    label: str
    options: Options = field(default_factory=Options)
    ranking: RankSettings = field(default_factory=RankSettings)

    def changes(self) -> str:
        """What this configuration changes from the full pipeline, for the report's legend."""
        changed = [f"{k}={v!r}" for k, v in self.ranking.changes().items()]
        changed += [] if self.options.use_refs else ["use_refs=False"]
        return ", ".join(changed)


CONFIGS: tuple[Config, ...] = (
    Config("full", "完整流程 full pipeline"),
    Config("no_doc_aware", "去掉文件感知排序 without document-aware ranking (fused order across documents)",
           ranking=RankSettings(doc_aware=False)),
    Config("no_refs", "去掉引用解析 without reference resolver", options=Options(use_refs=False)),
    Config("bm25", "仅 BM25 (BM25 only)", ranking=RankSettings(mode="bm25")),
    Config("dense", "仅向量 (dense only)", ranking=RankSettings(mode="dense")),
)
NAIVE = ("naive", "朴素 LangChain 基线 naive LangChain baseline")


def _asker(assistant: Assistant, config: Config) -> ev.Asker:
    """Ask under one configuration (a closure per configuration, not a late-bound loop variable)."""
    configured = assistant.configured(config.ranking)
    return lambda q, h: configured.ask(q, h, options=config.options)


def run_all(
    assistant: Assistant, questions: Sequence[ev.Question], *, k: int = 5,
    configs: Sequence[Config] = CONFIGS, naive: bool = True,
) -> dict[str, dict[str, float | None]]:
    """Metrics per configuration (and of the naive baseline, with `naive`)."""
    out = {c.name: ev.aggregate(ev.run(questions, _asker(assistant, c), k=k)) for c in configs}
    if naive:
        base = NaiveBaseline(assistant.settings.corpus_dir, assistant.emb)
        out[NAIVE[0]] = ev.aggregate(ev.run(questions, base.ask, k=k))
    return out


ABLATION_SETS = ("eval/questions.jsonl", "eval/questions-regs.jsonl", "eval/questions-heldout.jsonl")


def _table(table: dict[str, dict[str, float | None]]) -> str:
    names = [c for c in (*(c.name for c in CONFIGS), NAIVE[0]) if c in table]
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
    legend = "\n".join([*(f"- `{c.name}`: {c.label}" + (f" (`{c.changes()}`)" if c.changes() else "")
                          for c in CONFIGS), f"- `{NAIVE[0]}`: {NAIVE[1]}"])
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
