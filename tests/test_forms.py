"""The form of a question, read from its wording: options, blanks, 判断 statements, exclusion."""

from __future__ import annotations

import pytest

from rag.forms import claim_of, form_of, options_of
from rag.text import normalize_question


def test_options_on_their_own_lines_and_inline() -> None:
    stem, opts = options_of("预备党员的预备期为（ ）。\nA.半年\nB.一年\nC.两年\nD.三年")
    assert stem == "预备党员的预备期为（ ）。"
    assert [(o.letter, o.text) for o in opts] == [("A", "半年"), ("B", "一年"), ("C", "两年"), ("D", "三年")]
    stem, opts = options_of("党的最高领导机关是()。A.中央政治局B.党的全国代表大会和它所产生的中央委员会C.中央书记处")
    assert stem == "党的最高领导机关是()。" and opts[1].text == "党的全国代表大会和它所产生的中央委员会"


def test_full_width_letters_and_other_marks_parse_after_normalising() -> None:
    text = normalize_question("党员的权利不包括（　）。Ａ、表决权　Ｂ、选举权　Ｃ、罚款权")
    form = form_of(text)
    assert form.kind == "choice" and [o.letter for o in form.options] == ["A", "B", "C"]
    assert form.exclusion and not form.multi


def test_a_latin_capital_inside_a_word_is_not_an_option() -> None:
    assert options_of("A股和B股的交易规则")[1] == ()


def test_letters_whose_punctuation_was_lost_in_pasting_still_mark_options() -> None:
    stem, opts = options_of("对党员的纪律处分最重的是（ ）。 A 警告 . B.严重警告 C 留党察看 D. 开除党籍")
    assert stem == "对党员的纪律处分最重的是（ ）。"
    assert [(o.letter, o.text) for o in opts] == [("A", "警告"), ("B", "严重警告"), ("C", "留党察看"),
                                                  ("D", "开除党籍")]


def test_exclusion_only_where_the_stem_asks() -> None:
    asked = form_of("下级组织如果认为上级组织的决定不符合本地区的实际情况，可以请求改变，但有权向（ ）报告 A.再上一级组织 B.同级组织")
    assert asked.kind == "choice" and not asked.exclusion
    assert form_of("下列不属于党的纪律处分的是（ ） A.警告 B.罚款").exclusion


def test_statement_options() -> None:
    assert form_of("下列关于预备党员的说法，错误的是（ ）。A.预备期为一年 B.预备期为两年").statements
    assert form_of("以下表述正确的是（ ）A.甲 B.乙").statements
    assert not form_of("党的最高领导机关是（ ）。A.中央政治局 B.全国代表大会").statements


def test_option_spellings() -> None:
    from rag.forms import options_of
    _stem, (a, b) = options_of("留党察看最长不超过（ ）。A.2年 B.18周岁")
    assert a.variants == ("二年", "2年", "两年") and b.variants == ("十八岁", "18岁")


def test_multi_select_only_when_it_says_so() -> None:
    assert not form_of("党的全国代表大会的职权包括选举中央委员会和（ ）A.中央纪律检查委员会 B.中央书记处").multi
    assert form_of("（多选）党员享有下列哪些权利（ ）A.表决权 B.选举权").multi


@pytest.mark.parametrize(("text", "claim"), [
    ("选举采用记名投票的方式，对吗？", "选举采用记名投票的方式"),
    ("判断：预备党员的预备期为两年。", "预备党员的预备期为两年"),  # a 判断 head with a colon sets it for judging
    ("判断题：党员的党龄从预备期满转为正式党员之日算起，对吗？", "党员的党龄从预备期满转为正式党员之日算起"),
    ("党支部每月开展1次主题党日，对还是错？", "党支部每月开展1次主题党日"),
    # no colon: not a statement but a yes/no question by A-not-A, whose positive is the claim
    ("判断一下预备党员有没有表决权", "预备党员有表决权"),
    ("预备党员的预备期为一年。（ ）", "预备党员的预备期为一年"),
    ("预备党员的预备期是多久吗", ""),  # still a question
])
def test_claims_of_true_false_questions(text: str, claim: str) -> None:
    assert claim_of(text) == claim


@pytest.mark.parametrize(("text", "kind"), [
    ("预备党员的预备期多长？", "number"),
    ("党员有哪些权利", "list"),
    ("为什么要发展党员", "why"),
    ("预备党员的预备期为（ ）", "blank"),
    ("流动党员怎么管理？", "fact"),
    ("河南郑州公务出差住宿标准", "number"),  # a standard asked for by name
    ("发展党员要把什么标准放在首位", "fact"),  # 什么标准 asks which one, not an amount
])
def test_kinds(text: str, kind: str) -> None:
    assert form_of(text).kind == kind


@pytest.mark.parametrize(("stem", "number"), [
    ("预备党员的预备期为（ ）个月。", True),
    ("党支部委员会每届任期（ ）年。", True),
    ("每年集中学习培训时间一般不少于（ ）学时。", True),  # every unit a figure is written with
    ("党的纪律处分分为（ ）种。", True),
    ("发展党员应当经过（ ）审查。", False),  # no unit after the blank: a word, not a figure
])
def test_a_blank_before_a_unit_asks_for_a_figure(stem: str, number: bool) -> None:
    form = form_of(stem)
    assert form.kind == "blank" and form.asks_number is number


def test_a_statement_is_a_claim_but_a_question_request_or_fill_in_is_not() -> None:
    from rag.forms import claim_of, verdict_options

    assert claim_of("留党察看最长不超过一年。") == "留党察看最长不超过一年"
    assert claim_of("预备期多长。") == "" and claim_of("请列出党员的义务。") == ""
    assert claim_of("党员每月以（ ）为计算基数交纳党费。") == ""
    # an exam's open question states nothing to check
    assert claim_of("简述党员的八项义务。") == "" and claim_of("名词解释：民主集中制。") == ""
    stem, options = options_of("预备期为两年。A.正确 B.错误")
    assert {v: o.letter for v, o in verdict_options(options).items()} == {True: "A", False: "B"}
    assert verdict_options(options_of("预备期为（ ）。A.一年 B.两年")[1]) == {}


def test_a_definition_names_the_term_not_a_word_of_it() -> None:
    from rag.forms import defines

    # 开除党籍 of 开除党籍处分 is it; 群众 of 群众路线的基本内容 is not
    assert defines("开除党籍处分", "开除党籍是党内的最高处分。") == 4
    assert defines("群众路线的基本内容", "团结信教群众为经济社会发展作贡献。") == 0


def test_an_a_not_a_question_claims_its_positive() -> None:
    assert claim_of("党总支能不能审批预备党员？") == "党总支能审批预备党员"
    assert claim_of("预备党员是否可以担任入党介绍人") == "预备党员可以担任入党介绍人"
    assert claim_of("党总支能不能审批哪些预备党员？") == ""  # it asks something else too
    assert form_of("预备党员有没有表决权").answers == ("有", "没有")
    assert form_of("预备期为一年，是不是？").answers == ("对", "错")


def test_a_question_closed_by_ma_is_answered_with_its_verb() -> None:
    assert form_of("预备党员有表决权吗？").answers == ("有", "没有")
    assert form_of("党总支可以审批预备党员吗").answers == ("可以", "不可以")
    assert form_of("党员大会有权讨论接收预备党员吗").answers == ("有", "没有")  # 大会 is no verb
    assert form_of("所有党员都需要参加组织生活吗").answers == ("需要", "不需要")  # nor 所有
    assert form_of("机关工会有经费吗").answers == ("有", "没有")  # 会 of 工会 is no verb
    assert form_of("党员的能力提升要纳入考核吗").answers == ("要", "不要")  # nor 能 of 能力
    # negated first, or asked whether a statement is true: 对 / 错
    assert form_of("预备党员不能当入党介绍人吗").answers == ("对", "错")
    assert form_of("预备期为一年，对吗？").answers == ("对", "错")
    assert form_of("预备期为一年，是吗？").answers == ("对", "错")


def test_a_text_that_asks_several_questions_is_cut_into_them() -> None:
    from rag.forms import parts

    assert parts("什么是预备党员？要交党费吗？") == ["什么是预备党员？", "要交党费吗？"]
    # clauses that each ask; one that asks nothing goes with the next
    assert parts("预备期为多少年，需要延长预备期时，不能超过多长时间？") == [
        "预备期为多少年", "需要延长预备期时，不能超过多长时间？"]
    assert parts("因工作变动需要转移党组织关系，社区无法接受，怎么办？") == []
    assert parts("预备党员有表决权吗") == []


def test_a_true_false_statement_labelled_as_one_is_judged_and_searched_without_the_label() -> None:
    from rag.forms import form_of, without_judge_label

    for text in ("留党察看最长不超过两年。（判断题）", "留党察看最长不超过两年。(判断)", "判断题：留党察看最长不超过两年。"):
        form = form_of(text)
        assert form.kind == "polar" and form.claim == "留党察看最长不超过两年", text
        assert without_judge_label(text).strip("。") == "留党察看最长不超过两年", text
    assert without_judge_label("留党察看最长不超过几年？") == "留党察看最长不超过几年？"


def test_a_stem_closing_on_de_you_asks_for_every_option_that_is() -> None:
    from rag.forms import form_of

    assert form_of("下列属于党的纪律处分的有（ ）。A.警告 B.严重警告 C.记过 D.开除党籍").multi
    assert not form_of("下列属于党的纪律处分的是（ ）。A.记过 B.降级 C.警告 D.罚款").multi
