"""The answer first: one line that states the answer, taken verbatim from the evidence.

After search has chosen the units and sentences to quote, this reads them by the form of the
question (rag/forms.py) and states the answer the way a person would want it:

- a choice question → the option(s) the quoted text states (or, for 不包括…, the one it does not);
- a 判断 statement → 对 / 错 when the deciding sentence agrees or plainly contradicts it;
- a number or period → the clause of the sentence that states it (预备党员的预备期为一年);
- how many items → the count of the （一）…（N） list, with its lead;
- a blank → the words of the sentence that fill it;
- anything else → the best sentence itself.

Nothing here invents wording: every answer line is a span of a quoted sentence, an option the
user supplied, a count of quoted items, or 对/错. When the evidence does not decide (two options
stated equally, a claim neither matched nor contradicted), no verdict is given and the best
sentence opens the answer instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from . import kinds
from .answer import Quote, antecedent_span, clause_text, enumerations, is_clause, list_leads, marker
from .forms import (
    ASKS_WHO,
    BLANK,
    FIGURE,
    FIGURE_OR_FREQUENCY,
    SINGLE,
    STATES_AGENT,
    STATES_PROCEDURE,
    STATES_REASON,
    Form,
    Option,
    asked_about,
    defined_term,
    defines,
    figure_kind,
    form_of,
    kind_figure,
    parts,
    verbs,
    verdict_options,
)
from .numerals import int_to_cn
from .records import Block, Line
from .text import char_bigrams
from .vocabulary import (
    AT_LEAST,
    AT_MOST,
    OBLIGATION,
    RULE_MODALS,
    VERB_ANSWERS,
    WHICH,
    WHICH_WHAT,
    alternation,
)

_NOISE = re.compile(r"[\s，。；：、“”‘’《》（）()〔〕,.;:？?！!·—…\-]")
_CLAUSE_SPLIT = re.compile(r"(?<=[，；：])")
_CLAUSE_START = re.compile(r"[，；：。]")
# A clause that only sets a condition or a topic: "…的，" (机关党员50人以上、100人以下的，设立…), a
# figure that picks out what the clause is about (正式党员7人以上的党支部，设立…), "对于…，"
# (对于受到留党察看处分一年的党员，…应当延长…).
_CONDITION = re.compile(rf"的[，；]$|(?:{FIGURE.pattern})[^，；。的》]{{0,3}}的[^，；。的]{{1,4}}[，；]$|"
                        r"^(?:对于|凡是?)|^对[^，；。]*的[^，；。的]{1,8}[，；]$|"
                        r"^在[^，；。]*(?:上|中|下|时|后|前|期间)[，；]$")
_NEGATIONS = "不无非未没"
JUDGE_AGREE = 0.8  # share of a claim's character bigrams the deciding sentence must hold for 对
JUDGE_NEAR = 0.5  # …and at least this much to call a contradiction 错
NEAR_CLAUSE = 0.3  # share of a claim's bigrams a clause of the deciding sentence holds to be about it


def _squash(text: str) -> str:
    return _NOISE.sub("", text)


@lru_cache(maxsize=4096)
def _bigrams(text: str) -> frozenset[str]:
    """Cached: the same sentences are compared with the question for every option and form."""
    return char_bigrams(text, _NOISE)


def _share(want: str, sentence: str) -> float:
    a = _bigrams(want)
    return len(a & _bigrams(sentence)) / len(a) if a else 0.0


def _run(stem: str, sentence: str) -> int:
    """The longest run of characters the stem and the sentence share (punctuation out), up to 8."""
    a, b = _squash(stem), _squash(sentence)
    for k in range(min(8, len(a)), 1, -1):
        if any(a[i:i + k] in b for i in range(len(a) - k + 1)):
            return k
    return 0


def _sentences(quotes: Sequence[Quote]) -> list[tuple[Quote, int]]:
    """Every sentence of the quoted units, the quoted ones first (in quote order), then the rest of
    each unit: an option or a figure may sit in a sentence search did not pick."""
    out: list[tuple[Quote, int]] = []
    for q in quotes:
        out.extend((q, n) for n in q.sents if n is not None)
    for q in quotes:
        out.extend((q, n) for n in range(len(q.unit.sentences)) if n not in q.sents)
    return out


def _answer(q: Quote, text: str, *, whole: int | tuple[int, ...] | None = None) -> Block:
    """An answer block citing `q`'s unit; `whole`: the sentence(s) it quotes in full (left out of
    the evidence below, so no sentence is shown twice)."""
    nos = () if whole is None else (whole,) if isinstance(whole, int) else whole
    lines = tuple(Line(q.unit.sentences[n], n) for n in nos)
    return Block(kind="answer", text=text, doc_id=q.doc.doc_id, ref=q.unit.ref, marker=marker(q.doc, q.unit),
                 lines=lines)


def _sentence_answer(q: Quote, n: int, lead: str = "") -> Block:
    return _answer(q, f"{lead}{q.unit.sentences[n]}", whole=n)


# -- choice ------------------------------------------------------------------------------------

# "D.以上都是" / "以上均正确" / "ABC都对": the option that stands for all the others
ALL_ABOVE = re.compile(r"^(?:以上|上述|[A-H]{2,})(?:选项|各项|三项|四项)?(?:都|均|皆|全)"
                       r"(?:是|对|正确|属于|包括)?$|^以上全部$")
PRESENT = 0.75  # share of an option's character bigrams one sentence must hold for the option to be "stated"
ABSENT = 0.5  # …and below this share it is not stated anywhere (an exclusion question's odd one out)
ODD_MARGIN = 0.25  # …or up to ABSENT, when it is this much further from stated than every other option


def _written(option: Option) -> tuple[str, ...]:
    """The ways the documents may write an option (`Option.variants`), punctuation out."""
    return tuple(dict.fromkeys(w for v in option.variants if (w := _squash(v))))


def _presence(want: str, sentence: str) -> float:
    """How far a sentence states an option (`want`: as the documents write it, see `_written`): 1
    when it holds the option verbatim, else the share of its bigrams it holds (short options must
    be verbatim)."""
    if not want:
        return 0.0
    if want in _squash(sentence):
        return 1.0
    return _share(want, sentence) if len(want) > 3 else 0.0


def _in_order(option: str, window: str) -> bool:
    """The option's characters in order within `window` (三至五 in 三年至五年)."""
    it = iter(window)
    return all(ch in it for ch in option)


def _context(q: Quote, n: int) -> str:
    """A sentence with what it means in its unit: an item of a （一）…（N） list with its lead, any
    other sentence with the one its pronoun refers to (`answer.list_leads`, `answer.antecedent_span`)."""
    lead = list_leads(q.unit).get(n)
    return lead + q.unit.sentences[n] if lead is not None else _with_antecedent(q, n)


def _with_antecedent(q: Quote, n: int) -> str:
    return "".join(q.unit.sentences[i] for i in antecedent_span(q.unit, n))


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where a stem's blank falls in one quoted sentence: the text after the words before the blank
    (`after`, cut where the stem's next words resume when they do, `uncut` when not) and the text
    before the words after the blank (`before`)."""

    score: float
    q: Quote
    n: int
    after: str = ""
    uncut: str = ""
    before: str = ""
    at: int = 0  # where the stem's words after the blank begin in the squashed sentence
    rest: str = ""  # the sentence from the blank on, when the words before it were found


def _slots(form: Form, quotes: Sequence[Quote]) -> list[_Slot]:
    """For each quoted sentence that reads like the stem around its blank, where the blank falls;
    best first."""
    parts = BLANK.split(form.stem, maxsplit=1)
    if len(parts) < 2:
        return []
    pre, post = _squash(parts[0]), _squash(parts[1])
    out: list[_Slot] = []
    for q, n in _sentences(quotes):
        squashed = _squash(q.unit.sentences[n])
        share = _share(form.stem, _context(q, n))
        for k in (8, 6, 4, 3):
            tail = pre[-k:]
            # every place the words before the blank recur (具备党员条件的，应当按期转为…；不具备党员
            # 条件的，应当取消…): the one the words after the blank follow scores higher
            found = [m.end() for m in re.finditer(re.escape(tail), squashed)] if len(tail) == k else []
            for end in found:
                rest = squashed[end:]
                j = rest.find(post[:4]) if post[:4] else -1
                cut = rest[:j] if 0 < j <= 24 else rest[:24]
                out.append(_Slot(k + (4 if j > 0 else 0) + share, q, n, after=cut, uncut=rest[:24],
                                 rest=rest[:j] if j > 0 else rest))
            if found:
                break
        else:
            for k in (8, 6, 4):  # the words after the blank, when those before it were paraphrased
                head = post[:k]
                if len(head) < k or (i := squashed.find(head)) <= 0:
                    continue
                out.append(_Slot(k + share, q, n, before=squashed[max(0, i - 24):i], at=i))
                break
    return sorted(out, key=lambda sl: -sl.score)


def _listed(options: Sequence[Option], written: dict[str, tuple[str, ...]], text: str) -> list[Option]:
    """The options `text` holds, each at a place of its own: 一年 inside 一年半 or 统一战线 inside
    爱国统一战线 is the longer option, not a second one; 警告 beside 严重警告 is a second one."""
    taken: list[tuple[int, int]] = []
    found: set[str] = set()
    spellings = sorted(((w, o.letter) for o in options for w in written[o.letter]), key=lambda p: -len(p[0]))
    for w, letter in spellings:
        for m in re.finditer(re.escape(w), text):
            if not any(a <= m.start() and m.end() <= b for a, b in taken):
                found.add(letter)
                taken.append((m.start(), m.end()))
    return [o for o in options if o.letter in found]


def _fits(w: str, slot: _Slot) -> bool:
    """Does an option, as the documents write it, stand in the slot?"""
    if slot.before:
        return w in slot.before[-(len(w) + 3):]
    return any(text.startswith(w) or (len(w) <= 4 and _in_order(w, text[:len(w) * 2 + 1]))
               for text in (slot.after, slot.uncut) if text)


def _choice(form: Form, quotes: Sequence[Quote]) -> Block | None:
    options = form.options
    written = {o.letter: _written(o) for o in options}
    every = [o for o in options if ALL_ABOVE.match(_squash(o.text))]
    if not form.exclusion:
        for slot in _slots(form, quotes)[:3]:
            fitting = [o for o in options if any(_fits(w, slot) for w in written[o.letter])]
            listed = _listed(options, written, slot.rest)
            if fitting and len(listed) > 1 and not SINGLE.search(form.stem):
                if len(every) == 1 and len(listed) == len(options) - 1:
                    return _chosen(every, slot.q, slot.n)  # "以上都是": the others are all in it
                return _chosen(listed, slot.q, slot.n)  # the blank is an enumeration: every option in it
            if fitting and not form.multi:  # 一年半 over 一年: the longest option that fits
                fitting = [max(fitting, key=lambda o: max(len(w) for w in written[o.letter]))]
            if fitting:
                return _chosen(fitting, slot.q, slot.n)
    sentences = _sentences(quotes)
    if not sentences:
        return None
    where: dict[str, tuple[float, Quote, int]] = {}  # option → how far stated, and the sentence that does
    for o in options:
        best = (-1.0, -1.0)
        for q, n in sentences:  # quoted sentences first: on a tie the first one stays
            p = max((_presence(w, _with_antecedent(q, n)) for w in written[o.letter]), default=0.0)
            if p < best[0]:
                continue
            # of the sentences that state it equally, the one that reads most like the stem
            read = _share(form.stem, _context(q, n)) if p > 0 else 0.0
            if (p, read) > best:
                best = (p, read)
                where[o.letter] = (p, q, n)
    stated = [o for o in options if where[o.letter][0] >= PRESENT]
    if len(every) == 1 and not form.exclusion and all(o in stated for o in options if o is not every[0]):
        _p, q, n = max((where[o.letter] for o in stated),
                       key=lambda w: _share(form.stem, _context(w[1], w[2])))
        return _chosen(every, q, n)  # "以上都是": every other option is stated
    if form.exclusion:
        # the odd one out: the only option not stated, and stated clearly less than any other
        # (选举党的中央委员会 shares half its words with 选举同级党的委员会, the others are there)
        absent = [o for o in options if where[o.letter][0] < PRESENT]
        if len(absent) != 1 or len(stated) != len(options) - 1:
            return None
        odd = where[absent[0].letter][0]
        if odd >= ABSENT and odd > min(where[o.letter][0] for o in stated) - ODD_MARGIN:
            return None
        text = f"不包括：{absent[0].letter}. {absent[0].text}（其余各项原文均有，这一项没有）"
        return _answer(where[stated[0].letter][1], text)
    verbatim = [o for o in stated if where[o.letter][0] == 1.0]
    stated = verbatim or stated  # an option the text holds word for word beats a near match
    if not stated:
        return None
    if form.multi:
        _p, q, n = where[stated[0].letter]
        return _chosen(stated, q, n)
    # one answer: the stated option whose sentence (with its list's lead) reads most like the stem
    ranked = sorted(((_share(form.stem, _context(where[o.letter][1], where[o.letter][2])), o)
                     for o in stated), key=lambda v: -v[0])
    if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < 0.05:
        return None  # two options stated about as well: the text does not decide between them
    o = ranked[0][1]
    return _chosen([o], where[o.letter][1], where[o.letter][2])


def _chosen(chosen: Sequence[Option], q: Quote, n: int) -> Block:
    letters = "".join(o.letter for o in chosen)
    named = "；".join(f"{o.letter}. {o.text}" for o in chosen)
    return _answer(q, f"应选 {letters}：{named}\n原文：{_with_antecedent(q, n)}",
                   whole=antecedent_span(q.unit, n))


# -- true / false ------------------------------------------------------------------------------


def _figures(text: str) -> set[str]:
    """The figures and frequencies a sentence states: 每年 is not what 每半年 says."""
    return set(FIGURE_OR_FREQUENCY.findall(text))


# Whom a denial speaks of: the claim's own subject, another's, or no denial at all.
Denial = Literal["own", "other", ""]


def _of_subject(claim_before: str, sentence_before: str) -> bool:
    """More than half the claim's words before its act (its subject) stand before the sentence's:
    both speak of one subject."""
    subject = _bigrams(claim_before)
    return len(subject & _bigrams(sentence_before)) > 0.5 * len(subject)


def _negation_clash(claim: str, sentence: str) -> Denial:
    """One says 不X / 无X / 非X where the other says X: "own" when of the same subject (more than
    half the claim's words before X are before it in the sentence too: 无记名投票 against 记名投票),
    "other" when only of another (基层党委，不能审批预备党员 says nothing of 党支部能审批预备党员,
    though it denies someone the act), "" for no such clash."""
    found: Denial = ""
    for a, b, claim_negates in ((claim, sentence, True), (sentence, claim, False)):
        for i, ch in enumerate(a):
            if ch in _NEGATIONS and i + 3 <= len(a):
                word = a[i + 1:i + 3]
                if len(_squash(word)) == 2 and word in b and (ch + word) not in b:
                    j = b.find(word)
                    if _of_subject(a[:i], b[:j]) if claim_negates else _of_subject(b[:j], a[:i]):
                        return "own"
                    found = "other"
    return found


# A denial and the assertion it denies: 没有表决权 denies 有表决权, 不能作入党介绍人 denies 能当入党介绍人…
_DENIALS = (("没有", "有"), ("不能", "能"), ("不能", "可以"), ("不得", "可以"), ("不得", "能"),
            ("不可以", "可以"), ("严禁", "可以"), ("禁止", "可以"))
# …and the other way round, a claim that denies what the rule requires or allows: 不必坚持 against
# 必须坚持, 不应当 against 应当.
_REFUSALS = (("不必", "必须"), ("无须", "必须"), ("不应当", "应当"), ("不应该", "应该"), ("不需要", "需要"),
             ("没有", "有"), ("不能", "能"), ("不可以", "可以"))
_CLAUSE_END = re.compile(r"[，。；！？]")


def _clause_after(text: str, at: int) -> str:
    stop = _CLAUSE_END.search(text, at)
    return text[at:stop.start() if stop else len(text)]


def _asserted(text: str, word: str) -> list[re.Match[str]]:
    """Where `text` says `word` as a verb, unnegated (能 not of 功能, 可以 not of 不可以)."""
    return [m for m in re.finditer(re.escape(word), text)
            if (m.group() not in VERB_ANSWERS or any(v.start() == m.start() and v.group() == word
                                                     for v in verbs(text)))
            and not (m.start() > 0 and text[m.start() - 1] in _NEGATIONS)]


def _denied(claim: str, sentence: str) -> Denial:
    """One denies what the other asserts: the sentence says 没有/不能/不得… of what the claim says
    有/能/可以 of, or the claim says 不必/不应当… of what the sentence says 必须/应当 of — most of the
    claim's words after its verb recur after the other's, in its clause. "own" when more than half
    of the claim's words before it (its subject) stand before the other's, "other" when not
    (基层党委，不能审批预备党员 denies nothing of 党支部, though 党支部 is named later in the sentence),
    "" for no denial."""
    found: Denial = ""
    for pairs, claim_denies in ((_DENIALS, False), (_REFUSALS, True)):
        for neg, pos in pairs:
            for m in (_asserted(sentence, pos) if claim_denies else re.finditer(neg, sentence)):
                span = _bigrams(_clause_after(sentence, m.end()))
                for c in (re.finditer(neg, claim) if claim_denies else _asserted(claim, pos)):
                    said = _bigrams(_clause_after(claim, c.end()))  # what the claim says it of
                    if said and len(said & span) >= 0.6 * len(said):
                        if _of_subject(claim[:c.start()], sentence[:m.start()]):
                            return "own"
                        found = "other"
    return found


# Words of obligation a claim may ask with where the rule says another (要按期交纳党费 ↔ 应当按期
# 交纳党费): one for another, the claim's is left out of the comparison with a sentence that obliges
# the same act (its word of obligation, unnegated, right before the claim's next words). Permission
# (可以, 能) is not obligation, and an obligation of another act (对信仰宗教的党员，应当加强思想教育)
# says nothing of 要信仰宗教.
_OBLIGED = re.compile(rf"(?<![不没未无])(?:{alternation(OBLIGATION)})")
# The verb after which a claim says its act, and before which its subject: an obligation, a rule's
# modal, 能 or 有 (`_said_of`).
_ANCHOR = re.compile(rf"(?<![不没未无])(?:{alternation(OBLIGATION, RULE_MODALS, ('能', '有'))})")


def _said_of(claim: str, sentence: str) -> bool:
    """The sentence says the claim's act of the claim's subject: the words after the claim's modal
    or 有 (its act) stand in the sentence, with the claim's subject before them (`_of_subject`).
    党员领导干部应当自觉参加双重组织生活 does not say 党组织应当自觉参加…. True for a claim with no
    such verb, or no subject before it."""
    m = _ANCHOR.search(claim)
    if m is None:
        return True
    act, before = claim[m.end():m.end() + 2], claim[:m.start()]
    if not _bigrams(before) or len(act) < 2:  # nothing before it, or nothing after it (…第一要务) to place
        return True
    every = re.finditer(f"(?={re.escape(act)})", sentence)  # each place the act stands, overlaps too
    return any(_of_subject(before, sentence[:at.start()]) for at in every)


def _verdict(claim: str, quotes: Sequence[Quote]) -> tuple[bool | None, Quote | None, int]:
    """Whether the quoted text states a claim (True), plainly contradicts it (False: another figure,
    不X for X) or neither (None); with the deciding sentence."""
    obliged = _OBLIGED.search(claim)
    act = claim[obliged.end():obliged.end() + 2] if obliged else ""
    bare = claim[:obliged.start()] + claim[obliged.end():] if obliged else claim

    def closeness(sentence: str) -> float:
        same_act = len(act) == 2 and any(sentence[m.end():m.end() + 2] == act
                                         for m in _OBLIGED.finditer(sentence))
        return _share(bare if same_act else claim, sentence)

    scored = [(closeness(q.unit.sentences[n]), q, n) for q, n in _sentences(quotes)]
    if not scored:
        return None, None, 0
    share, q, n = max(scored, key=lambda v: v[0])
    sentence = q.unit.sentences[n]
    if share < JUDGE_NEAR:
        return None, q, n
    claimed, stated = _figures(claim), _figures(sentence)
    # a 不X / 无X is read in the clauses that speak of what the claim does: 党政机关应当建立国内公务接待
    # 审批控制制度 is what the sentence says, whatever its later clause says of 非公务活动
    near = "".join(c for c in _CLAUSE_SPLIT.split(sentence) if c and _share(claim, c) >= NEAR_CLAUSE)
    denials = (_negation_clash(claim, near), _denied(claim, sentence))
    if (claimed and stated and not claimed <= stated) or "own" in denials:
        return False, q, n
    if any(denials):  # a sentence that denies the act to another subject neither states nor denies it
        return None, q, n
    if share >= JUDGE_AGREE and (not claimed or claimed <= stated) and _said_of(claim, sentence):
        return True, q, n
    return None, q, n


def _judge(form: Form, quotes: Sequence[Quote]) -> Block | None:
    verdict, q, n = _verdict(form.claim, quotes)
    if verdict is None or q is None:
        return None
    said = form.answers[0] if verdict else form.answers[1]
    if chosen := verdict_options(form.options).get(verdict):  # pasted as A.正确 B.错误
        named = chosen.text if chosen.text == said else f"{chosen.text}（{said}）"
        return _answer(q, f"应选 {chosen.letter}：{named}\n原文：{q.unit.sentences[n]}", whole=n)
    return _answer(q, f"{said}。原文：{q.unit.sentences[n]}", whole=n)


def _statements(form: Form, quotes: Sequence[Quote]) -> Block | None:
    """下列说法正确（错误）的是: each option judged as a true/false claim; the one the text states
    (or, asked for the wrong one, the one it contradicts or alone does not state)."""
    judged = [(o, *_verdict(o.text, quotes)) for o in form.options]
    true = [j for j in judged if j[1] is True]
    if form.exclusion:
        false = [j for j in judged if j[1] is False]
        pick = false if len(false) == 1 else [j for j in judged if j[1] is not True]
        if len(pick) != 1 or (len(false) != 1 and len(true) != len(judged) - 1):
            return None
    else:
        pick = true
        if len(pick) != 1 and not (form.multi and pick):
            return None
    deciding = next(((q, n) for _o, _v, q, n in pick if q is not None), None)
    return _chosen([j[0] for j in pick], *deciding) if deciding else None


# -- numbers, counts, blanks -------------------------------------------------------------------


_AT_MOST = re.compile(alternation(AT_MOST))
_AT_LEAST = re.compile(alternation(AT_LEAST))


def _bound(text: str) -> str:
    """"most" or "least" when the text bounds a figure that way (see vocabulary.AT_MOST), else ""."""
    if _AT_MOST.search(text):
        return "most"
    return "least" if _AT_LEAST.search(text) else ""


def _agrees(stem: str, text: str) -> bool:
    """The question asks for a bound (最多, 以上) and the text states one the same way."""
    asked = _bound(stem)
    return bool(asked) and _bound(text) == asked


def _clause(sentence: str, stem: str) -> str:
    """The clause of a sentence that holds a figure, bounds it the way the question asks (最多 → 最长
    不超过一年, not 不能少于半年) and shares most with the question."""
    clauses = [c for c in _CLAUSE_SPLIT.split(sentence) if c]
    with_figure = [c for c in clauses if FIGURE.search(c)]
    if not with_figure:
        return ""
    # a figure the question states itself (不足7人的党支部设几名书记) is not the one it asks for
    given = set(FIGURE.findall(stem))
    with_figure = [c for c in with_figure if set(FIGURE.findall(c)) - given] or with_figure
    best = max(with_figure, key=lambda c: (_agrees(stem, c), _share(stem, c) + 0.01 * _share(c, stem)))
    i = clauses.index(best)
    # a clause that opens with its figure ("每届任期三年至五年") reads better with the one before it
    if i > 0 and len(_squash(best)) < 12:
        best = clauses[i - 1] + best
    # a condition ("机关党员50人以上、100人以下的，") says nothing by itself: what holds under it
    # follows, up to the first clause that is not a condition too
    last = clauses[i]
    while _CONDITION.search(last) and i + 1 < len(clauses):
        i += 1
        last = clauses[i]
        best += last
    return best.rstrip("，；：。")


def _number(form: Form, quotes: Sequence[Quote]) -> Block | None:
    """The clause stating the figure, from the best unit's quoted sentences only (the figure check
    in rag/search.py quoted the answering sentence): of those that hold a figure, the one that
    bounds it as the question asks and shares most with it, the earliest on a tie — a unit's
    quotes are in text order, and its first figure may be another one
    (机关正式党员3人以上 before 支部书记…每届任期一般为3年)."""
    q = quotes[0]
    kind = figure_kind(form.stem)
    # a figure of the kind asked for (多少年 is not answered by 7人以上); 从什么时候算起 by the
    # point a span starts (…之日算起), not by the span (为一年)
    said = kind_figure(kind) if kind else FIGURE
    quoted = [n for n in q.sents if n is not None]
    with_figure = ([n for n in quoted if said.search(q.unit.sentences[n])]
                   or [n for n in quoted if FIGURE.search(q.unit.sentences[n])])
    if not with_figure:
        return None
    about = asked_about(form.stem) or form.stem
    n = max(with_figure, key=lambda n: (_agrees(form.stem, q.unit.sentences[n]),
                                        _share(about, q.unit.sentences[n]), -n))
    sentence = q.unit.sentences[n]
    clause = _clause(sentence, form.stem)
    if clause and clause != sentence.rstrip("。"):
        return _answer(q, clause)
    return _sentence_answer(q, n)


def _count(quotes: Sequence[Quote]) -> Block | None:
    """How many items the best unit's quoted list has, with the list's lead sentence."""
    q = quotes[0]
    for rng in enumerations(q.unit):
        if rng[0] in q.sents:
            items = sum(1 for i in rng[1:] if is_clause(q.unit.sentences[i]))
            lead = q.unit.sentences[rng[0]].rstrip("：:")
            return _answer(q, f"共{int_to_cn(items)}项：{lead}（见下）")
    return None


_ASKS_WHAT = re.compile(alternation(WHICH_WHAT, (WHICH,)))


def _remaining(form: Form, quotes: Sequence[Quote]) -> Block | None:
    """"…学史明理、学史增信、学史崇德和什么": the question names some items of a （一）…（N） list and
    asks for the rest — the items it leaves out, in the list's own words."""
    stem = _squash(form.stem)
    if not _ASKS_WHAT.search(stem):
        return None
    for q in quotes[:2]:
        for rng in enumerations(q.unit):
            items = [(i, _squash(clause_text(q.unit.sentences[i])))
                     for i in rng[1:] if is_clause(q.unit.sentences[i])]
            named = [i for i, key in items if key and key in stem]
            missing = [i for i, key in items if key and key not in stem]
            if len(named) >= 2 and 0 < len(missing) <= len(items) - 2:
                text = "还有：" + "".join(q.unit.sentences[i] for i in missing)
                return _answer(q, text, whole=tuple(missing))
    return None


def _clause_of(fill: str, sentence: str) -> str:
    """`fill` (punctuation squashed out) as the sentence writes it, up to the end of its clause."""
    start = _squash(sentence).find(fill)
    if start < 0:
        return fill
    i = _unsquashed(start, sentence)
    out: list[str] = []
    for ch in sentence[i:]:
        if ch in "，。；：！？,;:" or len(_squash("".join(out))) >= len(fill):
            break
        out.append(ch)
    return "".join(out).strip() or fill


def _blank(form: Form, quotes: Sequence[Quote]) -> Block | None:
    """The words of the quoted sentence that stand where the question's blank is."""
    for slot in _slots(form, quotes)[:1]:
        sentence = slot.q.unit.sentences[slot.n]
        if slot.after:
            filled = _clause_of(slot.after, sentence)
            return _answer(slot.q, f"答案：{filled}\n原文：{sentence}", whole=slot.n)
        if slot.before and BLANK.match(form.stem.strip()) and (filled := _clause_before(slot.at, sentence)):
            # the blank opens the stem (___是党的各级组织…): what opens the sentence's clause fills it
            return _answer(slot.q, f"答案：{filled}\n原文：{sentence}", whole=slot.n)
        return _sentence_answer(slot.q, slot.n, lead="原文：")
    return None


def _clause_before(chars: int, sentence: str) -> str:
    """The words of `sentence` before the stem's words resume — `chars` characters when punctuation
    is squashed out, as `_slots` counts them — from the start of their clause."""
    end = _unsquashed(chars, sentence)
    return _CLAUSE_START.split(sentence[:end])[-1].strip() if len(_squash(sentence[:end])) == chars else ""


def _unsquashed(offset: int, sentence: str) -> int:
    """A squashed offset (punctuation out, as `_squash` counts) mapped back onto the sentence: the
    index just after its first `offset` characters that are not punctuation."""
    seen, i = 0, 0
    while i < len(sentence) and seen < offset:
        seen += bool(_squash(sentence[i]))
        i += 1
    return i


def _procedure(quotes: Sequence[Quote]) -> Block | None:
    """The quoted sentence of the best unit that sets a procedure out (the search path quoted the
    one about what is asked, rag/search.py `procedure_sentence`); a list's lead opens with its steps
    counted, as a counted list does."""
    q = quotes[0]
    stating = [n for n in q.sents if n is not None and STATES_PROCEDURE.search(q.unit.sentences[n])]
    if not stating:
        return None
    if q.unit.sentences[stating[0]].rstrip().endswith(("：", ":")) and (counted := _count(quotes)):
        return counted
    return _sentence_answer(q, stating[0])


# -- definitions -------------------------------------------------------------------------------


def _defining(stem: str, q: Quote) -> int | None:
    """For a question for what X is, the sentence of the unit that defines X (forms.defines): of
    those the one with the longest part of X, the first on a tie. None when the unit has none."""
    term = defined_term(stem)
    if not term:
        return None
    best: tuple[int, int] | None = None
    for n, sentence in enumerate(q.unit.sentences):
        k = defines(term, sentence)
        if k and (best is None or k > best[0]):
            best = (k, n)
    return best[1] if best else None


# -- the answer first -------------------------------------------------------------------------


def answer_first(form: Form, quotes: Sequence[Quote]) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """The direct answer(s) for `form` from `quotes` (the evidence search picked), and notes: one
    answer, or one for each question of a text that asks several (`_each_part`)."""
    if len(heads := _each_part(form, quotes)) > 1:
        return heads, ()
    head, notes = _answer_first(form, quotes)
    return ((head,) if head is not None else ()), notes


def _each_part(form: Form, quotes: Sequence[Quote]) -> tuple[Block, ...]:
    """A text that asks several questions (预备期为多少年，延长时不能超过多长时间？, forms.parts): the
    answer to each that its form answers — a figure, a verdict, a count, a definition — in order,
    none twice; a part answered only by the sentence closest to it adds nothing."""
    if form.kind in ("choice", "blank") or len(ps := parts(form.stem)) < 2:
        return ()
    heads: list[Block] = []
    for p in ps:
        head, _notes = _answer_first(form_of(p), quotes, fallback=False)
        if head is not None and all(head.text != h.text for h in heads):
            heads.append(head)
    return tuple(heads)


def _answer_first(form: Form, quotes: Sequence[Quote], *,
                  fallback: bool = True) -> tuple[Block | None, tuple[Block, ...]]:
    """The direct answer for `form` from `quotes`, and notes; without `fallback`, None where only
    the sentence closest to the question would answer."""
    if not quotes:
        return None, ()
    notes: tuple[Block, ...] = ()
    head: Block | None = None
    if form.kind == "choice":
        head = _statements(form, quotes) if form.statements else _choice(form, quotes)
    elif form.kind == "polar":
        head = _judge(form, quotes)
        if head is None:  # the closest rule follows, but it does not say yes or no: say so
            yes, no = form.answers
            notes = (Block(kind="note", text=f"（原文没有直接说{yes}还是{no}；以上是相关规定。）"),)
    elif form.kind == "blank":
        head = _blank(form, quotes) or (_number(form, quotes) if form.asks_number else None)
    elif form.kind in ("number", "list"):  # how many items → the count; a figure → its clause
        head = (_remaining(form, quotes) if form.kind == "list" and not form.count else None) or (
            _count(quotes) if form.count or form.kind == "list" else None)
        if head is None and form.kind == "number":
            head = _number(form, quotes)
    elif form.kind == "why" and not any(STATES_REASON.search(q.unit.sentences[n])
                                        for q, n in _sentences(quotes[:1])):
        notes = (Block(kind="note", text="（原文没有说明原因；以上是相关规定。）"),)
    if head is None and form.procedure:
        head = _procedure(quotes)
    if head is None and form.kind in ("fact", "list", "blank"):
        head = _remaining(form, quotes)
    if head is None and form.kind == "fact" and not fallback:
        q = quotes[0]
        defined = _defining(form.stem, q)
        return (_sentence_answer(q, defined) if defined is not None else None), notes
    if head is None and fallback:
        q = quotes[0]
        quoted = [n for n in q.sents if n is not None]
        if not quoted:
            return None, notes
        # the sentence of the best unit that shares most with the question, quoted by search or not:
        # search orders sentences by BM25 and meaning, which favour a short sentence that shares the
        # question's common words over a longer one that also holds the word it asks about
        # a yes/no question's own verb (可以 of 预备党员可以选举吗) is where its answer goes, not what
        # it is about: a rule that says 可以 of something else is not closer for it
        pieces = (form.stem.split(form.answers[0]) if form.kind == "polar" and form.answers[0] in form.stem
                  else [form.stem])
        want = frozenset().union(*(_bigrams(p) for p in pieces))

        def share(n: int) -> float:
            return len(want & _bigrams(q.unit.sentences[n])) / len(want) if want else 0.0

        def run(n: int) -> int:
            return max(_run(p, q.unit.sentences[n]) for p in pieces)

        def closest(nos: Sequence[int]) -> int:
            """Most shared bigrams; on a tie the longer shared run (群众路线 over 基本…路线)."""
            top = max(share(n) for n in nos)
            tied = [n for n in nos if share(n) == top]
            if len(tied) == 1:
                return tied[0]
            return max(tied, key=lambda n: (run(n), -n))

        best = closest(quoted)
        # any sentence of the unit but a titled unit's heading (it names the item; it requires nothing)
        heading = 1 if kinds.titled(q.unit) and len(q.unit.sentences) > 1 else 0
        other = closest(range(heading, len(q.unit.sentences)))
        if form.kind == "fact" and (defined := _defining(form.stem, q)) is not None:
            best = other = defined
        elif form.kind == "fact" and ASKS_WHO.search(form.stem) and (
                agents := [n for n in range(heading, len(q.unit.sentences))
                           if STATES_AGENT.search(q.unit.sentences[n])]):
            # who is asked for: of the unit's sentences that name who acts (由…), the closest —
            # 预备党员必须由党委审批, not …基层党委，不能审批预备党员 that shares more words
            best = other = closest(agents)
        # search's choice stands unless another sentence is closer (a question in English shares
        # nothing with any: search read its meaning), or as close with a longer shared run
        if share(other) > share(best) or (share(other) == share(best) and run(other) > run(best) + 1):
            best = other
        if q.unit.sentences[best].rstrip().endswith(("：", ":")):  # a list's lead: its count opens
            return _count(quotes), notes
        head = _sentence_answer(q, best)
    return head, notes
