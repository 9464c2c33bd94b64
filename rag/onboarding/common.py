"""What the onboarding views share: a `Passage` (sentences quoted verbatim from one unit, with their
citations), how a picked sentence is completed (a list item brings its lead), and unit lookup.

Every line the tour, the checklist, the glossary and the quiz show is a `Passage`, so one test
can check them all the same way: each sentence is a sentence of the unit it cites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..answer import GAP, citation, enumerations, is_clause, marker
from ..errors import CorpusError
from ..records import Citation, Document, Key, Unit
from ..render import citation_json


@dataclass(frozen=True, slots=True)
class Passage:
    """Sentences of one unit in order; `None` stands for list items left out (shown as "……")."""

    doc_id: str
    ref: str
    label: str
    marker: str
    sentences: tuple[str | None, ...]
    citations: tuple[Citation, ...]

    @property
    def key(self) -> str:
        return str(Key(self.doc_id, self.ref))

    @property
    def text(self) -> str:
        return "".join(GAP if s is None else s for s in self.sentences)

    @property
    def quoted(self) -> tuple[str, ...]:
        """The sentences actually quoted (gaps dropped): what a verbatim check reads."""
        return tuple(s for s in self.sentences if s is not None)


def passage(doc: Document, unit: Unit, picks: Sequence[int | None]) -> Passage:
    """A passage of `unit`'s sentences numbered in `picks` (None = a gap), one citation per sentence."""
    sents = tuple(None if n is None else unit.sentences[n] for n in picks)
    cites = tuple(citation(doc, unit, s) for s in sents if s is not None)
    return Passage(doc.doc_id, unit.ref, unit.label, marker(doc, unit), sents, cites)


def with_lead(unit: Unit, wanted: Sequence[int]) -> tuple[int | None, ...]:
    """`wanted` sentence numbers completed so that no list item stands without its lead.

    A picked lead ("…下列义务：") brings its whole list; a picked （N） item brings its list's lead
    (for a list whose lead ends in "。", the nearest earlier sentence that is not an item), and an
    item's later sentence its （N） head; None stands for each run of the list left out.
    """
    sents, chosen, spans = unit.sentences, set(wanted), []
    ranges = enumerations(unit)
    for rng in ranges:
        if rng[0] in chosen:
            chosen |= set(rng)
    for n in sorted(chosen):
        span = next((r for r in ranges if n in r), None) or _implicit_list(sents, n)
        if span is None:
            continue
        chosen.add(span[0])
        spans.append(span)
        if n != span[0] and not is_clause(sents[n]):  # an item's later sentence brings its （N） head
            chosen.add(next(i for i in range(n, span[0], -1) if is_clause(sents[i]) or i == span[1]))
    inside = {i for span in spans for i in span}
    out: list[int | None] = []
    for n in range(len(sents)):
        if n in chosen:
            out.append(n)
        elif n in inside and (not out or out[-1] is not None):
            out.append(None)
    return tuple(out)


def _implicit_list(sents: Sequence[str], n: int) -> range | None:
    """For a （N） item outside any "：" list: its lead (nearest earlier non-item) to the last item
    of the run it belongs to; None when `n` is not an item or nothing precedes it."""
    if not is_clause(sents[n]):
        return None
    lead = next((i for i in range(n - 1, -1, -1) if not is_clause(sents[i])), None)
    if lead is None:
        return None
    last = n
    while last + 1 < len(sents) and is_clause(sents[last + 1]):
        last += 1
    return range(lead, last + 1)


def find_unit(docs: Sequence[Document], key: str) -> tuple[Document, Unit]:
    """`doc_id#ref` → its document and unit; CorpusError naming the key when either is missing."""
    k = Key.parse(key)
    doc = next((d for d in docs if d.doc_id == k.doc_id), None)
    unit = doc.unit(k.ref) if doc else None
    if doc is None or unit is None:
        raise CorpusError(f"引用的条文不存在：{key}（请检查数据文件或语料）")
    return doc, unit


def primary(docs: Sequence[Document]) -> Document:
    """The primary notice (the tour's subject); CorpusError when the corpus has none."""
    doc = next((d for d in docs if d.meta.primary), None)
    if doc is None:
        raise CorpusError("语料中没有主文件（manifest 中 primary = true 的通知）")
    return doc


def passage_json(p: Passage) -> dict[str, Any]:
    """A passage for `--json` and the API: its key, the quoted text and `ask --json`-shaped citations."""
    return {"key": p.key, "label": p.label, "marker": p.marker, "text": p.text,
            "citations": [citation_json(c) for c in p.citations]}
