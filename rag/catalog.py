"""Document names: the titles, short names and aliases by which questions and files name documents.

One module for name resolution, used by ingestion (to record aliases) and by the question path
(to find the document a question names, or to notice that it names one the corpus lacks).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property

from .kinds import PLAN_GENRES, RULE_GENRES
from .records import Document, Unit
from .text import titled
from .vocabulary import ASK_OPENERS, INTERROGATIVES, QUESTION_PARTICLES, RULE_MODALS, WHETHER, alternation

# A bare document name in a question: a run ending in one of these words ("廉洁自律准则").
_DOC_SUFFIX = f"(?:{alternation(RULE_GENRES, PLAN_GENRES)})"
_BARE_NAME = re.compile(rf"([\u4e00-\u9fff“”（）]{{3,30}}?{_DOC_SUFFIX})")
_TITLED = re.compile(titled(2, 60))
# A question that is nothing but a title, as people paste one without 《》 ("…工作规定（试行）"):
# the whole text names a document, so the words that rule out a name inside a sentence do not apply.
_WHOLE_TITLE = re.compile(rf"([\u4e00-\u9fff“”（）]{{4,40}}{_DOC_SUFFIX})(?:（试行）)?")
_ASKING = re.compile(alternation(INTERROGATIVES, QUESTION_PARTICLES, WHETHER))
_ABBREVIATION = re.compile(r"[一二三四五六七八九十两][\u4e00-\u9fff][一二三四五六七八九十两][\u4e00-\u9fff]")


_NUMERAL_CHARS = "零〇一二两三四五六七八九十百千"  # 三十二条 is a number and its unit, not an abbreviation


def _one_off(a: str, b: str) -> bool:
    """Same length, at most one character different."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 1
# Words that make a run a phrase, not a name: "有什么规定", "相关规定", "党员教育管理有哪些规定".
# (and modal verbs: a title states no obligation, "…就职时应当依照法律规定")
_NOT_A_NAME = re.compile(alternation(
    INTERROGATIVES, QUESTION_PARTICLES, ASK_OPENERS, RULE_MODALS,
    ("有关", "相关", "具体", "这", "那", "该", "是", "有", "的", "和", "与", "及", "对", "在", "按", "要",
     "根据", "依据", "按照", "遵照", "依照", "关于", "规定了", "我"),
))
# English names people use for the regulations, matched case-insensitively on word boundaries;
# each maps to the Chinese short name it stands for.
ENGLISH_NAMES: dict[str, str] = {
    "party constitution": "党章",
    "constitution of the communist party of china": "党章",
    "cpc constitution": "党章",
    "party charter": "党章",
    "disciplinary actions": "纪律处分条例",
    "disciplinary sanctions": "纪律处分条例",
    "disciplinary regulations": "纪律处分条例",
    "discipline regulations": "纪律处分条例",
    "party member education and management": "党员教育管理工作条例",
    "education and management of party members": "党员教育管理工作条例",
    "recruiting party members": "发展党员工作细则",
    "recruitment of party members": "发展党员工作细则",
    "developing party members": "发展党员工作细则",
    "admission of party members": "发展党员工作细则",
    "primary-level party organizations": "机关基层组织工作条例",
    "grassroots party organizations": "机关基层组织工作条例",
    "frugality": "厉行节约反对浪费条例",
    "thrift": "厉行节约反对浪费条例",
    "opposing waste": "厉行节约反对浪费条例",
    "party history learning": "党史学习教育工作条例",
    "party history education": "党史学习教育工作条例",
    "the notice": "要点",
    "work points": "要点",
}
_LINKING = re.compile(
    r"^(?:除了|和|与|及|以及|还有|跟|同|对照|比较|根据|按照|依据|依照|关于|对于|那么|那|在|看看|看|查)+"
)
_LEADING = re.compile(r"^(?:请问|请|根据|依据|按照|依照|对照|关于|对于|那么|那|看看|查查|问问|问)+|"
                      r"^(?:党员|干部|领导干部|我们|我|单位|机关)?(?:违反|违背|执行|落实|学习|贯彻|遵守|遵照|参照|修订|制定|"
                      r"印发|发布)+")


def aliases_for(title: str) -> list[str]:
    """Short names people use: 党章; the title without 中国共产党/党政机关; without （试行）."""
    out: list[str] = []
    if title == "中国共产党章程":
        out.append("党章")
    base = re.sub(r"[（(](?:试行|\d{4}年(?:修订)?(?:版)?)[）)]$", "", title)
    if base != title:
        out.append(base)
    for prefix in ("中国共产党", "党政机关"):
        if base.startswith(prefix) and len(base) - len(prefix) >= 4:
            short = base[len(prefix):]
            out.append(short)
            if short.startswith("党和国家") and len(short) > 8:  # 党和国家机关基层组织工作条例
                out.append(short[len("党和国家"):])
    return [a for a in dict.fromkeys(out) if a and a != title]


def fold_parens(text: str) -> str:
    """Full-width parentheses to ASCII, as `refs` folds them in questions."""
    return text.replace("（", "(").replace("）", ")")


def _only(*groups: Sequence[Document]) -> Document | None:
    """The first group that names exactly one document."""
    return next((g[0] for g in groups if len(g) == 1), None)


class Catalog:
    """The corpus documents by name. Built once per loaded index; read-only afterwards."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = tuple(docs)
        self._names = {d.doc_id: self._names_of(d) for d in self.docs}
        self._by_id = {d.doc_id: d for d in self.docs}  # a search looks units up a few dozen times
        self._units = {u.key: (d, u) for d in self.docs for u in d.units}
        self.primary = next((d for d in self.docs if d.meta.primary), self.docs[0])

    @staticmethod
    def _names_of(doc: Document) -> tuple[str, ...]:
        """Title first, then short names; parentheses folded."""
        names = (doc.meta.title, *doc.meta.aliases, *aliases_for(doc.meta.title))
        return tuple(dict.fromkeys(fold_parens(n) for n in names if n))

    def doc(self, doc_id: str) -> Document | None:
        return self._by_id.get(doc_id)

    def unit(self, key: str) -> tuple[Document, Unit] | None:
        """The document and unit at "doc_id#ref"."""
        return self._units.get(key)

    def names(self, doc: Document) -> tuple[str, ...]:
        return self._names.get(doc.doc_id) or self._names_of(doc)

    @cached_property
    def preamble_text(self) -> str:
        """The primary notice's header and preamble with its names: what a question about its
        总体要求 speaks of."""
        doc = self.primary
        parts = [u.text for u in doc.units if u.kind in ("header", "preamble")]
        return "\n".join([*parts, doc.meta.title, *self.names(doc)])

    @cached_property
    def _plain_text(self) -> str:
        """All unit texts with 《…》 titles blanked: where a bare name appears when it is a concept."""
        return fold_parens(_TITLED.sub("□", "\n".join(u.text for d in self.docs for u in d.units)))

    def citing(self, name: str) -> list[tuple[Document, str, tuple[str, ...]]]:
        """Where corpus documents cite a 《title》 that contains (or is) `name`: (document, title, refs)."""
        key = fold_parens(name.strip("《》 "))
        return [(d, title, refs) for d in self.docs for title, refs in d.citations
                if key and (key in fold_parens(title) or fold_parens(title) in key)]

    def named(self, phrase: str) -> list[Document]:
        """Documents a name may point at: full title, short name (党章), or a title fragment (要点)."""
        phrase = fold_parens(phrase.strip("《》 "))
        if not phrase:
            return []
        return [d for d in self.docs if any(phrase in n or n in phrase for n in self.names(d))]

    def candidates(self, phrase: str) -> list[Document]:
        """Every document a name could mean, for "可能指多份文件" when it means more than one."""
        if phrase.strip().startswith("《"):
            return self.named(phrase)
        return self.named(phrase) or self._abbreviated(fold_parens(_LINKING.sub("", phrase.strip("《》 "))))

    def english_name(self, question: str) -> Document | None:
        """The document an English question names ("Article 32 of the Party Constitution")."""
        low = question.lower()
        hits = [
            cn for en, cn in ENGLISH_NAMES.items() if re.search(rf"(?<![a-z]){re.escape(en)}(?![a-z])", low)
        ]
        found = {d.doc_id: d for cn in hits if (d := self.find(cn)) is not None}
        return next(iter(found.values())) if len(found) == 1 else None

    def _abbreviated(self, phrase: str) -> list[Document]:
        """Documents of which `phrase` is an abbreviation: its characters in order within a name,
        first and last ones included ("厉行节约条例" → 厉行节约反对浪费条例, "纪律条例" → 纪律处分条例)."""
        if len(phrase) < 4:
            return []

        def within(name: str) -> bool:
            it = iter(name)
            return name.endswith(phrase[-2:]) and all(ch in it for ch in phrase)

        return [d for d in self.docs if any(within(n) and phrase[0] in n[:max(3, len(n) - len(phrase))]
                                           for n in self.names(d))]

    def find(self, phrase: str, *, prefer: Document | None = None) -> Document | None:
        """The one document a name points at: an exact title, else an exact short name, else the only
        partial match; when several still match, `prefer` (the conversation's document) wins. Linking
        words before the name ("除了要点", "和党章") are dropped; other words are part of the name,
        so 《党政机关公文处理工作条例》 never falls back to a fragment such as "工作条例"."""
        quoted = phrase.strip().startswith("《")
        phrase = phrase.strip("《》 ")
        if not self.named(phrase):
            phrase = _LINKING.sub("", phrase)
        matches = self.named(phrase) or ([] if quoted else self._abbreviated(fold_parens(phrase)))
        key = fold_parens(phrase.strip("《》 "))
        by_title = [d for d in matches if self.names(d)[0] == key]
        by_name = [d for d in matches if key in self.names(d)]
        return _only(by_title, by_name, matches) or (prefer if prefer in matches else None)

    def in_question(self, question: str) -> list[Document]:
        """Corpus documents the question names by title or short name (≥ 2 characters).

        A name written in the question counts once: when it is one document's full title and
        another's short name (X and X（试行）), the title wins; a name inside a longer matched
        name ("纪律处分条例" in "中国共产党纪律处分条例") adds nothing of its own."""
        folded = fold_parens(question)
        found: dict[str, list[tuple[bool, Document]]] = {}
        for d in self.docs:
            for i, name in enumerate(self.names(d)):
                if len(name) >= 2 and name in folded:
                    found.setdefault(name, []).append((i == 0, d))
        out: list[Document] = []
        for name, hits in found.items():
            if any(name != other and name in other for other in found):
                continue
            titled = [d for is_title, d in hits if is_title]
            out.extend(titled or [d for _t, d in hits])
        return list(dict.fromkeys(out))

    def unknown_terms(self, question: str) -> list[str]:
        """Numbered abbreviations in the question (三重一大, 两学一做: numeral, character, numeral,
        character — how party-building jargon is coined) that no corpus text uses: the question is
        about something the documents do not speak of, whatever else it shares with them."""
        found = [t for t in dict.fromkeys(_ABBREVIATION.findall(question)) if t[1] not in _NUMERAL_CHARS]
        if not found:  # most questions: the corpus text is not even looked at
            return []
        known = self._abbreviations
        return [t for t in found if t not in self._plain_text and not any(_one_off(t, k) for k in known)]

    @cached_property
    def _abbreviations(self) -> frozenset[str]:
        """The numbered abbreviations the corpus uses: a question's 三会一棵 is a typo of one."""
        return frozenset(_ABBREVIATION.findall(self._plain_text))

    def absent_names(self, question: str) -> list[str]:
        """Document names in the question that no corpus document answers to.

        A name in 《》 is a document by definition. A bare name ("廉洁自律准则") counts only when it
        looks like a title (ends in 条例/准则/…, no question words inside) and the corpus text never
        uses it outside a 《》 citation: "中央八项规定" is a concept the regulations discuss, not a
        missing document; "支部工作条例" is a document the notice cites but the corpus lacks.
        """
        out: list[str] = []
        for title in _TITLED.findall(question):
            if not self.named(title) and self.find(title) is None:
                out.append(title.strip())
        whole = _WHOLE_TITLE.fullmatch(question.replace("(", "（").replace(")", "）").strip(" 　。？?！!"))
        if whole and not _TITLED.search(question) and not _ASKING.search(whole.group(1)):
            name = _LEADING.sub("", whole.group(1))
            if len(name) >= 5 and not self.named(name) and fold_parens(name) not in self._plain_text:
                return [name]
        masked = _TITLED.sub(lambda m: "□" * len(m.group()), question)
        for m in _BARE_NAME.finditer(masked):
            name = _LEADING.sub("", m.group(1)).strip("“”")
            if len(name) < 5 or _NOT_A_NAME.search(name[:-2]):
                continue
            if self.named(name) or any(
                fold_parens(name[i:]) in self._plain_text for i in range(len(name) - 4)
            ):
                continue  # a concept the corpus speaks of ("违反中央八项规定精神"), not a missing document
            out.append(name)
        return list(dict.fromkeys(out))
