"""Tests for rag.refs: explicit references must be found, look-alike numbers must not."""

from __future__ import annotations

from typing import Any

import pytest

from rag.refs import RefQuery, cn_to_int, parse_refs

TITLES = (
    "带头做到“两个维护”，坚决筑牢政治忠诚根基",
    "带头深化理论武装，坚持不懈用习近平新时代中国特色社会主义思想凝心铸魂",
    "带头夯实基层基础，不断增强基层党组织政治功能和组织功能",
    "带头正风肃纪反腐，推动机关强作风提效率塑形象",
    "着力推动党建与业务深度融合，聚力服务高质量发展",
    "从严压实主体责任，凝聚机关党建工作新合力",
)

NONE: dict[str, Any] = {}

CASES: list[tuple[str, dict[str, Any]]] = [
    # single items, Chinese
    ("第8条讲了什么？", {"items": (8,)}),
    ("第八条讲了什么？", {"items": (8,)}),
    ("第8项是什么", {"items": (8,)}),
    ("第八项是什么", {"items": (8,)}),
    ("第8点", {"items": (8,)}),
    ("第八点的要求", {"items": (8,)}),
    ("要点8说了什么", {"items": (8,)}),
    ("第 8 条", {"items": (8,)}),
    ("第\u30008\u3000条", {"items": (8,)}),
    ("第８条", {"items": (8,)}),
    ("8. 讲了什么", {"items": (8,)}),
    ("8．讲了什么", {"items": (8,)}),
    ("8、讲了什么", {"items": (8,)}),
    ("第十九条", {"items": (19,)}),
    ("第二十条", {"items": (20,)}),
    ("第一百零一条", {"items": (101,)}),
    ("第一百五十八条", {"items": (158,)}),
    # single items, English
    ("item 8", {"items": (8,)}),
    ("What does Item 8 say?", {"items": (8,)}),
    ("item No. 8", {"items": (8,)}),
    ("Item No.8", {"items": (8,)}),
    ("item #8", {"items": (8,)}),
    ("what is #8 about", {"items": (8,)}),
    ("point 8", {"items": (8,)}),
    ("article 30 of the regulation", {"items": (30,)}),
    ("What does the second item say?", {"items": (2,)}),
    # several items and ranges
    ("第2条和第3条", {"items": (2, 3)}),
    ("第2、3条", {"items": (2, 3)}),
    ("第2条、第3条", {"items": (2, 3)}),
    ("第2,3条", {"items": (2, 3)}),
    ("第2，3条", {"items": (2, 3)}),
    ("第二条与第三条有什么区别", {"items": (2, 3)}),
    ("第7至9条", {"items": (7, 8, 9)}),
    ("第7-9条", {"items": (7, 8, 9)}),
    ("第7—9条", {"items": (7, 8, 9)}),
    ("第7～9条", {"items": (7, 8, 9)}),
    ("第7到9条", {"items": (7, 8, 9)}),
    ("第七至第九条", {"items": (7, 8, 9)}),
    ("第7条至第9条", {"items": (7, 8, 9)}),
    ("第3条和第2条", {"items": (3, 2)}),
    ("第8条和第八条", {"items": (8,)}),
    ("items 2 and 3", {"items": (2, 3)}),
    ("items 2, 3 and 5", {"items": (2, 3, 5)}),
    ("items 7-9", {"items": (7, 8, 9)}),
    ("items 7 to 9", {"items": (7, 8, 9)}),
    ("第2条，三点要求是什么", {"items": (2,)}),
    # sections
    ("第三部分讲了什么", {"section": 3}),
    ("第三大项", {"section": 3}),
    ("第三方面的内容", {"section": 3}),
    ("第三板块", {"section": 3}),
    ("第三章", {"section": 3}),
    ("三、带头夯实基层基础讲了什么", {"section": 3}),
    ("section 3", {"section": 3}),
    ("Section III", {"section": 3}),
    ("part three", {"section": 3}),
    ("part 3", {"section": 3}),
    ("the third section", {"section": 3}),
    ("What is in the third part?", {"section": 3}),
    ("第一部分第2条讲什么", {"section": 1, "items": (2,)}),
    # relative follow-ups
    ("下一条", {"relative": "next"}),
    ("下一项呢？", {"relative": "next"}),
    ("下一点", {"relative": "next"}),
    ("下条", {"relative": "next"}),
    ("后一条呢", {"relative": "next"}),
    ("next item", {"relative": "next"}),
    ("What about the next one?", {"relative": "next"}),
    ("And the next?", {"relative": "next"}),
    ("上一条", {"relative": "prev"}),
    ("上一项", {"relative": "prev"}),
    ("前一条", {"relative": "prev"}),
    ("上条说的是什么", {"relative": "prev"}),
    ("previous item", {"relative": "prev"}),
    ("the previous one", {"relative": "prev"}),
    ("And the previous?", {"relative": "prev"}),
    ("这一条", {"relative": "this"}),
    ("这条有什么要求", {"relative": "this"}),
    ("该条", {"relative": "this"}),
    ("本条", {"relative": "this"}),
    ("此条", {"relative": "this"}),
    ("这一项", {"relative": "this"}),
    ("这项", {"relative": "this"}),
    ("这一点怎么理解", {"relative": "this"}),
    ("this item", {"relative": "this"}),
    ("this one", {"relative": "this"}),
    ("that item", {"relative": "this"}),
    # implicit follow-ups and out-of-range numbers
    ("那第9条呢", {"items": (9,)}),
    ("and item 2?", {"items": (2,)}),
    ("第20条", {"items": (20,)}),
    ("第0条", {"items": (0,)}),
    # document names before the article
    ("《纪律处分条例》第三十条", {"items": (30,), "doc_phrase": "《纪律处分条例》"}),
    ("党章第三十二条", {"items": (32,), "doc_phrase": "党章"}),
    ("机关基层组织工作条例第10条", {"items": (10,), "doc_phrase": "机关基层组织工作条例"}),
    ("请问党章的第三十二条讲了什么？", {"items": (32,), "doc_phrase": "党章"}),
    # traditional characters
    ("第八條", {"items": (8,)}),
    ("第八項", {"items": (8,)}),
    ("下一條", {"relative": "next"}),
    ("這一條", {"relative": "this"}),
    ("該條", {"relative": "this"}),
    # not references
    ("每天学习8小时", NONE),
    ("2025年有哪些任务", NONE),
    ("12345热线怎么用", NONE),
    ("“7·29”重要指示是什么", NONE),
    ("第二批“四强”党支部", NONE),
    ("第一议题制度", NONE),
    ("第一责任人是谁", NONE),
    ("十三届“先锋杯”", NONE),
    ("1310具体部署", NONE),
    ("三会一课", NONE),
    ("四强党支部", NONE),
    ("两个维护", NONE),
    ("第三方机构", NONE),
    ("2023—2027年", NONE),
    ("（2024—2026年）规划", NONE),
    ("一岗双责", NONE),
    ("8 hours of study", NONE),
    ("plans in 2025", NONE),
    ("top 3 items", NONE),
    ("十四五规划", NONE),
    ("二十届三中全会精神", NONE),
    ("百千万工程", NONE),
    ("《关于第二条的通知》讲了什么", NONE),
    ("这项工作谁负责", NONE),
    ("部分党员干部存在什么问题", NONE),
    ("要多下一点功夫", NONE),
    ("以上条款", NONE),
    ("the next step", NONE),
    ("which part I should read", NONE),
]


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[q for q, _ in CASES])
def test_parse_refs_table(question: str, expected: dict[str, Any]) -> None:
    got = parse_refs(question)
    assert got.items == expected.get("items", ())
    assert got.section == expected.get("section")
    assert got.relative == expected.get("relative")
    assert got.doc_phrase == expected.get("doc_phrase", "")


def test_table_is_large() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8", 8), ("８", 8), ("12", 12), ("十九", 19), ("二十", 20), ("十", 10), ("二十一", 21),
        ("一百零一", 101), ("两", 2), ("两百", 200), ("一百五十八", 158), ("一千零七十", 1070),
        ("〇", 0), ("零", 0), ("九千九百九十九", 9999),
        ("", None), ("abc", None), ("一二", None), ("百", None), ("十十", None),
        ("一百十", None), ("-1", None), ("1.5", None), ("8条", None),
    ],
)
def test_cn_to_int(text: str, value: int | None) -> None:
    assert cn_to_int(text) == value


@pytest.mark.parametrize(
    ("question", "relative", "inside", "absent"),
    [
        ("这一条里对发展党员有什么要求？", "this", "发展党员", "这一条"),
        ("這一條裡對發展黨員有什麼要求？", "this", "發展黨員", "這一條"),
        ("第8条要求什么？", None, "要求什么", "第8条"),
        ("What does item 8 say about training?", None, "training", "item 8"),
        ("根据机关基层组织工作条例第10条，支部怎么设置", None, "支部怎么设置", "条例"),
    ],
)
def test_rest(question: str, relative: str | None, inside: str, absent: str) -> None:
    got = parse_refs(question)
    assert got.relative == relative
    assert inside in got.rest
    assert absent not in got.rest


def test_rest_strips_filler_and_keeps_plain_questions() -> None:
    assert parse_refs("那第9条呢？").rest == ""
    assert parse_refs("第三部分讲了哪些要求？").rest == "讲了哪些要求"
    assert parse_refs("“7·29”重要指示是什么").rest == "“7·29”重要指示是什么"


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("“带头正风肃纪反腐”这一部分讲了什么", 4),
        ("带头夯实基层基础那部分讲了什么", 3),
        ("讲讲带头夯实基层基础那部分", 3),
        ("“两个维护”那部分有哪些要求", 1),
        ("“党建与业务深度融合”部分", 5),
        ("凝聚机关党建工作新合力这部分", 6),
        ("“带头”这一部分", None),  # fragment of titles 1-4: ambiguous
        ("党建那部分", None),  # too short and ambiguous
        ("部分党员干部存在什么问题", None),
        ("“发展党员”这一部分", None),  # in no title
        ("第二部分讲了什么", 2),  # an explicit number wins
    ],
)
def test_section_titles(question: str, section: int | None) -> None:
    got = parse_refs(question, section_titles=TITLES)
    assert got.section == section
    assert got.items == ()


def test_section_title_needs_titles() -> None:
    assert parse_refs("带头夯实基层基础那部分讲了什么").section is None


def test_section_title_removed_from_rest() -> None:
    got = parse_refs("带头夯实基层基础那部分讲了什么", section_titles=TITLES)
    assert got.rest == "讲了什么"


def test_range_cap_keeps_endpoints() -> None:
    assert parse_refs("第1至99999条").items == (1, 99999)
    assert parse_refs("items 1 to 1000000").items == (1, 1000000)
    assert len(parse_refs("第1至200条").items) == 200
    assert parse_refs("第1至201条").items == (1, 201)


def test_reversed_range_keeps_endpoints() -> None:
    assert parse_refs("第9至7条").items == (9, 7)


def test_long_pasted_text_is_scanned_only_at_the_start() -> None:
    got = parse_refs("第8条" + "党建" * 20000 + "第9条")
    assert got.items == (8,)
    assert got.rest.startswith("党建")
    assert parse_refs("a" * 20000 + "第8条").empty


def test_empty() -> None:
    assert RefQuery().empty
    assert parse_refs("两个维护有哪些要求").empty
    assert parse_refs("《纪律处分条例》讲了什么").empty
    assert not parse_refs("第8条").empty
    assert not parse_refs("第三部分").empty
    assert not parse_refs("下一条").empty
    assert not RefQuery(items=(0,)).empty


def test_refquery_is_frozen() -> None:
    with pytest.raises(AttributeError):
        RefQuery().items = (1,)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("question", "items", "relative", "section"),
    [
        ("19条讲什么", (19,), None, None),
        ("8条是什么？", (8,), None, None),
        ("Explain number 16 of the notice", (16,), None, None),
        ("what about the last item?", (), "last", None),
        ("最后一条是什么", (), "last", None),
        ("第二大部分“带头深化理论武装”讲了什么", (), None, 2),
        ("条例有几条", (), None, None),
    ],
)
def test_added_forms(question: str, items: tuple[int, ...], relative: str | None, section: int | None) -> None:
    rq = parse_refs(question)
    assert (rq.items, rq.relative, rq.section) == (items, relative, section)
