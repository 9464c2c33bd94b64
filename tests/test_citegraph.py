from __future__ import annotations

import pytest

from rag import Assistant
from rag.citegraph import asks_cited_documents, cited_titles_in_question, longest_shared

P = "dongzhi-2025-3"


@pytest.mark.parametrize(("a", "b", "n"), [("理论学习中心组学习规则", "中国共产党党委（党组）理论学习中心组学习规则", 11),
                                           ("", "abc", 0), ("abc", "xbcx", 2)])
def test_longest_shared(a: str, b: str, n: int) -> None:
    assert longest_shared(a, b) == n


@pytest.mark.parametrize(("question", "expected"), [
    ("哪些条引用了《整治形式主义为基层减负若干规定》？", "整治形式主义为基层减负若干规定"),
    ("理论学习中心组学习规则是哪条要求落实的", "中国共产党党委（党组）理论学习中心组学习规则"),
    ("中办关于中央和国家机关部门党组落实机关党建主体责任的意见在哪条", 
     "中共中央办公厅关于中央和国家机关部门党组（党委）落实机关党建主体责任的意见"),
])
def test_cited_titles_are_matched_loosely(assistant: Assistant, question: str, expected: str) -> None:
    assert cited_titles_in_question(question, assistant.primary) == [expected]


@pytest.mark.parametrize("question", ["市直机关基层党组织怎么建设", "第8条要求什么", "流动党员怎么管理？"])
def test_ordinary_questions_are_not_citation_questions(assistant: Assistant, question: str) -> None:
    assert cited_titles_in_question(question, assistant.primary) == []


@pytest.mark.parametrize(("rest", "yes"), [("提到的意见是什么", True), ("引用了哪些文件", True), ("要求什么", False)])
def test_asks_cited_documents(rest: str, yes: bool) -> None:
    assert asks_cited_documents(rest) is yes


def test_where_is_a_cited_document_quotes_the_citing_sentence(assistant: Assistant) -> None:
    ans = assistant.ask("哪些条引用了《整治形式主义为基层减负若干规定》？")
    assert ans.kind == "citations" and [c.ref for c in ans.citations] == ["10"]
    assert "《整治形式主义为基层减负若干规定》" in ans.citations[0].quote
    assert "全文未收录" in ans.text and "〔第10条〕" in ans.text


def test_what_an_item_cites(assistant: Assistant) -> None:
    ans = assistant.ask("第16条提到的意见是什么")
    assert ans.kind == "citations" and {c.ref for c in ans.citations} == {"16"}
    assert "落实机关党建主体责任的意见" in ans.text and "全文未收录" in ans.text


def test_an_item_that_cites_nothing_says_so(assistant: Assistant) -> None:
    ans = assistant.ask("第3条引用了哪些文件")
    assert "没有以书名号引用其他文件" in ans.text and {c.ref for c in ans.citations} == {"3"}


def test_the_citation_graph_answer_never_quotes_outside_the_notice(assistant: Assistant) -> None:
    sources = {u.key: u.text.replace("\n", "") for u in assistant.primary.units}
    for q in ("第16条提到的意见是什么", "理论学习中心组学习规则是哪条要求落实的", "第1条引用了什么规定"):
        for c in assistant.ask(q).citations:
            assert c.quote in sources[f"{c.doc_id}#{c.ref}"]


def test_long_pasted_text_stays_fast(assistant: Assistant) -> None:
    assert cited_titles_in_question("党" * 2000, assistant.primary) == []
