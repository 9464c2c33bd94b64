"""Check an LLM-written answer against the sources it was given: pure functions, no network.

`verify(text, sources)` splits the answer into sentences (at 。！？ and newlines; a citation
marker written just after the full stop stays with its sentence) and checks each one:

- ``unknown_citation``: a marker such as 〔第25条〕 (or 【第八条】, 〔《某条例》第3条〕, 〔第8、25条〕)
  names a unit that was not among the sources. The offending marker is removed from the text.
- ``no_citation``: the sentence cites no source at all. Headings, lead-in lines ending in "：",
  list numbers and blank lines are not sentences and are ignored.
- ``unsupported_detail``: a number (Arabic or Chinese: 2025, 12345, 十九, 第二批), a date, a 文号
  (〔2025〕3号), a “quoted phrase” or a 《title》 in the sentence does not occur in the text of the
  sources it cites. The offending token is reported.

Valid markers are rewritten in the canonical form of their source (【第八条】 → 〔第8条〕), and a
flagged sentence is prefixed with ⚠ in `Verdict.text`.

Fallback rule: the caller shows the generated answer only when ``flagged_ratio <= THRESHOLD``
(flagged sentences / checked sentences); otherwise it shows the extractive answer. THRESHOLD was
measured on scripted replies about 第8条 (tests/test_verify.py::THRESHOLD_TABLE replays them):

    reply                                       sentences  flagged  ratio  wanted
    good, every sentence cited and supported         5        0     0.00   keep
    good, one uncited summary sentence               5        1     0.20   keep
    one fabricated citation 〔第25条〕 of five         5        1     0.20   keep
    one wrong number (第三批) of four                 4        1     0.25   keep
    one slip of three                                3        1     0.33   keep
    two slips of five                                5        2     0.40   reject
    one slip of two                                  2        1     0.50   reject
    mostly fabricated (three of five)                5        3     0.60   reject
    mostly wrong numbers (four of five)              5        4     0.80   reject
    fully fabricated citations                       3        3     1.00   reject
    no citations at all                              4        4     1.00   reject

Every "keep" row is at most 1/3 and every "reject" row at least 0.40, so any value in
[0.334, 0.40) separates them; 0.34 keeps "one slip in three sentences" and nothing worse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .numerals import CN_NUMERAL_CHARS, cn_to_int, digits_to_int
from .text import char_bigrams

THRESHOLD = 0.34
FLAG_MARK = "⚠"

NO_CITATION = "no_citation"
UNKNOWN_CITATION = "unknown_citation"
UNSUPPORTED_DETAIL = "unsupported_detail"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One unit handed to the model: its address, marker, heading and full text."""

    doc_id: str
    ref: str
    marker: str  # 〔第8条〕 or 〔《title》第三十条〕
    heading: str  # 第8条 深化“四强”党支部建设（三、…）
    text: str
    title: str = ""  # the document's title
    primary: bool = True
    label: str = ""  # 第8条, 文件头, 总体要求
    unit_title: str = ""
    section: str = ""
    sentences: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other names of the document

    @property
    def key(self) -> str:
        return f"{self.doc_id}#{self.ref}"


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    text: str  # as shown (unknown markers removed, known markers canonical, no ⚠)
    citations: tuple[str, ...]  # doc_id#ref of the cited sources
    flags: tuple[str, ...] = ()
    details: tuple[str, ...] = ()  # unsupported tokens and removed markers

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "citations": list(self.citations), "flags": list(self.flags),
                "details": list(self.details)}


@dataclass(frozen=True, slots=True)
class Verdict:
    text: str  # the answer to show: flagged sentences prefixed with ⚠
    sentences: tuple[SentenceCheck, ...]  # checked sentences only (headings and blanks are skipped)
    counts: dict[str, int] = field(default_factory=dict)
    flagged_ratio: float = 0.0
    ok: bool = False
    threshold: float = THRESHOLD

    @property
    def flagged(self) -> tuple[SentenceCheck, ...]:
        return tuple(s for s in self.sentences if s.flags)

    @property
    def cited(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for s in self.sentences for k in s.citations))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form stored in `Answer.verification`."""
        return {"ok": self.ok, "flagged_ratio": round(self.flagged_ratio, 3), "threshold": self.threshold,
                "counts": dict(self.counts), "cited": list(self.cited),
                "flagged": [s.as_dict() for s in self.flagged]}


# -- citations ------------------------------------------------------------------------------

_CN_NUM = CN_NUMERAL_CHARS
_SPECIAL = {"文件头": "header", "header": "header", "总体要求": "preamble", "preamble": "preamble"}

_BRACKET = re.compile(r"[〔【\[［]\s*([^〔〕【】\[\]［］\n]{1,80}?)\s*[〕】\]］]")
_CITE_BODY = re.compile(
    rf"^(?:《\s*(?P<title>[^》]+?)\s*》)?\s*(?P<refs>(?:第\s*[\d{_CN_NUM}]|文件头|总体要求|header|preamble).*)$")
_CITE_REF = re.compile(rf"([\d]+|[{_CN_NUM}]+)|(文件头|总体要求|header|preamble)")


def cn_value(text: str) -> int | None:
    """Value of an Arabic or standard Chinese numeral (十九, 二十, 一百零八); one parser for the project."""
    return cn_to_int(text) if text else None


def _norm_title(title: str) -> str:
    return re.sub(r"\s+", "", title).strip("《》")


def _parse_marker(body: str) -> tuple[str, list[str]] | None:
    """〔…〕 body → (document title or "", refs) when it is a citation; None for 〔2025〕 and such."""
    m = _CITE_BODY.match(body.strip())
    if not m:
        return None
    refs = []
    for num, special in _CITE_REF.findall(m.group("refs")):
        if special:
            refs.append(_SPECIAL[special])
        elif (v := cn_value(num)) is not None:
            refs.append(str(v))
    return (_norm_title(m.group("title") or ""), refs) if refs else None


def _resolve(title: str, ref: str, sources: Sequence[Source]) -> Source | None:
    for s in sources:
        if s.ref != ref:
            continue
        names = {_norm_title(s.title), *(_norm_title(a) for a in s.aliases)}
        if (not title and s.primary) or (title and title in names):
            return s
    return None


# -- sentences ------------------------------------------------------------------------------

_TERMINATORS = "。！？!?"
_CLOSERS = "”’」』）)"
_BULLET = re.compile(
    rf"^\s*(?:[-*•·>#]+\s*|\d+\s*[.、．)）]\s*|[（(][{_CN_NUM}\d]+[)）]\s*|[{_CN_NUM}]+、\s*)"
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def _segments(text: str) -> list[str]:
    """Split into sentences without dropping a character; trailing markers join their sentence."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        i, start, n = 0, 0, len(line)
        while i < n:
            if line[i] in _TERMINATORS:
                j = i + 1
                while j < n and (line[j] in _TERMINATORS or line[j] in _CLOSERS):
                    j += 1
                while True:  # absorb markers (and spaces before them) written after the full stop
                    k = j
                    while k < n and line[k] in " \t":
                        k += 1
                    m = _BRACKET.match(line, k)
                    if not m or _parse_marker(m.group(1)) is None:
                        break
                    j = m.end()
                    while j < n and line[j] in _TERMINATORS:  # "…。〔第8条〕。"
                        j += 1
                out.append(line[start:j])
                start = i = j
            else:
                i += 1
        if start < n:
            out.append(line[start:])
    return out


def _is_heading(content: str, has_marker: bool, raw: str) -> bool:
    if has_marker:
        return False
    stripped = raw.strip()
    if stripped.startswith("#") or (stripped.startswith("**") and stripped.rstrip("：:").endswith("**")):
        return True
    if content.endswith(("：", ":")):
        return True
    ends_sentence = content.rstrip(_CLOSERS).endswith(tuple(_TERMINATORS))
    return not ends_sentence and len(content) <= 20


# -- details --------------------------------------------------------------------------------

_CLASSIFIERS = "个项条次年月日号名家批届类种点支人件期天周季篇所级万亿%倍岁元"
_WENHAO = re.compile(r"[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*(\d+)\s*号")
_QUOTES = re.compile(r"“([^“”\n]{1,80})”|「([^「」\n]{1,80})」|\"([^\"\n]{1,80})\"|《([^《》\n]{1,80})》")
_PROSE_REF = re.compile(rf"第\s*([\d]+|[{_CN_NUM}]+)\s*[条项]")
_ARABIC = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)")
_CN_RUN = re.compile(rf"[{_CN_NUM}]+")
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class _Num:
    literal: str
    value: float | None
    unit: str


def _numbers(text: str, *, strict: bool) -> list[_Num]:
    """Numbers in `text`. strict (answer side) skips lone 一 and lone numerals without a classifier."""
    out = []
    for m in _ARABIC.finditer(text):
        unit = text[m.end()] if m.end() < len(text) and text[m.end()] in _CLASSIFIERS else ""
        out.append(_Num(m.group(1), float(m.group(1)), unit))
    for m in _CN_RUN.finditer(text):
        run = m.group(0)
        unit = text[m.end()] if m.end() < len(text) and text[m.end()] in _CLASSIFIERS else ""
        value = cn_value(run)
        if value is None and len(run) == 4:
            value = digits_to_int(run)  # 二〇二五 (a year)
        if strict and len(run) == 1 and (run == "一" or not unit):
            continue  # 统一, 进一步, 三中全会: words, not quantities
        if strict and len(run) > 1 and value is None and not unit and len(set(run)) == 1:
            continue  # 一一对应
        out.append(_Num(run, float(value) if value is not None else None, unit))
    return out


def _literal_in(token: str, text: str) -> bool:
    if token.isascii() and token.replace(".", "").isdigit():
        return re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", text) is not None
    return re.search(rf"(?<![{_CN_NUM}]){re.escape(token)}", text) is not None


def _supported_number(num: _Num, text: str, pool: list[_Num]) -> bool:
    if _literal_in(num.literal + num.unit, text):
        return True
    if num.value is None:
        return False
    return any(p.value == num.value and (p.unit == num.unit or not num.unit) for p in pool)


def _unsupported(content: str, cited: Sequence[Source], all_sources: Sequence[Source]) -> list[str]:
    """Tokens of `content` (markers already removed) not found in the cited sources' text."""
    text = _WS.sub("", "\n".join(f"{s.title}\n{s.heading}\n{s.text}" for s in cited))
    titles = {_norm_title(t) for s in all_sources for t in (s.title, *s.aliases) if t}
    bad: list[str] = []
    rest = _WS.sub("", content)

    def cut(m: re.Match[str]) -> str:
        return " " * (m.end() - m.start())

    for m in list(_WENHAO.finditer(rest)):
        if f"〔{m.group(1)}〕{m.group(2)}号" not in text:
            bad.append(f"〔{m.group(1)}〕{m.group(2)}号")
    rest = _WENHAO.sub(cut, rest)
    for m in _QUOTES.finditer(rest):
        phrase = next(g for g in m.groups() if g is not None)
        is_title = m.group(4) is not None
        if phrase not in text and not (is_title and _norm_title(phrase) in titles):
            bad.append(f"《{phrase}》" if is_title else f"“{phrase}”")
    rest = _QUOTES.sub(cut, rest)
    for m in _PROSE_REF.finditer(rest):
        value = cn_value(m.group(1))
        if not any(s.ref == str(value) for s in all_sources):
            bad.append(m.group(0))
    rest = _PROSE_REF.sub(cut, rest)
    pool = _numbers(text, strict=False)
    for num in _numbers(rest, strict=True):
        if not _supported_number(num, text, pool):
            bad.append(num.literal + num.unit)
    return list(dict.fromkeys(bad))


# -- the check ------------------------------------------------------------------------------

def _check_segment(seg: str, sources: Sequence[Source]) -> tuple[str, SentenceCheck | None]:
    """One segment → (text to show without ⚠, check or None when it is no sentence)."""
    cited: list[Source] = []
    removed: list[str] = []

    def fix(m: re.Match[str]) -> str:
        parsed = _parse_marker(m.group(1))
        if parsed is None:
            return m.group(0)  # 〔2025〕 of a 文号, not a citation
        title, refs = parsed
        found = []
        for ref in refs:
            src = _resolve(title, ref, sources)
            if src is None:
                removed.append(m.group(0))
            elif src not in found:
                found.append(src)
        for src in found:
            if src not in cited:
                cited.append(src)
        return "".join(s.marker for s in found)

    shown = _BRACKET.sub(fix, seg)
    removed = list(dict.fromkeys(removed))
    has_marker = bool(cited or removed)
    content = _BRACKET.sub(lambda m: "" if _parse_marker(m.group(1)) else m.group(0), seg)
    content = _BULLET.sub("", content).strip().strip("*").strip()
    if not _PUNCT.sub("", content) or _is_heading(content, has_marker, seg):
        return shown, None
    flags: list[str] = []
    details: list[str] = list(removed)
    if removed:
        flags.append(UNKNOWN_CITATION)
    if not cited and not removed:
        flags.append(NO_CITATION)
    if cited and (bad := _unsupported(content, cited, sources)):
        flags.append(UNSUPPORTED_DETAIL)
        details.extend(bad)
    return shown, SentenceCheck(shown.strip(), tuple(s.key for s in cited), tuple(flags), tuple(details))


def _mark(shown: str) -> str:
    """Put ⚠ before the sentence, after any leading space or list bullet."""
    m = _BULLET.match(shown)
    lead = m.end() if m else len(shown) - len(shown.lstrip())
    return f"{shown[:lead]}{FLAG_MARK}{shown[lead:]}"


def verify(text: str, sources: Sequence[Source], *, threshold: float = THRESHOLD) -> Verdict:
    """Check every sentence of `text` against `sources`; see the module docstring."""
    shown_parts: list[str] = []
    checks: list[SentenceCheck] = []
    for seg in _segments(text):
        shown, check = _check_segment(seg, sources)
        if check is not None:
            checks.append(check)
            if check.flags:
                shown = _mark(shown)
        shown_parts.append(shown)
    total = len(checks)
    flagged = sum(1 for c in checks if c.flags)
    counts = {"sentences": total, "flagged": flagged,
              **{f: sum(1 for c in checks if f in c.flags)
                 for f in (NO_CITATION, UNKNOWN_CITATION, UNSUPPORTED_DETAIL)},
              "cited_units": len({k for c in checks for k in c.citations})}
    ratio = flagged / total if total else 1.0
    shown_text = re.sub(r"\n{3,}", "\n\n", "".join(shown_parts)).strip()
    return Verdict(shown_text, tuple(checks), counts, ratio, bool(total) and ratio <= threshold, threshold)


# -- quotes for the citation list -----------------------------------------------------------

def best_quote(sentence: str, source: Source, *, min_overlap: float = 0.3) -> str:
    """The source sentence sharing most character bigrams with `sentence`, else the unit title."""
    plain = _BRACKET.sub(lambda m: "" if _parse_marker(m.group(1)) else m.group(0), sentence)
    want = char_bigrams(plain.replace(FLAG_MARK, ""), _PUNCT)
    best, score = "", 0.0
    for sent in source.sentences:
        have = char_bigrams(sent, _PUNCT)
        if want and have and (s := len(want & have) / len(want)) > score:
            best, score = sent, s
    if score >= min_overlap and best:
        return best
    return source.unit_title or source.label or source.heading


def supporting_quotes(verdict: Verdict, sources: Iterable[Source]) -> list[tuple[Source, str]]:
    """(source, quote) for every cited source of every checked sentence, first-seen order, distinct."""
    by_key = {s.key: s for s in sources}
    out: list[tuple[Source, str]] = []
    for check in verdict.sentences:
        for key in check.citations:
            src = by_key.get(key)
            if src is None:
                continue
            pair = (src, best_quote(check.text, src))
            if pair not in out:
                out.append(pair)
    return out
