"""Text normalisation shared by parsing, indexing and question handling."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SENT_END = re.compile(r"(?<=[。！？!?])(?![”’」』）)])|(?<=[。！？!?][”’」』）)])")
_WS = re.compile(r"\s+")
# A lone surrogate: what undecodable bytes (surrogateescape) and half an emoji become; no
# tokenizer or encoder can take one.
SURROGATES = "\ud800-\udfff"
SURROGATE = re.compile(f"[{SURROGATES}]")


def titled(shortest: int = 1, longest: int | None = None) -> str:
    """The pattern of a 《title》, the title captured; `shortest`/`longest` bound its length where a
    rule needs it (a jieba term, a name in a question)."""
    return f"《([^《》]{{{shortest},{'' if longest is None else longest}}})》"


TITLED = re.compile(titled())
# Punctuation and spaces: what a comparison of words leaves out (a term, an option, a bigram set).
PUNCTUATION = re.compile(r"[\s，。；：、“”《》（）,.;:()？?！!]")
# A sentence that opens with a pronoun (它既是…, 这是…) says something about the sentence before it.
REFERS_BACK = re.compile(r"^(?:它|这|其|此|该)")


def fold_width(text: str) -> str:
    """Full-width ASCII (８, ｉｔｅｍ, ＃) → half-width; keeps CJK punctuation such as 。，《》〔〕."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E and ch not in "（）：；，！？":
            out.append(chr(code - 0xFEE0))
        elif ch == "\u3000":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1)
def _t2s() -> object:
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified (OpenCC t2s, dictionaries ship with the package)."""
    if all(ord(c) < 0x3400 or ord(c) > 0x9FFF for c in text):
        return text
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


def normalize_question(text: str) -> str:
    """The form every question is matched in: NFC, half-width ASCII, simplified, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = fold_width(text).replace("「", "“").replace("」", "”").replace("『", "“").replace("』", "”")
    return _WS.sub(" ", to_simplified(text)).strip()


def split_sentences(text: str) -> list[str]:
    """Split at 。！？ (keeping closing quotes with their sentence); no character is dropped."""
    parts = [p for p in _SENT_END.split(text) if p]
    return [p.strip() for p in parts if p.strip()]


def squash(text: str) -> str:
    """Remove all whitespace: the form used to check that no character was lost."""
    return _WS.sub("", text)


def char_bigrams(text: str, drop: re.Pattern[str]) -> frozenset[str]:
    """The two-character pieces of `text` once `drop`'s matches are removed: how the claim check, the
    citation-quote matcher and the tour measure overlap, each with its own notion of noise."""
    chars = drop.sub("", text)
    return frozenset(chars[i:i + 2] for i in range(len(chars) - 1))
