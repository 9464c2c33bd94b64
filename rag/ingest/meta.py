"""Guessing a document's manifest fields from its text: title, 文号, 发文机关, date, kind, aliases.

Regulations carry them in their lead (新华社 release, revision line), notices in their header,
plain notices in their title line and 落款 (where is each kind's `signature`, and what a kind reads
in its own places, its `guess`: rag/kinds); what cannot be found is left out and the title falls
back to the file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import kinds
from ..catalog import aliases_for
from ..numerals import CN_NUMERAL_CHARS
from ..text import titled

_DOCNO_RE = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
_LEAD_TITLE_RE = re.compile(
    r"(?:印发|发布|公布|颁布)了?\s*(?:修订后的|新修订的|新修订)?\s*" + titled(2, 60))
_NOTICE_ISSUER_RE = re.compile(r"^\s*([\u4e00-\u9fff（）()]{2,40}?)关于印发")
_ACTOR_RE = re.compile(r"([\u4e00-\u9fff、]{2,30}?)(?:近日)?(?:印发|发布)了")
_DATED_RE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"([\u4e00-\u9fff、]{0,30}?)"
    r"(发布|印发|通过|公布|批准|修订|施行)")
_ANY_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CONGRESS_RE = re.compile(r"(中国共产党第[\u4e00-\u9fff]{1,6}次全国代表大会)")
_TITLE_WORDS = ("条例", "章程", "细则", "规定", "办法", "规则", "准则", "意见", "通知", "决定", "要点",
                "纲要", "方案", "规划", "（试行）", "(试行)", "制度", "守则")
_VERB_RANK = {"发布": 3, "印发": 3, "公布": 3, "通过": 2, "批准": 1, "修订": 1, "施行": 0}
_ORG_HINT = ("中共", "中央", "国务院", "委员会", "办公厅", "工委", "党委", "党组", "纪委", "组织部",
             "宣传部", "全国代表大会", "政府")


def _lead_region(text: str) -> str:
    """Text before the first 第X章/第X条/总纲 line (the whole text when there is none), ≤ 40 lines."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        s = line.strip(" \t\u3000\ufeff")
        if re.match(rf"^(第[{CN_NUMERAL_CHARS}\d]+[编編章节節条條]|总\s*纲$|序\s*言$)", s):
            return "\n".join(lines[:i])
    return "\n".join(lines[:40])


def _title_line(lead: str) -> str:
    for line in lead.split("\n"):
        s = re.sub(r"[\s\u3000]+\d{4}$", "", line.strip(" \t\u3000\ufeff"))  # "…条例 2023" (site label)
        if not s or s.startswith(("（", "(")) or len(s) > 60:
            continue
        if re.search(r"[。，；：！？]", s) or _DOCNO_RE.search(s) or _ANY_DATE_RE.fullmatch(s):
            continue
        if s.endswith(_TITLE_WORDS):
            return s
    return ""


def _first_heading_line(text: str) -> str:
    for line in text.split("\n"):
        s = line.strip(" \t\u3000\ufeff")
        if s:
            return s if len(s) <= 60 and not re.search(r"[。；！？]", s) else ""
    return ""


def _date(m: re.Match[str]) -> str:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1900 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def detect_meta(text: str, filename: str) -> dict[str, Any]:
    """Manifest fields guessed from the text: title, doc_number, issuer, date, kind, aliases.

    Values that cannot be found are left out (title falls back to the file name). Keys are
    `DocMeta` field names, so the result can be passed to `DocMeta(doc_id=…, file=…, **meta)`.
    """
    lead = _lead_region(text)
    kind = kinds.detect(text)
    own = kind.guess(text)
    meta: dict[str, Any] = {"kind": kind.name}
    m = _LEAD_TITLE_RE.search(lead)
    title = (own.get("title") or (m.group(1).strip() if m else "") or _title_line(lead)
             or _first_heading_line(text))
    if not title or (kind.signature == "lead" and re.match(r"^第.+[章条]", title)):
        title = Path(filename).stem
    meta["title"] = title
    if dn := _DOCNO_RE.search(lead if kind.signature == "lead" else text[:2000]):
        meta["doc_number"] = re.sub(r"\s+", "", dn.group(0))

    # the revision line: "（2010年…审议批准 2010年6月4日中共中央发布 2019年11月29日…修订）" →
    # date = the latest dated act (ties: 发布/印发 first), issuer = who published it last
    acts: list[tuple[str, int, str]] = []  # (date, verb rank, organ)
    for dm in _DATED_RE.finditer(lead):
        if date := _date(dm):
            acts.append((date, _VERB_RANK[dm.group(5)], dm.group(4)))
    latest = max(acts, default=None)
    published = [a for a in acts if a[1] >= 3 and a[2]]
    issuer = max(published)[2] if published else ""
    if not issuer and (am := _ACTOR_RE.search(lead)):
        issuer = re.sub(r"^.*?(?=中共|中国共产党|国务院|中央)", "", am.group(1), count=1) or am.group(1)
    if not issuer and (nm := _NOTICE_ISSUER_RE.search(lead)):
        issuer = nm.group(1)
    if not issuer and (cm := _CONGRESS_RE.search(lead)):
        issuer = cm.group(1)
    issuer = own.get("issuer") or issuer
    if not issuer and kind.signature == "header":
        first = _first_heading_line(text)
        if first and first.endswith(_ORG_HINT):
            issuer = first
    if issuer:
        meta["issuer"] = issuer
    date = own.get("date") or (latest[0] if latest else "")
    if not date:
        for line in lead.split("\n"):  # a notice's date line: "2025年3月27日"
            if (dm2 := _ANY_DATE_RE.fullmatch(line.strip(" \t\u3000"))) and (d := _date(dm2)):
                date = d
    if not date and (sm := re.search(r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日起施行", text)):
        date = _date(sm)
    if date:
        meta["date"] = date
    if addressees := own.get("addressees"):
        meta["addressees"] = addressees
    if aliases := aliases_for(title):
        meta["aliases"] = aliases
    return meta
