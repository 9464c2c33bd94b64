"""Offline measurement: eval (with thresholds and ablation), bench, feedback-export."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DangjianError
from ..progress import stderr_notify
from .common import EXIT_ERROR, _assistant, _options, _settings

if TYPE_CHECKING:
    from ..config import AnswerMode
    from ..eval.evaluate import Asker
    from ..pipeline import Assistant
    from ..query import Options

# the question sets `dangjian bench` times when none are named: a checkout's, relative to where it runs
BENCH_QUESTIONS = ("eval/questions.jsonl", "eval/questions-extra.jsonl")


def cmd_eval(args: argparse.Namespace) -> int:
    return run_eval(_assistant(args), args)


def cmd_feedback_export(args: argparse.Namespace) -> int:
    """👍 as candidate eval questions, 👎 as needs-review items (no gold): the page's votes in the
    database, or with --feedback a feedback.jsonl an older version wrote (a missing file is an error)."""
    from ..eval.feedback import REVIEW, export, export_records

    out = Path(args.out) if args.out else None
    if args.feedback:
        source = args.feedback
        rows, text = export(Path(args.feedback), out)
    else:
        from ..db import redact
        from ..db.feedback import votes_for

        settings = _settings(args)
        votes = votes_for(settings)
        source = f"数据库 {redact(votes.db.url)}"
        rows, text = export_records(votes.records(), out)
    review = sum(r["category"] == REVIEW for r in rows)
    summary = f"{len(rows) - review} 条候选评测题（👍），{review} 条待复核（👎，无标准答案）"
    if args.out:
        print(f"已导出 {summary}到 {args.out}（来自 {source}）", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"已导出 {summary}（来自 {source}）", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """`dangjian bench`: synthesised corpora of the given sizes, cold starts, the naive baseline."""
    from .. import bench

    if args.worker:  # internal: one fresh process that loads an index and answers
        s = _settings(args)
        questions = json.loads(Path(args.worker).read_text(encoding="utf-8"))
        stats = bench.serve_stats(s.corpus_dir, s.index_dir, questions, repeat=args.repeat,
                                  encoder=args.worker_encoder)
        print(json.dumps(stats, ensure_ascii=False))
        return 0
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError as err:
        raise DangjianError(f"--sizes 应为逗号分隔的整数，如 2000,10000：{args.sizes}") from err
    if not sizes or min(sizes) < 1:
        raise DangjianError(f"--sizes 应为正整数：{args.sizes}")
    if unknown := [x for x in args.store.split(",") if x not in bench.STORES]:
        raise DangjianError(f"未知的 --store：{'、'.join(unknown)}（可选 {'、'.join(bench.STORES)}）")
    files = [Path(f) for f in args.questions or BENCH_QUESTIONS]
    report = bench.run(sizes, corpus=_settings(args).corpus_dir, question_files=files, repeat=args.repeat,
                       cold_repeat=args.cold_repeat, sweep=args.threads_sweep, stores=args.store.split(","),
                       quick=args.sizes_only, notify=stderr_notify, settings=_settings(args))
    text = bench.markdown(report)
    if args.out:
        out = Path(args.out)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"已写入 {out}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else text)
    return 0


def _asker(assistant: Assistant, mode: AnswerMode, options: Options | None = None) -> Asker:
    """The same answering path as `ask --mode`: extractive, or the verified LLM answer."""
    if mode != "llm":
        return lambda q, h: assistant.ask(q, h, options=options) if options else assistant.ask(q, h)
    from ..llm import llm_answer

    return lambda q, h: llm_answer(assistant, q, h, settings=assistant.settings)


def run_eval(assistant: Assistant, args: argparse.Namespace) -> int:
    """`dangjian eval`: score the set, print (or --json), gate on thresholds, optional ablation."""
    from ..eval import evaluate as ev

    if args.ablation:
        from ..eval.ablation import ABLATION_SETS, write_report

        files = [args.file] if args.file else list(ABLATION_SETS)
        sets = [(f, ev.load_questions(Path(f), assistant.primary.doc_id)) for f in files]
        path = write_report(assistant, sets, Path(args.report), k=args.k)
        print(f"消融报告已写入 {path}")
        return 0
    if args.real:
        return _real_sets(assistant, args)
    args.file = args.file or "eval/questions.jsonl"
    thresholds = {} if args.no_gate else _thresholds(_thresholds_for(args))  # before the slow part
    try:
        qs = ev.load_questions(Path(args.file), assistant.primary.doc_id)
    except (UnicodeDecodeError, TypeError, KeyError, ValueError, AttributeError) as err:
        raise DangjianError(f"评测集文件格式错误：{args.file}（应为 UTF-8、每行一个 JSON 对象）") from err
    if args.update_golden:
        from ..eval.golden import update_golden

        print(f"黄金答案已更新：{update_golden(assistant)} 个")
        return 0
    assistant.search("党建工作")  # load the lazy parts (model, tokenizer, BM25) before timing answers
    results = ev.run(qs, _asker(assistant, args.mode, _options(args)), k=args.k)
    report = ev.report_json(assistant.primary.doc_id, results)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(ev.format_table(report["metrics"], report["by_category"]))
        print()
        print(ev.format_table(report["metrics"], {k: {m: v for m, v in d.items() if m != "questions"}
                                                  for k, d in report["by_route"].items()}, label="route"))
        fails = ev.failures(results)
        print(f"\n未完全通过：{len(fails)}/{len(results)}")
        for r in fails:
            print(f"- [{r.question.id}/{r.question.category}/{r.route}] {r.question.question}")
            print(f"    期望 gold={list(r.question.gold)} answerable={r.question.answerable} "
                  f"must_include={list(r.question.must_include)}")
            print(f"    实际 abstained={r.abstained} cited={list(r.citations)[:5]} "
                  f"retrieved={list(r.retrieved)[:5]}")
    breaches = ev.gate(report["metrics"], thresholds)
    for line in breaches:
        print(f"dangjian eval: 质量门槛未通过：{line}", file=sys.stderr)
    return EXIT_ERROR if breaches else 0


REAL_SETS = (("dev", "eval/questions-real-dev.jsonl"), ("test", "eval/questions-real-test.jsonl"),
             ("check", "eval/questions-real-check.jsonl"))


def _real_sets(assistant: Assistant, args: argparse.Namespace) -> int:
    """The real-question sets side by side: dev (tuned on), test and check (never tuned on: only
    their totals are shown, so nobody tunes on their failures by accident). Each is gated on its
    own file."""
    from ..eval import evaluate as ev

    assistant.search("党建工作")  # load the lazy parts before timing answers
    metrics: dict[str, dict[str, float | None]] = {}
    breaches: list[str] = []
    for name, file in REAL_SETS:
        path = Path(file)
        qs = ev.load_questions(path, assistant.primary.doc_id)
        results = ev.run(qs, _asker(assistant, args.mode, _options(args)), k=args.k)
        metrics[name] = ev.aggregate(results)
        gate_file = path.with_name("thresholds" + path.stem.removeprefix("questions") + ".toml")
        if not args.no_gate:
            breaches += [f"{name}: {line}" for line in ev.gate(metrics[name], _thresholds(gate_file))]
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False, indent=2))
    else:
        print(ev.side_by_side(metrics))
    for line in breaches:
        print(f"dangjian eval: 质量门槛未通过：{line}", file=sys.stderr)
    return EXIT_ERROR if breaches else 0


def _thresholds(path: Path) -> dict[str, float]:
    from ..eval import evaluate as ev

    if path.exists() and not path.is_file():
        raise DangjianError(f"质量门槛文件不是文件：{path}")
    return ev.load_thresholds(path)


def _thresholds_for(args: argparse.Namespace) -> Path:
    """The gate file named for the question set: questions-regs.jsonl → thresholds-regs.toml."""
    if args.thresholds:
        return Path(args.thresholds)
    questions = Path(args.file)
    return questions.with_name("thresholds" + questions.stem.removeprefix("questions") + ".toml")
