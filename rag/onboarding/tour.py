"""The guided tour of the primary notice: its key sentence, its parts, and each item in one line.

Steps, in reading order (26 for the shipped notice: 1 + 6 parts + 19 items):

* ``preamble`` — the preamble's sentence stating the 总体要求;
* ``section`` — a part's heading (一、…), with the title sentence of each item under it;
* ``item`` — the item's title (its first sentence) and the quote of its main requirement.

Everything shown is quoted; nothing is generated. The main requirement is chosen by a fixed rule
(`main_requirement`): the earliest later sentence sharing at least half as many two-character
pieces with the title as the best-sharing one; the second sentence when none shares any.

JSON (`step_json`, `dangjian tour --json`, `GET /api/tour`)::

    {"step": 9, "total": 26, "kind": "item", "key": "dongzhi-2025-3#8", "label": "第8条",
     "heading": "深化“四强”党支部建设。", "section": "三、带头夯实基层基础，…",
     "lines": [{"key", "label", "marker", "text", "citations": [...]}, ...],
     "open": "dongzhi-2025-3#8", "prev": 8, "next": 10}

``lines`` holds one passage per quoted line (an item step: title, then requirement); every
citation has the `ask --json` shape. ``open`` is the unit to open: GET /api/items/{doc_id}/{ref}
(or /api/items/{key} with "#" written %23).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import InputError
from ..records import Document, Unit
from ..text import char_bigrams
from .common import Passage, passage, passage_json, primary

StepKind = Literal["preamble", "section", "item"]
_KEY_SENTENCE = "总体要求"
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Step:
    """One stop of the tour. `heading` is quoted (a sentence, or a part's heading as printed)."""

    no: int
    total: int
    kind: StepKind
    key: str  # the unit to open: the item, the preamble, or a part's first item
    label: str
    heading: str
    section: str
    lines: tuple[Passage, ...]

    @property
    def prev(self) -> int | None:
        return self.no - 1 if self.no > 1 else None

    @property
    def next(self) -> int | None:
        return self.no + 1 if self.no < self.total else None


def main_requirement(unit: Unit) -> int:
    """The sentence after the title that states it: the earliest one sharing at least half as many
    two-character pieces with the title as the best-sharing sentence does; sentence 1 when none
    shares any. Earliest, because a notice states an item's main point first and adds measures
    after it; "half the best", so a later sentence merely repeating the title's words does not win."""
    title = char_bigrams(unit.sentences[0], _NOT_HAN)
    scores = [len(title & char_bigrams(s, _NOT_HAN)) for s in unit.sentences[1:]]
    if not scores:
        return 0
    best = max(scores)
    return 1 + next(i for i, sc in enumerate(scores) if sc * 2 >= best) if best else 1


def _preamble(doc: Document) -> tuple[Unit, int]:
    pre = doc.unit("preamble")
    if pre is None or not pre.sentences:
        raise InputError(f"《{doc.meta.title}》没有可引用的前言")
    n = next((i for i, s in enumerate(pre.sentences) if _KEY_SENTENCE in s), 0)
    return pre, n


def tour(docs: Sequence[Document]) -> tuple[Step, ...]:
    """The tour of the primary notice, numbered from 1."""
    doc = primary(docs)
    pre, n = _preamble(doc)
    raw: list[tuple[StepKind, str, str, str, str, tuple[Passage, ...]]] = [
        ("preamble", pre.key, pre.label, pre.sentences[n], "", (passage(doc, pre, [n]),))]
    for sec in doc.sections:
        units = [u for r in sec.refs if (u := doc.unit(r)) is not None]
        heading = f"{sec.label}{sec.title}"
        raw.append(("section", units[0].key if units else pre.key, sec.label, heading, heading,
                    tuple(passage(doc, u, [0]) for u in units)))
        for u in units:
            lines = (passage(doc, u, [0]),) + ((passage(doc, u, [main_requirement(u)]),)
                                                if len(u.sentences) > 1 else ())
            raw.append(("item", u.key, u.label, u.sentences[0], heading, lines))
    total = len(raw)
    return tuple(Step(i, total, kind, key, label, heading, section, lines)
                 for i, (kind, key, label, heading, section, lines) in enumerate(raw, 1))


def step(steps: Sequence[Step], no: int) -> Step:
    """Step `no` (1-based); InputError naming the valid range otherwise."""
    if not 1 <= no <= len(steps):
        raise InputError(f"导览共{len(steps)}步，没有第{no}步（请输入 1 到 {len(steps)}）")
    return steps[no - 1]


def step_json(s: Step) -> dict[str, Any]:
    return {"step": s.no, "total": s.total, "kind": s.kind, "key": s.key, "label": s.label,
            "heading": s.heading, "section": s.section, "lines": [passage_json(p) for p in s.lines],
            "open": s.key, "prev": s.prev, "next": s.next}
