"""The glossary (名词解释): reviewed terms, each with the corpus sentences that define or first use it.

Not to be confused with `rag/glossary.py`, the English/everyday → formal-term table used for
query expansion. Here the list of terms is a reviewed data file (`terms.toml`); what an entry
*says* is only ever corpus text, found at load time by two rules (`defines`):

* a sentence opening with the term and a defining word — “X是指…”, “X，是…”, “X包括…”,
  “X分为…” (also “X处分，是指…”, “X的主要内容是…”, “X的任务，主要是…”);
* an enumeration lead naming it: “…X种类：” / “X的主要任务是：” followed by （一）… items.

When no sentence defines a term, the entry says so (`NOT_DEFINED`) and quotes the first place
each document (the notice first) uses it. Quotation marks are ignored when matching (the corpus
writes “四强”党支部), but what is shown is the sentence as written.

JSON (`entry_json`, `dangjian glossary --json`, `GET /api/glossary[/{term}]`)::

    {"term": "三会一课", "aliases": [], "defined": false, "note": "已收录文件未给出定义，…",
     "lines": [{"key", "label", "marker", "text", "citations": [...]}, ...]}
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..answer import enumerations
from ..errors import CorpusError, InputError
from ..records import Document, Unit
from .common import Passage, passage, passage_json, with_lead

TERMS_PATH = Path(__file__).with_name("terms.toml")
NOT_DEFINED = "已收录文件未给出定义，以下是它出现的地方"
NOT_FOUND = "已收录文件中没有出现这个词"
MAX_LINES = 3
_QUOTES = str.maketrans("", "", "“”\"")
_PREFIX = r"(?:本条例所称|本细则所称|所称|所谓)?"
_OF = r"(?:处分)?(?:的(?:主要内容|基本方法|主要任务|基本任务|任务|种类))?"
_DEFINING = r"(?:是指|是|指|主要包括|包括|一般包括|分为)"
_LEAD = r"(?:处分)?(?:的)?(?:种类|主要内容|主要任务|基本任务|主要包括|包括|分为)[^，。；：]*："


@dataclass(frozen=True, slots=True)
class Entry:
    term: str
    aliases: tuple[str, ...]
    defined: bool
    lines: tuple[Passage, ...]

    @property
    def note(self) -> str:
        if self.defined:
            return ""
        return NOT_DEFINED if self.lines else NOT_FOUND


def plain(text: str) -> str:
    """Text with quotation marks removed: how terms are matched (“四强”党支部 → 四强党支部)."""
    return text.translate(_QUOTES)


def defines(sentence: str, term: str, *, is_lead: bool = False) -> bool:
    """Does this sentence define `term` by one of the two rules (see the module docstring)?"""
    s, t = plain(sentence), re.escape(plain(term))
    if re.match(rf"{_PREFIX}{t}{_OF}[，,]?(?:主要)?{_DEFINING}", s):
        return True
    return is_lead and bool(re.search(rf"{t}{_LEAD}$", s))


def _leads(unit: Unit) -> set[int]:
    return {rng[0] for rng in enumerations(unit)}


def _definitions(docs: Sequence[Document], names: Sequence[str]) -> list[Passage]:
    out = []
    for doc in docs:
        for unit in doc.units:
            leads = _leads(unit)
            for n, s in enumerate(unit.sentences):
                if any(defines(s, name, is_lead=n in leads) for name in names):
                    out.append(passage(doc, unit, with_lead(unit, [n])))
    return out


def _first_uses(docs: Sequence[Document], names: Sequence[str]) -> list[Passage]:
    """The first sentence using the term in each document, in corpus order (primary first)."""
    out = []
    for doc in docs:
        hit = next(((u, n) for u in doc.units for n, s in enumerate(u.sentences)
                    if any(plain(name) in plain(s) for name in names)), None)
        if hit is not None:
            out.append(passage(doc, hit[0], with_lead(hit[0], [hit[1]])))
    return out


def entry(docs: Sequence[Document], term: str, aliases: Sequence[str] = ()) -> Entry:
    names = [term, *aliases]
    found = _definitions(docs, names)
    if found:
        return Entry(term, tuple(aliases), True, tuple(found[:MAX_LINES]))
    return Entry(term, tuple(aliases), False, tuple(_first_uses(docs, names)[:MAX_LINES]))


def load_terms(path: Path = TERMS_PATH) -> list[tuple[str, tuple[str, ...]]]:
    """(term, aliases) in file order; CorpusError when the file is unreadable or malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CorpusError(f"名词解释数据文件无法读取：{path}（{err}）") from err
    rows = data.get("term", [])
    if not all(isinstance(r.get("term"), str) and r["term"] for r in rows):
        raise CorpusError(f"名词解释数据文件中每一项都要有 term：{path}")
    return [(r["term"], tuple(r.get("aliases", ()))) for r in rows]


def glossary(docs: Sequence[Document], path: Path = TERMS_PATH) -> tuple[Entry, ...]:
    """Every listed term's entry, docs in corpus order (primary first)."""
    ordered = sorted(docs, key=lambda d: not d.meta.primary)
    return tuple(entry(ordered, term, aliases) for term, aliases in load_terms(path))


def lookup(entries: Sequence[Entry], text: str) -> Entry:
    """The entry for a term or alias (quotation marks ignored); InputError with close terms otherwise."""
    key = plain(text.strip())
    for e in entries:
        if key in (plain(e.term), *map(plain, e.aliases)):
            return e
    near = [e.term for e in entries if key and (key in plain(e.term) or plain(e.term) in key)]
    hint = (
        f"，相近的词条：{'、'.join(near)}"
        if near
        else f"（共{len(entries)}个词条，dangjian glossary 列出全部）"
    )
    raise InputError(f"名词解释中没有“{text.strip()}”{hint}")


def entry_json(e: Entry) -> dict[str, Any]:
    return {"term": e.term, "aliases": list(e.aliases), "defined": e.defined, "note": e.note,
            "lines": [passage_json(p) for p in e.lines]}
