"""Deterministic detection of item / section references in a question, run before any search.

A question such as "《纪律处分条例》第三十条讲什么" or "what does item 8 say" names its target
explicitly; resolving that with rules is cheaper and more reliable than hoping retrieval ranks the
right unit first. Range checking is left to the caller, which knows the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .kinds import OTHER_GENRES, PLAN_GENRES, REF_WORDS, RULE_GENRES
from .numerals import CN_NUMERAL_CHARS, cn_to_int
from .text import titled
from .vocabulary import PARTICLE_VARIANTS, QUESTION_PARTICLES, TONE_PARTICLES, alternation

Relative = Literal["next", "prev", "this", "last"]

_RANGE_CAP = 200  # a longer range is almost certainly a typo; keep only its endpoints
_MAX_SCAN = 1000  # references sit in the question itself; bounds regex time on pasted text
_DOC_WINDOW = 60  # no document name is longer; bounds the backwards search for one

# Full-width ASCII (digits, punctuation) -> ASCII, ideographic space -> space, and the traditional
# characters that matter for the patterns below -> simplified.
_TRANSLATE: dict[int, int | str] = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TRANSLATE.update({0x3000: " ", ord("〜"): "~"})
_TRANSLATE.update(str.maketrans("條項這該點與兩個後節於關裡裏對", "条项这该点与两个后节于关里里对"))

_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen twenty").split()
_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
             "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
             "twentieth").split()
_ROMANS = ("I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX "
           "XX").split()
_EN_VALUES = {w: i for seq in (_WORDS, _ORDINALS, _ROMANS) for i, w in enumerate(seq, 1)}

_N = rf"(?:[0-9]+|[{CN_NUMERAL_CHARS}]+)"
_UNIT = rf"[{REF_WORDS}]"  # the words the document kinds are cited by (rag/kinds): 第8条, 第3段
_RSEP = r"(?:至|到|-|—|–|~)"
_LSEP = r"(?:、|,|和|与|以及|及|或)"
_CN_GROUP = rf"第?\s*{_N}(?:\s*(?:{_RSEP}|{_LSEP})\s*第?\s*{_N})*\s*{_UNIT}"
# "第2、3条", "第7至第九条", "第2条和第3条"; a comma after 条 ends the chain ("第2条，三点要求").
_CN_CHAIN = re.compile(rf"第\s*{_N}(?:\s*(?:{_RSEP}|{_LSEP})\s*第?\s*{_N})*\s*{_UNIT}"
                       rf"(?:\s*(?:{_RSEP}|(?!,){_LSEP})\s*{_CN_GROUP})*")
_CN_TOKEN = re.compile(rf"{_N}|{_RSEP}")
_CN_RANGE = frozenset({"至", "到", "-", "—", "–", "~"})
_KEYPOINT = re.compile(r"要点\s*([0-9]+|[一二两三四五六七八九十百]+(?![\u4e00-\u9fff])"
                       r"|[一二两三四五六七八九十百]+(?=[呢吗的里讲说是和与]))")
_LEAD_ITEM = re.compile(r"^\s*([0-9]+)\s*[.、](?![0-9])")
_LEAD_COUNT = re.compile(r"^\s*([0-9]{1,3})\s*[条项点](?![例件款目])")  # "19条讲什么"
_EN_NUMBER = re.compile(r"\b(?:number|no\.)\s*(\d{1,3})\b", re.I)  # "explain number 16"
_LEAD_SECTION = re.compile(r"^\s*([零〇一二两三四五六七八九十百]+)\s*、")
_CN_SECTION = re.compile(rf"第\s*({_N})\s*(?:大部分|部分|大项|方面|板块|章)")

_EN_NUMREF = r"(?:no\.?\s*|number\s+|#\s*)?\d+"
_EN_SEP = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s*[&~\-–—]\s*|\s+(?:to|through|thru)\s+)"
_EN_KIND = r"(?:items?|articles?|points?)"
_EN_ITEMS = re.compile(rf"\b{_EN_KIND}\s*{_EN_NUMREF}(?:{_EN_SEP}(?:{_EN_KIND}\s*)?{_EN_NUMREF})*",
                       re.I)
_EN_TOKEN = re.compile(r"\d+|\bto\b|\bthrough\b|\bthru\b|[~\-–—]", re.I)
_EN_RANGE = _CN_RANGE | {"to", "through", "thru"}
_EN_HASH = re.compile(r"(?<![\w#&])#\s*(\d+)")
_ORD = rf"(?:{'|'.join(_ORDINALS)}|\d+(?:st|nd|rd|th))"
_EN_ORD_ITEM = re.compile(rf"\b(?:the\s+)?({_ORD})\s+(?:item|article|point)\b", re.I)
_EN_ORD_SECTION = re.compile(rf"\b(?:the\s+)?({_ORD})\s+(?:section|part|chapter)\b", re.I)
_EN_SECTION = re.compile(rf"\b(section|part|chapter)\s+(?:no\.?\s*|number\s+|#\s*)?"
                         rf"(\d+|(?-i:[IVX]+)|{'|'.join(_WORDS)})\b", re.I)

_NOT_NOUN = r"(?!工作|任务|活动|制度|例|件|目|款|功夫|工夫|力气)"
_PARAGRAPH = r"段(?!时间|时期|日子|路|历程|经历|距离)"  # 上一段 is a paragraph, 前一段时间 a time
_RELATIVE: tuple[tuple[Relative, re.Pattern[str]], ...] = (
    (
        "next",
        re.compile(
            rf"(?<!以)下一(?:[条项点]{_NOT_NOUN}|{_PARAGRAPH})|(?<!以)下[条项]{_NOT_NOUN}|后一(?:[条项点]|{_PARAGRAPH})"
            r"|下一个(?=[呢吗?,。!\s]|$)|\b(?:the\s+)?next\s+(?:item|one|point|article)\b"
            r"|\bthe\s+next\b(?=\s*(?:[?.!,]|$))",
            re.I,
        ),
    ),
    (
        "prev",
        re.compile(
            rf"(?<!以)上一(?:[条项点]{_NOT_NOUN}|{_PARAGRAPH})|(?<!以)上[条项]{_NOT_NOUN}|前一(?:[条项点]|{_PARAGRAPH})"
            r"|上一个(?=[呢吗?,。!\s]|$)"
            r"|\b(?:the\s+)?(?:previous|prior|preceding)\s+(?:item|one|point|article)\b"
            r"|\bthe\s+(?:previous|prior)\b(?=\s*(?:[?.!,]|$))",
            re.I,
        ),
    ),
    (
        "last",
        re.compile(
            rf"最后一(?:[条项点]|{_PARAGRAPH})|最末一(?:[条项点]|{_PARAGRAPH})"
            r"|\b(?:the\s+)?(?:last|final)\s+(?:item|one|point|article)\b", re.I
        ),
    ),
    (
        "this",
        re.compile(
            rf"[这那]一[条项点]{_NOT_NOUN}|[这那][条项]{_NOT_NOUN}|[该本此][条项]{_NOT_NOUN}"
            r"|\b(?:this|that)\s+(?:item|one|point|article)\b",
            re.I,
        ),
    ),
)

_DEMONSTRATIVE = r"(?:这一|这个|那一|那个|这|那|该)?"
_SECTION_WORD = r"(?:部分|方面|板块|大项)"
_QUOTED_SECTION = re.compile(rf"[“\"「『‘']([^“”\"「」『』‘’']+)[”\"」』’']"
                             rf"\s*{_DEMONSTRATIVE}{_SECTION_WORD}")
_BARE_SECTION = re.compile(rf"([\u4e00-\u9fff]+?){_DEMONSTRATIVE}{_SECTION_WORD}")
_MIN_FRAGMENT = 4  # shorter fragments ("党建", "部分党员") are too generic to name a section

_DOC_SUFFIX = f"(?:{alternation(('党章',), RULE_GENRES, PLAN_GENRES, OTHER_GENRES)})"
_DOC_GLUE = r"\s*(?:中的|里的|的|中|里)?\s*$"
_DOC_TITLE = re.compile(rf"{titled()}{_DOC_GLUE}")
_DOC_BARE = re.compile(rf"([0-9A-Za-z\u4e00-\u9fff]*?{_DOC_SUFFIX}){_DOC_GLUE}")
_DOC_FILLER = re.compile(r"^(?:请问|请|关于|根据|按照|依据|依照|对照|对于|对|那么|那|这个|这份|那个|该"
                         r"|看看|看|查|在|我想知道|想知道|想问|问一下|问问)+")

# Separators only: quotes and brackets are kept so a quoted phrase in `rest` stays balanced.
_PUNCT = r"[\s,.;:!?、。，；：！？…·~\-—]"
_REST_LEAD = re.compile(rf"^(?:{_PUNCT}|那么|那|请问|请|关于|对于|根据|按照|依据|里面|里|裡|的"
                        r"|(?:and|so|then|what about|how about)\b)+", re.I)
_PARTICLES = alternation(QUESTION_PARTICLES, TONE_PARTICLES, PARTICLE_VARIANTS)
_REST_TAIL = re.compile(rf"(?:{_PUNCT}|{_PARTICLES})+$")


@dataclass(frozen=True, slots=True)
class RefQuery:
    """What a question points at; `rest` is what to look for inside the referenced unit."""

    items: tuple[int, ...] = ()
    section: int | None = None
    relative: Relative | None = None
    doc_phrase: str = ""
    rest: str = ""
    # Item numbers grouped by the document name written before them, in the order asked:
    # "要点第10条…，厉行节约反对浪费条例第四条" → (("要点", (10,)), ("厉行节约反对浪费条例", (4,))).
    # A reference with no name of its own belongs to the name before it.
    groups: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # The word each group's numbers are written with, aligned with `groups`: "条" (第8条), "段" (第3段),
    # "" for forms that name none (8. / item 8 / 要点十); the document's kind decides whether it fits.
    words: tuple[str, ...] = ()

    def word(self, group: int) -> str:
        """The reference word of `groups[group]` ("" when not recorded)."""
        return self.words[group] if group < len(self.words) else ""

    @property
    def empty(self) -> bool:
        """True when the question names no item, section or relative position."""
        return not self.items and self.section is None and self.relative is None


@dataclass(frozen=True, slots=True)
class _Hit:
    """One matched reference: its span in the normalised question and the numbers it names."""

    start: int
    end: int
    numbers: tuple[int, ...]
    word: str = ""  # the unit word written after the number: 条, 项, 点, 段


def _normalize(text: str) -> str:
    """Fold full-width and traditional forms so each pattern is written only once."""
    return text.translate(_TRANSLATE)


def _en_value(word: str) -> int | None:
    """Value of an English number: digits, 3rd, three, third, III."""
    if word.isdigit():
        return int(word)
    digits = re.match(r"(\d+)(?:st|nd|rd|th)$", word, re.I)
    if digits:
        return int(digits.group(1))
    return _EN_VALUES.get(word) or _EN_VALUES.get(word.lower())


def _span(lo: int, hi: int) -> tuple[int, ...]:
    """Expand lo..hi inclusively; absurd or reversed ranges keep only their endpoints."""
    if lo <= hi and hi - lo < _RANGE_CAP:
        return tuple(range(lo, hi + 1))
    return (lo, hi)


def _expand(tokens: Iterable[str], is_range: frozenset[str]) -> tuple[int, ...]:
    """Turn number and range-word tokens ("7", "至", "9") into the numbers they name."""
    out: list[int] = []
    in_range = False
    for tok in tokens:
        if tok.lower() in is_range:
            in_range = bool(out)
            continue
        value = cn_to_int(tok)
        if value is None:
            continue
        out.extend(_span(out[-1], value)[1:] if in_range else (value,))
        in_range = False
    return tuple(out)


def _single(match: re.Match[str], value: int | None) -> list[_Hit]:
    """A hit for one number, or nothing when the number did not parse."""
    return [] if value is None else [_Hit(match.start(), match.end(), (value,))]


def _item_hits(text: str) -> list[_Hit]:
    """Every explicit item/article reference, Chinese and English, in order of position."""
    hits = [_Hit(m.start(), m.end(), _expand(_CN_TOKEN.findall(m.group()), _CN_RANGE), _unit_word(m.group()))
            for m in _CN_CHAIN.finditer(text)]
    hits += [_Hit(m.start(), m.end(), _expand(_EN_TOKEN.findall(m.group()), _EN_RANGE))
             for m in _EN_ITEMS.finditer(text)]
    for m in (*_KEYPOINT.finditer(text), *_EN_HASH.finditer(text), *_LEAD_ITEM.finditer(text),
              *_LEAD_COUNT.finditer(text), *_EN_NUMBER.finditer(text)):
        hits += _single(m, cn_to_int(m.group(1)))
    for m in _EN_ORD_ITEM.finditer(text):
        hits += _single(m, _en_value(m.group(1)))
    return _drop_overlaps(h for h in hits if h.numbers)


def _unit_word(chain: str) -> str:
    """The unit word of a 第…条/第…段 chain (its first, when a chain mixes them)."""
    return next((ch for ch in chain if ch in REF_WORDS), "")


def _drop_overlaps(hits: Iterable[_Hit]) -> list[_Hit]:
    """Keep the earliest (then longest) of overlapping hits, e.g. "item #8" over "#8"."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _section_hits(text: str) -> list[_Hit]:
    """Numbered section references: 第三部分, leading 三、, section 3, the third part."""
    hits: list[_Hit] = []
    for m in (*_CN_SECTION.finditer(text), *_LEAD_SECTION.finditer(text)):
        hits += _single(m, cn_to_int(m.group(1)))
    for m in _EN_SECTION.finditer(text):
        pronoun = m.group(2) == "I" and re.match(r"\s+[a-z]", text[m.end():]) is not None
        if not (m.group(1).lower() == "part" and pronoun):  # "which part I should read"
            hits += _single(m, _en_value(m.group(2)))
    for m in _EN_ORD_SECTION.finditer(text):
        hits += _single(m, _en_value(m.group(1)))
    return _drop_overlaps(hits)


def _unique_title(fragment: str, titles: Sequence[str]) -> int | None:
    """1-based index of the only title containing fragment, else None."""
    found = [i for i, title in enumerate(titles, 1) if fragment in title]
    return found[0] if len(found) == 1 else None


def _title_hit(text: str, titles: Sequence[str]) -> _Hit | None:
    """A section named by a fragment of its title: “带头正风肃纪反腐”这一部分 / X那部分."""
    if not titles:
        return None
    for m in _QUOTED_SECTION.finditer(text):
        index = _unique_title(m.group(1).strip(), titles)
        if index is not None:
            return _Hit(m.start(), m.end(), (index,))
    for m in _BARE_SECTION.finditer(text):
        run = m.group(1)
        for start in range(len(run) - _MIN_FRAGMENT + 1):  # longest suffix first
            if any(run[start:] in title for title in titles):
                index = _unique_title(run[start:], titles)
                if index is not None:
                    return _Hit(m.start() + start, m.end(), (index,))
                break
    return None


def _relative_hit(text: str) -> tuple[Relative, _Hit] | None:
    """The earliest follow-up word (下一条, this item, ...) with its span."""
    found = [(m.start(), kind, m) for kind, pattern in _RELATIVE for m in pattern.finditer(text)]
    if not found:
        return None
    _, kind, m = min(found, key=lambda f: f[0])
    return kind, _Hit(m.start(), m.end(), ())


# "本条例", "本章程" right before a reference: a quoted sentence citing its own document.
SELF_REFERENCE = re.compile(f"本(?:{alternation(RULE_GENRES)})$")


def _doc_phrase(text: str, ref_start: int) -> tuple[str, int]:
    """Document name written right before a reference, and where its words start (with filler)."""
    offset = max(0, ref_start - _DOC_WINDOW)
    head = text[offset:ref_start]
    if own := SELF_REFERENCE.search(head):  # 本条例第十七条: the document the text itself is from
        return own.group(0), offset + own.start()
    titled = _DOC_TITLE.search(head)
    if titled:  # kept in 《》: a quoted title is a full name, never an abbreviation
        return f"《{titled.group(1).strip()}》", offset + titled.start()
    bare = _DOC_BARE.search(head)
    if not bare:
        return "", ref_start
    name = _DOC_FILLER.sub("", bare.group(1))
    return (name, offset + bare.start()) if name else ("", ref_start)


def _mask_titles(text: str) -> str:
    """Blank out 《...》 contents (same length) so numbers inside a title are not references."""
    return re.sub(r"《[^《》]*》", lambda m: "《" + "□" * (len(m.group()) - 2) + "》", text)


def _rest(question: str, spans: Iterable[tuple[int, int]]) -> str:
    """The question minus reference words and filler: what to search for inside the target.

    Normalisation maps one character to one, so spans found in the normalised text apply to the
    original question, and `rest` keeps the user's own characters.
    """
    chars = list(question)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    rest = re.sub(r"\s+", " ", "".join(chars))
    rest = _REST_TAIL.sub("", _REST_LEAD.sub("", rest))
    return rest.strip()


def _unique(numbers: Iterable[int]) -> tuple[int, ...]:
    """Deduplicate while keeping the order the user asked in."""
    return tuple(dict.fromkeys(numbers))


def parse_refs(question: str, *, section_titles: Sequence[str] = ()) -> RefQuery:
    """Find item/section/relative references in a question before any search runs."""
    text = _normalize(question[:_MAX_SCAN])
    masked = _mask_titles(text)
    items = _item_hits(masked)
    sections = _section_hits(masked)
    if not sections:
        titled = _title_hit(text, section_titles)
        sections = [titled] if titled else []
    relative = _relative_hit(masked)
    spans = [(h.start, h.end) for h in (*items, *sections)]
    doc = ""
    if spans:
        first = min(start for start, _ in spans)
        doc, doc_start = _doc_phrase(text, first)
        spans.append((doc_start, first))
    groups: list[tuple[str, tuple[int, ...]]] = []
    words: list[str] = []
    for hit in items:
        phrase, phrase_start = _doc_phrase(text, hit.start)
        if phrase and phrase_start < hit.start:
            spans.append((phrase_start, hit.start))
        phrase = phrase or (groups[-1][0] if groups else "")
        if groups and groups[-1][0] == phrase:
            groups[-1] = (phrase, _unique((*groups[-1][1], *hit.numbers)))
            words[-1] = words[-1] or hit.word
        else:
            groups.append((phrase, hit.numbers))
            words.append(hit.word)
    if relative:
        spans.append((relative[1].start, relative[1].end))
    return RefQuery(
        items=_unique(n for h in items for n in h.numbers),
        section=sections[0].numbers[0] if sections else None,
        relative=relative[0] if relative else None,
        doc_phrase=doc,
        rest=_rest(question, spans),
        groups=tuple(groups),
        words=tuple(words),
    )
