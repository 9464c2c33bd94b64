"""What a number question asks for, and the sentence of a unit that states it.

    figure_of(q, weigh)               → Figure | None: the question's words, the figures it states
                                        itself, the kind of figure it asks for (forms.figure_kind)
                                        and, asked how often, the subject of the frequency
    figure_sentence(figure, unit, r)  → the sentence of `unit` that states it, or None
    not_stated(figure, q, quotes, r)  → "" or what a refusal says the documents do not state

The search path (rag/search.py) gives a unit with such a sentence its shape bonus, quotes that
sentence first, and refuses a number question that no quoted unit answers: a wrong figure is
worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from . import answer as compose
from . import kinds
from .answer import Quote
from .forms import ASKS_FREQUENCY, COUNTING, MONEY, ONCE, TERMS, figure_kind, kind_figure
from .forms import ASKS_NUMBER as _ASKS_NUMBER
from .forms import FIGURE_OR_FREQUENCY as _NUMBER
from .query import Query
from .ranking import RankSettings
from .records import Unit
from .text import PUNCTUATION
from .vocabulary import (
    COUNTERS,
    DAY_PHRASES,
    DURATION_PHRASES,
    HOW_MANY,
    HOW_MUCH,
    INTERROGATIVES,
    ITEM_COUNTERS,
    LIMITS,
    QUESTION_PARTICLES,
    WHAT_HOW_FORMS,
    WHEN,
    WHEN_PHRASES,
    WHETHER,
    alternation,
)

# Question words, removed before finding what a number question is about.
_QUESTION_WORDS = re.compile(
    alternation(DURATION_PHRASES, HOW_MUCH, WHEN, WHEN_PHRASES, DAY_PHRASES, LIMITS, WHETHER,
                QUESTION_PARTICLES) + "|"
    rf"(?<!哪){HOW_MANY}[{COUNTERS}{ITEM_COUNTERS}]?|[？?。，,]"
)
# What a number question asks the figure of: the words before its first interrogative. A copula
# before 多少, 几 or 什么时候 is left out of them, before 多久 or 多长 not (the refusal quotes them so).
_MANY, _LONG = HOW_MUCH[0], HOW_MUCH[1:]
_THING = re.compile(
    rf"^(.{{2,16}}?)(?:[是有]?{_MANY}|[是有为]{HOW_MANY}|{HOW_MANY}[{COUNTERS}]|"
    rf"{alternation(_LONG, WHEN)}|是?{WHEN_PHRASES[0]})"
)


@dataclass(frozen=True, slots=True)
class Figure:
    """What a number question asks for: its words weighted by idf (what the answering sentence is
    about), the figures the question states itself (八项规定, 2025年: a sentence holding only those
    does not answer it), and the kind of figure its words ask for (forms.figure_kind: 几名 is not
    answered by 三年)."""

    words: dict[str, float]
    given: tuple[str, ...] = ()
    kind: str = ""
    # what a frequency is of: the words before the question's interrogative (`_THING`), weighted
    subject: tuple[tuple[str, float], ...] = ()


def figure_of(q: Query, weigh: Callable[[str], dict[str, float]]) -> Figure | None:
    """What figure a number question asks for, or None when it does not ask for a number, a time
    limit or a frequency. `weigh`: a text's words weighted by idf (rag/search.py)."""
    # a choice question's options are what it asks among, not what it says (三种 of A.三种 B.四种)
    text = q.form.stem if q.form.options else q.text
    kind = figure_kind(text)
    if not (q.form.asks_number or kind or _ASKS_NUMBER.search(text)):
        return None
    # a claim to check states its figure; any other question states only figures it is not asking for
    given = () if q.claim else tuple(dict.fromkeys((*_NUMBER.findall(text), *MONEY.findall(text))))
    # how often a thing happens: the figure must be said of that thing (see `_of_subject`)
    often = ASKS_FREQUENCY.search(text)
    thing = _THING.search(text) if not q.claim and often else None
    # …leaving out the period the question names itself (组织生活会一年开几次: 一年 is when, not what)
    subject = tuple(weigh(_without(thing.group(1), given)).items()) if thing else ()
    if kind in ("frequency", "term") and often:
        text = f"{text[:often.start()]}{ONCE.sub('', often.group())}{text[often.end():]}"
    elif kind == "start":
        text = COUNTING.sub(" ", text)
    words = weigh(_QUESTION_WORDS.sub(" ", text))
    if kind == "term":  # 换届 asks for the term, as 一次 asks how often: the figure is of the body
        words = {t: w for t, w in words.items() if not TERMS.search(t)} or words
    return Figure(words, given, kind, subject)


def _without(text: str, figures: Sequence[str]) -> str:
    for figure in figures:
        text = text.replace(figure, " ")
    return text


@lru_cache(maxsize=8192)
def _states(sentence: str, given: tuple[str, ...], kind: str) -> bool:
    """Whether a sentence states a figure the question does not (its own figures taken out), of the
    kind it asks for."""
    for figure in given:
        sentence = sentence.replace(figure, "")
    if kind:
        return kind_figure(kind).search(sentence) is not None
    return _NUMBER.search(sentence) is not None or MONEY.search(sentence) is not None


def covers(words: dict[str, float], text: str) -> float:
    return covered(list(words.items()), sum(words.values()), text)


def covered(items: Sequence[tuple[str, float]], total: float, text: str) -> float:
    """Share of the weight `total` held by the words of `items` that `text` contains, read also
    without the 的 of 党的 (`without_de`)."""
    if not total:
        return 1.0
    short = without_de(text)
    return sum(w for t, w in items if t in text or t in short) / total


def without_de(text: str) -> str:
    """A text with 党的 read as 党: the party's bodies and rules are named in full with 的 (党的支部委员会,
    党的委员会, 党的纪律, 党的代表大会) and called by the same characters without it (党支部, 党委, 党纪,
    党代表)."""
    return text.replace("党的", "党")


@lru_cache(maxsize=8192)
def _has_number(sentence: str) -> bool:
    """Whether a sentence holds a number or time expression (asked of every sentence of the best
    40 units for each number question: cached)."""
    return _NUMBER.search(sentence) is not None


@lru_cache(maxsize=4096)
def _number_sentences(title: str, sentences: tuple[str, ...]) -> tuple[tuple[tuple[int, str], ...], str]:
    """A unit's sentences that hold a number, each with the title in front, and all of them joined
    (no word spans the separator): what `_figure_sentence` reads, made once per unit."""
    pairs = tuple((n, f"{title}{s}") for n, s in enumerate(sentences) if _has_number(s))
    return pairs, "\x00".join(text for _n, text in pairs)


_CLAUSES = re.compile(r"(?<=[，；：])")
# A short question in Chinese characters only: it names what it asks for (党费交纳标准).
_NAMES_ONLY = re.compile(r"[\u4e00-\u9fff]{2,16}")
_ASKING = re.compile(alternation(INTERROGATIVES, WHAT_HOW_FORMS))
# What follows a how-often question's interrogative and is not what is done: 一次, particles.
_ASKED_AFTER = re.compile(rf"^时间|(?:一|1)次|{alternation(QUESTION_PARTICLES)}")
# Kinds of figure a point in time answers as well as a number does (forms.figure_kind).
_ANCHORED = ("when", "start", "date")
# Counters that name a kind of list (几种 → a lead on 种类, 几个方面 → one on 方面); 几条, 几项 count any.
_NAMING_COUNTERS = ("种", "类", "个方面")


def _counted_leads(unit: Unit, counter: str) -> tuple[tuple[int, str], ...]:
    """The leads of a unit's （一）…（N） lists that a how-many-items question counts, each with the
    title in front (as `_number_sentences` gives them)."""
    name = counter[-2:] if counter in _NAMING_COUNTERS else ""
    return tuple((rng[0], f"{unit.title}{unit.sentences[rng[0]]}") for rng in compose.enumerations(unit)
                 if name in unit.sentences[rng[0]])


# Prepositions that make the noun after them an agent, a source or a means, not what a clause is
# about: 由党员大会选举产生 says who elects, not how often 党员大会 meets.
_PREPOSITIONS = "由被经向对从给以"


@lru_cache(maxsize=512)
def _after_preposition(subject: tuple[tuple[str, float], ...]) -> re.Pattern[str]:
    words = sorted({t for t, _w in subject}, key=len, reverse=True)
    return re.compile(rf"(?<=[{_PREPOSITIONS}])(?:{'|'.join(map(re.escape, words))})")


def _of_subject(figure: Figure, title: str, sentence: str, bar: float) -> bool:
    """Whether the frequency a sentence states is that of what the question asks about: the
    question's subject (党员大会 of 党员大会多久开一次) is named before the figure, in its clause or
    an earlier one (or in the unit's own heading), and not as the object of a preposition.
    "党支部每年至少召开1次组织生活会，…以党员大会…形式进行" gives the figure of 组织生活会; 党员大会
    only comes after it. "总支部委员会由党员大会选举产生，每届任期一般为3年" gives the term of the
    committee that 党员大会 elects."""
    if not figure.subject:
        return True
    total = sum(w for _t, w in figure.subject)
    aside = _after_preposition(figure.subject)
    said = title
    for clause in _CLAUSES.split(sentence):
        said += aside.sub("\x00", clause)
        if _states(clause, figure.given, figure.kind) and covered(figure.subject, total, said) >= bar:
            return True
    return False


def figure_sentence(figure: Figure, unit: Unit, r: RankSettings) -> int | None:
    """The sentence of a unit that states the figure asked for: it holds a number or time
    expression of the kind asked for (`_states`), said of the subject a how-often question asks
    about (`_of_subject`), and with the unit's title it covers `answer_cover` of the question's words.

    Same result as the best `covers(words, title + sentence)`: the words found in no number
    sentence are dropped first (weights are positive idf, so what they all cover together bounds
    each sentence, and most of the 40 units ranked per question stop there)."""
    base, joined = _number_sentences(unit.title, unit.sentences)
    pairs, leads = base, set()
    if figure.kind.startswith("count:"):  # a list's lead states its count by its items
        counted = _counted_leads(unit, figure.kind[len("count:"):])
        leads = {n for n, _t in counted}
        pairs = tuple(sorted({*pairs, *counted}))
    elif figure.kind in _ANCHORED:  # 之日起, 期满: a point in time without a figure
        said = kind_figure(figure.kind)
        pairs = tuple(sorted({*pairs, *((n, f"{unit.title}{s}") for n, s in enumerate(unit.sentences)
                                        if said.search(s))}))
    if figure.given or figure.kind or figure.subject:
        own = kinds.own_heading(unit)
        pairs = tuple((n, text) for n, text in pairs
                      if (n in leads or _states(unit.sentences[n], figure.given, figure.kind))
                      and _of_subject(figure, own, unit.sentences[n], r.subject_cover))
    if pairs is not base:
        joined = "\x00".join(text for _n, text in pairs)
    if not pairs:
        return None
    words = figure.words
    total = sum(words.values())
    short = without_de(joined)
    items = [(t, w) for t, w in words.items() if t in joined or t in short]
    if covered(items, total, joined) < r.answer_cover:
        return None
    best = max((covered(items, total, text), n) for n, text in pairs)
    return best[1] if best[0] >= r.answer_cover else None


def not_stated(figure: Figure | None, q: Query, quotes: Sequence[Quote], r: RankSettings) -> str:
    """What a number question asks for, when no quoted unit states it (see `_figure_sentence`):
    a sentence on 党费 with no figure does not answer 党费的缴纳标准是多少, nor one on 党旗
    answer 党旗的长宽比例是多少."""
    if figure is None or any((fig := figure_sentence(figure, qu.unit, r)) is not None and fig in qu.sents
                            for qu in quotes):
        return ""
    # a choice question offers its figures: a quoted sentence holding one is read option by option
    # (rag/direct.py), however it words the rest (党的纪律处分有几种 over 对党员的纪律处分有五种)
    if any(PUNCTUATION.sub("", v) in qu.unit.sentences[n] for o in q.form.options for v in o.variants
           for qu in quotes for n in qu.sents if n is not None and _NUMBER.search(v)):
        return ""
    thing = _THING.search(q.text)
    if not thing:
        # a question that names what it asks for and no more (党员组织关系介绍信有效期) is quoted whole
        named = PUNCTUATION.sub("", q.text)
        if _NAMES_ONLY.fullmatch(named) and not _ASKING.search(named):
            return f"“{named}”的具体数字或期限"
        return "问题所问的具体数字或期限"
    # how often what is done, when the question says it after asking (党支部多久换届: 换届 of 党支部),
    # so that the refusal does not read as if the documents gave no figure of 党支部 at all
    rest = PUNCTUATION.split(q.text[thing.end():], maxsplit=1)[0]  # up to the clause's end
    done = _ASKED_AFTER.sub("", rest) if figure.kind in ("frequency", "term") else ""
    what = thing.group(1).rstrip(_PREPOSITIONS) + (done if 2 <= len(done) <= 4 else "")
    return f"“{what}”的具体数字或期限"
