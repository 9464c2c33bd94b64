"""Unit tests of rag.verify: pure functions, hand-made sources, no index and no network."""

from __future__ import annotations

import json

import pytest

from rag.verify import (
    FLAG_MARK,
    NO_CITATION,
    THRESHOLD,
    UNKNOWN_CITATION,
    UNSUPPORTED_DETAIL,
    Source,
    best_quote,
    supporting_quotes,
    verify,
)

TITLE = "2025年市直机关党的建设要点"
ITEM8_SENTENCES = (
    "深化“四强”党支部建设。",
    "根据党组织隶属关系，按照分级负责的原则，加强对机关单位党组织和事业单位党组织的分类指导。",
    "进一步深化“四强”党支部创建工作，探索形成“四强”党支部建设工作指引，把党支部建设成为教育党员的学校、团结群众的核心、攻坚克难的堡垒。",
    "落实《市直机关“四强”党支部创建工作方案》，评定命名第二批“四强”党支部，加强动态管理、跟踪问效，对不符合要求的及时撤销称号。",
    "用好“机关支部课堂”学习平台，编发“四强”党支部创建优秀案例，总结推广典型经验。",
    "开展“四强”党支部与其他党支部结对共建等活动，推动形成先进带后进、后进赶先进、中间争先进、先进更前进的生动局面。",
)
ITEM8 = Source(doc_id="dongzhi-2025-3", ref="8", marker="〔第8条〕",
               heading="第8条 深化“四强”党支部建设（三、带头夯实基层基础）", text="".join(ITEM8_SENTENCES),
               title=TITLE, primary=True, label="第8条", unit_title="深化“四强”党支部建设",
               section="三、带头夯实基层基础", sentences=ITEM8_SENTENCES)
HEADER = Source(doc_id="dongzhi-2025-3", ref="header", marker="〔文件头〕", heading="文件头",
                text="中共东莞市直属机关工作委员会\n东直〔2025〕3号\n"
                "中共东莞市直属机关工作委员会关于印发 《2025年市直机关党的建设要点》 的通知\n2025年3月27日",
                title=TITLE, primary=True, label="文件头", unit_title="通知", section="",
                sentences=("中共东莞市直属机关工作委员会", "东直〔2025〕3号", "2025年3月27日"))
NUMBERS = Source(doc_id="dongzhi-2025-3", ref="1", marker="〔第1条〕", heading="第1条 数字",
                 text="严格执行十九项制度，全年投入12345元，覆盖30%的支部。", title=TITLE, primary=True, label="第1条",
                 unit_title="数字", section="", sentences=("严格执行十九项制度，全年投入12345元，覆盖30%的支部。",))
REGULATION = Source(doc_id="jilv", ref="30", marker="〔《纪律处分条例》第三十条〕", heading="《纪律处分条例》第三十条",
                    text="党员受到警告处分一年内不得提拔。", title="纪律处分条例", primary=False, label="第三十条",
                    unit_title="", section="", sentences=("党员受到警告处分一年内不得提拔。",),
                    aliases=("中国共产党纪律处分条例",))


def flags_of(text: str, sources: list[Source]) -> list[tuple[str, ...]]:
    return [s.flags for s in verify(text, sources).sentences]


# -- citations ------------------------------------------------------------------------------

def test_good_sentences_pass() -> None:
    v = verify("要评定命名第二批“四强”党支部。〔第8条〕\n要用好“机关支部课堂”学习平台。〔第8条〕", [ITEM8])
    assert v.ok and v.flagged_ratio == 0.0
    assert v.counts == {"sentences": 2, "flagged": 0, NO_CITATION: 0, UNKNOWN_CITATION: 0,
                        UNSUPPORTED_DETAIL: 0, "cited_units": 1}
    assert FLAG_MARK not in v.text
    assert v.cited == ("dongzhi-2025-3#8",)


@pytest.mark.parametrize("text", [
    "要评定命名第二批“四强”党支部。〔第8条〕",
    "要评定命名第二批“四强”党支部〔第8条〕。",
    "要评定命名第二批“四强”党支部。 〔第8条〕",
    "要评定命名第二批“四强”党支部。【第八条】",
    "要评定命名第二批“四强”党支部。[第8条]",
    "要评定命名第二批“四强”党支部。〔《2025年市直机关党的建设要点》第8条〕",
])
def test_marker_before_or_after_the_full_stop_and_in_other_forms(text: str) -> None:
    v = verify(text + "要用好“机关支部课堂”学习平台。〔第8条〕", [ITEM8])
    assert [s.citations for s in v.sentences] == [("dongzhi-2025-3#8",)] * 2
    assert v.ok
    assert v.text.count("〔第8条〕") == 2  # rewritten in the canonical form


def test_fabricated_citation_is_removed_and_flagged() -> None:
    v = verify("要评定命名第二批“四强”党支部。〔第8条〕\n每季度开展一次结对共建。〔第25条〕", [ITEM8])
    assert "第25条" not in v.text
    assert v.sentences[1].flags == (UNKNOWN_CITATION,)
    assert v.sentences[1].details == ("〔第25条〕",)
    assert v.text.splitlines()[1].startswith(FLAG_MARK)
    assert v.flagged_ratio == 0.5


def test_in_range_unit_that_was_not_retrieved_is_unknown() -> None:
    v = verify("要加强党员教育管理监督。〔第9条〕", [ITEM8])
    assert v.sentences[0].flags == (UNKNOWN_CITATION,)
    assert "〔第9条〕" not in v.text


def test_combined_marker_keeps_the_known_part() -> None:
    v = verify("要评定命名第二批“四强”党支部。〔第8、25条〕", [ITEM8])
    assert v.sentences[0].citations == ("dongzhi-2025-3#8",)
    assert v.sentences[0].flags == (UNKNOWN_CITATION,)
    assert v.text == f"{FLAG_MARK}要评定命名第二批“四强”党支部。〔第8条〕"


def test_other_document_citation() -> None:
    ok = verify("党员受到警告处分一年内不得提拔。〔《纪律处分条例》第三十条〕", [ITEM8, REGULATION])
    assert ok.sentences[0].citations == ("jilv#30",) and ok.ok
    alias = verify("党员受到警告处分一年内不得提拔。〔《中国共产党纪律处分条例》第30条〕", [ITEM8, REGULATION])
    assert alias.sentences[0].citations == ("jilv#30",)
    wrong = verify("党员受到警告处分一年内不得提拔。〔《监督执纪工作规则》第三十条〕", [ITEM8, REGULATION])
    assert wrong.sentences[0].flags == (UNKNOWN_CITATION,)
    bare = verify("党员受到警告处分一年内不得提拔。〔第30条〕", [ITEM8, REGULATION])  # bare = primary doc
    assert bare.sentences[0].flags == (UNKNOWN_CITATION,)


def test_sentence_without_citation() -> None:
    v = verify("要评定命名第二批“四强”党支部。〔第8条〕总之要抓好落实。", [ITEM8])
    assert [s.flags for s in v.sentences] == [(), (NO_CITATION,)]
    assert v.text == f"要评定命名第二批“四强”党支部。〔第8条〕{FLAG_MARK}总之要抓好落实。"


def test_headings_lead_ins_and_blank_lines_are_not_sentences() -> None:
    text = ("## 第8条要点\n\n**主要要求**\n第8条的要求如下：\n\n"
            "1. 要评定命名第二批“四强”党支部。〔第8条〕\n- 要用好“机关支部课堂”学习平台。〔第8条〕\n。\n")
    v = verify(text, [ITEM8])
    assert v.counts["sentences"] == 2 and v.ok
    assert "## 第8条要点" in v.text and "1. 要评定" in v.text


def test_flag_goes_after_the_list_bullet() -> None:
    v = verify("- 总之要抓好落实。\n2. 总之要抓好落实。", [ITEM8])
    assert v.text == f"- {FLAG_MARK}总之要抓好落实。\n2. {FLAG_MARK}总之要抓好落实。"


def test_splits_at_exclamation_question_and_newline() -> None:
    v = verify("要用好学习平台！〔第8条〕要结对共建吗？〔第8条〕\n要总结推广典型经验〔第8条〕", [ITEM8])
    assert len(v.sentences) == 3 and v.ok


def test_empty_reply_is_not_ok() -> None:
    v = verify("", [ITEM8])
    assert not v.ok and v.flagged_ratio == 1.0 and v.sentences == ()


# -- details --------------------------------------------------------------------------------

def test_wrong_chinese_number() -> None:
    v = verify("要评定命名第三批“四强”党支部。〔第8条〕", [ITEM8])
    assert v.sentences[0].flags == (UNSUPPORTED_DETAIL,)
    assert "三批" in v.sentences[0].details


@pytest.mark.parametrize(("sentence", "bad"), [
    ("要严格执行十九项制度。", None),
    ("要严格执行19项制度。", None),  # same value, other script
    ("要严格执行二十项制度。", "二十项"),
    ("全年投入12345元。", None),
    ("全年投入1234元。", "1234元"),
    ("全年投入123456元。", "123456元"),
    ("覆盖30%的支部。", None),
    ("覆盖40%的支部。", "40%"),
    ("要进一步统一思想，开好三中全会。", None),  # words, not quantities
])
def test_numbers_must_be_in_the_cited_source(sentence: str, bad: str | None) -> None:
    check = verify(sentence + "〔第1条〕", [NUMBERS]).sentences[0]
    if bad is None:
        assert check.flags == (), check.details
    else:
        assert check.flags == (UNSUPPORTED_DETAIL,) and bad in check.details


def test_numbers_are_checked_against_the_cited_source_only() -> None:
    v = verify("要严格执行十九项制度。〔第8条〕", [ITEM8, NUMBERS])
    assert v.sentences[0].flags == (UNSUPPORTED_DETAIL,)


def test_dates_and_document_numbers() -> None:
    ok = verify("本通知文号为东直〔2025〕3号，于2025年3月27日印发。〔文件头〕", [HEADER])
    assert ok.ok, ok.as_dict()
    assert "〔2025〕" in ok.text  # a 文号's bracket is not a citation
    bad = verify("本通知文号为东直〔2024〕3号，于2025年4月1日印发。〔文件头〕", [HEADER])
    details = bad.sentences[0].details
    assert "〔2024〕3号" in details and "4月" in details and "1日" in details
    assert verify("通知于二〇二五年三月二十七日印发。〔文件头〕", [HEADER]).ok
    assert verify("通知于二〇二四年三月二十七日印发。〔文件头〕", [HEADER]).sentences[0].details == ("二〇二四年",)


def test_quoted_phrases_and_titles() -> None:
    assert verify("要用好“机关支部课堂”学习平台。〔第8条〕", [ITEM8]).ok
    v = verify("要用好“党建云课堂”学习平台，落实《四强党支部管理办法》。〔第8条〕", [ITEM8])
    assert set(v.sentences[0].details) == {"“党建云课堂”", "《四强党支部管理办法》"}
    assert verify("《2025年市直机关党的建设要点》要求深化“四强”党支部建设。〔第8条〕", [ITEM8]).ok


def test_references_in_prose_must_name_a_source() -> None:
    assert verify("第8条要求深化“四强”党支部建设。〔第8条〕", [ITEM8]).ok
    v = verify("第9条也要求深化“四强”党支部建设。〔第8条〕", [ITEM8])
    assert v.sentences[0].details == ("第9条",)


# -- quotes and the JSON form ---------------------------------------------------------------

def test_best_quote_picks_the_supporting_sentence_or_the_title() -> None:
    assert best_quote("要评定命名第二批“四强”党支部。〔第8条〕", ITEM8) == ITEM8_SENTENCES[3]
    assert best_quote("总之要抓好落实。", ITEM8) == "深化“四强”党支部建设"


def test_supporting_quotes_are_distinct_and_in_order() -> None:
    v = verify("要用好学习平台。〔第8条〕要评定命名第二批“四强”党支部。〔第8条〕要用好学习平台。〔第8条〕", [ITEM8])
    quotes = [q for _s, q in supporting_quotes(v, [ITEM8])]
    assert quotes == [ITEM8_SENTENCES[4], ITEM8_SENTENCES[3]]


def test_verdict_is_json_ready() -> None:
    v = verify("要评定命名第三批“四强”党支部。〔第8条〕", [ITEM8])
    data = json.loads(json.dumps(v.as_dict(), ensure_ascii=False))
    assert data["ok"] is False and data["flagged"][0]["flags"] == [UNSUPPORTED_DETAIL]


# -- the threshold, measured ----------------------------------------------------------------

G = [
    "第8条要求深化“四强”党支部建设。〔第8条〕",
    "要根据党组织隶属关系，按照分级负责的原则，加强分类指导。〔第8条〕",
    "要评定命名第二批“四强”党支部，对不符合要求的及时撤销称号。〔第8条〕",
    "要用好“机关支部课堂”学习平台，总结推广典型经验。〔第8条〕",
    "要开展“四强”党支部与其他党支部结对共建等活动。〔第8条〕",
]
UNCITED = "总之，要把党支部建设成为坚强堡垒。"
FABRICATED = "每个党支部每季度至少开展一次结对共建活动。〔第25条〕"
WRONG = "要评定命名第三批“四强”党支部。〔第8条〕"
WRONG2 = "要在2025年底前完成12345个党支部创建。〔第8条〕"
WRONG_QUOTE = "要用好“党建云课堂”平台。〔第8条〕"

# (name, sentences, expected flagged, kept?) — the table in rag/verify.py's docstring
THRESHOLD_TABLE = [
    ("good", G, 0, True),
    ("one uncited summary of five", G[:4] + [UNCITED], 1, True),
    ("one fabricated citation of five", G[:4] + [FABRICATED], 1, True),
    ("one wrong number of four", [G[0], G[1], WRONG, G[3]], 1, True),
    ("one slip of three", [G[0], G[1], FABRICATED], 1, True),
    ("two slips of five", G[:3] + [FABRICATED, WRONG], 2, False),
    ("one slip of two", [G[0], FABRICATED], 1, False),
    ("mostly fabricated", [G[0], G[1], FABRICATED, FABRICATED.replace("25", "26"), UNCITED], 3, False),
    ("mostly wrong numbers", [G[0], WRONG, WRONG2, WRONG_QUOTE, WRONG], 4, False),
    ("fully fabricated", ["要每季度召开一次推进会。〔第25条〕", "须在2025年6月30日前完成。〔第25条〕",
                          "未达标的将被通报。〔第26条〕"], 3, False),
    ("no citations", [s.replace("〔第8条〕", "") for s in G[:4]], 4, False),
]


@pytest.mark.parametrize(("name", "sentences", "flagged", "kept"), THRESHOLD_TABLE, ids=[r[0] for r in THRESHOLD_TABLE])
def test_threshold_table(name: str, sentences: list[str], flagged: int, kept: bool) -> None:
    v = verify("\n".join(sentences), [ITEM8])
    assert v.counts["sentences"] == len(sentences)
    assert v.counts["flagged"] == flagged, v.as_dict()
    assert v.flagged_ratio == pytest.approx(flagged / len(sentences))
    assert v.ok is kept, f"{name}: ratio {v.flagged_ratio:.2f} vs threshold {THRESHOLD}"


def test_threshold_separates_the_table() -> None:
    keep = max(f / len(s) for _n, s, f, k in THRESHOLD_TABLE if k)
    reject = min(f / len(s) for _n, s, f, k in THRESHOLD_TABLE if not k)
    assert keep <= THRESHOLD < reject
