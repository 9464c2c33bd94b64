"""jieba tokenisation with a domain dictionary built from the corpus itself.

jieba's own start-up parses its 9 MB dictionary (or unmarshals a cache from the shared temp
folder). We never let it: the prefix dictionary is built once with jieba's own `gen_pfdict` and
kept in the index folder as a word list (`jieba.words.txt`) plus frequencies (`jieba.freq.npy`),
which loads several times faster and is neither pickle nor marshal.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Document
from .text import titled
from .vocabulary import (
    QUESTION_PARTICLES,
    QUESTION_WORDS,
    REQUESTS,
    TONE_PARTICLES,
    WHAT_HOW,
    WHICH,
    WHICH_ITEM,
)

# General party-building terms jieba's dictionary splits badly. The rest comes from the documents:
# what they quote (“四种形态”) or cite (《…》), and the `terms` a document's manifest entry lists.
HAND_TERMS = (
    "第一议题", "流动党员", "党员先锋岗", "党员责任区", "主题党日", "党支部", "党组织", "党组", "党委",
    "纪委", "意识形态", "中心组", "年轻干部", "青年党员", "党务干部", "形式主义",
    "作风建设", "廉洁文化", "警示教育", "统战工作", "民主生活会", "述职评议", "党内法规",
    "换届", "任职谈话", "发展党员",
)
_QUOTED = re.compile(r"“([^“”]{2,12})”")
_TITLED = re.compile(titled(2, 40))
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
STOPWORDS = frozenset((
    *"的 了 和 与 及 是 在 对 把 有 要 为 等 中 这个 那个 这 那 里 关于 方面 工作 要求 主要 内容 讲 说 "
    "提到 提出 条 the a an of to in and or is are what which how does do about for on with it this "
    "that be by as from at please me tell".split(),
    *WHAT_HOW, WHICH, *QUESTION_PARTICLES, *TONE_PARTICLES, *REQUESTS, *WHICH_ITEM,
))
# QUESTION_WORDS (rag/vocabulary.py) are what a question asks for, not what it is about:
# interrogatives and the modal verbs questions are phrased with (能不能, 可以…吗, 该, 想). The
# documents hardly use them, so as query terms they weigh like the rarest words: they drag every
# unit's coverage down alike, and lift whichever unit happens to say 可以 or 一般由谁. Dropped from
# a question's lexical terms only (`query_tokens`: BM25 and the ranking's coverage); the indexed
# text keeps them, the dense encoder still reads the whole question, and abstention's coverage
# still counts them (it was calibrated so: 东莞房价现在多少一平 stays refused).
WORDS_FILE = "jieba.words.txt"


def topic_terms(tokens: list[str]) -> list[str]:
    """`tokens` without QUESTION_WORDS (all of them when nothing else is left, so 可以吗 still
    searches for something)."""
    return [t for t in tokens if t not in QUESTION_WORDS] or tokens

FREQ_FILE = "jieba.freq.npy"


def domain_terms(docs: Iterable[Document]) -> list[str]:
    terms: dict[str, None] = dict.fromkeys(HAND_TERMS)
    for doc in docs:
        terms.update(dict.fromkeys(doc.meta.terms))
        for unit in doc.units:
            terms.update(dict.fromkeys(_QUOTED.findall(unit.text)))
            terms.update(dict.fromkeys(_TITLED.findall(unit.text)))
    return [t for t in terms if t.strip()]


@dataclass(frozen=True, slots=True)
class Dictionary:
    """jieba's prefix dictionary: every word and word prefix → frequency (0 for bare prefixes)."""

    freq: dict[str, int]
    total: int

    def save(self, folder: Path) -> None:
        import numpy as np

        words = list(self.freq)
        if any("\n" in w for w in words):
            raise ValueError("a dictionary word contains a newline")
        (folder / WORDS_FILE).write_text("\n".join(words), encoding="utf-8")
        np.save(folder / FREQ_FILE, np.fromiter(self.freq.values(), dtype=np.int64, count=len(words)),
                allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, total: int) -> Dictionary:
        """`total` (jieba counts duplicate dict.txt lines twice) is kept in the index manifest."""
        import numpy as np

        words = (folder / WORDS_FILE).read_text(encoding="utf-8").split("\n")
        freqs = np.load(folder / FREQ_FILE, allow_pickle=False)
        if freqs.ndim != 1 or len(words) != len(freqs):
            raise ValueError(f"{WORDS_FILE} and {FREQ_FILE} disagree")
        return cls(dict(zip(words, freqs.tolist(), strict=True)), int(total))


def _jieba() -> Any:
    import logging  # jieba's own dependency: free here, not on a reference lookup's path

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _dict_bytes() -> bytes:
    with _jieba().Tokenizer().get_dict_file() as f:
        return bytes(f.read())


def dictionary_sha256() -> str:
    """Identity of the installed jieba dictionary, recorded in the index manifest."""
    return hashlib.sha256(_dict_bytes()).hexdigest()


def build_dictionary() -> Dictionary:
    """jieba's prefix dictionary from its dict.txt, without touching its marshal cache in /tmp."""
    freq, total = _jieba().Tokenizer.gen_pfdict(io.BytesIO(_dict_bytes()))
    return Dictionary(freq, int(total))


def cached_dictionary(folder: Path | None, recorded: object, current_sha: str) -> Dictionary:
    """The dictionary cached in `folder` when it was made from the installed jieba, else a fresh one.

    `recorded` is the previous manifest's "tokenizer" entry: {"dict_sha256": …, "total": …}."""
    if folder is not None and isinstance(recorded, dict) and recorded.get("dict_sha256") == current_sha:
        try:
            return Dictionary.load(folder, int(recorded["total"]))
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
            pass
    return build_dictionary()


class Tokenizer:
    """A private jieba tokenizer (jieba's global one is shared state) plus the domain terms."""

    def __init__(self, terms: Iterable[str] = (), dictionary: Dictionary | None = None, *,
                 copy: bool = True) -> None:
        """`copy=False` hands `dictionary` over (the domain terms are added to it in place)."""
        jieba = _jieba()
        dictionary = dictionary or build_dictionary()
        self._jieba = jieba.Tokenizer()
        # What `initialize()` would set, from our dictionary instead of jieba's marshal cache.
        self._jieba.FREQ = dict(dictionary.freq) if copy else dictionary.freq
        self._jieba.total = dictionary.total
        self._jieba.initialized = True
        for term in terms:
            self._jieba.add_word(term, freq=2000)

    def query_tokens(self, text: str) -> list[str]:
        """A question's lexical terms: `tokens` without QUESTION_WORDS (`topic_terms`)."""
        return topic_terms(self.tokens(text))

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens (long words and their parts), lower-cased, stopwords dropped."""
        out = []
        for tok in self._jieba.cut_for_search(text):
            tok = tok.strip().lower()
            if tok and _KEEP.search(tok) and tok not in STOPWORDS:
                out.append(tok)
        return out
