"""The notice's 《…》 citation graph: which items cite which documents, matched from questions.

Questions name cited documents loosely ("理论学习中心组学习规则", "中办关于…的意见"), so a title
matches when the question shares a long enough run of characters with it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .records import Document
from .text import TITLED
from .vocabulary import TEXT_ITSELF, WHERE, WHICH_WHAT, alternation

MAX_SCAN = 300  # a pasted essay is not a where-is-it question; keeps the O(n·m) match cheap
MIN_SHARED = 8  # characters a question must share with a title (titles are 12–40 characters)
# A where-question, or one asking for the text itself: with a long run shared, it names a cited title.
_ASKS_WHERE = re.compile(alternation(WHERE, TEXT_ITSELF), re.I)
_WHERE = re.compile(alternation(WHERE), re.I)
_CITED_KINDS = r"(?:文件|意见|规定|方案|规则|纲要|条例|规划|制度)"
# "第16条提到的意见是什么", "落实了哪些文件" — but not "按照规定程序发展党员".
_WHICH = alternation(WHICH_WHAT)
_ASKS_CITED = re.compile(rf"(?:提到|引用|要求落实)了?的?(?:{_WHICH})?{_CITED_KINDS}|"
                         rf"(?:落实|按照|根据)了?(?:{_WHICH}){_CITED_KINDS}")


_NOT_TITLE = re.compile(r"[\s《》“”\"（）()]")


def _squash(text: str) -> str:
    return _NOT_TITLE.sub("", text)


@lru_cache(maxsize=512)
def _squashed_title(title: str) -> str:
    """`_squash` of a cited title, made once: every free question is compared with every title."""
    return _squash(title)


def longest_shared(a: str, b: str) -> int:
    """Length of the longest common substring (dynamic programming; both strings are short)."""
    best, prev = 0, [0] * (len(b) + 1)
    for ca in a:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _runs(text: str) -> frozenset[str]:
    """Every run of MIN_SHARED characters: a question and a title that share none need no
    quadratic match (most questions share none with most titles)."""
    return frozenset(text[i:i + MIN_SHARED] for i in range(len(text) - MIN_SHARED + 1))


@lru_cache(maxsize=512)
def _title_runs(title: str) -> frozenset[str]:
    return _runs(title)


def cited_titles_in_question(question: str, doc: Document) -> list[str]:
    """Cited titles a question names: quoted in 《》, or sharing a long run with a where-question."""
    q = _squash(question)[:MAX_SCAN]
    explicit = [e for e in (_squash(t) for t in TITLED.findall(question)) if e]
    q_runs = _runs(q)
    out = []
    for title, _refs in doc.citations:
        t = _squashed_title(title)
        shared = longest_shared(q, t) if not _title_runs(t).isdisjoint(q_runs) else 0
        if (explicit and any(e in t or t in e for e in explicit)) or (
                shared >= MIN_SHARED and (shared >= 10 or _ASKS_WHERE.search(question))):
            out.append(title)
    return out


def asks_where(question: str) -> bool:
    """"哪一条提到了…", "在哪条", "第几条": a question about where something is, not what it says."""
    return bool(_WHERE.search(question))


def asks_cited_documents(rest: str) -> bool:
    """"第16条提到的意见是什么" → the documents an item cites, not the item's requirements."""
    return bool(_ASKS_CITED.search(rest))


def titles_cited_by(doc: Document, ref: str) -> list[str]:
    return [title for title, refs in doc.citations if ref in refs]


def refs_citing(doc: Document, title: str) -> tuple[str, ...]:
    return next((refs for t, refs in doc.citations if t == title), ())
