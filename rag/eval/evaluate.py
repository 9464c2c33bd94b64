"""Load a question set, run it through the same pipeline as `ask`, score it, gate on thresholds."""

from __future__ import annotations

import json
import re
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DangjianError
from ..forms import form_of
from ..records import Answer
from ..text import normalize_question

METRICS = ("hit_at_1", "recall_at_5", "mrr", "citation_precision", "abstention_accuracy",
           "must_include_rate", "latency_ms_p50", "latency_ms_p95")
REQUIRED = ("id", "question", "gold", "answerable")
# measured on the real-question sets (rows with a `form`): see `score`
REAL_METRICS = ("answer_correct", "answer_first", "refusal_rate", "false_refusal_rate")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    gold: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = ()
    must_include: tuple[str, ...] = ()
    category: str = "uncategorized"
    form: str = ""  # real questions: single_choice, multi_choice, true_false, fill_blank, short_answer, typed
    key: str = ""  # …and the source's own answer: option letters, 对/错, or a phrase


@dataclass(frozen=True, slots=True)
class Result:
    question: Question
    answer: str
    abstained: bool
    citations: tuple[str, ...]
    retrieved: tuple[str, ...]
    latency_ms: float
    scores: dict[str, float] = field(default_factory=dict)
    route: str = ""


def load_questions(path: Path, primary_doc: str) -> list[Question]:
    """Read a JSONL set; integer gold refs are items of the primary document."""
    if not path.is_file():
        raise DangjianError(f"找不到评测集文件：{path}")
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DangjianError(f"{path}:{lineno}: 不是合法的 JSON：{err.msg}") from err
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            raise DangjianError(f"{path}:{lineno}: 缺少字段 {', '.join(missing)}")
        gold = tuple(f"{primary_doc}#{g}" if isinstance(g, int) else str(g) for g in row["gold"])
        out.append(Question(str(row["id"]), str(row["question"]), gold, bool(row["answerable"]),
                            tuple(row.get("history") or ()), tuple(row.get("must_include") or ()),
                            str(row.get("category") or "uncategorized"), str(row.get("form") or ""),
                            str(row.get("key") or "")))
    return out


FIRST_CHARS = 150  # "the answer first": the key phrase within the opening this many characters
_CHOSEN = re.compile(r"^(?:应选|不包括)[：:\s]*([A-H]+)")
_JUDGED = {"对": "对", "√": "对", "正确": "对", "错": "错", "×": "错", "错误": "错"}


def _correct(q: Question, answer: str) -> bool:
    """Does the answer give the source's answer? The option letters its first line names, 对/错 for a
    statement, else every must_include phrase somewhere in the answer."""
    first = answer.split("\n", 1)[0]
    key = q.key.strip().upper()
    if q.form in ("single_choice", "multi_choice") and key and key.isalpha():
        m = _CHOSEN.match(first)
        return m is not None and set(m.group(1)) == set(key)
    if q.form == "true_false" and q.key.strip() in _JUDGED:
        # 对/错, or the question's own yes and no (预备党员有表决权吗 → 有 / 没有, rag/forms.py)
        said = _JUDGED[q.key.strip()]
        yes, no = form_of(normalize_question(q.question)).answers
        return first.startswith(said) or first.startswith(yes if said == "对" else no)
    return all(m in answer for m in q.must_include)


def score(q: Question, answer: str, abstained: bool, citations: Sequence[str],
          retrieved: Sequence[str], *, k: int = 5) -> dict[str, float]:
    """Per-question metric values; a metric that does not apply to the question is absent."""
    s: dict[str, float] = {"abstention_accuracy": float(abstained != q.answerable)}
    if q.form:  # real questions: the answer itself, where it stands, refusals apart from false refusals
        if q.answerable:
            s["false_refusal_rate"] = float(abstained)
            s["answer_correct"] = float(not abstained and _correct(q, answer))
            if s["answer_correct"] and q.must_include:
                s["answer_first"] = float(all(m in answer[:FIRST_CHARS] for m in q.must_include))
        else:
            s["refusal_rate"] = float(abstained)
    if q.answerable and q.gold:
        gold = set(q.gold)
        s["hit_at_1"] = float(bool(retrieved) and retrieved[0] in gold)
        s["recall_at_5"] = len(gold & set(retrieved[:k])) / len(gold)
        s["mrr"] = next((1.0 / r for r, key in enumerate(retrieved, 1) if key in gold), 0.0)
        if citations:
            s["citation_precision"] = sum(c in gold for c in citations) / len(citations)
    if q.must_include and q.answerable:
        s["must_include_rate"] = float(all(m in answer for m in q.must_include))
    elif q.must_include:
        s["must_include_rate"] = float(abstained and all(m in answer for m in q.must_include))
    return s


def _mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return round(sum(vals) / len(vals), 4) if vals else None


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))], 2)


def aggregate(results: Sequence[Result]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in (*METRICS[:6], "verified_rate", *REAL_METRICS):
        out[name] = _mean(r.scores[name] for r in results if name in r.scores)
    lat = [r.latency_ms for r in results]
    out["latency_ms_p50"] = _percentile(lat, 50)
    out["latency_ms_p95"] = _percentile(lat, 95)
    return out


Asker = Callable[[str, Sequence[str]], Answer]


def run(questions: Sequence[Question], ask: Asker, *, k: int = 5) -> list[Result]:
    """Each question with its history replayed by `ask`, exactly as `dangjian ask --history`."""
    results = []
    for q in questions:
        start = time.perf_counter()
        ans = ask(q.question, q.history)
        ms = (time.perf_counter() - start) * 1000
        cites = tuple(dict.fromkeys(f"{c.doc_id}#{c.ref}" for c in ans.citations))
        scores = score(q, ans.text, ans.abstained, cites, ans.retrieved, k=k)
        if ans.verification is not None:  # the LLM was asked: did its answer pass the citation check?
            scores["verified_rate"] = float(bool(ans.verification.get("ok")))
        results.append(
            Result(q, ans.text, ans.abstained, cites, ans.retrieved, round(ms, 2), scores, ans.route)
        )
    return results


def by_category(results: Sequence[Result]) -> dict[str, dict[str, float | None]]:
    cats: dict[str, list[Result]] = {}
    for r in results:
        cats.setdefault(r.question.category, []).append(r)
    return {c: aggregate(rs) for c, rs in sorted(cats.items())}


def by_route(results: Sequence[Result]) -> dict[str, dict[str, float | None]]:
    """Metrics per answering route, with the share of questions each route took: a routing error
    (a question sent to the wrong route) shows here apart from a retrieval error."""
    routes: dict[str, list[Result]] = {}
    for r in results:
        routes.setdefault(r.route or "?", []).append(r)
    return {name: {**aggregate(rs), "questions": float(len(rs))} for name, rs in sorted(routes.items())}


def report_json(primary_doc: str, results: Sequence[Result]) -> dict[str, Any]:
    return {
        "primary_doc": primary_doc,
        "metrics": aggregate(results),
        "by_category": by_category(results),
        "by_route": by_route(results),
        "results": [
            {"id": r.question.id, "question": r.question.question, "category": r.question.category,
             "route": r.route, "answer": r.answer, "abstained": r.abstained, "citations": list(r.citations),
             "retrieved": list(r.retrieved), "latency_ms": r.latency_ms, "scores": r.scores}
            for r in results
        ],
    }


def failures(results: Sequence[Result]) -> list[Result]:
    """Questions where any applicable quality metric is below 1 (latency aside)."""
    return [r for r in results if any(v < 1.0 for v in r.scores.values())]


def load_thresholds(path: Path) -> dict[str, float]:
    """`[min]` and `[max]` tables of metric limits; {} when the file does not exist."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return {k: float(v) for k, v in data.get("min", {}).items()} | {
            f"max:{k}": float(v) for k, v in data.get("max", {}).items()}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, TypeError, ValueError, AttributeError) as err:
        raise DangjianError(f"质量门槛文件格式错误：{path}（应为含 [min]/[max] 数值表的 TOML）") from err


def gate(metrics: dict[str, float | None], thresholds: dict[str, float]) -> list[str]:
    """Breaches as Chinese lines; empty when every threshold holds."""
    out = []
    for name, limit in thresholds.items():
        if name.startswith("max:"):
            value = metrics.get(name[4:])
            if value is not None and value > limit:
                out.append(f"{name[4:]} = {value} 高于上限 {limit}")
        else:
            value = metrics.get(name)
            if value is not None and value < limit:
                out.append(f"{name} = {value} 低于阈值 {limit}")
    return out


def format_table(overall: dict[str, float | None], cats: dict[str, dict[str, float | None]],
                 label: str = "category") -> str:
    extra = [n for n in ("verified_rate", *REAL_METRICS) if overall.get(n) is not None]
    names = [*METRICS, *extra]
    short = {
        "verified_rate": "verified",
        "hit_at_1": "hit@1",
        "recall_at_5": "R@5",
        "mrr": "MRR",
        "citation_precision": "cite_P",
        "abstention_accuracy": "abstain",
        "must_include_rate": "must_inc",
        "latency_ms_p50": "p50ms",
        "latency_ms_p95": "p95ms",
        "answer_correct": "correct",
        "answer_first": "first150",
        "refusal_rate": "refused",
        "false_refusal_rate": "falseref",
    }
    head = f"{label:<20}" + "".join(f"{short[n]:>9}" for n in names)
    rows = [head, "-" * len(head)]
    for name, m in [("ALL", overall), *cats.items()]:
        cells = "".join(f"{'—' if m.get(n) is None else format(m[n], '.3f' if n[:3] != 'lat' else '.1f'):>9}"
                        for n in names)
        rows.append(f"{name:<20}{cells}")
    return "\n".join(rows)


def side_by_side(sets: dict[str, dict[str, float | None]]) -> str:
    """Metrics of several sets in columns (dev beside test), with the gap between the first two."""
    names = list(sets)
    rows = [f"{'metric':<20}" + "".join(f"{n:>10}" for n in names) + ("       gap" if len(names) > 1 else "")]
    rows.append("-" * len(rows[0]))
    for metric in (*METRICS[:6], *REAL_METRICS, "latency_ms_p50", "latency_ms_p95"):
        values = [sets[n].get(metric) for n in names]
        if all(v is None for v in values):
            continue
        cells = "".join(f"{'—' if v is None else format(v, '.3f' if metric[:3] != 'lat' else '.1f'):>10}"
                        for v in values)
        gap = ""
        if len(values) > 1 and values[0] is not None and values[1] is not None:
            gap = f"{values[0] - values[1]:>+10.3f}"
        rows.append(f"{metric:<20}{cells}{gap}")
    return "\n".join(rows)
