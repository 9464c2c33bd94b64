"""The `dangjian bench` report as the markdown written to eval/bench.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .bench_corpus import COLD_QUESTIONS, KINDS

CAVEAT = ("合成语料由随附文件复制、打乱条文而成，重复文本的向量取自缓存：重复文本使向量检索比真实数据容易，"
          "近似检索的召回率另在加噪向量上测量（recall_at_10_perturbed）。")


def markdown(report: dict[str, Any]) -> str:
    """The report as the markdown written to eval/bench.md."""
    la = report["load_avg"]
    return "\n".join([
        "# Speed benchmark", "",
        f"Regenerate: `dangjian bench --sizes {','.join(str(s['chunks']) for s in report['sizes'])} "
        "--out eval/bench.md` "
        f"(sizes are approximate targets; `chunks` is what was built).",
        f"Machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}; "
        f"load average before {la['before']}, after {la['after']}; "
        f"DANGJIAN_THREADS={report['machine']['threads'] or 'default'}.",
        "", CAVEAT, "", *_sizes_markdown(report["sizes"]), *_cold_markdown(report),
        *_threads_markdown(report.get("threads")), *_incremental_markdown(report.get("incremental")),
    ])


def _sizes_markdown(sizes: Sequence[dict[str, Any]]) -> list[str]:
    kinds = list(KINDS)
    head = ("| chunks | build s | embedded | load s | RSS MiB | p50 ms | p95 ms | "
            + " | ".join(f"{k} p50/p95" for k in kinds) + " | dense | recall@10 | recall@10 perturbed |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for s in sizes:
        cells = [str(s["chunks"]), f"{s['build_s']:.1f}", str(s["embedded"]), f"{s['load_s']:.2f}",
                 f"{s['rss_mb']:.0f}", f"{s['p50_ms']:.2f}", f"{s['p95_ms']:.2f}"]
        cells += [f"{s['by_kind'][k]['p50_ms']:.2f} / {s['by_kind'][k]['p95_ms']:.2f}"
                  if k in s["by_kind"] else "—" for k in kinds]
        cells += [str(s.get("dense_store", "")), _fmt(s.get("recall_at_10")),
                  _fmt(s.get("recall_at_10_perturbed"))]
        rows.append("| " + " | ".join(cells) + " |")
    return ["## Per corpus size", "",
            "Load = open the index and answer one free question in a fresh process; "
            "p50/p95 = warm `ask` over the eval questions of each kind; RSS = peak of that process; "
            "embedded = texts the build had to "
            "embed (the rest repeat and come from the memo or the previous index).", "", *rows, ""]


def _cold_markdown(report: dict[str, Any]) -> list[str]:
    cold, base = report.get("cold"), report.get("baseline")
    if not cold or not base:
        return []
    rows = ["| cold start | s | × numpy import | × naive baseline |", "|---|---|---|---|"]
    for key in ("help_s", "ask_ref_s", "ask_ref_doc_s", "ask_search_s"):
        label = "`dangjian --help`" if key == "help_s" else f"`dangjian ask \"{COLD_QUESTIONS[key]}\"`"
        ratios = f"{cold['vs_numpy'][key]:.2f} | {cold['vs_baseline'][key]:.2f}"
        rows.append(f"| {label} | {cold[key]:.3f} | {ratios} |")
    rows.append(f"| `python -c \"import numpy\"` | {cold['numpy_s']:.3f} | 1.00 | |")
    rows.append(f"| naive LangChain baseline (build + 1 question) | {base['cold_ask_s']:.3f} | | 1.00 |")
    rows.append(f"| `dangjian serve` until /healthz answers | {cold['serve_ready_s']:.3f} | | |")
    return ["## Cold start (fresh process, shipped corpus, median)", "", *rows, "",
            f"Naive baseline warm: p50 {base['p50_ms']:.2f} ms, p95 {base['p95_ms']:.2f} ms over "
            f"{base['chunks']} chunks.", ""]


def _incremental_markdown(inc: dict[str, Any] | None) -> list[str]:
    if not inc:
        return []
    return ["## Incremental build (fresh processes)", "",
            f"Shipped corpus without `{inc['added']}`: first build {inc['first_build_s']:.2f} s; "
            f"`dangjian add` of it {inc['add_one_s']:.2f} s; `dangjian index` with nothing changed "
            f"{inc['rebuild_unchanged_s']:.2f} s.", ""]


def _threads_markdown(sweep: dict[str, Any] | None) -> list[str]:
    if not sweep:
        return []
    rows = ["## DANGJIAN_THREADS (shipped corpus; \"loaded\" = a busy loop on the other core)", "",
            "| setting | encode 1 question p50 / p95 ms | build embedding chunks/s "
            "| search p50 / p95 ms (worst kind) |",
            "|---|---|---|---|"]
    for name, v in sweep.items():
        rows.append(f"| {name} | {v['question_p50_ms']:.2f} / {v['question_p95_ms']:.2f} | "
                    f"{v['build_chunks_per_s']:.0f} | {v['search_p50_ms']:.2f} / {v['search_p95_ms']:.2f} |")
    return [*rows, ""]


def _fmt(value: object) -> str:
    return "—" if value is None else f"{float(value):.3f}"  # type: ignore[arg-type]
