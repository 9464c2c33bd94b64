"""新任书记入门: tour, duties, glossary, quiz (they read the corpus; no index needed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DangjianError
from ..text import SURROGATE
from .common import _print_json, _settings, _tolerant_stdin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..onboarding import Onboarding, Question


def _onboarding(args: argparse.Namespace) -> Onboarding:
    from ..onboarding import Onboarding

    return Onboarding.from_corpus(_settings(args).corpus_dir)


def cmd_tour(args: argparse.Namespace) -> int:
    from ..onboarding import step, step_json
    from ..onboarding.text import format_step, format_tour

    steps = _onboarding(args).steps
    chosen = [step(steps, args.step)] if args.step is not None else list(steps)
    if args.json:
        _print_json([step_json(s) for s in chosen] if args.step is None else step_json(chosen[0]))
    else:
        print(format_step(chosen[0]) if args.step is not None else format_tour(chosen))
    return 0


def cmd_duties(args: argparse.Namespace) -> int:
    from ..onboarding import checklist_json, export, format_for
    from ..onboarding.text import format_calendar, format_checklist

    ob = _onboarding(args)
    checklist = ob.checklist(args.role)
    if args.export:
        out = Path(args.export)
        data = export(checklist, ob.titles, format_for(out))
        try:
            out.write_bytes(data)
        except OSError as err:
            raise DangjianError(f"无法写入 {out}：{err.strerror or err}") from err
        print(f"已导出 {checklist.title}职责清单（{len(checklist.duties)}项）到 {out}", file=sys.stderr)
        return 0
    if args.json:
        _print_json(checklist_json(checklist, ob.titles))
    else:
        print(format_calendar(checklist) if args.calendar else format_checklist(checklist, ob.titles))
    return 0


def cmd_glossary(args: argparse.Namespace) -> int:
    from ..onboarding import entry_json, lookup
    from ..onboarding.text import format_entry, format_glossary

    entries = _onboarding(args).entries
    chosen = [lookup(entries, args.term)] if args.term else list(entries)
    if args.json:
        _print_json(entry_json(chosen[0]) if args.term else [entry_json(e) for e in chosen])
    else:
        print(format_entry(chosen[0]) if args.term else format_glossary(chosen))
    return 0


def cmd_quiz(args: argparse.Namespace) -> int:
    import secrets

    from ..onboarding import question_json, quiz_round
    from ..onboarding.text import format_sheet

    seed = args.seed if args.seed is not None else str(secrets.randbelow(1_000_000))
    questions = quiz_round(_onboarding(args).questions, args.n, seed)
    if args.json:
        _print_json({"seed": seed, "questions": [question_json(q, reveal=True) for q in questions]})
        return 0
    print(f"应知应会练习：{len(questions)}题（--seed {seed} 可重做同一组）", file=sys.stderr)
    interactive = args.interactive if args.interactive is not None else sys.stdin.isatty()
    if not interactive:
        print(format_sheet(questions))
        return 0
    _tolerant_stdin()
    return _quiz_session(questions)


def _quiz_session(questions: Sequence[Question]) -> int:
    """Ask each question, check the answer, explain it; the score and the wrong ones at the end."""
    from ..onboarding import check
    from ..onboarding.text import format_question, format_result, format_review

    results = []
    for i, q in enumerate(questions, 1):
        print(format_question(q, i, len(questions)))
        try:
            given = SURROGATE.sub("\ufffd", input("你的答案> ").strip())
        except (EOFError, KeyboardInterrupt):
            print()
            break
        result = check(q, given)
        results.append(result)
        print(format_result(result) + "\n")
    print(format_review(results))
    return 0
