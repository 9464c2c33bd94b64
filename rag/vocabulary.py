"""The question vocabulary: the words Chinese questions are asked with, each class written once.

Interrogatives, question particles, A-not-A verbs, modal verbs, polar tails, where-words: modules
build the patterns they need from these classes (`alternation`) and combine them as their rule
requires — which words are not a question's topic (rag/tokenize.py), whether a clause asks
something (rag/routes.py), whether a run is a phrase rather than a title (rag/catalog.py), what
form a question has (rag/forms.py) — but none writes a list of these words of its own.

Only general question grammar lives here, never the wording of particular questions
(tests/test_vocabulary_guard.py). The classes are disjoint where a module unites them, so a word's
class says what it does: a token-level class (`QUESTION_WORDS`) holds single words as jieba cuts
them; phrases of several words (什么时候) are for patterns only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# -- interrogatives ---------------------------------------------------------------------------

# What, which, how: so common that the tokenizer drops them from every text (rag/tokenize.py
# STOPWORDS, with 哪).
WHAT_HOW = ("什么", "哪些", "怎么", "怎样", "如何")
# 哪 is the stem of every 哪- word (哪个, 哪里…): a pattern that only asks whether a question asks
# needs no other; one that cuts question words out must not leave 个 of 哪个 behind.
WHICH = "哪"
# The other forms jieba cuts them into (and the colloquial 咋, 么 of 干么).
WHAT_HOW_FORMS = ("什么样", "哪个", "哪里", "哪儿", "哪几", "哪几种", "哪种", "哪类", "哪一",
                  "怎么办", "怎么样", "咋", "咋办", "么")
WHO = ("谁", "由谁", "由谁来")
WHEN = ("何时",)
HOW_MUCH = ("多少", "多久", "多长")
WHY = ("为什么",)
# 几 asks "how many" before a counter word (几年, 几个月); on its own it is a stem, like 哪.
HOW_MANY = "几"
HOW_MANY_FORMS = ("几种",)
# Counter words a 几 or a blank asks a figure with: of people and time…
COUNTERS = "个名人次年月天日岁"
# …and of items and terms (几条, 几项, 几届).
ITEM_COUNTERS = "条项届"
# The units a span of time is written in (六个月, 五个工作日, 三十二学时).
TIME_UNITS = ("个月", "年", "月", "天", "日", "周", "小时", "学时", "工作日")
# Every unit a figure is written with (两倍, 三种, and the above): a blank before one asks for a
# figure (不少于（ ）次), and a numeral before one is a figure.
FIGURE_UNITS = (*TIME_UNITS, *COUNTERS, *ITEM_COUNTERS, "种", "类", "倍")

# Phrases of several words that ask for a date or a duration; patterns only (jieba cuts them apart).
WHEN_PHRASES = ("什么时候", "什么时间", "哪一年", "哪年", "哪个月")
# …and for a day: a date answers these, not a span or a frequency (每月).
DAY_PHRASES = ("哪一天", "哪天", "哪一日", "哪日", "几号", "几月几日", "几月几号")
DURATION_PHRASES = ("多长时间",)
# Nouns that ask for a figure when a question names them (…的期限, 时限).
LIMITS = ("期限", "时限")
# What kind of figure a question asks for, by the counter after 多少/几 (几名 → people, 多少钱 →
# money) or the way it asks for time (多久, 几年): a sentence whose figures are all of another kind
# (3人以上 for 多少钱) does not state it. Counters of people, of money, and the ways to ask for time.
PEOPLE_COUNTERS = ("名", "人", "位", "个人")
MONEY_COUNTERS = ("元", "钱", "块", "万元")
ASKS_TIME = ("多久", "多长时间", "几年", "几个月", "几天", "多少年", "多少天", "多少个月")
# Nouns for a span of time that, closing a question, ask for it (党员组织关系介绍信有效期): the
# limits above and 有效期.
TIME_NOUNS = ("有效期", *LIMITS)
# A point in time a text sets a rule from (之日起, 期满, 以前): what answers 什么时候 besides a date.
TIME_ANCHORS = ("之日", "之前", "以前", "之后", "以后", "期满", "届满", "算起", "起算")
# "From when": asks for the point a span starts (从什么时候算起): only an anchor answers it.
FROM_WHEN = ("算起", "起算")
# The verbs a meeting or an election is held with: 多久召开 asks how often, as 多久召开一次 does.
MEETING_VERBS = ("召开", "举行", "开展", "开会", "换届", "开")
# "How often": a span asked with 一次 after it (多久开一次, 多长时间开展一次), or a count of times.
HOW_OFTEN = ("几次", "多少次")
# Which way a figure bounds: at most (最长不超过一年, 三年以下) or at least (至少, 三年以上). A
# question's bound and a clause's agree or not (延长…最多多久 is 最长不超过一年, not 不能少于半年);
# the negated forms are read before the plain ones (不超过 is at most, 超过 at least).
AT_MOST = ("不超过", "不得超过", "不能超过", "不应超过", "不超出", "最多", "最长", "至多", "以下", "以内",
           "之内")
AT_LEAST = ("不少于", "不得少于", "不能少于", "不低于", "至少", "最少", "最短", "以上", "超过", "满")
# The nouns a question asks for a procedure with (转正要经过哪些程序, 办理手续是什么), and a text
# sets one out with (预备党员转正的手续是：…; 按照个人自评、党员互评…的程序).
PROCEDURES = ("程序", "流程", "步骤", "手续", "环节")
# The words a text gives a reason or a purpose with (为了…，制定本条例): what answers a why-question.
REASONS = ("为了", "旨在", "目的是", "目的在于", "因为", "由于", "以便", "是为")
# Other ways to ask why; patterns only.
WHY_PHRASES = ("为何", "什么原因", "原因是什么")

# Which one(s), what — before a noun: 哪些文件, 哪个部门, 什么工作.
WHICH_WHAT = ("哪些", "哪个", "什么")

# Every word a clause may ask with (for patterns that only ask whether it asks).
INTERROGATIVES = (*WHAT_HOW, WHICH, *WHO, *WHEN, *HOW_MUCH, *WHY, HOW_MANY)

# -- particles, A-not-A verbs, modal verbs ----------------------------------------------------

QUESTION_PARTICLES = ("吗", "呢")
TONE_PARTICLES = ("吧", "啊")
# Written variants of the particles people type (嗎 traditional, 呀).
PARTICLE_VARIANTS = ("嗎", "呀")
WHETHER = ("是否",)
# A-not-A and its literary forms: 能不能, 能否, 有没有.
# Each with the positive it asks about and the words a person answers it with (能 / 不能) instead
# of 对 / 错; 是否 asks of the verb after it (是否可以担任 asks of 可以担任).
A_NOT_A_ANSWERS = {
    "能否": ("能", "能", "不能"), "可否": ("可以", "可以", "不可以"), "能不能": ("能", "能", "不能"),
    "可不可以": ("可以", "可以", "不可以"), "会不会": ("会", "会", "不会"), "要不要": ("要", "要", "不要"),
    "是不是": ("是", "是", "不是"), "有没有": ("有", "有", "没有"),
    **{w: ("", "是", "否") for w in WHETHER},
}
A_NOT_A = tuple(w for w in A_NOT_A_ANSWERS if w not in WHETHER)
POLAR = (*WHETHER, *A_NOT_A)
# A yes/no question closed by 吗 is answered with its verb, as a person answers it (预备党员有表决权吗
# → 没有; 可以担任吗 → 不可以): the verbs that ask it, each with its yes and its no. 是 and 会 are not
# among them: 是 is part of too many words (还是, 但是, 就是), 会 ends the name of every meeting and
# body (工会, 生活会, 常委会), to be read as the verb without a parse.
VERB_ANSWERS = {"有": ("有", "没有"), "能": ("能", "不能"), "可以": ("可以", "不可以"),
                "需要": ("需要", "不需要"), "要": ("要", "不要"),
                "应当": ("应当", "不应当"), "应该": ("应该", "不应该"), "必须": ("必须", "不必")}
# …and the words those verbs are only a part of (所有, 有关, 只要, 能力): no verb that asks; the
# negated verbs (不能, 没有) stop the search, a claim negated first is judged 对 / 错.
VERB_COMPOUNDS = ("所有", "具有", "拥有", "享有", "占有", "只有", "含有", "持有", "没有", "共有", "有关",
                  "有效", "有些", "有的", "有利", "有序", "有力", "主要", "重要", "只要", "必要", "要素",
                  "要件", "摘要", "要求", "要点", "纪要", "能力", "功能", "职能", "效能", "技能", "赋能",
                  "可能", "才能", "不能", "不可以", "不需要", "不要", "不应当", "不应该", "不必")
# The modal verbs a question is phrased with (能不能, 可以…吗, 该, 想): what the asker may or should do.
ASKING_MODALS = ("能", "不能", "可以", "该", "想", "需要", "应该")
# The modal verbs a rule states an obligation with; a document title states none.
RULE_MODALS = ("应当", "必须", "可以", "不得")
# The words of obligation, one as good as another in a question (要交党费吗 asks what 应当交纳党费 says).
OBLIGATION = ("应当", "应该", "必须", "需要", "要")
# "…，对吗？": the tails that offer a statement for checking.
POLAR_TAILS = ("对吗", "对不对", "是否正确", "是不是这样", "是吗", "正确吗", "对么", "是真的吗", "对还是错",
               "正确还是错误", "是对是错", "吗")
ASK_OPENERS = ("请问",)
REQUESTS = (*ASK_OPENERS, "请", "一下")
# Opening words of a 判断题 (判断题：…), and of any statement offered for checking (是不是…).
JUDGE_HEADS = ("判断题", "请判断", "判断")
# The verbs an exam's open question opens with (简述…。): an instruction, not a statement to check;
# the first six ask for the points of what they name, as 有哪些 does.
EXAM_VERBS = ("简述", "列举", "概述", "试述", "阐述", "论述", "简答", "谈谈", "说说", "说明", "解释", "分析",
              "回答")
# The two options a 判断题 is pasted with when a page sets it as a choice (A.正确 B.错误).
JUDGE_TRUE = ("正确", "对", "√", "是")
JUDGE_FALSE = ("错误", "错", "×", "否")
POLAR_HEADS = (*JUDGE_HEADS, *ASK_OPENERS, "判断一下", "是不是", *WHETHER)

# -- where and what text ----------------------------------------------------------------------

# Which item, where: a question about where something is in a document, not what it says.
WHICH_ITEM = ("哪条", "哪一条")
WHERE = ("哪些条", *WHICH_ITEM, "哪一项", "哪项", "哪个条", "哪部分", "哪里", "在哪", "第几条",
         "引用", "提到", "出自", "which item", "where")
# The text itself (原文, 全文) rather than an answer drawn from it.
TEXT_ITSELF = ("全文", "原文")

# Every word a question is phrased with that is not what it is about, as jieba cuts it: dropped from
# a question's lexical terms (rag/tokenize.py `query_tokens`). Disjoint from the stopwords.
QUESTION_WORDS = frozenset((*WHAT_HOW_FORMS, *WHO, *WHEN, *HOW_MUCH, *WHY, *HOW_MANY_FORMS, *POLAR,
                            *ASKING_MODALS))


def alternation(*classes: Iterable[str]) -> str:
    """A regex alternation of the words of `classes`, escaped, longest first (so 多长时间 is one
    match, not 多长 and a rest), each word once."""
    words = dict.fromkeys(w for c in classes for w in c)
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
