"""The answer first: the direct line for each question form, on the shipped corpus."""

from __future__ import annotations

import re

import pytest

from rag import Assistant
from rag.answer import Quote


def first_line(assistant: Assistant, question: str) -> str:
    ans = assistant.ask(question)
    assert ans.blocks and not ans.abstained
    return ans.text.split("\n", 1)[0]


def test_choice_names_the_option_the_text_states(assistant: Assistant) -> None:
    line = first_line(assistant, "预备党员的预备期为（ ）。A.半年 B.一年 C.两年 D.三年")
    assert line.startswith("应选 B：B. 一年")


def test_choice_by_the_blank_prefers_the_longest_option_that_fits(assistant: Assistant) -> None:
    q = "党员受到严重警告处分()内,不得在党内提拔职务 A.6个月 B.1年 C.1年半 D.2年"
    assert first_line(assistant, q).startswith("应选 C")


def test_choice_in_a_named_document_opens_with_the_sentence_its_stem_was_made_from(assistant: Assistant) -> None:
    # the fused order puts 第二十三条 (中央政治局 … 选举) first; 第二十二条 holds the stem's sentence
    ans = assistant.ask("《中国共产党章程》规定，中央委员会全体会议由（ ）召集。A.中央政治局 B.总书记 C.中央书记处 D.全国代表大会")
    assert ans.text.startswith("应选 A：A. 中央政治局\n原文：中央委员会全体会议由中央政治局召集")
    assert ans.citations[0].ref == "22"


def test_choice_whose_stem_no_sentence_reads_like_is_refused(assistant: Assistant) -> None:
    # an option (审批) occurs in a loosely related sentence; the quiz comes from a text we lack
    q = "国有企业党委研究讨论重大经营管理事项，应当作为董事会决策的（ ）程序。A.前置 B.后置 C.备案 D.审批"
    assert assistant.ask(q).abstained


def test_choice_reads_a_sentence_that_opens_with_a_pronoun_with_the_one_before_it(assistant: Assistant) -> None:
    # 党章总纲: "民主集中制是…相结合。它既是党的根本组织原则，…" — the option is in the first, the stem in the second
    ans = assistant.ask("被党章称为党的根本组织原则的是（ ）。A.少数服从多数 B.民主集中制 C.集体领导 D.个人分工负责")
    head, rest = ans.text.split("\n\n", 1)
    assert head.startswith("应选 B：B. 民主集中制\n原文：民主集中制是民主基础上的集中和集中指导下的民主相结合。它既是")
    assert "民主集中制是民主基础上的集中和集中指导下的民主相结合" not in rest  # quoted once


def test_a_blank_for_a_number_is_answered_only_by_a_sentence_that_states_one(assistant: Assistant) -> None:
    # the corpus has 落实党员领导干部讲党课制度 but no figure for it
    ans = assistant.ask("党员领导干部每年在所在党支部讲党课不少于（ ）次。")
    assert ans.abstained and "没有写明" in ans.text
    assert first_line(assistant, "党支部每半年对入党积极分子进行（ ）次考察。").startswith("答案：一")


def test_a_fill_in_from_a_text_the_corpus_lacks_is_refused(assistant: Assistant) -> None:
    assert assistant.ask("公务员录用考试采取笔试和（ ）的方式进行。").abstained


def test_exclusion_names_the_missing_option(assistant: Assistant) -> None:
    q = "党的纪律处分种类不包括（ ）。A.警告 B.严重警告 C.撤销党内职务 D.罚款"
    assert first_line(assistant, q).startswith("不包括：D. 罚款")


def test_true_false_says_right_or_wrong_from_the_deciding_sentence(assistant: Assistant) -> None:
    ans = assistant.ask("选举采用记名投票的方式。（ ）")
    assert ans.text.startswith("错。原文：选举采用无记名投票的方式。")
    assert first_line(assistant, "党员有退党的自由吗").startswith("有。")  # answered with its verb
    # a range is one figure: 五年 is not 三年至五年
    assert first_line(assistant, "党的基层委员会每届任期五年，对吗？").startswith("错。")
    # 没有表决权、选举权… denies 有选举权; 不能作入党介绍人 denies 能当入党介绍人
    assert first_line(assistant, "预备党员有选举权吗").startswith("没有。")
    assert first_line(assistant, "受留党察看处分的党员能当入党介绍人吗").startswith("不能。")
    # a frequency is a figure too: 每年 is not 每半年, 每半年 is
    assert first_line(assistant, "入党积极分子每年考察一次，对吗").startswith("错。")
    assert first_line(assistant, "党支部每半年对入党积极分子进行一次考察，对吗").startswith("对。")


def test_number_question_opens_with_the_clause_that_states_it(assistant: Assistant) -> None:
    assert "预备期为一年" in first_line(assistant, "预备党员的预备期多长？")
    # the unit's first figure (3人以上) is not the one asked for
    assert first_line(assistant, "党支部书记任期几年").startswith("党的支部委员会和不设支部委员会的支部书记")
    # 最多 asks for the upper bound: 最长不超过一年, not 不能少于半年 alone
    assert "最长不超过一年" in first_line(assistant, "预备期最多能延长多久")


def test_a_number_answer_that_is_a_condition_goes_on_to_what_holds_under_it(assistant: Assistant) -> None:
    """"机关党员50人以上、100人以下的" alone states nothing; the clause that follows does."""
    assert first_line(assistant, "机关党员多少人可以设立总支部委员会").startswith(
        "机关党员50人以上、100人以下的，设立党的总支部委员会")
    # a figure that picks out what its clause is about (7人以上的党支部，) is not what is said of it…
    assert first_line(assistant, "正式党员多少人以上的党支部设立支部委员会").startswith(
        "正式党员7人以上的党支部，设立支部委员会")
    # …while a figure in a title before 的 is not a condition (…（2024—2026年）》的落实，)
    from rag.direct import _CONDITION
    assert not _CONDITION.search("抓好《市直机关基层党组织建设强基工程实施方案（2024—2026年）》的落实，")
    # "对…的X，" and "在…的基础上，" frame the clause that says what is done
    line = first_line(assistant, "入党积极分子培养多长时间才能列为发展对象")
    assert line.startswith("对经过一年以上培养教育和考察、基本具备党员条件的入党积极分子，在听取")
    assert "党支部委员会会议研究讨论" in line
    # a topic (对于…的党员，) runs on through the condition after it to what is said of them
    line = first_line(assistant, "党员受到留党察看处分期限多长")
    assert line.startswith("对于受到留党察看处分一年的党员，期满后仍不符合恢复党员权利条件的，应当延长一年留党察看期限")


def test_count_of_a_list(assistant: Assistant) -> None:
    assert first_line(assistant, "党员必须履行的义务有多少条").startswith("共八项")


def test_blank_is_filled_from_the_sentence(assistant: Assistant) -> None:
    assert first_line(assistant, "预备党员的预备期为（ ）。") == "答案：一年"
    # a blank that opens the stem: the words that open the sentence's clause fill it
    assert first_line(assistant, "___是党的各级组织和全体党员必须遵守的行为规则。") == "答案：党的纪律"
    assert first_line(assistant, "（ ）是党内的最高处分。") == "答案：开除党籍"


def test_a_multiple_choice_stem_closing_on_de_you_gets_every_stated_option(assistant: Assistant) -> None:
    line = first_line(assistant, "下列属于党的纪律处分的有（ ）。A.警告 B.严重警告 C.记过 D.开除党籍")
    assert line.startswith("应选 ABD")


def test_a_true_false_label_does_not_change_what_is_found(assistant: Assistant) -> None:
    """…。（判断题） and 判断题：… are searched as the statement alone."""
    plain = assistant.ask("预备党员可以担任入党介绍人。")
    for text in ("预备党员可以担任入党介绍人。（判断题）", "判断题：预备党员可以担任入党介绍人。"):
        assert assistant.ask(text).text == plain.text, text


def test_answer_block_comes_first_and_its_sentence_is_not_repeated(assistant: Assistant) -> None:
    ans = assistant.ask("流动党员怎么管理？")
    head = ans.blocks[0]
    assert head.kind == "answer" and head.lines
    quoted = head.lines[0].text
    assert ans.text.count(quoted) == 1
    assert any(c.key == head.key and c.quote == quoted for c in ans.citations)


@pytest.mark.parametrize("question", ["第8条要求什么？", "今天天气怎么样"])
def test_lookups_and_refusals_have_no_direct_line(assistant: Assistant, question: str) -> None:
    assert not any(b.kind == "answer" for b in assistant.ask(question).blocks)


def test_unknown_numbered_abbreviation_refuses_but_a_typo_does_not(assistant: Assistant) -> None:
    ans = assistant.ask("党组织三重一大制度有哪些内容")
    assert ans.abstained and "三重一大" in ans.text
    assert not assistant.understand("三会一棵制度").unknown_terms


def test_a_share_is_a_figure(assistant: Assistant) -> None:
    """半数 answers 多少: the number gate must not refuse a sentence that states it."""
    line = first_line(assistant, "赞成人数超过应到会有表决权的正式党员的多少，才能通过接收预备党员的决议")
    assert "半数" in line and "第二十条" in line


def test_this_regulation_before_an_article_means_the_named_one(assistant: Assistant) -> None:
    ans = assistant.ask("纪律处分条例中，本条例第十七条讲什么")
    assert not ans.abstained and ans.citations[0].doc_id.startswith("jilv-chufen") and ans.citations[0].ref == "17"


def test_a_quiz_that_quotes_an_article_citing_another_is_answered_from_the_quoted_one(assistant: Assistant) -> None:
    # the stem quotes 第十九条, which itself cites 本条例第十七条: the quiz asks about 第十九条
    q = ("根据纪律处分条例，对于党员违犯党纪应当给予警告或者严重警告处分，但是具有本条例第十七条规定的情形之一的，"
         "可以给予批评教育、责令检查、诫勉或者（ ），免予党纪处分。A.组织处理 B.通报批评 C.行政处分 D.经济处罚")
    ans = assistant.ask(q)
    assert ans.text.startswith("应选 A：A. 组织处理") and ans.citations[0].ref == "19"


@pytest.mark.parametrize(("question", "line"), [
    # "以上都是": every other option is in the sentence
    ("对党员的纪律处分有（ ）。A.警告 B.严重警告 C.开除党籍 D.以上都是", "应选 D：D. 以上都是"),
    # the blank is an enumeration holding every option (not marked 多选)
    ("党的纪律主要包括（ ）。A.政治纪律 B.组织纪律 C.廉洁纪律 D.群众纪律", "应选 ABCD"),
    # an Arabic figure as the text writes it (每月开展1次)
    ("党支部应当每月开展（ ）次主题党日。A.1 B.2 C.3 D.4", "应选 A：A. 1"),
    # statements judged one by one: the one the text contradicts, the one it states
    ("下列关于预备党员的说法，错误的是（ ）。A.预备党员的预备期为一年 B.预备党员没有表决权 "
     "C.预备党员的预备期为两年 D.预备党员必须面向党旗进行入党宣誓", "应选 C：C. 预备党员的预备期为两年"),
    ("以下关于党的纪律处分的表述，正确的是（ ）。A.对党员的纪律处分有五种 B.对党员的纪律处分有三种 "
     "C.留党察看最长不超过三年 D.警告是党内的最高处分", "应选 A：A. 对党员的纪律处分有五种"),
    ("判断题：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。", "对。"),
])
def test_quiz_shapes(assistant: Assistant, question: str, line: str) -> None:
    assert first_line(assistant, question).startswith(line)


def test_a_question_naming_some_items_of_a_list_gets_the_rest(assistant: Assistant) -> None:
    # 党史学习教育工作条例第四条: （一）学史明理 … （四）学史力行
    line = first_line(assistant, "党史学习教育的主要任务是学史明理、学史增信、学史崇德和什么？")
    assert line.startswith("还有：（四）学史力行。")


def test_a_number_question_is_answered_only_by_a_figure_it_does_not_state_itself(assistant: Assistant) -> None:
    # 八项 is the question's own figure: a sentence holding only it states no count of articles
    ans = assistant.ask("中央八项规定一共有几条？")
    assert ans.abstained and ans.text.startswith("已收录文件没有写明")
    # 不足7人 is given, 1名 is asked
    assert "1名副书记" in first_line(assistant, "党员不足7人的党支部可以设几名副书记？")


def test_a_number_question_is_answered_only_by_a_figure_of_the_kind_it_asks_for(assistant: Assistant) -> None:
    # 多少钱 asks for money: 一至两名 (people) does not answer it
    ans = assistant.ask("入党积极分子要培养多少钱？")
    assert ans.abstained and ans.text.startswith("已收录文件没有写明")
    # 几名 is answered by people
    assert "两名正式党员" in first_line(assistant, "入党积极分子的培养联系人由几名正式党员担任？")


def test_a_blank_after_words_the_sentence_uses_twice_is_read_where_the_words_after_it_follow(
        assistant: Assistant) -> None:
    # 具备党员条件的，应当按期转为… and 不具备党员条件的，应当取消其…: the second is the blank's place
    line = first_line(assistant, "不具备党员条件的，应当（ ）其预备党员资格。A.保留 B.取消 C.延长 D.暂停")
    assert line.startswith("应选 B")


def test_an_option_that_looks_like_a_title_is_not_a_missing_document(assistant: Assistant) -> None:
    ans = assistant.ask("党的根本组织原则是（ ）。A.民主集中制 B.党内选举工作规则 C.党内议事规则")
    assert not ans.abstained and ans.text.startswith("应选 A")


def test_how_often_is_answered_only_by_a_frequency_said_of_what_is_asked_about(assistant: Assistant) -> None:
    # the corpus gives the frequency of 组织生活会 (…以党员大会、党支部委员会会议或者党小组会形式进行),
    # of 主题党日 and of 民主评议党员, not of 党小组会 or of 支部委员会会议
    for question in ("党小组会一般多久召开一次", "支部委员会会议多久开一次", "支部委员会会议多久召开"):
        ans = assistant.ask(question)
        assert ans.abstained and ans.text.startswith("已收录文件没有写明"), question
    assert "每月开展1次主题党日" in first_line(assistant, "主题党日多长时间开展一次")
    assert "每年开展1次民主评议党员" in first_line(assistant, "民主评议党员多久开展一次")
    # 总支部委员会由党员大会选举产生，每届任期一般为3年: the term of the committee 党员大会 elects,
    # and a term says how often a body is elected, not how often it meets
    ans = assistant.ask("党员大会多久开一次")
    assert ans.abstained and ans.text.startswith("已收录文件没有写明"), ans.text[:80]
    assert "每届任期三年至五年" in first_line(assistant, "支部委员会多久换届一次")
    # the period the question names (一年) is not what it asks about: the count of times is
    assert "每年至少召开1次组织生活会" in first_line(assistant, "组织生活会一年开几次")


def test_how_many_items_is_answered_by_counting_the_list_that_states_them(assistant: Assistant) -> None:
    # no sentence says 八项: the （一）…（八） list led by 党员享有下列权利 does
    assert first_line(assistant, "党员享有几项权利").startswith("共八项：党员享有下列权利")
    # 共八项…（见下）: below are all eight, not the best few with gaps
    counted = assistant.ask("党员必须履行的义务有多少条").text
    assert counted.startswith("共八项") and all(f"（{n}）" in counted for n in "一二三四五六七八")
    assert "……" not in counted
    # 哪几条 asks which items, not how many: not refused as a missing figure
    assert not assistant.ask("第一议题制度在哪几条提到？").abstained


def test_a_counted_name_is_not_a_count() -> None:
    from rag.forms import figure_kind, kind_figure

    counted = kind_figure(figure_kind("对党员的纪律处分有几种"))
    assert counted.search("对党员的纪律处分有五种：警告、严重警告")
    assert not counted.search("运用监督执纪“四种形态”")
    assert figure_kind("违反了好几条规定怎么处分") == "" and figure_kind("在哪几条提到") == ""


def test_what_is_opens_with_the_sentence_that_defines_it(assistant: Assistant) -> None:
    # not 预备党员必须面向党旗进行入党宣誓 (it shares as much with the question) but the oath itself
    assert first_line(assistant, "入党誓词是什么").startswith("誓词如下：我志愿加入中国共产党")
    # not 第一，坚持党的基本路线 but the sentence that says what it is
    assert "基本路线是：" in first_line(assistant, "党的基本路线是什么")
    # the text names the sanction without the word for its kind: 开除党籍是党内的最高处分
    assert first_line(assistant, "什么是开除党籍处分").startswith("开除党籍是党内的最高处分")


def test_a_short_best_article_is_quoted_whole(assistant: Assistant) -> None:
    ans = assistant.ask("预备党员违犯党纪情节较轻怎么处理")
    first = ans.citations[0]
    found = assistant.unit(f"{first.doc_id}#{first.ref}")
    assert found is not None
    _doc, unit = found
    assert len(unit.sentences) <= assistant.ranking.whole_unit
    assert all(sentence in ans.text for sentence in unit.sentences)


def test_from_when_is_answered_by_the_point_a_span_starts(assistant: Assistant) -> None:
    # 之日算起 states it though no figure does; 预备期为一年 is the span, not its start
    ans = assistant.ask("党龄从什么时候算起")
    assert not ans.abstained and "之日算起" in ans.text.split("\n", 1)[0]
    assert first_line(assistant, "预备期从什么时候算起").startswith("预备期从党支部党员大会通过其为预备党员之日算起")
    # how a date or a length of membership is counted asks from when, as 从什么时候算起 does
    assert "从预备期满转为正式党员之日算起" in first_line(assistant, "党龄怎么算")
    # …also asked 什么时候开始算, with a second half typed after a space: the counting is the frame
    assert "从预备期满转为正式党员之日算起" in first_line(assistant, "党龄从什么时候开始算 具体怎么计算")


def test_who_opens_with_a_sentence_that_names_who_acts(assistant: Assistant) -> None:
    # not 党支部应当运用“三会一课”制度… (it shares the words) but a sentence saying 由…担任
    assert "由本单位党员主要负责人担任" in first_line(assistant, "党支部书记由谁选举产生")
    # 第九条's 培养联系人由…党员担任 names who acts, but on 培养联系人: the words 确定入党积极分子 are
    # only in the chapter's heading, which 第八条 (…由党支部委员会会议…研究决定) shares
    assert "由党支部委员会会议" in first_line(assistant, "入党积极分子由谁来确定")


def test_a_procedure_question_opens_with_the_sentence_that_sets_out_its_steps(assistant: Assistant) -> None:
    # 手续 states what 程序 asks for; 接收预备党员的主要程序是： is another procedure
    line = first_line(assistant, "预备党员转正要经过哪些程序")
    assert line.startswith("预备党员转正的手续是：本人向党支部提出书面转正申请") and "第三十二条" in line
    # the steps named before the noun (按照…、…、…的程序), not the article's frequency sentence
    assert "按照个人自评、党员互评、民主测评的程序" in first_line(assistant, "民主评议党员的程序是什么")
    # a list's lead: every step below it
    ans = assistant.ask("接收预备党员的程序")
    assert ans.text.startswith("共四项") and all(f"（{n}）" in ans.text for n in "一二三四")
    # the steps a thing must go through (要经过…和…，并且经过…), not the notice's mention of 规定程序
    line = first_line(assistant, "发展党员要经过哪些程序")
    assert "要经过支部大会通过和上级党组织批准，并且经过预备期的考察" in line and "第五条" in line


def test_a_mention_of_a_procedure_does_not_set_one_out() -> None:
    from rag.forms import STATES_PROCEDURE, form_of

    assert not STATES_PROCEDURE.search("严把政治标准，严格按照规定程序发展党员。")
    assert STATES_PROCEDURE.search("预备党员转正的手续是：本人向党支部提出书面转正申请；")
    assert STATES_PROCEDURE.search("要经过支部大会通过和上级党组织批准")
    assert not STATES_PROCEDURE.search("确需调整的，要经过批准。")  # one step is a condition, not steps
    assert form_of("发展党员要经过哪些步骤").procedure and not form_of("发展党员要注意什么").procedure


def test_which_day_is_answered_only_by_a_date(assistant: Assistant) -> None:
    from rag.forms import figure_kind

    assert figure_kind("民主评议安排在哪一天") == "date" and figure_kind("党员什么时间可以转正") == "when"
    # 每月开展1次主题党日 says how often, not on which day
    ans = assistant.ask("主题党日定在每个月的哪一天")
    assert ans.abstained and ans.text.startswith("已收录文件没有写明"), ans.text[:80]


def test_a_fees_standard_asks_for_an_amount(assistant: Assistant) -> None:
    from rag.forms import figure_kind

    assert figure_kind("培训费的开支标准") == "amount" and figure_kind("差旅费标准由谁制定") == ""
    # the documents hold rules on fees (按照规定标准…), never their amounts: refused, with the rules near
    ans = assistant.ask("会议费开支标准")
    assert ans.abstained and ans.text.startswith("已收录文件没有写明"), ans.text[:80]


def test_a_choice_questions_figures_are_its_options_not_what_it_states(assistant: Assistant) -> None:
    # 三种…六种 are asked among; 对党员的纪律处分有五种 states one of them though it words the rest
    # otherwise (党的纪律处分): read option by option, not refused as a missing figure
    line = first_line(assistant, "党的纪律处分有几种？\nA.三种\nB.四种\nC.五种\nD.六种")
    assert line.startswith("应选 C"), line


def test_exclusion_names_an_odd_option_that_is_half_like_a_listed_one(assistant: Assistant) -> None:
    # 选举中央委员会 shares half its words with （四）选举同级党的委员会; the others are listed
    q = ("党的地方各级代表大会的职权不包括（ ）。A.听取和审查同级委员会的报告 B.选举中央委员会 "
         "C.审查同级纪律检查委员会的报告 D.讨论本地区范围内的重大问题并作出决议")
    assert first_line(assistant, q).startswith("不包括：B. 选举中央委员会")


def test_what_is_ranks_first_the_article_that_defines_it(assistant: Assistant) -> None:
    # 党员组织关系是指党员对党的基层组织的隶属关系 names it and says 是指, of another term
    line = first_line(assistant, "党的基层组织是指什么")
    assert line.startswith("党的基层组织是党在社会基层组织中的战斗堡垒") and "第三十二条" in line


def test_a_true_false_pasted_as_a_choice_names_the_option_that_judges_it(assistant: Assistant) -> None:
    line = first_line(assistant, "预备党员的预备期为两年。A.正确 B.错误")
    assert line == "应选 B：错误（错）", line
    assert first_line(assistant, "预备党员的预备期为一年。 A.对 B.错") == "应选 A：对"


def test_a_statement_closed_by_a_full_stop_is_checked(assistant: Assistant) -> None:
    # a 判断题 pasted without its bracket or number
    assert first_line(assistant, "留党察看最长不超过一年。").startswith("错。原文：留党察看最长不超过两年")
    # …and one with a polar tail after the full stop
    assert first_line(assistant, "预备党员的预备期为一年。对还是错？").startswith("对。")


def test_an_exam_task_to_outline_is_answered_as_a_list(assistant: Assistant) -> None:
    # 简述X asks for X's points, as 有哪些 does: the counted list, every item
    ans = assistant.ask("简述党员的权利。")
    assert ans.text.startswith("共八项：党员享有下列权利") and all(f"（{n}）" in ans.text for n in "一二三四五六七八")


def test_why_opens_with_the_purpose_the_text_states(assistant: Assistant) -> None:
    # a regulation's 第一条 says what it is for (为了…，制定本条例): that is the reason, not how to run it
    ans = assistant.ask("为什么要开展党史学习教育")
    assert ans.text.startswith("为了推动党史学习教育常态化长效化") and "原文没有说明原因" not in ans.text


def test_a_number_answer_states_a_figure_of_the_kind_asked_for(assistant: Assistant) -> None:
    from rag import direct
    from rag.answer import Quote
    from rag.forms import form_of

    found = assistant.ctx.unit("jiguan-jiceng-zuzhi-gongzuo-tiaoli-2019#7")
    assert found is not None
    doc, unit = found
    quote = Quote(doc, unit, tuple(range(len(unit.sentences))))
    # 正式党员7人以上的党支部，设立支部委员会 shares the most with the question, but 多少年 asks for time
    head = direct._number(form_of("正式党员7人以上的党支部设立支部委员会，任期多少年"), [quote])
    assert head is not None and "3年" in head.text and "7人" not in head.text, head


def test_a_yes_no_question_asked_by_a_not_a_is_answered_in_its_own_words(assistant: Assistant) -> None:
    assert first_line(assistant, "党总支能不能审批预备党员？").startswith("不能。原文：党总支不能审批预备党员")
    assert first_line(assistant, "预备党员有没有表决权").startswith("没有。原文：")
    # …and by a verb and 吗
    assert first_line(assistant, "受留党察看处分的党员有表决权吗？").startswith("没有。原文：党员受留党察看处分期间")
    # "…，是不是？" offers the statement before it: 对 / 错
    line = first_line(assistant, "预备党员的预备期为一年，是不是？")
    assert line.startswith("对。原文：预备党员的预备期为一年"), line


def test_the_sentence_closest_to_the_question_opens_quoted_by_search_or_not(assistant: Assistant) -> None:
    from rag import direct
    from rag.answer import Quote
    from rag.forms import form_of

    found = assistant.ctx.unit("dangzhang-2022#7")
    assert found is not None
    doc, unit = found
    duties = next(n for n, s in enumerate(unit.sentences) if s.startswith("预备党员的义务"))
    rights = next(n for n, s in enumerate(unit.sentences) if s.startswith("预备党员的权利"))
    # search quoted the short sentence on duties; the question asks about rights
    (head,), _notes = direct.answer_first(form_of("预备党员的权利和正式党员的权利一样吗有何不同"),
                                          [Quote(doc, unit, (duties,))])
    assert head.text.startswith(unit.sentences[rights]), head
    # a question that shares nothing with any sentence (asked in English) keeps search's choice
    (head,), _notes = direct.answer_first(form_of("What duties does a probationary member have?"),
                                          [Quote(doc, unit, (duties,))])
    assert head.text.startswith("预备党员的义务"), head


def test_a_titled_items_heading_does_not_open_the_answer(assistant: Assistant) -> None:
    from rag import direct
    from rag.answer import Quote
    from rag.forms import form_of

    found = assistant.ctx.unit(f"{assistant.primary.doc_id}#17")
    assert found is not None
    doc, unit = found
    # the heading (督促…严格落实“一岗双责”) shares the most; a sentence that requires something opens
    (head,), _notes = direct.answer_first(form_of("怎么严格落实一岗双责"), [Quote(doc, unit, (1,))])
    assert not head.text.startswith(unit.sentences[0]), head


def test_a_text_that_asks_two_questions_answers_each_first(assistant: Assistant) -> None:
    ans = assistant.ask("预备期是多长时间，延长预备期最长不超过多久？")
    heads = [b for b in ans.blocks if b.kind == "answer"]
    assert len(heads) == 2, ans.text
    assert "预备期为一年" in heads[0].text and "不超过一年" in heads[1].text
    assert ans.blocks[0] is heads[0] and ans.blocks[1] is heads[1]  # both before the evidence
    # the same answer to both parts is said once
    ans = assistant.ask("支部委员会多久换届一次，任期几年？")
    assert sum(b.kind == "answer" for b in ans.blocks) == 1


def test_a_yes_no_question_the_text_does_not_decide_says_so(assistant: Assistant) -> None:
    ans = assistant.ask("预备党员需要交党费吗？")  # 党章 says 义务同正式党员一样, not 需要交 in so many words
    assert not ans.abstained and not ans.text.startswith(("需要。", "不需要。"))
    assert ans.blocks[-1].kind == "note" and ans.blocks[-1].text == "（原文没有直接说需要还是不需要；以上是相关规定。）"
    decided = assistant.ask("受留党察看处分的党员有表决权吗？")
    assert not any(b.kind == "note" for b in decided.blocks)


def test_an_undecided_yes_no_question_opens_with_the_rule_on_what_it_asks_about(assistant: Assistant) -> None:
    """预备党员可以选举吗: the rule on 选举权 opens, not one that shares the question's 可以 (可以延长预备期)."""
    ans = assistant.ask("预备党员可以选举吗")
    assert ans.text.startswith("预备党员的权利，除了没有表决权、选举权和被选举权以外")
    assert ans.blocks[-1].kind == "note"  # 没有选举权 is not 不可以选举 in so many words


def test_one_word_of_obligation_judges_a_claim_made_with_another(assistant: Assistant) -> None:
    # 要 asks what 应当 obliges: the same act, right after it
    assert first_line(assistant, "党员要按期交纳党费吗").startswith("要。原文：党员应当按期交纳党费")
    # an obligation of another act, or a permission asked, decides nothing
    for q in ("党员要信仰宗教吗", "党员可以信仰宗教吗"):
        assert not first_line(assistant, q).startswith(("要。", "可以。", "对。")), q


def test_a_denial_decides_only_of_its_own_subject() -> None:
    from rag.direct import _denied, _negation_clash

    sentence = "乡镇（街道）党委所属的基层党委，不能审批预备党员，但应当对党支部党员大会通过接收的预备党员进行审议。"
    # 党支部 is named in the sentence, but after the denial: it is not who may not approve
    assert _negation_clash("党支部能审批预备党员", sentence) == "other"
    assert _negation_clash("基层党委能审批预备党员", sentence) == "own"
    assert _denied("党支部可以审批预备党员", sentence) == "other"
    assert _denied("党总支可以审批预备党员", "党总支不能审批预备党员，但应当对党支部党员大会通过接收的预备党员进行审议。") == "own"


def test_a_rule_denying_the_act_to_another_is_no_yes(assistant: Assistant) -> None:
    for q in ("党支部能不能审批预备党员", "党支部可以审批预备党员吗"):
        line = first_line(assistant, q)
        assert not line.startswith(("能。", "可以。", "对。")), (q, line)


def _sentences_of(assistant: Assistant) -> list[tuple[Quote, str]]:
    return [(Quote(d, u, (n,)), s.rstrip("。；：").strip()) for d in assistant.ctx.index.docs
            for u in d.units for n, s in enumerate(u.sentences) if len(s) >= 8]


def test_every_sentence_of_the_documents_is_judged_no_wrong_of_itself(assistant: Assistant) -> None:
    """A sentence quoted as it stands is never 错: a later clause's 非公务活动 once made 党政机关应当建立
    国内公务接待审批控制制度 错, and 功能 of 具有接待功能 read as 能."""
    from rag.direct import _verdict

    judged = [(claim, _verdict(claim, [q])[0]) for q, claim in _sentences_of(assistant)]
    assert [claim for claim, v in judged if v is False] == []
    assert sum(v is True for _claim, v in judged) > 0.99 * len(judged)  # …and 对, nearly always


def test_a_rule_is_not_right_of_another_subject(assistant: Assistant) -> None:
    """S 应当/必须/可以 P of the documents, said of the subject of another such sentence: not 对
    (党组织应当自觉参加双重组织生活 is not what 党员领导干部应当自觉参加双重组织生活 says)."""
    from rag.direct import _verdict

    rule = re.compile(r"(?:^|[，；])([^，。；：（）]{3,10}?)(应当|必须|可以)([^，。；]{4,16})[，。；]")
    found = [(q, m) for q, claim in _sentences_of(assistant) if (m := rule.search(claim + "。"))]
    subjects = [m.group(1) for _q, m in found]
    right = 0
    for i, (q, m) in enumerate(found):
        other = next(s for s in subjects[i + 1:] + subjects[:i] if s not in q.unit.sentences[q.sents[0] or 0])
        right += _verdict(other + m.group(2) + m.group(3), [q])[0] is True
        assert _verdict(m.group(1) + m.group(2) + m.group(3), [q])[0] is not False
    # the few 对 left are near-synonymous subjects (上级党委 for 各级党委, 有关党组织 for 党组织); before the
    # subject check a tenth of these claims were 对
    assert len(found) > 100 and right <= 0.04 * len(found)


def test_a_sentence_with_its_obligation_denied_is_never_right(assistant: Assistant) -> None:
    """应当 → 不应当, 可以 → 不可以, 必须 → 不必: the rule says the opposite, so never 对 (不必坚持… was)."""
    from rag.direct import _verdict

    flip = {"应当": "不应当", "可以": "不可以", "必须": "不必"}
    modal = re.compile(r"(?<![不没未无])(应当|可以|必须)")
    judged = []
    for q, claim in _sentences_of(assistant):
        if m := modal.search(claim):
            judged.append(_verdict(claim[:m.start()] + flip[m.group()] + claim[m.end():], [q])[0])
    assert len(judged) > 300 and True not in judged
    assert judged.count(False) > 0.9 * len(judged)


def test_a_who_question_opens_with_the_sentence_that_names_who_acts(assistant: Assistant) -> None:
    """谁负责审批预备党员: 预备党员必须由党委审批 (由…), not the sentence of the same article that
    shares more of the question's words (…基层党委，不能审批预备党员)."""
    assert first_line(assistant, "谁负责审批预备党员").startswith("预备党员必须由党委审批")
    assert "由中央委员会召集" in first_line(assistant, "党的全国代表大会由谁召集")
