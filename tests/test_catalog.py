"""Name resolution over the shipped corpus: titles, short names, abbreviations, English, absent names."""

from __future__ import annotations

import pytest

from rag import Assistant
from rag.catalog import Catalog, aliases_for


@pytest.fixture(scope="module")
def catalog(assistant: Assistant) -> Catalog:
    return assistant.catalog


@pytest.mark.parametrize(("phrase", "doc_id"), [
    ("中国共产党章程", "dangzhang-2022"), ("党章", "dangzhang-2022"), ("《党章》", "dangzhang-2022"),
    ("纪律处分条例", "jilv-chufen-tiaoli-2023"), ("纪律条例", "jilv-chufen-tiaoli-2023"),
    ("厉行节约条例", "lijie-jieyue-fandui-langfei-tiaoli-2025"), ("党员教育条例", "dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019"),
    ("机关基层组织工作条例", "jiguan-jiceng-zuzhi-gongzuo-tiaoli-2019"), ("发展党员细则", "fazhan-dangyuan-gongzuo-xize-2026"),
    ("要点", "dongzhi-2025-3"), ("除了要点", "dongzhi-2025-3"), ("和党章", "dangzhang-2022"),
])
def test_find_resolves_names_people_use(catalog: Catalog, phrase: str, doc_id: str) -> None:
    found = catalog.find(phrase)
    assert found is not None and found.doc_id == doc_id


@pytest.mark.parametrize("phrase", ["《党政机关公文处理工作条例》", "党政机关公文处理工作条例", "问责条例",
                                    "《中国共产党组织工作条例》", "工作条例"])
def test_find_never_falls_back_to_a_fragment_of_another_title(catalog: Catalog, phrase: str) -> None:
    assert catalog.find(phrase) is None


def test_an_ambiguous_abbreviation_lists_its_candidates(catalog: Catalog) -> None:
    assert catalog.find("机关条例") is None
    assert len(catalog.candidates("机关条例")) >= 2


@pytest.mark.parametrize(("question", "doc_id"), [
    ("What does Article 32 of the Party Constitution say?", "dangzhang-2022"),
    ("Article 8 of the CPC Regulations on Disciplinary Actions", "jilv-chufen-tiaoli-2023"),
])
def test_english_names(catalog: Catalog, question: str, doc_id: str) -> None:
    found = catalog.english_name(question)
    assert found is not None and found.doc_id == doc_id


@pytest.mark.parametrize(("question", "absent"), [
    ("《中国共产党廉洁自律准则》分为哪两部分", ["中国共产党廉洁自律准则"]),
    ("廉洁自律准则分为哪两部分", ["廉洁自律准则"]),
    ("党员违反中央八项规定精神怎么处理", []),  # a concept the regulations discuss, not a document
    ("党员教育管理有哪些规定", []),
    ("党章第五条", []),
    ("理论学习中心组学习规则第三条", ["理论学习中心组学习规则"]),  # cited by the notice, not in the corpus
    ("党员违反廉洁自律准则怎么处理", ["廉洁自律准则"]),
    # a whole question that is a title pasted without 《》: its 和/的 do not make it a phrase
    ("党组讨论和决定重大事项工作规定(试行)", ["党组讨论和决定重大事项工作规定"]),
    ("中国共产党纪律处分条例", []),  # a collected document's title
    ("发展党员的工作细则有哪些规定", []),  # a question, not a title
    ("国家工作人员就职时应当依照法律规定公开宣誓", []),  # a modal verb: a clause, not a title
])
def test_absent_names(catalog: Catalog, question: str, absent: list[str]) -> None:
    assert catalog.absent_names(question) == absent


def test_citing_finds_where_the_corpus_cites_a_missing_document(catalog: Catalog) -> None:
    ((doc, title, refs),) = catalog.citing("理论学习中心组学习规则")
    assert doc.doc_id == "dongzhi-2025-3" and "中心组学习规则" in title and refs == ("5",)


def test_a_name_counts_once_and_the_title_wins(catalog: Catalog) -> None:
    named = catalog.in_question("要点第9条和党员教育管理工作条例对流动党员怎么规定")
    assert [d.doc_id for d in named] == ["dongzhi-2025-3", "dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019"]


@pytest.mark.parametrize(("title", "aliases"), [
    ("中国共产党章程", ["党章"]), ("中国共产党纪律处分条例", ["纪律处分条例"]),
    ("中国共产党支部工作条例（试行）", ["中国共产党支部工作条例", "支部工作条例"]),
    ("党政机关厉行节约反对浪费条例", ["厉行节约反对浪费条例"]), ("党史学习教育工作条例", []),
])
def test_aliases_for(title: str, aliases: list[str]) -> None:
    assert aliases_for(title) == aliases
