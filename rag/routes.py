"""Route: an ordered table of (name, matches, answer); the first route that matches answers.

The order of `ROUTES` is the logic, visible in one place: deterministic answers first
(references, the citation graph, documents the corpus lacks, metadata, the preamble), search
last. Every route returns a complete `Answer`; `route()` records which one answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from . import answer as compose
from . import citegraph, kinds
from .answer import Quote
from .query import Query
from .records import Answer, Document, Unit
from .refs import RefQuery, parse_refs
from .roles import checklist_note, focus_entries, role
from .search import Context, SearchResult, find, stem_quotes
from .vocabulary import INTERROGATIVES, POLAR, QUESTION_PARTICLES, alternation

_DATED = re.compile(r"\d{4}年\d{1,2}月(\d{1,2}日)?")
_IN_FORCE = re.compile(r"起(?:施行|实施)")
_INTERPRETS = re.compile(r"由.{1,40}解释")
_ABOUT_CITING = re.compile(r"怎么用|如何用|要求落实|落实|怎么要求|提出了?什么要求")


Answerer = Callable[[Context, Query], Answer]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    matches: Callable[[Query], bool]
    answer: Answerer


# -- references --------------------------------------------------------------------------------


def _citing_quotes(ctx: Context, name: str) -> list[Quote]:
    """The sentences of corpus documents that cite a 《title》 matching `name`."""
    out = []
    for doc, title, refs in ctx.catalog.citing(name):
        for ref in refs:
            if (unit := doc.unit(ref)) is not None:
                nos = [n for n, s in enumerate(unit.sentences) if f"《{title}》" in s]
                out.append(compose.quote(doc, unit, nos))
    return out


def _absent(ctx: Context, q: Query, names: Sequence[str], *, article: bool) -> Answer:
    """"《X》未收录" for each name, with the places the corpus cites it."""
    titles = "、".join(f"《{n}》" for n in names)
    what = "其条文" if article else "其中的具体规定"
    reason = f"{titles}未收录：已收录的文件中没有它的全文，无法引用{what}。"
    quotes = [qu for n in names for qu in _citing_quotes(ctx, n)]
    if quotes:
        reason += "已收录文件中引用它的地方如下："
    return compose.abstain(q.question, reason=reason, quotes=quotes, order=ctx.order)


def unresolved_document(ctx: Context, q: Query) -> Answer:
    if q.candidates:
        titles = "、".join(f"《{d.meta.title}》" for d in q.candidates)
        return compose.abstain(
            q.question, reason=f"“{q.unresolved}”可能指多份文件：{titles}，请说明是哪一份。"
        )
    return _absent(ctx, q, [q.unresolved], article=True)


def _relative(rq: RefQuery, q: Query, doc: Document) -> list[int]:
    if rq.relative == "last":
        return [len(doc.numbered)]
    nums = [int(r) for r in q.state.refs if r.isdigit()] if q.state.doc_id in ("", doc.doc_id) else []
    if not nums or rq.relative is None:
        return []
    if rq.relative == "next":
        return [max(nums) + 1]
    if rq.relative == "prev":
        return [min(nums) - 1]
    return nums


def _focus(ctx: Context, q: Query, unit: Unit) -> list[int] | None:
    """For "这一条里关于X…": the sentences of the unit that mention X (at most three)."""
    if not q.focus_words:
        return None
    text = q.focus_words
    for name in (n for d in q.named for n in ctx.catalog.names(d)):
        text = text.replace(name, " ")
    tokens = ctx.index.tokenizer.tokens(text)
    first = 1 if kinds.titled(unit) else 0  # an item's first sentence is its title
    scored = [(sum(t in s for t in tokens), n) for n, s in enumerate(unit.sentences) if n >= first]
    best = sorted(n for score, n in sorted(scored, reverse=True)[:3] if score > 0)
    return best or None


_CLAUSE_SPLIT = re.compile(r"[，,；;？?。！!]")
_ASKS = re.compile(alternation(INTERROGATIVES, QUESTION_PARTICLES, POLAR))


def _second_question(q: Query) -> str:
    """"要点第11条要求准确运用“四种形态”，四种形态具体指什么？": the clause that asks something of
    its own, apart from the clause holding the reference; "" when there is none."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(q.text) if c.strip()]
    if len(clauses) < 2:
        return ""
    asking = [c for c in clauses[1:] if _ASKS.search(c) and not parse_refs(c).items]
    return asking[-1] if asking and len(re.sub(r"[^\u4e00-\u9fff]", "", asking[-1])) >= 6 else ""


def _related(ctx: Context, q: Query, docs: Sequence[Document], units: Sequence[Unit]) -> list[Quote]:
    """What the other documents say on the point of a compound question: those it names
    ("要点第9条…，党员教育管理工作条例对流动党员怎么规定？"), or, when it names none, any other
    document that answers its second question ("…，机关纪委书记一般由谁担任？")."""
    others = [d for d in q.named if d not in docs]
    text = q.refs.rest if others else _second_question(q)
    if not text:
        return []
    for name in (n for d in others for n in ctx.catalog.names(d)):
        text = text.replace(name, " ")
    scope = [d.doc_id for d in others] or [d.doc_id for d in ctx.catalog.docs]
    found = find(ctx, q, docs=scope, text=text)
    if not found.confident:
        return []
    skip = {u.key for u in units}
    return [qu for qu in found.quotes if qu.unit.key not in skip][:2]


def _quotes_another(ctx: Context, q: Query, units: Sequence[tuple[Document, Unit]]) -> bool:
    """A quiz stem that quotes a unit other than the ones it refers to: the reference is part of
    the sentence the quiz was made from, not what it asks about."""
    if stem_quotes(ctx, q, [u for _d, u in units]):
        return False
    docs = dict.fromkeys(d for d, _u in units)
    return bool(stem_quotes(ctx, q, [u for d in docs for u in d.units]))


def _miscited(ctx: Context, q: Query) -> str:
    """Notes for the references written in a word their document's kind does not cite by."""
    return "；".join(compose.miscited_note(d, word, [o for o in ctx.catalog.docs if kinds.of(o).takes(word)])
                    for d, word in q.miscited)


def reference(ctx: Context, q: Query) -> Answer:
    doc, rq = q.doc, q.refs
    if q.miscited and not q.targets:
        return compose.abstain(q.question, reason=_miscited(ctx, q))
    if rq.section is not None and not rq.items:
        if doc.section(rq.section) is None:
            return compose.abstain(q.question, reason=(
                f"《{doc.meta.title}》共{len(doc.sections)}个部分，没有第{rq.section}部分。"))
        return compose.compose_section(q.question, doc, rq.section)
    targets = list(q.targets) or [(doc, tuple(_relative(rq, q, doc)))]
    if not any(numbers for _d, numbers in targets):
        return compose.abstain(q.question, reason="请先说明要问的是第几条，例如“第8条要求什么？”。")
    found = [(d, n, d.unit(str(n))) for d, numbers in targets for n in numbers]
    units = [(d, u) for d, _n, u in found if u is not None]
    missing = [(d, n) for d, n, u in found if u is None]
    if not units:
        d0 = missing[0][0]
        return compose.out_of_range(q.question, d0, [n for d, n in missing if d is d0])
    if q.form.kind in ("choice", "blank") and _quotes_another(ctx, q, units):
        # "…模范地履行党章第三条所规定的…（ ）": the reference is part of the quoted text
        return by_search(ctx, q)
    quotes = [compose.quote(d, u, _focus(ctx, q, u) or compose.requirement_sentences(u)) for d, u in units]
    notes = "；".join([*(compose.out_of_range_note(d, [n for dd, n in missing if dd is d])
                        for d in dict.fromkeys(d for d, _n in missing)),
                      *([_miscited(ctx, q)] if q.miscited else [])])
    return compose.compose_reference(
        q.question,
        quotes,
        order=ctx.order,
        related_quotes=_related(ctx, q, [d for d, _u in units], [u for _d, u in units]),
        missing_note=notes,
    )


def cited_by_item(ctx: Context, q: Query) -> Answer:
    """"第16条提到的意见是什么": the documents an item cites, and whether each is in the corpus."""
    doc = q.doc
    refs = [str(n) for n in q.refs.items if doc.unit(str(n)) is not None]
    if not refs:
        return compose.out_of_range(q.question, doc, list(q.refs.items))
    cited = [(t, [r for r in refs if r in citegraph.refs_citing(doc, t)], _full_text(ctx, t))
             for r in refs for t in citegraph.titles_cited_by(doc, r)]
    labels = "、".join(u.label for r in refs if (u := doc.unit(r)) is not None)
    if not cited:
        quotes = [compose.quote(doc, u, compose.requirement_sentences(u)) for r in refs if (u := doc.unit(r))]
        ans = compose.compose_reference(q.question, quotes, order=ctx.order)
        return replace(ans, text=f"{labels}没有以书名号引用其他文件，以下是原文：\n{ans.text}")
    return compose.compose_citations(q.question, doc, cited, lead_text=f"{labels}引用的文件：")


# -- the citation graph and documents the corpus lacks ------------------------------------------


def _full_text(ctx: Context, title: str) -> Document | None:
    """The corpus document a cited 《title》 is, if its full text is in the corpus."""
    return next((d for d in ctx.catalog.docs if d.meta.title in title or title in d.meta.title), None)


def _about_citing(q: Query) -> bool:
    """Asks where or how the notice uses a document, rather than what the document itself says."""
    return q.asks_where or bool(_ABOUT_CITING.search(q.text)) or q.doc.meta.primary and q.doc in q.named


def citation_graph(ctx: Context, q: Query) -> Answer:
    primary = ctx.catalog.primary
    cited = [(t, citegraph.refs_citing(primary, t), _full_text(ctx, t)) for t in q.cited_titles]
    return compose.compose_citations(
        q.question, primary, cited, lead_text=f"《{primary.meta.title}》中引用这份文件的地方："
    )


def absent_document(ctx: Context, q: Query) -> Answer:
    return _absent(ctx, q, q.absent, article=False)


# -- fixed parts: metadata and preamble ---------------------------------------------------------


def _notice_metadata(q: Query, doc: Document) -> Answer:
    header = doc.unit("header")
    if header is None:
        return compose.abstain(q.question, reason=f"《{doc.meta.title}》没有可引用的文件头。")
    wanted = {"issuer": doc.meta.issuer, "doc_number": doc.meta.doc_number, "date": doc.meta.date,
              "addressees": doc.meta.addressees, "title": doc.meta.notice_title}
    picks: list[int] = []
    for f in q.meta_fields:
        value = wanted.get(f, "")
        n = next((i for i, s in enumerate(header.sentences) if value and value in s), None)
        if n is not None and n not in picks:
            picks.append(n)
    return compose.compose_quotes(q.question, doc, header, picks or range(len(header.sentences)),
                                  "metadata", f"《{doc.meta.title}》文件头载明：")


def _regulation_metadata(q: Query, doc: Document) -> Answer:
    """When/by whom/in force: the manifest's record, plus the text's own words quoted where it says so."""
    m = doc.meta
    facts = "，".join(f for f in (m.issuer and f"发文机关：{m.issuer}", m.date and f"日期：{m.date}",
                                 m.doc_number and f"文号：{m.doc_number}") if f)
    lead = f"《{m.title}》" + (f"（清单记载 {facts}）" if facts else "（清单未记载发文机关和日期）")
    picks: list[tuple[Document, Unit, list[int]]] = []
    for field_, says in (("effective", _IN_FORCE), ("interpreter", _INTERPRETS)):
        if field_ in q.meta_fields:
            for unit in reversed(doc.numbered[-4:]):
                picks.append((doc, unit, [n for n, s in enumerate(unit.sentences) if says.search(s)]))
    if set(q.meta_fields) - {"effective", "interpreter"} and (intro := doc.unit("lead")):
        dated = [n for n, s in enumerate(intro.sentences)
                 if _DATED.search(s) and any(w in s for w in ("通过", "发布", "印发", "批准", "修订"))]
        picks.append((doc, intro, dated))
    picks = [(d, u, ns) for d, u, ns in picks if ns]
    if not picks:
        return compose.abstain(q.question, reason=f"{lead}。原文中没有找到相关的表述。")
    return compose.compose_lead_quotes(q.question, f"{lead}，原文如下：", picks, "metadata")


def metadata(ctx: Context, q: Query) -> Answer:
    named = [d for d in q.named if not d.meta.primary]
    if len(named) == 1:
        return _regulation_metadata(q, named[0])
    return _notice_metadata(q, ctx.catalog.primary)


def preamble(ctx: Context, q: Query) -> Answer:
    primary = ctx.catalog.primary
    pre = primary.unit("preamble")
    assert pre is not None
    return compose.compose_quotes(q.question, primary, pre, range(len(pre.sentences)), "preamble",
                                  f"《{primary.meta.title}》的总体要求：")


def _is_metadata(q: Query) -> bool:
    """A header question about the notice, or about the one regulation the question names."""
    if not q.meta_fields:
        return False
    named = [d for d in q.named if not d.meta.primary]
    return len(named) <= 1


def _is_preamble(q: Query) -> bool:
    return q.preamble and all(d.meta.primary for d in q.named)


# -- search -----------------------------------------------------------------------------------


def by_search(ctx: Context, q: Query) -> Answer:
    if q.unknown_terms:
        terms = "、".join(f"“{t}”" for t in q.unknown_terms)
        return replace(compose.abstain(q.question, reason=f"已收录文件中没有出现{terms}，无法据原文回答。"),
                       notes=())
    found: SearchResult = find(ctx, q, docs=q.scope or [d.doc_id for d in q.named])
    if not found.confident:
        near = [p for h in found.near[:3] if (p := ctx.unit(h)) and p[1].number is not None]
        ans = compose.abstain(q.question, near)
    elif found.not_stated:
        ans = compose.compose_not_stated(q.question, found.not_stated, found.quotes, order=ctx.order,
                                         retrieved=found.retrieved)
    else:
        # a question that asks what several documents each say has no single answer to put first
        several = len({d.doc_id for d in q.named}) > 1
        from .direct import answer_first  # free questions only: a reference lookup does not load it

        heads, notes_ = answer_first(q.form, found.quotes) if not several else ((), ())
        ans = compose.compose_search(q.question, found.quotes, order=ctx.order, retrieved=found.retrieved,
                                     heads=heads, notes=notes_)
    notes = (checklist_note(q.role),) if q.role else ()  # "我是新任支部书记…": the role's checklist too
    return replace(ans, retrieved=found.retrieved, timings_ms=found.timings_ms, notes=ans.notes + notes)


def _sentence_no(unit: Unit, spec: object) -> int | None:
    """A reviewed table's sentence spec: an index, or the opening words of exactly one sentence."""
    if isinstance(spec, int) and not isinstance(spec, bool):
        return spec if 0 <= spec < len(unit.sentences) else None
    hits = [n for n, s in enumerate(unit.sentences) if isinstance(spec, str) and spec and s.startswith(spec)]
    return hits[0] if len(hits) == 1 else None


def role_duties(ctx: Context, q: Query) -> Answer:
    """"我是新任支部书记，要抓哪些工作？": the notice items the reviewed duty table assigns to the role
    for this year, quoted, and a pointer to the role's full checklist across the regulations."""
    assert q.role is not None
    wanted: dict[str, tuple[Document, Unit, list[int]]] = {}
    for key, spec in focus_entries(q.role):
        found = ctx.unit(key)
        specs = spec if isinstance(spec, list) else [spec]
        nos = [n for s in specs if found and (n := _sentence_no(found[1], s)) is not None]
        if found and nos:
            wanted.setdefault(key, (*found, []))[2].extend(nos)
    if not wanted:
        return by_search(ctx, q)
    quotes = [compose.quote(d, u, nos) for d, u, nos in wanted.values()]
    lead = (f"「{role(q.role).title}」今年要抓的重点——《{ctx.catalog.primary.meta.title}》中"
            f"写给这一角色的条目（逐字引用；完整职责清单见下方提示）：")
    ans = compose.compose_search(q.question, quotes, order=ctx.order, retrieved=list(wanted),
                                 heads=(compose.lead(lead),))
    return replace(ans, notes=(checklist_note(q.role),))


ROUTES: tuple[Route, ...] = (
    Route("unresolved_document", lambda q: q.has_reference and bool(q.unresolved), unresolved_document),
    Route(
        "cited_by_item",
        lambda q: bool(q.refs.items) and not q.miscited and citegraph.asks_cited_documents(q.refs.rest),
        cited_by_item,
    ),
    Route("reference", lambda q: q.has_reference, reference),
    Route(
        "citation_graph",
        lambda q: bool(q.cited_titles) and (not q.absent or _about_citing(q)),
        citation_graph,
    ),
    Route("absent_document", lambda q: bool(q.absent) and not q.asks_where, absent_document),
    Route("metadata", _is_metadata, metadata),
    Route("preamble", _is_preamble, preamble),
    Route("role_duties", lambda q: bool(q.role) and q.asks_duties and not q.named, role_duties),
    Route("search", lambda q: True, by_search),
)


def route(ctx: Context, q: Query, routes: Sequence[Route] = ROUTES) -> Answer:
    """The answer of the first route whose condition holds, labelled with that route's name."""
    chosen = next(r for r in routes if r.matches(q))
    return replace(chosen.answer(ctx, q), route=chosen.name)

