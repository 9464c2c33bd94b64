"""`Assistant.ask(question, history)` → `Answer`: the one façade the CLI, UI, API and eval use.

Order: references (第8条, 下一条, 第三部分) resolved deterministically; metadata and preamble
intents; cited-document questions; then hybrid retrieval, with calibrated abstention.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from . import answer as compose
from . import citegraph
from . import intents
from .config import MAX_QUESTION_CHARS, Settings
from .embed import VectorEmbeddings, make_embeddings
from .errors import InputError
from .index import Index, Progress, open_index
from .catalog import aliases_for
from .records import Answer, Document, Unit
from .refs import RefQuery, parse_refs
from .retrieve import Evidence, Mode, confident, search
from .text import normalize_question

# Calibrated on eval/questions.jsonl (see eval/report.md); DANGJIAN_ABSTAIN_THRESHOLD overrides dense.
_DATED = re.compile(r"\d{4}年\d{1,2}月(\d{1,2}日)?")
MIN_STRENGTH = 0.40  # Hit.strength = dense + 0.5 × coverage of the best unit
UNIT_MARGIN = 0.10  # a further unit is quoted when its strength is within this of the best one
MAX_GENERAL_UNITS = 3  # and two sentences each: at most six quoted sentences


@dataclass(frozen=True, slots=True)
class Options:
    """Switches for ablation; the defaults are the full pipeline."""

    use_refs: bool = True
    mode: Mode = "hybrid"


@dataclass(frozen=True, slots=True)
class State:
    """What the conversation is about: the document and units of the last answer."""

    doc_id: str = ""
    refs: tuple[str, ...] = ()


def _fold_parens(text: str) -> str:
    return text.replace("（", "(").replace("）", ")")


def _only(*groups: list[Document]) -> Document | None:
    """The first group that names exactly one document."""
    return next((g[0] for g in groups if len(g) == 1), None)


def validate(question: object) -> str:
    if not isinstance(question, str):
        raise InputError("问题必须是文本")
    question = question.strip()
    if not question:
        raise InputError("问题不能为空")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"问题过长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内")
    return question


class Assistant:
    """Owns the loaded index and embedder. Calls are not guarded against each other: a server
    that answers concurrently serialises `ask` (answers take milliseconds)."""

    def __init__(self, index: Index, emb: VectorEmbeddings, settings: Settings) -> None:
        self.index = index
        self.emb = emb
        self.settings = settings
        self.min_strength = settings.abstain_threshold or MIN_STRENGTH

    @classmethod
    def open(cls, settings: Settings, *, progress: Progress | None = None,
             notify: Callable[[str], None] | None = None) -> Assistant:
        emb = make_embeddings(settings)
        index = open_index(settings.corpus_dir, settings.index_dir, emb,
                           progress or (lambda *_a: None), notify or (lambda _m: None))
        return cls(index, emb, settings)

    @property
    def primary(self) -> Document:
        return self.index.primary

    def ask(self, question: str, history: Sequence[str] = (), *, options: Options = Options()) -> Answer:
        question = validate(question)
        history = [validate(h) for h in history]
        state = State()
        for turn in history:
            state = self._next_state(state, self._answer(turn, state, options))
        start = time.perf_counter()
        ans = self._answer(question, state, options)
        timings = dict(ans.timings_ms, total=round((time.perf_counter() - start) * 1000, 2))
        return replace(ans, timings_ms=timings)

    def search(self, question: str, *, mode: Mode = "hybrid") -> Evidence:
        return search(self.index, self.emb, normalize_question(validate(question)), mode=mode)

    def unit(self, key: str) -> tuple[Document, Unit] | None:
        """`doc_id#ref` (or a bare ref of the primary document) → its document and unit."""
        doc_id, _, ref = key.rpartition("#")
        doc = self.index.doc(doc_id) if doc_id else self.primary
        unit = doc.unit(ref) if doc else None
        return (doc, unit) if doc and unit else None

    @staticmethod
    def _names(doc: Document) -> list[str]:
        """Title first, then short names; parentheses folded as `refs` folds them in questions."""
        names = (doc.meta.title, *doc.meta.aliases, *aliases_for(doc.meta.title))
        return list(dict.fromkeys(_fold_parens(n) for n in names if n))

    def docs_named(self, phrase: str) -> list[Document]:
        """Documents a name may point at: full title, short name (党章, 纪律处分条例), or a title fragment (要点)."""
        phrase = _fold_parens(phrase.strip("《》 "))
        return [d for d in self.index.docs if any(phrase in n or n in phrase for n in self._names(d))]

    def find_doc(self, phrase: str, *, prefer: Document | None = None) -> Document | None:
        """The one document a name points at: an exact title, else an exact short name, else the only
        partial match; when several still match, the conversation's document wins. Words before
        the name ("除了要点", "和党章") are dropped until something matches."""
        phrase = phrase.strip("《》 ")
        while len(phrase) > 2 and not self.docs_named(phrase):
            phrase = phrase[1:]
        matches = self.docs_named(phrase)
        key = _fold_parens(phrase.strip("《》 "))
        by_title = [d for d in matches if self._names(d)[0] == key]
        by_name = [d for d in matches if key in self._names(d)]
        return _only(by_title, by_name, matches) or (prefer if prefer in matches else None)

    # -- the steps --------------------------------------------------------------------------

    def _answer(self, question: str, state: State, options: Options) -> Answer:
        q = normalize_question(question)
        doc = self.index.doc(state.doc_id) or self.primary
        if options.use_refs:
            rq = parse_refs(q, section_titles=[s.title for s in doc.sections])
            if rq.doc_phrase and not rq.empty:
                named = self.find_doc(rq.doc_phrase, prefer=doc)
                if named is None:
                    return self._unknown_doc(question, rq.doc_phrase)
                doc = named
            if rq.items and citegraph.asks_cited_documents(rq.rest):
                return self._cited_by_items(question, doc, rq.items)
            if not rq.empty:
                return self._with_named_document(self._by_reference(question, doc, rq, state), q, doc)
        if titles := citegraph.cited_titles_in_question(q, self.primary):
            return self._citing_items(question, self.primary, titles)
        if fields := intents.metadata_fields(q):
            named = self._doc_in_question(q)
            if named is not None and not named.meta.primary:
                return self._regulation_metadata(question, named, fields)
            return self._metadata(question, self.primary, fields)
        if intents.asks_preamble(q) and (pre := self.primary.unit("preamble")):
            ans = compose.compose_quotes(question, self.primary, pre, range(len(pre.sentences)),
                                         "preamble", f"《{self.primary.meta.title}》的总体要求：")
            return replace(ans, retrieved=ans.focus)
        return self._by_search(question, q, options)

    def _by_reference(self, question: str, doc: Document, rq: RefQuery, state: State) -> Answer:
        if rq.section is not None and not rq.items:
            if doc.section(rq.section) is None:
                return compose.abstain(question, (), reason=(
                    f"《{doc.meta.title}》共{len(doc.sections)}个部分，没有第{rq.section}部分。"))
            ans = compose.compose_section(question, doc, rq.section)
            return replace(ans, retrieved=ans.focus)
        numbers = list(rq.items) or self._relative(rq, state, doc)
        if not numbers:
            return compose.abstain(question, (), reason="请先说明要问的是第几条，例如“第8条要求什么？”。")
        found = [(n, doc.unit(str(n))) for n in numbers]
        units = [u for _n, u in found if u is not None]
        missing = [n for n, u in found if u is None]
        if not units:
            return compose.out_of_range(question, doc, missing)
        focus = self._focus_sentences(rq.rest, doc, units) if rq.rest else None
        ans = compose.compose_units(question, doc, units, focus)
        if missing:
            note = compose.out_of_range(question, doc, missing).text
            ans = replace(ans, text=f"{ans.text}\n\n（{note}）")
        return replace(ans, retrieved=tuple(u.key for u in units))

    def _full_text(self, title: str) -> Document | None:
        """The corpus document a cited 《title》 is, if its full text was added."""
        return next((d for d in self.index.docs if d.meta.title in title or title in d.meta.title), None)

    def _citing_items(self, question: str, doc: Document, titles: Sequence[str]) -> Answer:
        cited = [(t, citegraph.refs_citing(doc, t), self._full_text(t)) for t in titles]
        return compose.compose_citations(question, doc, cited, lead=f"《{doc.meta.title}》中引用这份文件的地方：")

    def _cited_by_items(self, question: str, doc: Document, numbers: Sequence[int]) -> Answer:
        refs = [str(n) for n in numbers if doc.unit(str(n)) is not None]
        if not refs:
            return compose.out_of_range(question, doc, list(numbers))
        cited = [(t, [r for r in refs if r in citegraph.refs_citing(doc, t)], self._full_text(t))
                 for r in refs for t in citegraph.titles_cited_by(doc, r)]
        labels = "、".join(u.label for r in refs if (u := doc.unit(r)) is not None)
        if not cited:
            ans = compose.compose_units(question, doc, [u for r in refs if (u := doc.unit(r))])
            note = f"{labels}没有以书名号引用其他文件，以下是原文："
            return replace(ans, text=f"{note}\n{ans.text}", retrieved=ans.focus)
        return compose.compose_citations(question, doc, cited, lead=f"{labels}引用的文件：")

    def _with_named_document(self, ans: Answer, q: str, doc: Document) -> Answer:
        """"要点第9条…，党员教育管理工作条例对流动党员怎么规定？": add what the other document says."""
        other = self._doc_in_question(q)
        if ans.abstained or other is None or other is doc:
            return ans
        ev = search(self.index, self.emb, q)
        hits = [h for h in ev.hits if h.doc_id == other.doc_id][:2]
        if not hits or not confident(replace(ev, hits=tuple(hits)), min_strength=self.min_strength):
            return ans
        extra = compose.compose_general(q, self._pick_sentences(replace(ev, hits=tuple(hits))))
        text = f"{ans.text}\n\n{extra.text.replace('，相关内容如下：', '的相关规定：', 1)}"
        return replace(ans, text=text, citations=ans.citations + extra.citations,
                       retrieved=ans.retrieved + tuple(h.key for h in hits))

    def _unknown_doc(self, question: str, phrase: str) -> Answer:
        name = phrase.strip("《》 ")
        several = self.docs_named(phrase)
        if several:
            titles = "、".join(f"《{d.meta.title}》" for d in several)
            return compose.abstain(question, (), reason=f"“{name}”可能指多份文件：{titles}，请说明是哪一份。")
        return compose.abstain(question, (), reason=f"已收录文件中没有《{name}》的全文，无法引用其条文。")

    def _relative(self, rq: RefQuery, state: State, doc: Document) -> list[int]:
        if rq.relative == "last":
            return [len(doc.numbered)]
        nums = [int(r) for r in state.refs if r.isdigit()]
        if not nums or rq.relative is None:
            return []
        if rq.relative == "next":
            return [max(nums) + 1]
        if rq.relative == "prev":
            return [min(nums) - 1]
        return nums

    def _focus_sentences(self, rest: str, doc: Document, units: Sequence[Unit]) -> dict[str, list[int]] | None:
        """For "这一条里关于X…": the sentences of the referenced units that match X."""
        tokens = self.index.tokenizer.tokens(rest)
        if not tokens:
            return None
        out: dict[str, list[int]] = {}
        for unit in units:
            scored = [(sum(t in s for t in tokens), n) for n, s in enumerate(unit.sentences)]
            best = [n for score, n in sorted(scored, reverse=True) if score > 0][:3]
            if best:
                out[unit.ref] = sorted(best)
        return out or None

    def _metadata(self, question: str, doc: Document, fields: list[intents.MetaField]) -> Answer:
        header = doc.unit("header")
        if header is None:
            return compose.abstain(question, (), reason=f"《{doc.meta.title}》没有可引用的文件头。")
        wanted = {"issuer": doc.meta.issuer, "doc_number": doc.meta.doc_number,
                  "date": doc.meta.date, "addressees": doc.meta.addressees,
                  "title": doc.meta.notice_title}
        picks = []
        for f in fields:
            value = wanted.get(f, "")
            n = next((i for i, s in enumerate(header.sentences) if value and value in s), None)
            if n is not None and n not in picks:
                picks.append(n)
        if not picks:
            picks = list(range(len(header.sentences)))
        ans = compose.compose_quotes(question, doc, header, picks, "metadata",
                                     f"《{doc.meta.title}》文件头载明：")
        return replace(ans, retrieved=ans.focus)

    def _doc_in_question(self, q: str) -> Document | None:
        """The one document whose title or short name the question mentions."""
        folded = _fold_parens(q)
        by_title = [d for d in self.index.docs if self._names(d)[0] in folded]
        by_name = [d for d in self.index.docs if any(len(n) >= 2 and n in folded for n in self._names(d))]
        return _only(by_title, by_name)

    def _regulation_metadata(self, question: str, doc: Document, fields: list[intents.MetaField]) -> Answer:
        """When/by whom/in force: the manifest's record, plus the text's own words quoted where it says so."""
        m = doc.meta
        facts = "，".join(f for f in (m.issuer and f"发文机关：{m.issuer}", m.date and f"日期：{m.date}",
                                     m.doc_number and f"文号：{m.doc_number}") if f)
        lead = f"《{m.title}》" + (f"（清单记载 {facts}）" if facts else "（清单未记载发文机关和日期）")
        picks: list[tuple[Unit, list[int]]] = []
        if "effective" in fields:
            for unit in reversed(doc.numbered[-3:]):
                picks += [(unit, [n for n, s in enumerate(unit.sentences) if "起施行" in s])]
        if set(fields) - {"effective"} and (intro := doc.unit("lead")):
            dated = [n for n, s in enumerate(intro.sentences)
                     if _DATED.search(s) and any(w in s for w in ("通过", "发布", "印发", "批准", "修订"))]
            picks.append((intro, dated))
        picks = [(u, ns) for u, ns in picks if ns]
        if not picks:
            return compose.abstain(question, (), reason=f"{lead}。原文中没有找到相关的表述。")
        blocks, cites = [f"{lead}，原文如下："], []
        for unit, nos in picks:
            lines, c = compose.quote_lines(doc, unit, nos)
            blocks.extend(lines)
            cites.extend(c)
        keys = tuple(dict.fromkeys(u.key for u, _n in picks))
        return Answer(question, "\n".join(blocks), False, "metadata", tuple(cites), retrieved=keys, focus=keys)

    def _by_search(self, question: str, q: str, options: Options) -> Answer:
        t0 = time.perf_counter()
        ev = search(self.index, self.emb, q, mode=options.mode)
        t1 = time.perf_counter()
        retrieved = tuple(h.key for h in ev.hits)
        timings = {"retrieve": round((t1 - t0) * 1000, 2)}
        if not confident(ev, min_strength=self.min_strength):
            sugg = [p for h in ev.hits[:3] if (p := self.unit(h.key)) and p[1].number is not None]
            ans = compose.abstain(question, sugg)
        else:
            ans = compose.compose_general(question, self._pick_sentences(ev))
            ans = replace(ans, focus=retrieved[:1])
        return replace(ans, retrieved=retrieved, timings_ms=timings)

    def _pick_sentences(self, ev: Evidence) -> list[tuple[Document, Unit, list[int]]]:
        """Top units, up to two best sentences each, at most six in all, in document order."""
        picks: list[tuple[Document, Unit, list[int]]] = []
        best = max(h.strength for h in ev.hits[:MAX_GENERAL_UNITS])
        for hit in ev.hits[:MAX_GENERAL_UNITS]:
            if hit.strength < best - UNIT_MARGIN and picks:
                continue
            found = self.unit(hit.key)
            if found is None:
                continue
            doc, unit = found
            sents = [n for n in hit.sentences if not (unit.kind == "item" and n == 0)][:2]
            picks.append((doc, unit, sents or list(hit.sentences[:1])))
        order = {d.doc_id: i for i, d in enumerate(self.index.docs)}
        picks.sort(key=lambda p: (order[p[0].doc_id], p[1].number or 0, p[1].ref))
        return picks

    def _next_state(self, state: State, ans: Answer) -> State:
        if not ans.focus:
            return state
        doc_id = ans.focus[0].rpartition("#")[0]
        refs = tuple(k.rpartition("#")[2] for k in ans.focus if k.startswith(doc_id + "#"))
        return State(doc_id, refs)
