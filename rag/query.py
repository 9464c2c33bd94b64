"""Understand: a question (and the conversation so far) → a `Query`, before anything is searched.

Pure and cheap: normalises once, parses references, works out which document the question is
about (named, carried by the conversation, scoped explicitly, or open), notices names of
documents the corpus lacks, and reads the intents the routes dispatch on. No tokenizer, no
embedder: a reference lookup must not pay for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import citegraph, intents, kinds
from .catalog import Catalog
from .config import MAX_QUESTION_CHARS
from .errors import InputError
from .forms import Form, form_of, without_judge_label
from .records import Document, Key
from .refs import SELF_REFERENCE, RefQuery, parse_refs
from .roles import asks_duties, role_in_question
from .text import SURROGATE, normalize_question
from .vocabulary import QUESTION_PARTICLES, REQUESTS, TEXT_ITSELF, TONE_PARTICLES, WHAT_HOW, alternation

# "这一条关于X": rests made only of these words ask for the whole unit, no focus search needed.
_SAYS = ("要求", "讲", "说", "写", "规定", "内容", "具体", "主要", "条文", "条款", "看看", "告诉我",
         "是", "有", "了", "的", "我", "下", "这", "那", "里", "中")
_ASK_WORDS = re.compile(
    f"{alternation(WHAT_HOW, TEXT_ITSELF, QUESTION_PARTICLES, TONE_PARTICLES, REQUESTS, _SAYS)}|"
    r"what|does|say|said|require|requires|is|about|the|tell|me|of|in|it|[\s?？。，,.!！：:、]", re.I)
# "2.历史遗留的…能否…？": the number a pasted question had in its list, not 第2条.
_LIST_NUMBER = re.compile(r"^\s*(?:[（(]\d{1,3}[)）]|\d{1,3}[.、．](?!\d))\s*")
LIST_REST = 6  # characters of content after it that make the question stand on its own


@dataclass(frozen=True, slots=True)
class State:
    """What the conversation is about: the document and units of the last answer."""

    doc_id: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Options:
    """How a question is read: its scope, and whether references are parsed (off: an ablation).
    How it is ranked is `RankSettings` (rag/ranking.py), which the assistant's context carries."""

    use_refs: bool = True
    docs: tuple[str, ...] = ()  # explicit scope (--doc, "docs" in the API); () = every document


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """Everything the routes decide on. `doc` is where bare references (第8条) point."""

    question: str
    text: str
    refs: RefQuery
    doc: Document
    unresolved: str = ""  # the document phrase of a reference that names no corpus document…
    candidates: tuple[Document, ...] = ()  # …or names several
    targets: tuple[tuple[Document, tuple[int, ...]], ...] = ()  # item numbers per document, as asked
    miscited: tuple[tuple[Document, str], ...] = ()  # documents asked for in a word their kind does not
    # cite by (第3段 of a notice cited by 条), with that word
    named: tuple[Document, ...] = ()
    absent: tuple[str, ...] = ()
    unknown_terms: tuple[str, ...] = ()  # 三重一大-style abbreviations no document uses
    scope: tuple[str, ...] = ()
    meta_fields: tuple[intents.MetaField, ...] = ()
    preamble: bool = False
    cited_titles: tuple[str, ...] = ()
    asks_where: bool = False
    form: Form = field(default_factory=lambda: form_of(""))
    role: str | None = None  # a role the question names (支部书记…), see rag/roles.py
    asks_duties: bool = False  # …and asks its duties in general (要抓哪些工作)
    state: State = field(default_factory=State)
    options: Options = field(default_factory=Options)

    @property
    def claim(self) -> str:
        """The statement a true/false question offers ("" for any other question)."""
        return self.form.claim

    @property
    def has_reference(self) -> bool:
        return not self.refs.empty

    @property
    def focus_words(self) -> str:
        """What a reference question asks about inside the unit ("关于流动党员"); "" for the whole unit."""
        rest = _ASK_WORDS.sub("", self.refs.rest)
        return self.refs.rest if len(rest) >= 2 else ""


def validate(question: object) -> str:
    if not isinstance(question, str):
        raise InputError("问题必须是文本")
    if SURROGATE.search(question):  # undecodable bytes (surrogateescape) or half an emoji
        raise InputError("问题含有无法识别的字符（可能是编码错误或截断的表情符号），请检查后重新输入")
    question = question.strip()
    if not question:
        raise InputError("问题不能为空")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"问题过长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内")
    return question


def _home(catalog: Catalog, state: State, options: Options) -> Document:
    """Where bare references point: the conversation's document, a single scoped one, or the primary."""
    if len(options.docs) == 1 and (scoped := catalog.doc(options.docs[0])):
        return scoped
    return catalog.doc(state.doc_id) or catalog.primary


def understand(question: str, catalog: Catalog, *, state: State = State(),
               options: Options = Options()) -> Query:
    """Read a validated question: references, documents, intents. Never searches."""
    text = normalize_question(question)
    if (m := _LIST_NUMBER.match(text)) and len(_ASK_WORDS.sub("", text[m.end():])) >= LIST_REST:
        text = text[m.end():]
    home = _home(catalog, state, options)
    refs = (
        parse_refs(text, section_titles=[s.title for s in home.sections]) if options.use_refs else RefQuery()
    )
    doc, unresolved = home, ""
    candidates: tuple[Document, ...] = ()
    english = catalog.english_name(text) if not refs.empty and not refs.doc_phrase else None
    named = tuple(catalog.in_question(text))

    def find(phrase: str) -> Document | None:
        """A reference's document phrase → its document; 本条例 means the one document the
        question names (else the home document)."""
        if SELF_REFERENCE.fullmatch(phrase):
            return named[0] if len(named) == 1 else home
        return catalog.find(phrase, prefer=home)

    if refs.doc_phrase and not refs.empty:
        found = find(refs.doc_phrase)
        if found is None:
            unresolved = refs.doc_phrase.strip("《》 ")
            candidates = tuple(catalog.candidates(refs.doc_phrase))
        else:
            doc = found
            if found is not home and refs.section is not None:  # 党章第三章: sections of that document
                refs = parse_refs(text, section_titles=[s.title for s in found.sections])
    elif english is not None:  # "Article 32 of the Party Constitution"
        doc = english
    targets: list[tuple[Document, tuple[int, ...]]] = []
    miscited: list[tuple[Document, str]] = []
    for i, (phrase, numbers) in enumerate(refs.groups):
        target = (find(phrase) if phrase else doc) if not unresolved else None
        if phrase and target is None and not unresolved:
            unresolved, candidates = phrase.strip("《》 "), tuple(catalog.candidates(phrase))
        if target is not None and not kinds.of(target).takes(refs.word(i)):
            miscited.append((target, refs.word(i)))
        elif target is not None:
            targets.append((target, numbers))
    form = form_of(text)
    text = without_judge_label(text)
    # a choice question's options are candidate answers, not documents the asker wants read
    asked = form.stem if form.options else text
    return Query(
        question=question, text=text, refs=refs, doc=doc, unresolved=unresolved, candidates=candidates,
        targets=tuple(targets), miscited=tuple(miscited),
        named=named, absent=tuple(catalog.absent_names(asked)),
        unknown_terms=tuple(catalog.unknown_terms(text)), scope=options.docs,
        meta_fields=tuple(intents.metadata_fields(text)),
        preamble=intents.asks_preamble(text, catalog.preamble_text, catalog.primary.meta.preamble_words),
        cited_titles=tuple(citegraph.cited_titles_in_question(text, catalog.primary)),
        asks_where=citegraph.asks_where(text), form=form, role=role_in_question(text),
        asks_duties=asks_duties(text), state=state, options=options,
    )


def next_state(state: State, focus: tuple[str, ...]) -> State:
    """The conversation after an answer about `focus` (doc_id#ref keys); unchanged when it had none."""
    if not focus:
        return state
    doc_id = Key.parse(focus[0]).doc_id
    refs = tuple(k.ref for f in focus if (k := Key.parse(f)).doc_id == doc_id)
    return State(doc_id, refs)
