"""Question intents answered from fixed parts of a document: metadata (header) and preamble."""

from __future__ import annotations

import re
from typing import Literal

from .vocabulary import QUESTION_PARTICLES, WHAT_HOW, WHICH, alternation

MetaField = Literal["issuer", "doc_number", "date", "addressees", "title", "effective", "interpreter"]

# Words that ask about a document whatever else the question says (发文字号, 落款, 施行).
_STRONG: dict[MetaField, re.Pattern[str]] = {
    "doc_number": re.compile(r"文号|发文字号|几号文|document number|reference number", re.I),
    "issuer": re.compile(r"发文(单位|机关)|印发(单位|机关)|who issued|issued by|who published", re.I),
    "date": re.compile(
        r"(印发|发布|成文|发文|落款)(日期|时间)|落款|第几次修订|几次修订|修订(了|过)几次|issue date", re.I
    ),
    "addressees": re.compile(r"主送|印发给|addressed to", re.I),
    "effective": re.compile(r"(起|开始)?施行|生效|in force|take effect", re.I),
    "interpreter": re.compile(r"负责解释|解释权|由谁解释|哪个(部门|机关|单位)解释|who interprets", re.I),
}
# Words that ask about a document only when the question is about one (这个文件由谁印发; not
# 出差的住宿费由谁来出 or 主题党日安排在哪一天).
_WEAK: dict[MetaField, re.Pattern[str]] = {
    "issuer": re.compile(
        r"谁(印发|发布|制定|下发|发的|发)|哪个(单位|部门|机关)(印发|发布|制定|发)|由谁(印发|发布|制定)|"
        r"which (body|organ|office)",
        re.I,
    ),
    "date": re.compile(
        r"什么时候(印发|发布|发的|下发|出台|通过|修订)|何时(印发|发布|出台|通过|修订)|哪天(印发|发)|"
        r"哪一天(印发|发)|几月几[日号](印发|发)|when (was|is) (it|this|the)|what date|date of",
        re.I,
    ),
    "addressees": re.compile(
        r"发给(谁|哪些)|下发给|发送给|对象是哪些|sent to|who (is|was) it (for|sent)", re.I
    ),
    "title": re.compile(
        r"(文件|通知)的?(标题|题目|名称|名字)|叫什么|标题是|title of|what is the title|full title", re.I
    ),
}
_DOC_WORDS = re.compile(
    r"文件|通知|要点|条例|章程|党章|规定|细则|本|该|这个|此|它|notice|document|\bit\b|this", re.I
)
# What any notice calls its preamble; the words of one notice's own preamble (以什么为抓手, 四个带头)
# come with it, in its manifest entry's `preamble_words`.
_PREAMBLE = re.compile(
    r"总体要求|总要求|指导思想|主题是|总体目标|overall requirement|general requirement|"
    r"guiding (idea|thought|principle)|main theme",
    re.I,
)


def metadata_fields(question: str) -> list[MetaField]:
    """Which header fields a question asks for; [] when it is not a metadata question."""
    found = [name for name, pat in _STRONG.items() if pat.search(question)]
    if _DOC_WORDS.search(question):
        found += [name for name, pat in _WEAK.items() if pat.search(question) and name not in found]
    return found


_ASKING_WORDS = re.compile(
    rf"{alternation(WHAT_HOW, WHICH, QUESTION_PARTICLES)}|是|的|了|和|与|及|[\W_]|[A-Za-z]")
ABOUT_SHARE = 0.5  # share of the rest of the question the notice's own text must hold


def asks_preamble(question: str, notice_text: str = "", words: tuple[str, ...] = ()) -> bool:
    """A question about the notice's 总体要求 (主题, 抓手, 四个带头…). With `notice_text` (its header
    and preamble, and its names), the rest of the question must be about it too: "党史学习教育的主题
    是学史明理…和什么" asks 主题 of something else, and search answers it."""
    own = [w for w in words if w and w in question]
    if not _PREAMBLE.search(question) and not own:
        return False
    if not notice_text:
        return True
    rest = _PREAMBLE.sub("", question)
    for w in own:
        rest = rest.replace(w, "")
    rest = _ASKING_WORDS.sub("", rest)
    pairs = {rest[i:i + 2] for i in range(len(rest) - 1)}
    return not pairs or sum(p in notice_text for p in pairs) / len(pairs) >= ABOUT_SHARE
