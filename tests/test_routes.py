"""The route table: which route answers which question (routing apart from retrieval)."""

from __future__ import annotations

import pytest

from rag import Assistant
from rag.forms import claim_of
from rag.routes import ROUTES


def test_search_is_the_last_route_and_matches_everything() -> None:
    assert ROUTES[-1].name == "search"
    assert len({r.name for r in ROUTES}) == len(ROUTES)


@pytest.mark.parametrize(("question", "route"), [
    ("第8条要求什么？", "reference"), ("党章第三十二条", "reference"), ("第三部分讲什么", "reference"),
    ("厉行节约条例第44条说了什么", "reference"), ("What does Article 32 of the Party Constitution say?", "reference"),
    ("问责条例第七条", "unresolved_document"), ("《中国共产党组织工作条例》第5条", "unresolved_document"),
    ("第16条提到的意见是什么", "cited_by_item"),
    ("要点第9条说严格按照规定程序发展党员，发展党员工作细则规定党支部多久考察一次入党积极分子？", "reference"),
    ("哪一条提到了《整治形式主义为基层减负若干规定》？", "citation_graph"),
    ("《整治形式主义为基层减负若干规定》原文有哪些具体条款？", "absent_document"),
    ("《中国共产党廉洁自律准则》分为哪两部分", "absent_document"),
    ("《党政机关公文处理工作条例》规定联合行文时使用谁的发文字号？", "absent_document"),
    ("这个文件是谁印发的？", "metadata"), ("发文字号是多少", "metadata"), ("纪律处分条例什么时候施行", "metadata"),
    ("厉行节约反对浪费条例由谁负责解释？", "metadata"),
    ("出差的住宿费伙食费由谁来出", "search"), ("今年的主题党日具体安排在哪一天？", "search"),
    ("总体要求是什么？", "preamble"), ("流动党员怎么管理？", "search"),
])
def test_route_table(assistant: Assistant, question: str, route: str) -> None:
    assert assistant.ask(question).route == route


@pytest.mark.parametrize(("question", "claim"), [
    ("选举采用记名投票的方式，对吗？", "选举采用记名投票的方式"),
    ("预备党员的预备期为一年，是不是？", "预备党员的预备期为一年"),  # …，是不是？ offers what comes before it
    ("党员有哪些义务？", ""),
    ("预备党员可以参加表决吗", "预备党员可以参加表决"),
])
def test_claims_of_true_false_questions(question: str, claim: str) -> None:
    assert claim_of(question) == claim


def test_a_true_false_answer_quotes_the_deciding_sentence(assistant: Assistant) -> None:
    ans = assistant.ask("选举采用记名投票的方式，对吗？")
    assert "选举采用无记名投票的方式。" in ans.text and not ans.abstained


def test_a_number_the_documents_do_not_state_is_said_plainly(assistant: Assistant) -> None:
    ans = assistant.ask("党费缴纳标准是多少？")
    assert ans.abstained and ans.text.startswith("已收录文件没有写明") and ans.citations
    ans = assistant.ask("预备党员的预备期是多长时间？")
    assert not ans.abstained and "预备期为一年" in ans.text


def test_compound_question_quotes_the_other_document(assistant: Assistant) -> None:
    ans = assistant.ask("要点第11条要求准确运用“四种形态”，四种形态具体指什么？")
    keys = {c.key for c in ans.citations}
    assert "dongzhi-2025-3#11" in keys and "jilv-chufen-tiaoli-2023#5" in keys


def test_answers_across_documents_are_grouped_primary_first(assistant: Assistant) -> None:
    """A question that asks what several documents each say gets no single direct answer: each
    document's evidence in turn, the primary notice first."""
    ans = assistant.ask("发展党员要把什么标准放在首位？要点和党章分别怎么说？")
    evidence = [b for b in ans.blocks if b.kind == "evidence"]
    assert not any(b.kind == "answer" for b in ans.blocks)
    docs = list(dict.fromkeys(b.doc_id for b in evidence))
    assert docs[:2] == ["dongzhi-2025-3", "dangzhang-2022"]
    assert ans.text.index("第9条") < ans.text.index("《中国共产党章程》第五条")


def test_a_pasted_list_number_is_not_a_reference(assistant: Assistant) -> None:
    """"2.历史遗留的…能否…？" keeps the number its list gave it; "8.要求什么" still asks for 第8条."""
    assert assistant.ask("2.历史遗留的超标办公楼能否继续使用?").route == "search"
    assert assistant.ask("（3）预备党员的预备期多长").route == "search"
    ans = assistant.ask("8.要求什么")
    assert ans.route == "reference" and ans.retrieved[0].endswith("#8")
