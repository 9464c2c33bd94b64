"""The search route's evidence: document-aware ranking, calibrated confidence, what to quote.

`find(ctx, q)` runs the search path's steps, each by its part of `ctx.ranking` (rag/ranking.py):

    signals  `signals`         BM25 and dense, fused (rag/retrieve.py), within the question's scope
    rank     `rank_documents`  document-aware order by absolute evidence, the answer's shape
    pick     `pick`            whether the corpus answers; the units and sentences to quote (a
                               true/false claim's deciding sentence first), and whether what was
                               asked for — a number, a time limit — is actually in them
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from . import answer as compose
from . import kinds
from .answer import Quote
from .catalog import Catalog
from .embed import Embedder
from .figures import Figure, covers, figure_of, figure_sentence, not_stated
from .forms import ASKS_LIST as _ASKS_LIST
from .forms import (
    ASKS_PROCEDURE,
    ASKS_WHO,
    ASKS_WHY,
    BLANK,
    STATES_AGENT,
    STATES_PROCEDURE,
    STATES_REASON,
    defined_term,
    defines,
    parts,
)
from .index_load import Index
from .query import Query
from .ranking import DEFAULT, RankSettings
from .records import Document, Hit, Unit, unit_key
from .text import PUNCTUATION, char_bigrams
from .vocabulary import HOW_MANY, WHICH, WHICH_WHAT

if TYPE_CHECKING:  # retrieval (numpy, BM25, the stores) loads with the first free question
    from .retrieve import Evidence

_QUOTED = re.compile(r"[“\"「『‘]([^“”\"「」『』‘’]{2,20})[”\"」』’]")


@dataclass(frozen=True, slots=True)
class Context:
    """What routes read: the loaded index, the question encoder, document names, and the search
    path's settings (the abstention bar among them)."""

    index: Index
    emb: Embedder
    catalog: Catalog
    ranking: RankSettings = DEFAULT

    @property
    def min_strength(self) -> float:
        return self.ranking.min_strength

    @property
    def order(self) -> list[str]:
        """Document order for grouped answers: primary first, then as in the manifest."""
        return [d.doc_id for d in self.catalog.docs]

    def unit(self, key: str) -> tuple[Document, Unit] | None:
        """The unit at "doc_id#ref" (a bare ref is the primary document's)."""
        return self.catalog.unit(key if "#" in key else unit_key(self.catalog.primary.doc_id, key))


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[Hit, ...]
    confident: bool
    quotes: tuple[Quote, ...] = ()
    not_stated: str = ""  # what the question asks for that no quoted sentence states
    near: tuple[str, ...] = ()  # units worth suggesting when the corpus does not answer
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def retrieved(self) -> tuple[str, ...]:
        return tuple(h.key for h in self.hits)


def _scoped(ev: Evidence, docs: Sequence[str]) -> tuple[Hit, ...]:
    return tuple(h for h in ev.hits if not docs or h.doc_id in docs)


def _quoted(text: str) -> list[str]:
    return [p for p in _QUOTED.findall(text) if len(p) >= 2]


def _shape_bonus(r: RankSettings, q: Query, unit: Unit, figure: Figure | None,
                 list_words: dict[str, float] | None, who_words: dict[str, float] | None = None,
                 steps_words: dict[str, float] | None = None, term: str = "",
                 why_words: dict[str, float] | None = None) -> float:
    """Evidence that a unit has the shape of the answer asked for: a sentence stating the figure a
    number question asks for, a （一）…（N） list whose lead names what a list question asks for,
    a sentence that decides a true/false claim, a sentence that names who acts (由…) on what a
    who-question asks about, a sentence that gives a reason or purpose (为了…) for what a why-question
    asks about, a sentence that sets out the procedure a question asks for, a sentence
    that defines what a what-is question asks about (党的基层组织是…; `define_cover` of its name at least:
    党员是… does not define 流动党员)."""
    bonus = 0.0
    if figure is not None and figure_sentence(figure, unit, r) is not None:
        bonus += r.shape_bonus
    if list_words is not None and any(covers(list_words, lead := unit.sentences[rng[0]]) >= r.answer_cover
                                      and _names_kinds(q.text, lead)
                                      for rng in compose.enumerations(unit)):
        bonus += r.shape_bonus
    if q.claim and _claim_sentence(unit, q.claim)[0] >= r.claim_share:
        bonus += r.shape_bonus
    if who_words is not None and _says(STATES_AGENT, who_words, unit, r):
        bonus += r.shape_bonus
    if why_words is not None and _says(STATES_REASON, why_words, unit, r):
        bonus += r.shape_bonus
    if steps_words is not None and procedure_sentence(steps_words, unit, r) is not None:
        bonus += r.shape_bonus
    if term and any(defines(term, s, math.ceil(r.define_cover * len(term)), colon=False)
                    for s in unit.sentences):
        bonus += r.shape_bonus
    return bonus


# A list question that asks which kinds (哪几种, 有哪些类): its list's lead names kinds (种类, 分为…类),
# as a count of kinds is answered (rag/figures.py `_counted_leads`), not principles or duties.
_ASKS_KINDS = re.compile(rf"(?:{WHICH_WHAT[0]}|{WHICH}{HOW_MANY}?|有?{HOW_MANY})([种类])")


def _names_kinds(question: str, lead: str) -> bool:
    asked = _ASKS_KINDS.search(question)
    return asked is None or asked.group(1) in lead


def _says(marker: re.Pattern[str], words: dict[str, float], unit: Unit, r: RankSettings) -> bool:
    """Some sentence of the unit has `marker` (由…, 为了…) and, with the unit's own heading, holds
    `answer_cover` of the question's words."""
    own = kinds.own_heading(unit)
    return any(marker.search(s) and covers(words, own + s) >= r.answer_cover for s in unit.sentences)


def procedure_sentence(words: dict[str, float], unit: Unit, r: RankSettings) -> int | None:
    """The sentence of a unit that sets out the procedure a question asks for: it states one
    (forms.STATES_PROCEDURE) and, with the unit's own heading, holds `answer_cover` of the question's
    words (预备党员转正的手续是：… for 预备党员转正要经过哪些程序, not 接收预备党员的主要程序是：)."""
    own = kinds.own_heading(unit)
    stating = [(covers(words, own + s), n) for n, s in enumerate(unit.sentences)
               if STATES_PROCEDURE.search(s)]
    best = max(stating, default=None)
    return best[1] if best is not None and best[0] >= r.answer_cover else None


def _option_read(unit: Unit, stem: str, options: tuple[str, ...]) -> float:
    """How closely the unit's best sentence that holds one of a choice question's options word for
    word reads like the stem (share of the stem's bigrams, the sentence read with its list's lead);
    0 when no sentence holds an option. At `choice_read` or more it is the sentence the quiz was
    made from, with the answer in its blank."""
    want = _bigrams(stem)
    if not want:
        return 0.0
    leads = compose.list_leads(unit)
    best = 0.0
    for n, sentence in enumerate(unit.sentences):
        said = "".join(unit.sentences[i] for i in compose.antecedent_span(unit, n))
        if any(o in _NOT_CHARS.sub("", said) for o in options):
            best = max(best, len(want & _bigrams(leads.get(n, "") + sentence)) / len(want))
    return best


def _list_words(ctx: Context, q: Query) -> dict[str, float] | None:
    """A list question's words ("党员有哪些义务" → 党员, 义务), weighted; None otherwise."""
    return _weighted_words(ctx, _ASKS_LIST.sub(" ", q.text)) if _ASKS_LIST.search(q.text) else None


@dataclass(frozen=True, slots=True)
class Asks:
    """What shape of answer a question asks for, worked out once per question: what figure it asks
    for (rag/figures.py), its words weighted by idf when it asks for a list (`_list_words`), else None."""

    figure: Figure | None
    list_words: dict[str, float] | None
    options: tuple[str, ...] = ()  # a choice question's options as the documents write them
    who_words: dict[str, float] | None = None  # a who-question's words (入党积极分子由谁来确定)
    steps_words: dict[str, float] | None = None  # a procedure question's words, its 程序 left out
    term: str = ""  # what a what-is question asks about (forms.defined_term)
    why_words: dict[str, float] | None = None  # a why-question's words, its 为什么 left out


def asks(ctx: Context, q: Query) -> Asks:
    options = tuple(dict.fromkeys(w for o in q.form.options for v in o.variants
                                  if len(w := _NOT_CHARS.sub("", v)) >= 2))
    asks_who = q.form.kind == "fact" and ASKS_WHO.search(q.text) is not None
    who = _weighted_words(ctx, ASKS_WHO.sub(" ", q.text)) if asks_who else None
    figure = figure_of(q, lambda text: _weighted_words(ctx, text))
    steps = (_weighted_words(ctx, ASKS_PROCEDURE.sub(" ", _ASKS_LIST.sub(" ", q.text)))
             if q.form.procedure else None)
    term = defined_term(q.form.stem) if q.form.kind == "fact" else ""
    why = _weighted_words(ctx, ASKS_WHY.sub(" ", q.text)) if q.form.kind == "why" else None
    choice = options if q.form.kind == "choice" else ()
    return Asks(figure, _list_words(ctx, q), choice, who, steps, term, why)


def rank_documents(hits: Sequence[Hit], q: Query, ctx: Context, shape: Asks | None = None) -> tuple[Hit, ...]:
    """The `rank` step: document-aware order over the fused ranking's window (`ctx.ranking`).

    Rank fusion is relative to each signal's list, so across documents of very different shape
    (the notice's long items, the regulations' short articles) it favours whichever document has
    more near-duplicates; the absolute evidence — `strength`, the dense similarity plus the share
    of the question's idf-weighted words a unit contains — compares units fairly. The primary
    document gets `primary_edge`: it is what this deployment is about, and the regulations back it.
    Units shaped like the answer asked for (a figure, a list, a deciding sentence) get
    `shape_bonus`. A phrase the question quotes (“城市之光”) puts the units containing it first.
    The dense term is read partly (`unit_meaning`) from the unit's own vector — its heading and
    whole text — rather than all from its best sentence (`RankSettings.ranking_strength`).
    """
    r = ctx.ranking
    primary = ctx.catalog.primary.doc_id
    phrases = _quoted(q.text)
    shape = shape or asks(ctx, q)
    figure, list_words, options, who_words = shape.figure, shape.list_words, shape.options, shape.who_words
    steps_words, term, why_words = shape.steps_words, shape.term, shape.why_words
    top = [(h, found[1]) for h in hits[:r.window] if (found := ctx.unit(h.key))]
    # else every bonus is 0
    shaped = (figure is not None or list_words is not None or bool(q.claim) or who_words is not None
              or steps_words is not None or bool(term) or why_words is not None)
    quoting = _quoting(q.form.stem, [u for _h, u in top], _names(ctx, q), r.verbatim_run)
    # a choice question: the units holding the sentence its stem was made from lead, best read first
    read = _read_options(ctx, q, [u for _h, u in top], options)

    # what a term is, when the regulations use it too, is asked of them: a work plan (the notice)
    # sets tasks and does not define terms (流动党员); one only the notice uses (红番计划) is its own
    defined_elsewhere = bool(term) and any(term in u.text for h, u in top if h.doc_id != primary)

    def key(pair: tuple[Hit, Unit]) -> tuple[bool, float, float]:
        h, unit = pair
        exact = (bool(phrases) and any(p in unit.text for p in phrases)) or unit.key in quoting
        edge = r.primary_edge if h.doc_id == primary and not defined_elsewhere else 0.0
        bonus = (_shape_bonus(r, q, unit, figure, list_words, who_words, steps_words, term, why_words)
                 if shaped else 0.0)
        strength = r.ranking_strength(h) + edge + bonus
        return (not (exact or unit.key in read), -read.get(unit.key, 0.0), -strength)

    return tuple(h for h, _u in sorted(top, key=key)) + tuple(hits[r.window:])


def _read_options(ctx: Context, q: Query, units: Sequence[Unit],
                  options: tuple[str, ...]) -> dict[str, float]:
    """A choice question's units that hold the sentence its stem was made from (`_option_read` at
    `choice_read` or more), with how closely they read; {} for any other question."""
    if not options:
        return {}
    stem = _unnamed(q.form.stem, _names(ctx, q))
    bar = ctx.ranking.choice_read
    return {u.key: r for u in units if (r := _option_read(u, stem, options)) >= bar}


_GRAM = 8
_NOT_CHARS = re.compile(r"[\s，。；：、“”‘’《》（）()〔〕,.;:？?！!·—…_＿\-]")


@lru_cache(maxsize=4096)
def _grams(text: str) -> frozenset[str]:
    """The _GRAM-character pieces of a unit's text, punctuation out (cached: units recur)."""
    chars = _NOT_CHARS.sub("", text)
    return frozenset(chars[i:i + _GRAM] for i in range(len(chars) - _GRAM + 1))


def _longest_run(parts: Sequence[str], grams: frozenset[str]) -> int:
    """The longest stretch of a question part found verbatim in a unit (at least _GRAM long, else 0)."""
    best = 0
    for part in parts:
        run = 0
        for i in range(len(part) - _GRAM + 1):
            run = run + 1 if part[i:i + _GRAM] in grams else 0
            best = max(best, run + _GRAM - 1 if run else 0)
    return best


def _quoting(stem: str, units: Sequence[Unit], names: Sequence[str], run: int) -> set[str]:
    """Keys of the units a question quotes: a quiz stem copies its sentence, blank and all
    ("…坚持(),是我们的立国之本"). The units holding the longest verbatim stretch of the stem (at
    least `run` characters), if any. Document names in the stem (`names`) are not a quote
    of the unit that carries the title, so they are cut out first."""
    for name in sorted(names, key=len, reverse=True):
        stem = stem.replace(name, "|")
    units = [u for u in units if kinds.numbered(u) or u.kind == "preamble"]
    parts = [p for chunk in re.split(r"\||" + BLANK.pattern, stem)
             if len(p := _NOT_CHARS.sub("", chunk)) >= _GRAM]
    if not parts or max(map(len, parts)) < run:
        return set()
    runs = {u.key: _longest_run(parts, _grams(u.text)) for u in units}
    best = max(runs.values(), default=0)
    return {k for k, n in runs.items() if n >= run and n >= best - 2}


def stem_quotes(ctx: Context, q: Query, units: Sequence[Unit]) -> set[str]:
    """Keys of the units whose text the question's stem quotes (`verbatim_run` characters in a row)."""
    return _quoting(q.form.stem, units, _names(ctx, q), ctx.ranking.verbatim_run)


def _names(ctx: Context, q: Query) -> list[str]:
    """Every name of the documents a question names (full titles, short names, aliases)."""
    return [n for d in q.named for n in (d.meta.title, *ctx.catalog.names(d))]


def _confident(hits: Sequence[Hit], r: RankSettings) -> bool:
    best = max((r.strength(h) for h in hits[:5]), default=0.0)
    return best == best and best >= r.min_strength  # NaN-safe


@lru_cache(maxsize=4096)  # ~6 KB each at most
def _bigrams(text: str) -> frozenset[str]:
    """Character bigrams, punctuation out. Cached: a true/false question compares its claim with
    every sentence of the best 40 units, and the corpus's sentences recur from question to question."""
    return char_bigrams(text, PUNCTUATION)


def _claim_sentence(unit: Unit, claim: str) -> tuple[float, int]:
    """The sentence of `unit` closest to a true/false claim, by shared character bigrams."""
    want = _bigrams(claim)
    if not want:
        return 0.0, 0
    return max((len(want & _bigrams(s)) / len(want), n) for n, s in enumerate(unit.sentences))


def _unnamed(stem: str, names: Sequence[str]) -> str:
    """A stem without the names of the documents it cites: 《中国共产党章程》规定 is not what any
    sentence of the 党章 says."""
    for name in sorted(names, key=len, reverse=True):
        stem = stem.replace(name, "")
    return stem.replace("《", "").replace("》", "")


def _read(ctx: Context, hits: Sequence[Hit], q: Query) -> bool:
    """A quiz question (choice, fill-in) some sentence of the best units reads like: its stem, or,
    when the options are the statements to judge (下列说法正确的是), one of them."""
    if q.form.statements:
        return any(_stem_read(ctx, hits, o.text) for o in q.form.options)
    if q.form.kind in ("choice", "blank"):
        return _stem_read(ctx, hits, _unnamed(q.form.stem, _names(ctx, q)))
    return True


def _stem_read(ctx: Context, hits: Sequence[Hit], stem: str) -> bool:
    """Whether some sentence of the best units reads like a choice question's stem. A quiz stem is
    a sentence of its source with a blank in it; when no sentence here comes close, the question
    comes from a text the corpus does not hold, and picking the option that happens to occur in
    a loosely related sentence would state a wrong answer."""
    want = _bigrams(stem)
    if not want:
        return True
    share = ctx.ranking.stem_share
    for h in hits[:5]:
        found = ctx.unit(h.key)
        if found and any(len(want & _bigrams(s)) >= share * len(want) for s in found[1].sentences):
            return True
    return False


def pick(ctx: Context, hits: Sequence[Hit], q: Query, docs: Sequence[str],
         figure: Figure | None = None, steps_words: dict[str, float] | None = None) -> list[Quote]:
    """The `pick` step: top units (within `unit_margin` of the best, at most `max_units`; the best
    of each named document when the question names several), up to two best sentences each — and
    first the sentence that decides a true/false claim, states the figure a number question asks
    for or sets out the procedure asked for.
    The best unit is quoted whole when it is a short article (`whole_unit` sentences at most): a
    reader checks the article, and the sentence that states the answer is often not one of the two
    that read most like the question."""
    r = ctx.ranking
    top = list(hits[:r.max_units])
    best = max(r.strength(h) for h in top)
    chosen = [h for i, h in enumerate(top) if i == 0 or r.strength(h) >= best - r.unit_margin]
    if len(docs) > 1:
        for doc_id in docs:
            if not any(h.doc_id == doc_id for h in chosen):
                extra = next((h for h in hits if h.doc_id == doc_id), None)
                if extra is not None and r.strength(extra) >= r.min_strength:
                    chosen.append(extra)
    quotes = []
    for hit in chosen:
        found = ctx.unit(hit.key)
        if found is None:
            continue
        doc, unit = found
        sents = [n for n in hit.sentences if not (kinds.titled(unit) and n == 0)][:2] or list(
            hit.sentences[:1]
        )
        if q.claim:
            share, n = _claim_sentence(unit, q.claim)
            if share >= 0.5 and n not in sents:
                sents = [n, *sents[:1]]
        if (
            figure is not None
            and (fig := figure_sentence(figure, unit, r)) is not None
            and fig not in sents
        ):
            sents = [fig, *sents[:1]]
        if (steps_words is not None and (step := procedure_sentence(steps_words, unit, r)) is not None
                and step not in sents):
            sents = [step, *sents[:1]]
        if hit is chosen[0]:  # a question of several (什么是X？什么情况下…？): a sentence for each
            for part in parts(q.text):
                share, n = _claim_sentence(unit, part)
                if share >= r.stem_share and n not in sents:
                    sents.append(n)
        if hit is chosen[0] and not kinds.titled(unit) and len(unit.sentences) <= r.whole_unit:
            sents = list(dict.fromkeys([*sents, *range(len(unit.sentences))]))  # the picked ones lead
        # a list asked for, or counted (共八项…见下): every item of it, not the best ones with gaps
        whole = bool(_ASKS_LIST.search(q.text)) or q.form.count or q.form.procedure
        quotes.append(compose.quote(doc, unit, sents, whole_lists=whole))
    return quotes


def _weighted_words(ctx: Context, text: str) -> dict[str, float]:
    """The words of a question (two characters or more) weighted by idf; a word the corpus never
    uses weighs as much as the average known word of the question (the rarest, if none is known)."""
    idf = ctx.index.bm25_unit.idf
    words = [t for t in ctx.index.tokenizer.tokens(text) if len(t) >= 2]
    known = [idf[t] for t in words if t in idf]
    unseen = sum(known) / len(known) if known else max(idf.values(), default=1.0)
    return {t: idf.get(t, unseen) for t in words}


def signals(ctx: Context, q: Query, *, docs: Sequence[str] = (), text: str = "") -> tuple[Hit, ...]:
    """The `signals` step: the fused window of units for a free-text question (rag/retrieve.py,
    by `ctx.ranking`), within `docs`. `text` replaces the question's text as the query."""
    from .retrieve import search

    return _scoped(search(ctx.index, ctx.emb, text or q.text, settings=ctx.ranking, docs=docs), docs)


def ranked(ctx: Context, q: Query, *, docs: Sequence[str] = (), text: str = "",
           shape: Asks | None = None) -> tuple[Hit, ...]:
    """Units for a free-text question in the order answers use: `signals`, then (when
    `doc_aware`) `rank_documents` — across documents, and within one named document too for a
    question in the asker's own words (the strength order compares its articles as it compares
    documents'); a quiz stem (choice, fill-in) within one document is `_quoted_first`: it was cut
    from one sentence, whose words the fused ranking finds as they stand."""
    hits = signals(ctx, q, docs=docs, text=text)
    if not ctx.ranking.doc_aware:
        return hits
    if len(docs) != 1 or q.form.kind not in ("choice", "blank"):
        return rank_documents(hits, q, ctx, shape)
    return _quoted_first(ctx, q, hits, shape)


def _quoted_first(ctx: Context, q: Query, hits: tuple[Hit, ...], shape: Asks | None) -> tuple[Hit, ...]:
    """A quiz stem within one document: its units keep their fused order, but one the stem quotes
    leads (or, for a choice question, the unit its stem was made from)."""
    top = [(h, found[1]) for h in hits[:ctx.ranking.window] if (found := ctx.unit(h.key))]
    quoting = _quoting(q.form.stem, [u for _h, u in top], _names(ctx, q), ctx.ranking.verbatim_run)
    first: list[Hit] = []
    if quoting:
        first = [h for h, u in top if u.key in quoting]
    elif options := (shape or asks(ctx, q)).options:
        read = _read_options(ctx, q, [u for _h, u in top], options)
        first = sorted((h for h, _u in top if h.key in read), key=lambda h: -read[h.key])
    if not first:
        return hits
    keys = {h.key for h in first}
    return (*first, *(h for h in hits if h.key not in keys))


def find(ctx: Context, q: Query, *, docs: Sequence[str] = (), text: str = "") -> SearchResult:
    """Signals, rank, decide, pick: everything the search route and cross-document answers need.
    `text` replaces the question's text as the search query (the part of a question that is
    not a reference, for cross-document questions)."""
    r = ctx.ranking
    t0 = time.perf_counter()
    shape = asks(ctx, q)
    hits = ranked(ctx, q, docs=docs, text=text, shape=shape)
    timings = {"retrieve": round((time.perf_counter() - t0) * 1000, 2)}
    if not hits or not _confident(hits, r) or not _read(ctx, hits, q):
        near = tuple(h.key for h in hits[:3]
                     if r.strength(h) >= r.min_strength - r.near_margin and h.coverage >= r.near_cover)
        return SearchResult(hits[:20], False, near=near, timings_ms=timings)
    quotes = pick(ctx, hits, q, docs, shape.figure, shape.steps_words)
    missing = not_stated(shape.figure, q, quotes, r)
    result = SearchResult(hits[:20], True, tuple(quotes), missing, timings_ms=timings)
    return replace(result, near=tuple(qu.unit.key for qu in quotes)) if result.not_stated else result
