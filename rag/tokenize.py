"""jieba tokenisation with a domain dictionary built from the corpus itself."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from .records import Document

# Terms jieba's general dictionary splits badly; the rest comes from the corpus (“…” and 《…》).
HAND_TERMS = (
    "三会一课", "第一议题", "一岗双责", "四强党支部", "四强", "两个维护", "两个确立", "四个意识",
    "四个自信", "关键少数", "流动党员", "旗峰杯", "先锋杯", "城市之光", "三级六岗", "枫桥经验",
    "四下基层", "百千万工程", "红帆计划", "红雁计划", "书记项目", "四风", "四种形态",
    "三个区分开来", "党员先锋岗", "党员责任区", "主题党日", "党支部", "党组织", "党组", "党委",
    "纪委", "意识形态", "中心组", "年轻干部", "青年党员", "党务干部", "基层减负", "形式主义",
    "作风建设", "廉洁文化", "警示教育", "统战工作", "民主生活会", "述职评议", "党内法规",
    "换届", "任职谈话", "发展党员", "南粤党员先锋工程", "双报到", "支部结对帮村",
)
_QUOTED = re.compile(r"“([^“”]{2,12})”")
_TITLED = re.compile(r"《([^《》]{2,40})》")
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
STOPWORDS = frozenset(
    "的 了 和 与 及 是 在 对 把 有 要 为 等 中 什么 哪些 哪 怎么 如何 怎样 吗 呢 吧 啊 请问 "
    "请 一下 这个 那个 这 那 里 关于 方面 工作 要求 主要 内容 讲 说 提到 提出 哪条 哪一条 条 "
    "the a an of to in and or is are what which how does do about for on with it this that "
    "be by as from at please me tell".split()
)


def domain_terms(docs: Iterable[Document]) -> list[str]:
    terms: dict[str, None] = dict.fromkeys(HAND_TERMS)
    for doc in docs:
        for unit in doc.units:
            terms.update(dict.fromkeys(_QUOTED.findall(unit.text)))
            terms.update(dict.fromkeys(_TITLED.findall(unit.text)))
    return [t for t in terms if t.strip()]


class Tokenizer:
    """A private jieba tokenizer (jieba's global one is shared state) plus the domain terms."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for term in terms:
            self._jieba.add_word(term, freq=2000)

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens (long words and their parts), lower-cased, stopwords dropped."""
        out = []
        for tok in self._jieba.cut_for_search(text):
            tok = tok.strip().lower()
            if tok and _KEEP.search(tok) and tok not in STOPWORDS:
                out.append(tok)
        return out
