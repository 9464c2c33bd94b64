"""The form of a question: what kind of answer it asks for, read from its wording alone.

People paste quiz questions with their options ("…（ ）。A.一年 B.两年"), 判断题 statements, fill-in
blanks, and type everyday questions (多长, 有哪些, 为什么). The form decides how the answer opens
(rag/direct.py) and what shape of evidence ranking looks for (rag/search.py). Only general
Chinese question grammar lives here — interrogatives, option letters, blanks, negation — never the
wording of particular questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .numerals import int_to_cn
from .text import PUNCTUATION
from .vocabulary import (
    A_NOT_A_ANSWERS,
    ASKS_TIME,
    COUNTERS,
    DAY_PHRASES,
    DURATION_PHRASES,
    EXAM_VERBS,
    FIGURE_UNITS,
    FROM_WHEN,
    HOW_MANY,
    HOW_MUCH,
    HOW_OFTEN,
    INTERROGATIVES,
    ITEM_COUNTERS,
    JUDGE_FALSE,
    JUDGE_HEADS,
    JUDGE_TRUE,
    LIMITS,
    MEETING_VERBS,
    MONEY_COUNTERS,
    PEOPLE_COUNTERS,
    POLAR_HEADS,
    POLAR_TAILS,
    PROCEDURES,
    REASONS,
    REQUESTS,
    TIME_ANCHORS,
    TIME_NOUNS,
    TIME_UNITS,
    VERB_ANSWERS,
    VERB_COMPOUNDS,
    WHAT_HOW,
    WHEN,
    WHEN_PHRASES,
    WHICH,
    WHO,
    WHY,
    WHY_PHRASES,
    alternation,
)

_ARABIC = re.compile(r"\d+")
FormKind = Literal["fact", "number", "list", "polar", "choice", "blank", "why"]

# A list question: 有哪些, 哪几项, 包括什么…
ASKS_LIST = re.compile(
    r"有哪些|哪些|哪几[种类项个条方面]|有几[种类项]|几种|包括什么|包括哪|分为|分别是什么|都有什么|"
    # an exam's 简述…, 列举…: the points of what it names
    rf"^(?:{alternation(EXAM_VERBS[:6])})"
)
# A number, time limit or frequency question.
ASKS_NUMBER = re.compile(
    rf"{alternation(HOW_MUCH, WHEN, WHEN_PHRASES, DAY_PHRASES, LIMITS)}|"
    rf"(?<!哪){HOW_MANY}[{COUNTERS}{ITEM_COUNTERS}]|"
    r"几年|几个月|多大|上限|下限|比例|标准是|how many|how long|how much|when|"
    # "…的标准" closing the question asks for the standard itself, as "标准是" does
    r"(?<!什么)(?<!政治)标准[\d\s年？?]*$|"
    rf"(?:{alternation(TIME_NOUNS)})[？?。！!\s]*$",
    re.I,
)
# How many items a list has: 有多少条, 几项, 几个方面.
ASKS_COUNT = re.compile(r"(?:多少|几)(条|项|个方面|种|类|点)")
ASKS_WHY = re.compile(rf"{alternation(WHY, WHY_PHRASES)}|why", re.I)
# A sentence that gives a reason or a purpose (为了…, 旨在…): what a why-question asks for.
STATES_REASON = re.compile(alternation(REASONS))
# Who is asked for (由谁, 谁): a sentence that names who acts (由…), not 由于, 理由, 自由.
ASKS_WHO = re.compile(alternation(WHO))
STATES_AGENT = re.compile(r"(?<![理自缘])由(?!于)")
# A procedure asked for: its steps are the answer (see `STATES_PROCEDURE`).
ASKS_PROCEDURE = re.compile(alternation(PROCEDURES))
# A sentence that sets a procedure out: "…的手续是：…", "…主要程序是：", "步骤如下", or the steps
# named before the noun ("按照个人自评、党员互评、民主测评的程序") — not a mere mention of one
# ("严格按照规定程序…").
STATES_PROCEDURE = re.compile(rf"(?:{alternation(PROCEDURES)})(?:是|为|如下)?[：:]|"
                              rf"、[^，。；]{{2,12}}的(?:{alternation(PROCEDURES)})|"
                              # the steps a thing must go through, two or more of them: 要经过支部
                              # 大会通过和上级党组织批准，并且经过预备期的考察
                              r"要经过[^，。；]{2,20}(?:和|、)[^，。；]{2,20}")
# "X是什么" / "什么是X" / "X指什么": a question for what X is.
_WHAT_IS = re.compile(r"^(?:什么是|何为|何谓)(.{2,20}?)[？?。！!\s]*$|"
                      r"^(.{2,20}?)(?:是指什么|是什么|指什么|是啥)[？?。！!\s]*$")
# What follows a term where a text defines it or sets it out: 基本路线是：…, 誓词如下：…
_DEFINING = ("是", "为", "如下", "指", "包括", "：", ":")
_DEFINING_WORDS = _DEFINING[:-2]  # a bare colon also closes a list's lead (…给予开除党籍处分：)


def defined_term(text: str) -> str:
    """X of a question for what X is ("" for any other question)."""
    m = _WHAT_IS.match(text.strip())
    return PUNCTUATION.sub("", m.group(1) or m.group(2)) if m else ""


def defines(term: str, sentence: str, shortest: int = 2, *, colon: bool = True) -> int:
    """How long a part of `term` a sentence defines — states right before 是/如下/：… —, 0 for none:
    its ending (党的基本路线 → 基本路线是：, 入党誓词 → 誓词如下：) or its opening (开除党籍处分 →
    开除党籍是…: a text names a sanction without the word for its kind), `shortest` characters at
    least (an opening, half the term and four characters); `colon=False`: a word must say it
    (是, 如下…), a bare colon may close a list's lead."""
    marks = _DEFINING if colon else _DEFINING_WORDS
    # an opening says less of the term than an ending (群众 of 群众路线的基本内容 is not it): half
    # of it, four characters at least
    opening = max(4, (len(term) + 1) // 2)
    for k in range(len(term), max(shortest, 2) - 1, -1):
        parts = (term[-k:], term[:k]) if k >= opening else (term[-k:],)
        if any(part + mark in sentence for part in parts for mark in marks):
            return k
    return 0


# Which option is NOT right: 不包括, 不属于, 错误的是… — where the question asks, at the end of its
# stem (the same words inside a quoted rule, "…不符合本地区…的实际情况…", ask nothing)
EXCLUSION = re.compile(
    r"(?:不包括|不包含|不属于|不是|错误的是|错误的一项|不正确的是|不正确的一项|不符合|不应|不能作为|除外)"
    r"[^，。；,;]{0,12}$"
)
# …and "下列属于X的有（ ）": a stem closing on 的有 before its blank asks for every option that is
# (…的是（ ） asks for one).
MULTI = re.compile(r"多选|多项选择|不定项|哪些|的有\s*(?:[（(]\s*[)）]|_{2,}|＿{2,})")
# "下列说法正确的是", "以下关于…的表述，错误的是": the options are statements to judge one by one
STATEMENTS = re.compile(r"(?:下列|以下|下面)[^。？?]{0,20}?(?:说法|表述|描述|论述|叙述|做法|理解)"
                        r"[^。？?]{0,6}?(?:正确|错误|准确|符合)")
SINGLE = re.compile(r"单选|单项选择")
# A blank to fill: （ ）, ( ), ____, （　　）
BLANK = re.compile(r"[（(]\s*[)）]|_{2,}|＿{2,}")
# A blank followed by a counter word ("不少于（ ）次", "（ ）个月内") is a blank for a number.
NUMBER_BLANK = re.compile(rf"(?:{BLANK.pattern})\s*(?:{alternation(FIGURE_UNITS)}|%|％)")
# Option letters: "A.一年", "A、", "A：", "（A）", "A)", or "A 严重警告" as pasted from a page whose
# punctuation was lost: a capital not inside a Latin word (options_of keeps only runs A, B, C…).
_OPTION = re.compile(r"(?:[（(]([A-H])[)）]|(?<![A-Za-z])([A-H])\s*[.．、:：)）]|"
                     r"(?<![A-Za-z])([A-H])\s+(?=[\u4e00-\u9fff]))\s*")
# "…，对吗？" and its kin: a statement offered for checking (after a comma or a full stop).
_POLAR_TAIL = re.compile(rf"[，,。\s]*(?:{alternation(POLAR_TAILS)})[？?。！!\s]*$")
# One declarative sentence with its full stop: a statement offered for checking (a 判断题 pasted
# without its bracket or number). A sentence asking (an interrogative), requesting (请) or setting
# an exam task (简述…, 名词解释：…) is not one.
_STATEMENT = re.compile(rf"^(?!.*(?:{alternation(INTERROGATIVES, REQUESTS, POLAR_TAILS, EXAM_VERBS)}))"
                        r"[^。？?！!：:]{6,80}。\s*$")
# A yes/no question asked by A-not-A (能不能, 有没有, 是否…): vocabulary.A_NOT_A_ANSWERS.
_A_NOT_A = re.compile(alternation(A_NOT_A_ANSWERS))
# "判断题：…" / "判断：…": the whole text after the head is the statement, with or without a tail
_JUDGE_HEAD = re.compile(rf"^(?:{alternation(JUDGE_HEADS)})\s*[：:]")
_POLAR_HEAD = re.compile(rf"^(?:{alternation(POLAR_HEADS)})[：:，,\s]*")
_ASKING = re.compile(alternation(INTERROGATIVES))
# A 判断题 pasted as set: a full statement, then an empty answer bracket (or √/× marks), or the
# form's label in brackets (…。（判断题）).
_JUDGE_TAIL = re.compile(r"(?<=[。！；])\s*(?:[（(]\s*[)）]|[（(]\s*[√×对错]?\s*[)）]|"
                         rf"[（(]\s*(?:{alternation(JUDGE_HEADS)})\s*[)）])\s*$")


# A figure: digits, or a Chinese numeral with a unit (not the determiner 一个/一项 "每一个党员"); a
# range (三年至五年) is one figure, so "五年" is not taken for "三年至五年".
_ONE = (r"(?:\d+(?:\.\d+)?%?|(?!一(?:个(?!月)|[项名条次位种]))[一二两三四五六七八九十百千半]+"
        rf"(?:{alternation(FIGURE_UNITS)}|分之[一二三四五六七八九十]+)"
        r"|[三四五六七八九十]分之[一二三四五六七八九十]+|半数|过半数|多数)")
FIGURE = re.compile(rf"{_ONE}(?:(?:至|到|—|~|-){_ONE})?")
# What answers a number question: a figure, or a frequency (每年, 每季度).
FIGURE_OR_FREQUENCY = re.compile(rf"{FIGURE.pattern}|每[年月季周日届]|每半年|每季度")
# A sum of money (500元, 三千元): no counter of FIGURE's, asked for only by 多少钱.
MONEY = re.compile(r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)万?元")
# The figures of each kind a question may ask for (see vocabulary.PEOPLE_COUNTERS): people are
# counted, or shared (半数, 三分之二以上); time is a span or a frequency.
_AMOUNT = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千半]+)"
KIND_FIGURES = {
    "people": re.compile(rf"{_AMOUNT}\s*(?:名|人|位)|半数|多数|分之"),
    "money": MONEY,
    "time": re.compile(rf"{_AMOUNT}\s*(?:{alternation(TIME_UNITS)})|"
                       r"每[年月季周日届]|每半年|每季度"),
    "start": re.compile(alternation(TIME_ANCHORS[:1], FROM_WHEN)),
}
KIND_FIGURES["amount"] = re.compile(rf"{MONEY.pattern}|\d+(?:\.\d+)?\s*[%％]|百分之|分之")
KIND_FIGURES["when"] = re.compile(rf"{KIND_FIGURES['time'].pattern}|{alternation(TIME_ANCHORS)}")
_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
KIND_FIGURES["date"] = re.compile(rf"{_DAY}月{_DAY}[日号]|{_DAY}[日号](?:前|以前|之前|起)|"
                                  rf"{alternation(TIME_ANCHORS[:1])}")
# How often: a period something recurs in (每年, 每五年, 三年一次) or a number of times (1次, of
# 每年至少开几次, whose period the question names) — not a time limit (一个月内) nor a length (一年).
_PERIOD = r"(?:半年|年|个月|月|季度|季|周|日|天)"
KIND_FIGURES["frequency"] = re.compile(rf"每[^，。；：]{{0,3}}?{_PERIOD}|{_AMOUNT}\s*次")
# How often a body is elected (换届) is said by its term of office (每届任期三年至五年), which says
# nothing of how often it meets, or by how often the congress that elects it is held (每五年举行一次)
# — not by how often the body does something else (党支部每半年对入党积极分子进行一次考察).
_HELD = alternation(MEETING_VERBS[:2], ("选举",))  # 召开, 举行: a congress is held
KIND_FIGURES["term"] = re.compile(
    rf"每[^，。；：]{{0,3}}?{_PERIOD}(?:[^，。；：]{{0,2}}?(?:{_HELD}))|(?:{_HELD})[^，。；：]{{0,4}}?{_AMOUNT}\s*次|"
    rf"每届|任期[^，。；]{{0,4}}?{_AMOUNT}\s*(?:年|个月)")
TERMS = re.compile(r"届|任期")  # what a term of office is asked by (换届, 任期)
# A fee's standard, limit, rate or base (党费的缴纳标准, 住宿费限额): asks for an amount of money or a
# rate, whatever else the question says — unless it asks who sets it or which text does.
_FEE_AMOUNT = re.compile(r"费[^，。？?；]{0,6}?(?:标准|限额|比例|基数)")
_ASKS_OTHER = re.compile(alternation(WHO, (WHICH,)))
_HOW = alternation(WHAT_HOW[2:])  # 怎么, 怎样, 如何
_ASKS_KIND = {
    "people": re.compile(rf"(?:{alternation(HOW_MUCH[:1])}|{HOW_MANY})(?:{alternation(PEOPLE_COUNTERS)})"),
    "money": re.compile(rf"(?:{alternation(HOW_MUCH[:1])}|{HOW_MANY})(?:{alternation(MONEY_COUNTERS)})"),
    # 从什么时候算起, and how a date or a length of membership is counted (党龄怎么算)
    "start": re.compile(rf"{alternation(FROM_WHEN)}|(?:日期|日子|时间|党龄)是?(?:{_HOW})(?:算|计算)|"
                        rf"(?:{alternation(WHEN, WHEN_PHRASES[:1])})开始算"),
    "time": re.compile(rf"{alternation(ASKS_TIME)}|(?:{alternation(TIME_NOUNS)})[？?。！!\s]*$"),
    "date": re.compile(alternation(DAY_PHRASES)),
    "when": re.compile(alternation(WHEN, WHEN_PHRASES[:2])),
}


ASKS_FREQUENCY = re.compile(rf"(?:{alternation(HOW_MUCH, ASKS_TIME)})[^，。；？?]{{0,6}}?(?:一|1)次|"
                            rf"{alternation(HOW_OFTEN)}|"
                            # 多久召开 with no 一次: how long until a meeting is held again
                            rf"(?:{alternation(HOW_MUCH[1:], DURATION_PHRASES)})"
                            rf"(?:{alternation(MEETING_VERBS)})[？?。！!\s]*$")
# The "once" of 多久开一次: part of how the question asks, not of what it is about.
ONCE = re.compile(r"(?:一|1)次$")
# …and the counting of 党龄是怎么计算的, 什么时候开始算 (a from-when question's frame).
COUNTING = re.compile(rf"是?(?:{_HOW})(?:算|计算)的?|开始算")


def figure_kind(text: str) -> str:
    """The kind of figure a number question asks for ("people", "money", "amount" — of a fee,
    money or a rate —, "time", "when", "date", "start" — from when a span runs —, "frequency" —
    how often —, "term" — how often a body is elected —, or "count:种" — how many items, with the
    counter it counts them by), or "" when its words do not say (多少)."""
    # 哪几条 asks which, 好几条 says "several": neither asks how many
    if (counted := ASKS_COUNT.search(text)) and text[counted.start() - 1:counted.start()] not in ("哪", "好"):
        return f"count:{counted.group(1)}"
    if ASKS_FREQUENCY.search(text):
        return "term" if TERMS.search(text) else "frequency"
    if _FEE_AMOUNT.search(text) and not _ASKS_OTHER.search(text):
        return "amount"
    return next((kind for kind, asks in _ASKS_KIND.items() if asks.search(text)), "")


def kind_figure(kind: str) -> re.Pattern[str]:
    """What states a figure of `kind` (see `figure_kind`): 有五种 for count:种 — said of its
    subject, closing a clause or opening a list, not naming a thing (四种形态, 八项规定)."""
    if kind.startswith("count:"):
        return re.compile(rf"{_AMOUNT}\s*{kind[len('count:'):]}(?=[：:，,。；;、]|$)")
    return KIND_FIGURES[kind]


@dataclass(frozen=True, slots=True)
class Option:
    letter: str
    text: str

    @property
    def written(self) -> str:
        """The option as the documents would write it: Arabic numbers as Chinese numerals
        (18 → 十八), 周岁 as 岁."""
        return _ARABIC.sub(lambda m: int_to_cn(int(m.group(0))) if len(m.group(0)) < 4 else m.group(0),
                           self.text).replace("周岁", "岁")

    @property
    def variants(self) -> tuple[str, ...]:
        """Every way the documents may write the option: as `written`, as typed (每月开展1次 keeps
        its Arabic figure), and with 两 for a leading 二 (两年, 两名)."""
        written = self.written
        out = [written, self.text.replace("周岁", "岁")]
        if written.startswith("二"):
            out.append("两" + written[1:])
        return tuple(dict.fromkeys(v for v in out if v))


@dataclass(frozen=True, slots=True)
class Form:
    """`stem`: the question without its options, blank marks or polar tail; `claim`: the statement a
    yes/no question offers; `count`: asks how many items a list has."""

    kind: FormKind
    stem: str
    options: tuple[Option, ...] = ()
    multi: bool = False
    exclusion: bool = False
    statements: bool = False  # the options are statements (下列说法正确的是)
    claim: str = ""
    # how a yes/no question is answered: 对/错, or the question's own words (能不能 → 能/不能)
    answers: tuple[str, str] = ("对", "错")
    count: bool = False
    asks_number: bool = False
    procedure: bool = False  # asks for the steps of a procedure (…要经过哪些程序)


def options_of(text: str) -> tuple[str, tuple[Option, ...]]:
    """Split "stem A.x B.y …" into the stem and its options; options must run A, B, C… (two or more)."""
    marks = [(m.start(), m.end(), m.group(1) or m.group(2) or m.group(3)) for m in _OPTION.finditer(text)]
    # the run of letters A, B, C… that starts at the last "A"
    starts = [i for i, (_s, _e, letter) in enumerate(marks) if letter == "A"]
    for first in reversed(starts):
        run = [marks[first]]
        for mark in marks[first + 1:]:
            if mark[2] == chr(ord(run[-1][2]) + 1):
                run.append(mark)
        if len(run) < 2:
            continue
        options = []
        for i, (_s, end, letter) in enumerate(run):
            stop = run[i + 1][0] if i + 1 < len(run) else len(text)
            body = text[end:stop].strip(" ；;，,。.．\n\t")
            if not body:
                break
            options.append(Option(letter, body))
        else:
            return text[:run[0][0]].strip(), tuple(options)
    return text, ()


def verdict_options(options: tuple[Option, ...]) -> dict[bool, Option]:
    """A 判断题 pasted as a choice (A.正确 B.错误): which option says 对 and which 错; {} when the
    options are not exactly such a pair."""
    if len(options) != 2:
        return {}
    said = {o.text.strip("。. "): o for o in options}
    true = next((o for t, o in said.items() if t in JUDGE_TRUE), None)
    false = next((o for t, o in said.items() if t in JUDGE_FALSE), None)
    return {True: true, False: false} if true is not None and false is not None else {}


def without_judge_label(text: str) -> str:
    """A 判断题 without the words that set it (判断题：…, …。（判断题）, …。（ ）): they are not what the
    statement is about, and searching with them ranks other articles."""
    if not (_JUDGE_TAIL.search(text) or _JUDGE_HEAD.match(text)):
        return text
    return _JUDGE_HEAD.sub("", _JUDGE_TAIL.sub("", text)).strip() or text


def claim_of(text: str) -> str:
    """The statement of a true/false question ("…，对吗？", "判断：…", "…。（ ）", or one
    sentence stated and closed, as a 判断题 list pastes it without its number: "留党察看最长不超过
    一年。"), else ""."""
    if _JUDGE_TAIL.search(text) or _JUDGE_HEAD.match(text):
        claim = _POLAR_HEAD.sub("", _POLAR_TAIL.sub("", _JUDGE_TAIL.sub("", text))).strip("，,。 ")
        return claim if len(claim) >= 5 else ""
    if not _POLAR_TAIL.search(text) or len(text) < 8:
        if _STATEMENT.match(text) and not BLANK.search(text):  # a blank makes it a fill-in
            return text.strip("。 ")
        # 能不能当入党介绍人: the positive form is the claim (能当入党介绍人); "…，是不是？" offers the
        # statement before it
        if (m := _A_NOT_A.search(text)) and not _ASKING.search(text[:m.start()] + text[m.end():]):
            if _offers(text, m):
                claim = text[:m.start()]
            else:
                claim = text[:m.start()] + A_NOT_A_ANSWERS[m.group()][0] + text[m.end():]
            claim = _POLAR_HEAD.sub("", claim).strip("，,。？? ")
            return claim if len(claim) >= 5 else ""
        return ""
    claim = _POLAR_HEAD.sub("", _POLAR_TAIL.sub("", text)).strip("，,。 ")
    return claim if len(claim) >= 5 and not _ASKING.search(claim) else ""


def _offers(text: str, asked: re.Match[str]) -> bool:
    """An A-not-A that closes the text after a comma ("…，是不是？") offers the statement before it."""
    return not text[asked.end():].strip("？?。！! ") and text[:asked.start()].endswith(("，", ","))


def _answers(text: str) -> tuple[str, str]:
    """How a yes/no question is answered: in its own words when it asks by A-not-A inside
    (党总支能不能审批预备党员 → 能 / 不能) or by a verb and 吗 (预备党员有表决权吗 → 有 / 没有), else
    对 / 错 — also for "…，是不是？" (`_offers`)."""
    if tail := _POLAR_TAIL.search(text):
        bare = tail.group().strip("，,。？?！! \n\t") == "吗"  # not 对吗, 是吗: those ask if it is true
        return _verb_answers(text[:tail.start()]) if bare else ("对", "错")
    asked = _A_NOT_A.search(text)
    if asked is None or _offers(text, asked):
        return ("对", "错")
    _positive, yes, no = A_NOT_A_ANSWERS[asked.group()]
    return (yes, no)


_VERBS = re.compile(alternation(VERB_ANSWERS, VERB_COMPOUNDS))


def verbs(text: str) -> Iterator[re.Match[str]]:
    """The verbs of `VERB_ANSWERS` (有, 能, 可以…) in a text, and the words they are only part of
    (功能, 所有…) as words of their own, in order: a caller that wants the verb skips the rest."""
    return _VERBS.finditer(text)


def _verb_answers(claim: str) -> tuple[str, str]:
    """The yes and no of the verb a …吗 question asks with: its first verb of `VERB_ANSWERS` that is
    not part of a longer word; 对 / 错 when there is none, or when the claim is negated first
    (预备党员不能当介绍人吗: 能 or 不能 would not say which way)."""
    for m in verbs(claim):
        if m.group() in VERB_ANSWERS:
            return VERB_ANSWERS[m.group()]
        if m.group().startswith(("不", "没")):
            break
    return ("对", "错")


_PARTS = re.compile(r"[^？?]{4,}[？?]")
_CLAUSES = re.compile(r"[^，,？?]+[，,？?]?")
# a clause that asks: an interrogative, a yes/no word, or a closing question particle
_ASKS = re.compile(rf"{alternation(INTERROGATIVES, A_NOT_A_ANSWERS, WHEN_PHRASES, DURATION_PHRASES)}"
                   r"|[吗呢么][？?]?$")


# the words a question asks with (多长时间, 几年, 什么时候, 多少…), longest first
_ASKING_WORDS = re.compile(alternation(ASKS_TIME, DURATION_PHRASES, WHEN_PHRASES, DAY_PHRASES, HOW_OFTEN,
                                       INTERROGATIVES))


def asked_about(stem: str) -> str:
    """A question without the words it asks with: what it is about (预备期 of 预备期是多长时间), for
    comparing with sentences — 多长时间 shares 时间 with 延长时间, which says nothing of 预备期."""
    return _ASKING_WORDS.sub("", stem)


def parts(text: str) -> list[str]:
    """The questions of a text that asks several, each on its own: closed by their own question
    marks (什么是预备党员？要交党费吗？), or, within one, clauses that each ask (预备期为多少年，延长时
    不能超过多长时间？) — a clause that asks nothing (需要延长预备期时) goes with the one after it.
    [] for a text that asks one question."""
    found = _PARTS.findall(text)
    if len(found) > 1:
        return [p.strip() for p in found]
    out, pending = [], ""
    for clause in _CLAUSES.findall(text):
        pending += clause
        if _ASKS.search(clause.rstrip("，,？? ")):
            out.append(pending)
            pending = ""
    if pending and out:
        out[-1] += pending
    out = [p.strip("，, ") for p in out]
    return out if len(out) > 1 and all(len(p) >= 4 for p in out) else []


def form_of(text: str) -> Form:
    """The form of a normalised question (see rag/text.normalize_question)."""
    stem, options = options_of(text)
    if verdict_options(options):  # a 判断题 set as a choice: its stem is the claim
        claim = claim_of(stem) or BLANK.sub("", stem).strip("。（）() ")
        return Form("polar", claim, options, claim=claim)
    number = bool(ASKS_NUMBER.search(stem))
    listing = bool(ASKS_LIST.search(stem))
    count = bool(ASKS_COUNT.search(stem))
    if options:
        asked = BLANK.sub("", stem).rstrip("。？?！! ")
        return Form("choice", stem, options, multi=bool(MULTI.search(stem)),
                    exclusion=bool(EXCLUSION.search(asked)), asks_number=number,
                    statements=bool(STATEMENTS.search(stem)))
    claim = claim_of(text)
    if claim:
        return Form("polar", claim, claim=claim, answers=_answers(text))
    if BLANK.search(stem):
        return Form("blank", stem, asks_number=number or bool(NUMBER_BLANK.search(stem)))
    if ASKS_WHY.search(stem):
        return Form("why", stem)
    if number:
        return Form("number", stem, count=count, asks_number=True)
    procedure = bool(ASKS_PROCEDURE.search(stem))
    if listing:
        return Form("list", stem, count=count, procedure=procedure)
    return Form("fact", stem, procedure=procedure)
