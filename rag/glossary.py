"""A small English → Chinese glossary of party-building terms, for query expansion.

Cross-lingual dense retrieval only partly bridges English questions; these terms let BM25 reach
the right items too. Keys are lower-case English phrases matched on word boundaries.
"""

from __future__ import annotations

import re

from .roles import search_words

GLOSSARY: dict[str, str] = {
    "branch secretary": "支部书记 党组织书记", "branch secretaries": "支部书记 党组织书记",
    "party branch": "党支部", "branches": "党支部", "branch": "党支部",
    "party committee": "党委 党组", "party group": "党组", "secretary": "书记",
    "mobile party members": "流动党员", "mobile members": "流动党员", "migrant": "流动党员",
    "party members": "党员", "party member": "党员", "members": "党员",
    "tree planting": "种树 植绿", "plant trees": "种树 植绿", "trees": "种树 植绿", "tree": "种树",
    "greening": "植绿 护绿 绿美", "discipline inspection": "纪委 执纪 监督",
    "discipline": "纪律 执纪", "supervision": "监督", "accountability": "问责",
    "corruption": "反腐 廉洁", "integrity": "廉洁", "clean government": "廉洁文化",
    "young cadres": "年轻干部", "young officials": "年轻干部", "youth": "青年 年轻干部",
    "young": "年轻 青年", "cadres": "干部", "cadre": "干部", "officials": "干部",
    "theory study": "理论学习", "theoretical study": "理论学习", "study": "学习",
    "learning": "学习", "training": "培训", "education": "教育",
    "ideology": "意识形态", "ideological": "意识形态 思想政治", "online": "网络",
    "internet": "网络", "political": "政治", "loyalty": "忠诚",
    "four winds": "四风", "work style": "作风", "style": "作风", "formalism": "形式主义",
    "burden": "减负", "grassroots": "基层", "primary-level": "基层", "governance": "治理",
    "hotline": "热线", "12345": "12345热线", "competition": "大赛 竞赛", "contest": "大赛 竞赛",
    "innovation": "创新", "united front": "统战", "trade union": "工会", "militia": "民兵",
    "mental health": "心理疏导 身心健康", "health": "健康", "dating": "交友 联谊",
    "writing": "公文写作", "responsibility": "责任", "responsibilities": "责任",
    "main responsibility": "主体责任", "one post two responsibilities": "一岗双责",
    "regulations": "法规 制度", "rules": "法规 制度", "party regulations": "党内法规",
    "party affairs": "党务", "party affairs cadres": "党务干部", "election": "换届",
    "inspection": "巡察", "model": "模范", "exemplary": "模范 先锋", "pioneer": "先锋",
    "brand": "品牌", "role model": "榜样 先锋", "exhibition": "展示 专题展",
    "care": "关怀 关爱", "veterans": "老党员 老干部", "retired": "离退休",
    "develop party members": "发展党员", "recruit": "发展党员", "recruitment": "发展党员",
    "security": "安全稳定", "risk": "风险隐患", "interview": "谈话", "talks": "谈话",
    "new secretaries": "新任 书记", "newly appointed": "新任", "onboarding": "新任",
    "integration": "融合", "business": "业务", "development": "发展",
    "high-quality development": "高质量发展", "central task": "中心工作",
    "four strong": "四强", "four-strong": "四强", "three meetings and one lesson": "三会一课",
    "first topic": "第一议题", "fengqiao": "枫桥经验", "warning education": "警示教育",
    "eight-point": "八项规定", "eight provisions": "八项规定", "family": "家风 家教",
    "emergency": "应急处突", "speech": "演讲", "essay": "征文", "volunteer": "志愿",
    "lecture": "讲堂 讲座", "website": "网站", "media": "两微一端 网站",
}
_PATTERNS = sorted(GLOSSARY, key=len, reverse=True)
_LATIN = re.compile(r"[A-Za-z]{2,}")


def expand(question: str) -> str:
    """Append the work of every role a question names (rag/roles.py `ROLE_TABLE`) and the Chinese
    terms of every glossary phrase in an English question (longest first).

    There is no table of everyday Chinese words (炒股 → 证券): the one this module had mirrored the
    wording of single tuning questions, so it flattered the tuning set and cost the held-out one."""
    roles = search_words(question)
    if roles:
        question = f"{question} {' '.join(roles)}"
    if not _LATIN.search(question):
        return question
    text = question.lower()
    extra: list[str] = []
    for phrase in _PATTERNS:
        pattern = rf"(?<![a-z]){re.escape(phrase)}(?![a-z])"
        if re.search(pattern, text):
            extra.append(GLOSSARY[phrase])
            text = re.sub(pattern, " ", text)
    return f"{question} {' '.join(extra)}" if extra else question
