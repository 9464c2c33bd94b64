"""A small English → Chinese glossary of party-building terms, for query expansion.

Cross-lingual dense retrieval only partly bridges English questions; these terms let BM25 reach
the right items too. Keys are lower-case English phrases matched on word boundaries.
"""

from __future__ import annotations

import re

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
# Roles people name when they ask "what do I have to do": the duties the documents file them under.
ROLES: dict[str, str] = {
    "支部书记": "党支部 党员教育管理 三会一课 组织生活",
    "组织委员": "三会一课 组织生活 主题党日",
    "宣传委员": "意识形态 宣传 阵地",
    "纪检委员": "纪律 监督 警示教育",
    "纪委书记": "纪律 监督执纪 机关纪委",
    "党组书记": "主体责任 第一责任人",
    "班子成员": "一岗双责 分管",
    "党务干部": "党务干部 培训",
    "年轻干部": "年轻干部 青年 理论学习",
}
# Everyday words for what the regulations name formally (炒股 → 证券, 大操大办 → 婚丧喜庆): a
# reviewed list of party-work vocabulary, not mined from any question set. Each everyday word
# appends the regulations' terms, so BM25 and coverage can reach articles phrased formally.
EVERYDAY: dict[str, str] = {
    "递申请": "入党申请",
    "交申请": "入党申请",
    "写申请": "入党申请",
    "申请书": "入党申请",
    "想入党": "入党申请 申请入党",
    "政审": "政治审查",
    "转正": "转为正式党员",
    "介绍人": "入党介绍人",
    "转关系": "转移组织关系",
    "组织关系转": "转移组织关系 转接",
    "联系不上": "失去联系",
    "失联": "失去联系",
    "找不到人": "失去联系",
    "不交党费": "交纳党费",
    "欠党费": "交纳党费",
    "不过组织生活": "参加党的组织生活",
    "不参加组织生活": "参加党的组织生活",
    "信教": "宗教",
    "信宗教": "宗教",
    "烧香拜佛": "宗教 迷信",
    "算命": "迷信",
    "炒股": "证券 股票 投资",
    "买股票": "证券 股票",
    "做生意": "经商办企业 营利活动",
    "开公司": "经商办企业 营利活动",
    "办企业": "经商办企业",
    "兼职": "兼职 兼任",
    "收礼": "礼品 礼金 收受",
    "送礼": "礼品 礼金 赠送",
    "红包": "礼金 礼品",
    "购物卡": "礼品 礼金 消费卡 支付凭证",
    "消费卡": "礼品 消费卡 支付凭证",
    "吃请": "宴请",
    "大吃大喝": "公款吃喝 宴请",
    "请吃饭": "宴请",
    "大操大办": "婚丧喜庆",
    "办酒": "婚丧喜庆",
    "婚礼": "婚丧喜庆",
    "丧事": "婚丧喜庆",
    "喜事": "婚丧喜庆",
    "旅游": "公款旅游",
    "公车": "公务用车",
    "用车": "公务用车",
    "出差": "国内差旅 差旅",
    "出国": "因公临时出国",
    "陪吃": "陪餐 公务接待",
    "接待": "公务接待",
    "办公室": "办公用房",
    "开会": "会议",
    "住宿": "住宿费",
    "伙食": "伙食补助费",
    "报销": "报销 经费",
    "孩子": "子女",
    "儿女": "子女",
    "老婆": "配偶",
    "老公": "配偶",
    "爱人": "配偶",
    "家属": "配偶 子女 亲属",
    "亲戚": "亲属",
    "一把手": "主要负责人 第一责任人",
    "支书": "党支部书记",
    "上党课": "党课",
    "谈心": "谈心谈话",
    "岁数": "年满十八岁 年龄",
    "多大年纪": "年满十八岁 年龄",
    "困难党员": "生活困难党员 关怀帮扶",
    "评优": "表彰",
    "撤职": "撤销党内职务",
    "降职": "降职 撤销",
    "开除": "开除党籍",
    "举报": "检举 控告",
    "告状": "检举 控告 申诉",
    "喊冤": "申诉",
    "瞒报": "隐瞒",
    "造假": "弄虚作假",
    "跑官": "跑官要官",
    "拉关系": "拉帮结派",
    "搞团团伙伙": "团团伙伙 拉帮结派",
    "退休": "离退休",
    "党龄": "党龄",
}
_EVERYDAY = sorted(EVERYDAY, key=len, reverse=True)
_PATTERNS = sorted(GLOSSARY, key=len, reverse=True)
_LATIN = re.compile(r"[A-Za-z]{2,}")


def expand(question: str) -> str:
    """Append the duties of a named role, the formal terms of everyday words, and the Chinese terms
    of every glossary phrase in an English question (longest first)."""
    roles = [duties for role, duties in ROLES.items() if role in question]
    everyday = [EVERYDAY[w] for w in _EVERYDAY if w in question]
    if roles or everyday:
        question = f"{question} {' '.join([*roles, *everyday])}"
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
