"""应知应会 practice: questions generated deterministically from the corpus, checked and explained.

A *blank* is one value in one sentence of an article or item: a frequency (每月, 每半年, 每五年),
a duration or time limit (一个月, 半年, 一年, 五个工作日), a count (两名, 3人), a number of times
(1次), hours (32学时), an age (十八岁), a proportion (半数, 三分之二) — or a glossary term in the
sentence that defines it. Each blank gives a fill-in question and, when at least two values of
the same kind occur in *other* units, a multiple-choice question whose distractors are those.

A blank is used only when its question has exactly one right answer and does not give it away:
the value occurs once in the sentence (no other value there means the same), and the stem shown
(the sentence, cut to its clause when long) does not contain it. `tests/test_onboarding_quiz.py`
checks this over every question `generate` returns for the shipped corpus.

JSON (`question_json`): ``{"id", "form": "fill"|"choice", "kind", "prompt", "stem", "options",
"source": {"doc_id", "ref", "label", "title"}}``; with ``reveal=True`` (CLI --json, and every
checked answer) also ``"answer"`` and ``"explanation"`` (a passage with `ask --json` citations).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from ..errors import InputError
from ..numerals import cn_to_int
from ..records import Document, Unit
from ..text import TITLED
from ..vocabulary import alternation
from .common import Passage, passage, passage_json, with_lead
from .terms import Entry, defines, plain

Kind = Literal["period", "duration", "days", "hours", "age", "count", "times", "proportion", "term"]
Form = Literal["fill", "choice"]
BLANK = "___"
MAX_STEM = 110
MAX_ROUND = 50
KIND_NAMES: dict[str, str] = {"period": "频次", "duration": "期限", "days": "天数", "hours": "学时",
                              "age": "年龄", "count": "人数", "times": "次数", "proportion": "比例",
                              "term": "名词"}
_N = r"(?:[一二两三四五六七八九十百]+|\d+)"
_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("period", re.compile(rf"每(?:一个月|个月|月|季度|半年|{_N}年|年度|年)")),
    ("duration", re.compile(rf"一年半|半年|{_N}个月|{_N}年")),
    ("days", re.compile(rf"{_N}个?工作日|{_N}天")),
    ("hours", re.compile(rf"{_N}个?学时")),
    ("age", re.compile(rf"{_N}周?岁")),
    ("count", re.compile(rf"{_N}(?:名|人)(?=以上|以下|正式)")),
    ("times", re.compile(rf"{_N}次(?!性)")),
    ("proportion", re.compile(r"[一二三四五六七八九十]+分之[一二三四五六七八九十]+|半数|\d+%")),
)
_UNITS: dict[str, tuple[str, int]] = {
    "个月": ("m", 1),
    "月": ("m", 1),
    "季度": ("m", 3),
    "年度": ("m", 12),
    "年": ("m", 12),
    "工作日": ("wd", 1),
    "天": ("d", 1),
    "日": ("d", 1),
    "学时": ("h", 1),
    "周岁": ("age", 1),
    "岁": ("age", 1),
    "名": ("n", 1),
    "人": ("n", 1),
    "次": ("x", 1),
}
_VALUE = re.compile(rf"^({_N})?个?({alternation(_UNITS)})$")  # the units the table converts
_SPACE = re.compile(r"[\s“”\"'。，,.；;：:！!？?、]")


@dataclass(frozen=True, slots=True)
class Blank:
    """A value in a sentence: `text` at `start` in `unit.sentences[sent_no]`."""

    kind: Kind
    text: str
    doc: Document
    unit: Unit
    sent_no: int
    start: int

    @property
    def sentence(self) -> str:
        return self.unit.sentences[self.sent_no]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    form: Form
    kind: Kind
    stem: str
    answer: str
    accepted: tuple[str, ...]  # other spellings accepted as the answer (a term's aliases)
    options: tuple[str, ...]  # choice: the answer and its distractors, in a fixed shuffled order
    sentence: str  # the source sentence holding the answer, verbatim
    explanation: Passage  # the source sentence (with its list's lead when it is a list item), cited
    doc_title: str

    @property
    def prompt(self) -> str:
        what = "选择" if self.form == "choice" else "填空"
        return f"【{what}·{KIND_NAMES[self.kind]}】{self.stem}"


@dataclass(frozen=True, slots=True)
class Result:
    question: Question
    given: str
    correct: bool


# -- values and their meaning -------------------------------------------------------------------


def normalise(kind: str, text: str) -> str:
    """A canonical value, so 6个月 = 六个月 = 半年 and 一年 = 1年 = 12个月; "" when unreadable."""
    t = _SPACE.sub("", plain(text))
    if kind == "term":
        return t
    if kind == "period":
        t = t.removeprefix("每")
    if kind == "proportion":
        return _proportion(t)
    if t in ("半年", "半个年"):
        return "m:6"
    if t == "一年半":
        return "m:18"
    m = _VALUE.match(t)
    if m is None:
        return ""
    n = cn_to_int(m.group(1)) if m.group(1) else 1
    if n is None or (m.group(2) == "年" and n >= 1000):  # 2025年 is a date, not a duration
        return ""
    unit, mult = _UNITS[m.group(2)]
    return f"{unit}:{n * mult}"


def _proportion(t: str) -> str:
    if t in ("半数", "一半", "过半数"):
        return "f:1/2"
    if m := re.fullmatch(r"([一二三四五六七八九十\d]+)分之([一二三四五六七八九十\d]+)", t):
        den, num = cn_to_int(m.group(1)), cn_to_int(m.group(2))
        return f"f:{Fraction(num, den)}" if den and num is not None else ""
    if m := re.fullmatch(r"(\d+)/(\d+)", t):
        return f"f:{Fraction(int(m.group(1)), int(m.group(2)))}" if int(m.group(2)) else ""
    if m := re.fullmatch(r"(\d+)%", t):
        return f"f:{Fraction(int(m.group(1)), 100)}"
    return ""


def values(sentence: str) -> list[tuple[Kind, str, int]]:
    """(kind, text, start) of every value in a sentence, outside 《titles》; a frequency
    (每半年) hides the duration inside it (半年), and a value never overlaps an earlier one."""
    masked = TITLED.sub(lambda m: "□" * len(m.group()), sentence)
    found: list[tuple[Kind, str, int]] = []
    taken: set[int] = set()
    for kind, pat in _PATTERNS:
        for m in pat.finditer(masked):
            span = set(range(m.start(), m.end()))
            if span & taken or not normalise(kind, m.group()):
                continue
            if kind == "times" and normalise(kind, m.group()) == "x:1":
                taken |= span  # 一次/1次 is no question worth asking ("开展___主题党日")
                continue
            taken |= span
            found.append((kind, m.group(), m.start()))
    return sorted(found, key=lambda v: v[2])


# -- blanks and stems -----------------------------------------------------------------------------


def _stem(sentence: str, start: int, length: int) -> str:
    """The sentence with the value blanked; when long, the clause holding it (cut at ；, then at ，)
    with "……" for what is left out. Every piece between "……" is verbatim."""
    text = sentence[:start] + BLANK + sentence[start + length:]
    if len(text) <= MAX_STEM:
        return text
    at = start
    parts = re.split(r"(?<=[；，])", text)
    bounds, pos = [], 0
    for p in parts:
        bounds.append((pos, pos + len(p)))
        pos += len(p)
    i = next(k for k, (a, b) in enumerate(bounds) if a <= at < b)
    lo = hi = i
    while True:
        grown = False
        for j in (hi + 1, lo - 1):
            if 0 <= j < len(parts) and bounds[max(hi, j)][1] - bounds[min(lo, j)][0] <= MAX_STEM:
                lo, hi, grown = min(lo, j), max(hi, j), True
        if not grown:
            break
    piece = text[bounds[lo][0]:bounds[hi][1]].rstrip("，；")
    return ("……" if lo > 0 else "") + piece + ("……" if hi < len(parts) - 1 else "")


def _unique(blank: Blank, same: Sequence[tuple[Kind, str, int]]) -> bool:
    """One right answer: no other value in the sentence means the same, and the text occurs once."""
    norm = normalise(blank.kind, blank.text)
    others = [t for k, t, s in same if s != blank.start and normalise(k, t) == norm]
    return not others and blank.sentence.count(blank.text) == 1


def _blanks(docs: Sequence[Document]) -> list[Blank]:
    out = []
    for doc in docs:
        for unit in doc.numbered:
            for n, sentence in enumerate(unit.sentences):
                vals = values(sentence)
                for kind, text, start in vals:
                    b = Blank(kind, text, doc, unit, n, start)
                    if _unique(b, vals):
                        out.append(b)
    return out


def _term_blanks(docs: Sequence[Document], entries: Sequence[Entry]) -> list[tuple[Blank, Entry]]:
    """A defined term, blanked in a sentence that defines it (when the sentence names it once)."""
    out = []
    for e in (e for e in entries if e.defined):
        for p in e.lines:
            doc = next(d for d in docs if d.doc_id == p.doc_id)
            unit = doc.unit(p.ref)
            assert unit is not None
            for n, s in enumerate(unit.sentences):
                if (
                    s not in p.quoted
                    or s.endswith("：")
                    or not any(defines(s, x) for x in (e.term, *e.aliases))
                ):
                    continue  # a list's lead alone ("___的主要任务是：") says too little to answer
                name = max((x for x in (e.term, *e.aliases) if x in s), key=len, default="")
                if name and sum(s.count(x) for x in (e.term, *e.aliases) if x in s and x in name) == 1:
                    out.append((Blank("term", name, doc, unit, n, s.index(name)), e))
    return out


# -- questions --------------------------------------------------------------------------------------


def _order(seed: str, items: Sequence[str]) -> list[str]:
    """A fixed pseudo-random order (sha1 of seed + item): deterministic across runs and platforms."""
    return sorted(items, key=lambda x: hashlib.sha1(f"{seed}|{x}".encode()).hexdigest())


def _distractors(b: Blank, stem: str, pool: dict[str, list[tuple[str, str]]], qid: str) -> list[str]:
    """Up to three values of the same kind from other units, none meaning the answer or each other,
    none appearing in the stem."""
    answer = normalise(b.kind, b.text)
    in_stem = {normalise(k, t) for k, t, _s in values(stem)} | ({plain(stem)} if b.kind == "term" else set())
    seen: dict[str, str] = {}
    for key, text in pool.get(b.kind, []):
        norm = normalise(b.kind, text)
        if key == b.unit.key or norm == answer or norm in seen or norm in in_stem:
            continue
        if b.kind == "term" and (
            plain(text) in plain(stem) or plain(text) in answer or answer in plain(text)
        ):
            continue
        seen[norm] = text
    hashed = {t: i for i, t in enumerate(_order(qid, list(seen.values())))}
    return sorted(seen.values(), key=lambda t: (_distance(b.kind, b.text, t), hashed[t]))[:3]


def _distance(kind: str, answer: str, other: str) -> float:
    """How far a distractor is from the answer: the closest are the most plausible. Terms: fewer
    shared characters is farther; values: another unit is far, else the ratio of magnitudes."""
    if kind == "term":
        return -len(set(plain(answer)) & set(plain(other)))
    a, o = normalise(kind, answer), normalise(kind, other)
    (ua, _s, va), (uo, _t, vo) = a.partition(":"), o.partition(":")
    if ua != uo:
        return 1000.0
    x, y = float(Fraction(va)), float(Fraction(vo))
    return abs(math.log(x / y)) if x > 0 and y > 0 else 999.0


def _questions(b: Blank, pool: dict[str, list[tuple[str, str]]], title: str,
               accepted: tuple[str, ...] = ()) -> list[Question]:
    stem = _stem(b.sentence, b.start, len(b.text))
    base = f"{b.unit.key}:{b.sent_no}:{b.start}"
    explanation = passage(b.doc, b.unit, with_lead(b.unit, [b.sent_no]))
    out = [
        Question(f"{base}:fill", "fill", b.kind, stem, b.text, accepted, (), b.sentence, explanation, title)
    ]
    wrong = _distractors(b, stem, pool, base)
    if len(wrong) >= 2:
        options = tuple(_order(base + ":options", [b.text, *wrong]))
        out.append(Question(f"{base}:choice", "choice", b.kind, stem, b.text, accepted, options, b.sentence,
                            explanation, title))
    return out


def generate(docs: Sequence[Document], entries: Sequence[Entry] = ()) -> tuple[Question, ...]:
    """Every question the corpus yields, in corpus order (deterministic: same corpus, same list)."""
    ordered = sorted(docs, key=lambda d: not d.meta.primary)
    numeric = _blanks(ordered)
    terms = _term_blanks(ordered, entries)
    pool: dict[str, list[tuple[str, str]]] = {}
    for b in numeric:
        pool.setdefault(b.kind, []).append((b.unit.key, b.text))
    pool["term"] = [("", e.term) for e in entries]
    out: list[Question] = []
    for b in numeric:
        out.extend(_questions(b, pool, b.doc.meta.title))
    for b, e in terms:
        out.extend(
            _questions(b, pool, b.doc.meta.title, tuple(x for x in (e.term, *e.aliases) if x != b.text))
        )
    return tuple(out)


def quiz_round(pool: Sequence[Question], n: int = 10, seed: int | str = 0) -> tuple[Question, ...]:
    """`n` questions on `n` different sentences, chosen and ordered by `seed` (same seed, same round)."""
    if not 1 <= n <= MAX_ROUND:
        raise InputError(f"题目数量应在 1 到 {MAX_ROUND} 之间")
    by_sentence: dict[str, list[Question]] = {}  # one question per sentence text (党章 and 细则 share some)
    for q in pool:
        by_sentence.setdefault(q.sentence, []).append(q)
    rng = random.Random(str(seed))
    keys = rng.sample(sorted(by_sentence), min(n, len(by_sentence)))
    return tuple(rng.choice(by_sentence[k]) for k in keys)


def find(pool: Sequence[Question], qid: str) -> Question:
    q = next((q for q in pool if q.id == qid), None)
    if q is None:
        raise InputError(f"没有这道题：{qid}")
    return q


def check(q: Question, given: str) -> Result:
    """Right when `given` means the answer: the same value (6个月 = 六个月 = 半年), the term or an
    alias (quotation marks and spaces ignored), or for a choice the option's letter (A–D)."""
    text = given.strip()
    if q.form == "choice" and re.fullmatch(r"[A-Da-d]", text):
        i = ord(text.upper()) - ord("A")
        text = q.options[i] if i < len(q.options) else ""
    want = normalise(q.kind, q.answer)
    got = normalise(q.kind, _with_unit(q, text))
    ok = bool(got) and (
        got == want or (q.kind == "term" and got in {normalise("term", a) for a in q.accepted})
    )
    return Result(q, given, ok)


def _with_unit(q: Question, text: str) -> str:
    """A bare number ("1", "六") is read in the answer's own unit (1 → 1年 when the answer is 一年)."""
    t = text.strip()
    if q.kind in ("term", "proportion", "period") or not re.fullmatch(_N, t):
        return t
    unit = re.sub(rf"^{_N}", "", q.answer)
    return t + unit


def question_json(q: Question, *, reveal: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": q.id, "form": q.form, "kind": q.kind, "prompt": q.prompt, "stem": q.stem,
        "options": list(q.options),
        "source": {"doc_id": q.explanation.doc_id, "ref": q.explanation.ref, "label": q.explanation.label,
                   "title": q.doc_title},
    }
    if reveal:
        out["answer"] = q.answer
        out["explanation"] = passage_json(q.explanation)
    return out


def result_json(r: Result) -> dict[str, Any]:
    return {"id": r.question.id, "given": r.given, "correct": r.correct, **_revealed(r.question)}


def _revealed(q: Question) -> dict[str, Any]:
    return {"answer": q.answer, "prompt": q.prompt, "explanation": passage_json(q.explanation)}


def score_json(results: Sequence[Result]) -> dict[str, Any]:
    """The check response: score, every result (answer and explanation included), the wrong ones."""
    rows = [result_json(r) for r in results]
    return {"score": sum(r.correct for r in results), "total": len(results), "results": rows,
            "wrong": [row for row in rows if not row["correct"]]}
