"""Duty checklists by role: which articles bind whom is a reviewed data file, not a guess.

`duties.toml` maps role → group → entries ``{key = "doc_id#ref", sentence = …, why = "…"}``.
``sentence`` is the sentence's index in the unit (0-based) or its opening words, verbatim (they
must open exactly one sentence of the unit). A picked （N） list item is quoted with its lead, a
picked lead with its whole list (`common.with_lead`). Every line is quoted from the corpus at
load time; an entry that names a missing unit or sentence is a `CorpusError`, never skipped.

The frequency or deadline of a duty is read from its quoted text by `frequency` (a regex over the
quote; nothing is added), and the calendar view sorts by it: 每月 < 每季度 < 每半年 < 每年 <
one-off deadlines (一个月内 before 三个月内 …) < undated.

JSON (`checklist_json`, `dangjian duties ROLE --json`, `GET /api/duties/{role}`)::

    {"role": "支部书记", "title": "支部书记（机关党支部）", "count": 31, "documents": [...],
     "groups": [{"group": "组织生活", "duties": [DUTY, ...]}, ...],
     "calendar": [{"when": "每月", "duties": [DUTY, ...]}, ...]}

    DUTY = {"group", "key", "label", "marker", "text", "frequency", "why", "citations": [...]}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CorpusError, InputError
from ..numerals import cn_to_int
from ..records import Document, Unit
from ..roles import DUTIES_PATH, ROLES, duty_table, resolve_role
from .common import Passage, find_unit, passage, passage_json, with_lead

GROUPS: tuple[str, ...] = ("组织生活", "党员教育管理", "发展党员", "纪律作风", "本年度重点（要点）")
# The least each role's checklist must hold: (duties, distinct documents). Tests hold the data to it.
MINIMUMS: dict[str, tuple[int, int]] = {"支部书记": (20, 3), "党组书记": (12, 3), "纪委委员": (12, 3),
                                        "党务干部": (12, 3), "党员": (12, 3)}
UNDATED = "未写明时间"
DEADLINE = "限期办理"
_PERIODS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("每月", re.compile(r"每月|每个月")),
    ("每季度", re.compile(r"每季度|每个季度")),
    ("每半年", re.compile(r"每半年")),
    ("每年", re.compile(r"每年度?")),
)
_NUM = r"[一二两三四五六七八九十\d]+"
_DEADLINE = re.compile(rf"(?:{_NUM}个?(?:月|工作日|日|天)|半年|{_NUM}年)内")
_CN_UNITS = {"月": 30, "工作日": 1, "日": 1, "天": 1, "年": 365}


@dataclass(frozen=True, slots=True)
class Duty:
    """One checklist line: a verbatim passage, its group, the frequency its text states, and why."""

    role: str
    group: str
    passage: Passage
    why: str
    frequency: str  # "" when the quote states none

    @property
    def rank(self) -> tuple[int, int]:
        """Calendar order: (period rank, days for a deadline)."""
        return frequency_rank(self.frequency)


@dataclass(frozen=True, slots=True)
class Checklist:
    role: str
    title: str
    duties: tuple[Duty, ...]

    @property
    def documents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.passage.doc_id for d in self.duties))

    def group(self, name: str) -> tuple[Duty, ...]:
        return tuple(d for d in self.duties if d.group == name)


def frequency(text: str) -> str:
    """The first frequency or deadline the text states ("每月", "每年", "一个月内"), or ""."""
    found = [(m.start(), name) for name, pat in _PERIODS if (m := pat.search(text))]
    if (m := _DEADLINE.search(text)) is not None:
        found.append((m.start(), m.group()))
    return min(found)[1] if found else ""


def frequency_rank(freq: str) -> tuple[int, int]:
    """每月 0, 每季度 1, 每半年 2, 每年 3, deadlines 4 (by length in days), undated 5."""
    for rank, (name, _pat) in enumerate(_PERIODS):
        if freq == name:
            return rank, 0
    if not freq:
        return len(_PERIODS) + 1, 0
    return len(_PERIODS), _days(freq)


def _days(deadline: str) -> int:
    if deadline.startswith("半年"):
        return 182
    m = re.match(rf"({_NUM})个?(月|工作日|日|天|年)", deadline)
    n = cn_to_int(m.group(1)) if m else None
    return (n or 0) * _CN_UNITS[m.group(2)] if m else 0


def when(freq: str) -> str:
    """The calendar heading a frequency falls under."""
    rank = frequency_rank(freq)[0]
    return freq if rank < len(_PERIODS) else (DEADLINE if freq else UNDATED)


def _sentence_no(unit: Unit, spec: object, key: str) -> int:
    if isinstance(spec, int) and not isinstance(spec, bool):
        if 0 <= spec < len(unit.sentences):
            return spec
        raise CorpusError(f"{key} 没有第 {spec} 句（共 {len(unit.sentences)} 句）")
    if isinstance(spec, str) and spec:
        hits = [n for n, s in enumerate(unit.sentences) if s.startswith(spec)]
        if len(hits) == 1:
            return hits[0]
        raise CorpusError(f"{key} 中以“{spec}”开头的句子有 {len(hits)} 个（应恰好 1 个）")
    raise CorpusError(f"{key} 的 sentence 应为句子序号或句子开头的原文")


def _entry(docs: Sequence[Document], role_name: str, group: str, raw: dict[str, Any]) -> Duty:
    key = str(raw.get("key", ""))
    doc, unit = find_unit(docs, key)
    specs = raw.get("sentence")
    wanted = [_sentence_no(unit, s, key) for s in (specs if isinstance(specs, list) else [specs])]
    quoted = passage(doc, unit, with_lead(unit, wanted))
    return Duty(role_name, group, quoted, str(raw.get("why", "")), frequency(quoted.text))


def load_checklists(docs: Sequence[Document], path: Path = DUTIES_PATH) -> dict[str, Checklist]:
    """Every role's checklist, quoted from `docs`; CorpusError on any entry that does not resolve."""
    data = duty_table(path)
    unknown = [name for name in data if resolve_role(name) != name]
    if unknown:
        raise CorpusError(f"职责清单数据文件中有未知角色：{'、'.join(unknown)}")
    out: dict[str, Checklist] = {}
    for r in ROLES:
        groups = data.get(r.name, {})
        bad = [g for g in groups if g not in GROUPS]
        if bad:
            raise CorpusError(f"角色“{r.name}”有未知分组：{'、'.join(bad)}（可用：{'、'.join(GROUPS)}）")
        duties = [_entry(docs, r.name, g, raw) for g in GROUPS for raw in groups.get(g, [])]
        out[r.name] = Checklist(r.name, r.title, tuple(duties))
    return out


def pick(checklists: dict[str, Checklist], name: str) -> Checklist:
    """The checklist of the role `name` names (short name, title or alias); InputError otherwise."""
    found = resolve_role(name)
    if found is None or found not in checklists:
        names = "、".join(r.name for r in ROLES)
        raise InputError(f"没有“{name}”这个角色的职责清单（可用：{names}）")
    return checklists[found]


def calendar(checklist: Checklist) -> list[tuple[str, tuple[Duty, ...]]]:
    """(heading, duties) in calendar order; within a heading, deadlines by length, then file order."""
    ordered = sorted(checklist.duties, key=lambda d: d.rank)  # stable: file order within a rank
    heads = list(dict.fromkeys(when(d.frequency) for d in ordered))
    return [(h, tuple(d for d in ordered if when(d.frequency) == h)) for h in heads]


def duty_json(d: Duty) -> dict[str, Any]:
    return {"group": d.group, **passage_json(d.passage), "frequency": d.frequency, "why": d.why}


def checklist_json(c: Checklist, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """The checklist by group and by calendar; `titles` (doc_id → title) names the documents."""
    titles = titles or {}
    return {
        "role": c.role, "title": c.title, "count": len(c.duties),
        "documents": [{"doc_id": d, "title": titles.get(d, "")} for d in c.documents],
        "groups": [{"group": g, "duties": [duty_json(d) for d in c.group(g)]} for g in GROUPS if c.group(g)],
        "calendar": [{"when": h, "duties": [duty_json(d) for d in ds]} for h, ds in calendar(c)],
    }
