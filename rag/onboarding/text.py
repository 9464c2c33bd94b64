"""Plain-text rendering of the onboarding views for the terminal (the CLI prints these strings).

Pure functions from the views' dataclasses to text; no printing here. Quotes keep their
〔marker〕; list items of a passage go on their own indented lines, as in answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..answer import GAP, is_clause
from .common import Passage
from .duties import GROUPS, Checklist, Duty, calendar
from .quiz import Question, Result
from .terms import Entry
from .tour import Step

_LETTERS = "ABCD"


def passage_lines(p: Passage, *, indent: str = "") -> list[str]:
    """A passage as lines: its first sentences run together, each list item (and gap) indented."""
    lines: list[str] = []
    run = ""
    for s in p.sentences:
        if s is None or is_clause(s):
            if run:
                lines.append(indent + run)
                run = ""
            lines.append(indent + "  " + (GAP if s is None else s))
        else:
            run += s
    if run:
        lines.append(indent + run)
    lines[-1] += p.marker
    return lines


def format_step(s: Step) -> str:
    head = f"第{s.no}步/共{s.total}步"
    if s.kind == "preamble":
        body = ["【总体要求】", *passage_lines(s.lines[0], indent="  ")]
    elif s.kind == "section":
        body = [f"【{s.heading}】", *(f"  {p.label} {p.text}{p.marker}" for p in s.lines)]
    else:
        body = [f"【{s.label}】{s.heading}", f"  （{s.section}）"]
        if len(s.lines) > 1:
            body += ["  主要要求：", *passage_lines(s.lines[1], indent="    ")]
    nav = [f"上一步：dangjian tour --step {s.prev}" if s.prev else "",
           f"下一步：dangjian tour --step {s.next}" if s.next else "",
           f"看原文：dangjian show {s.key.rpartition('#')[2]}" if s.kind == "item" else ""]
    return "\n".join([head, *body, "  " + "　".join(n for n in nav if n)])


def format_tour(steps: Sequence[Step]) -> str:
    return "\n\n".join(format_step(s) for s in steps)


def _duty(d: Duty, n: int) -> list[str]:
    when = f"【{d.frequency}】" if d.frequency else ""
    first, *rest = passage_lines(d.passage, indent="   ")
    return [f"{n:>2}. {when}{first.strip()}", *rest] + ([f"    （{d.why}）"] if d.why else [])


def format_checklist(c: Checklist, titles: dict[str, str]) -> str:
    docs = "、".join(f"《{titles.get(d, d)}》" for d in c.documents)
    out = [f"{c.title}职责清单（{len(c.duties)}项，出自{len(c.documents)}份文件：{docs}）"]
    n = 0
    for g in GROUPS:
        duties = c.group(g)
        if duties:
            out += ["", f"■ {g}"]
            for d in duties:
                n += 1
                out += _duty(d, n)
    return "\n".join(out)


def format_calendar(c: Checklist) -> str:
    """The checklist by when: 每月, 每季度, 每半年, 每年, 限期办理 (shortest first), 未写明时间."""
    out = [f"{c.title}工作日历（按原文写明的频次和时限排序）"]
    n = 0
    for when, duties in calendar(c):
        out += ["", f"■ {when}（{len(duties)}项）"]
        for d in duties:
            n += 1
            out += _duty(d, n)
    return "\n".join(out)


def format_entry(e: Entry) -> str:
    out = [f"【{e.term}】" + (f"（又作：{'、'.join(e.aliases)}）" if e.aliases else "")]
    if e.note:
        out.append(f"  {e.note}：")
    for p in e.lines:
        out += passage_lines(p, indent="  ")
    return "\n".join(out)


def format_glossary(entries: Sequence[Entry]) -> str:
    defined = [e.term for e in entries if e.defined]
    rest = [e.term for e in entries if not e.defined]
    return "\n".join([f"名词解释（{len(entries)}个词条；dangjian glossary 词条 查看原文）",
                      f"有定义（{len(defined)}）：{'、'.join(defined)}",
                      f"未给出定义，列出出处（{len(rest)}）：{'、'.join(rest)}"])


def format_question(q: Question, n: int, total: int) -> str:
    lines = [f"第{n}题/共{total}题 {q.prompt}"]
    if q.options:
        lines.append("  " + "　".join(f"{_LETTERS[i]}. {o}" for i, o in enumerate(q.options)))
    lines.append(f"  （出自《{q.doc_title}》{q.explanation.label}）")
    return "\n".join(lines)


def format_explanation(q: Question) -> str:
    return "\n".join(["  原文：", *passage_lines(q.explanation, indent="    ")])


def _answer(q: Question) -> str:
    """The answer, with its letter for a choice question ("A. 一年")."""
    return f"{_LETTERS[q.options.index(q.answer)]}. {q.answer}" if q.answer in q.options else q.answer


def format_result(r: Result) -> str:
    mark = "✓ 正确" if r.correct else f"✗ 不对（你的答案：{r.given or '未作答'}）"
    return "\n".join([f"{mark}。正确答案：{_answer(r.question)}", format_explanation(r.question)])


def format_review(results: Sequence[Result]) -> str:
    """The score, then every wrong answer with the right one and its article."""
    wrong = [r for r in results if not r.correct]
    out = [f"得分：{len(results) - len(wrong)}/{len(results)}"]
    if wrong:
        out += ["", "错题回顾："]
        for i, r in enumerate(wrong, 1):
            out += [
                f"{i}. {r.question.prompt}",
                f"   你的答案：{r.given or '未作答'}　正确答案：{_answer(r.question)}",
                format_explanation(r.question),
            ]
    return "\n".join(out)


def format_sheet(questions: Sequence[Question]) -> str:
    """A printable round: the questions, then the answers with their articles."""
    out = [format_question(q, i, len(questions)) for i, q in enumerate(questions, 1)]
    out += ["", "—— 答案与出处 ——"]
    for i, q in enumerate(questions, 1):
        out += [f"{i}. {_answer(q)}", format_explanation(q)]
    return "\n".join(out)
