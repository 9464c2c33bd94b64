from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.corpus import decode, load_corpus
from rag.records import DocMeta
from rag.structure import parse_notice
from rag.text import squash

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

RAW = (CORPUS / "notice-2025-dongzhi-3.txt").read_text(encoding="utf-8")
META = DocMeta(doc_id="d", title="2025年市直机关党的建设要点")
DOC = parse_notice(RAW, META)

SECTION_TITLES = [
    "带头做到“两个维护”，坚决筑牢政治忠诚根基",
    "带头深化理论武装，坚持不懈用习近平新时代中国特色社会主义思想凝心铸魂",
    "带头夯实基层基础，不断增强基层党组织政治功能和组织功能",
    "带头正风肃纪反腐，推动机关强作风提效率塑形象",
    "着力推动党建与业务深度融合，聚力服务高质量发展",
    "从严压实主体责任，凝聚机关党建工作新合力",
]
ITEM_TITLES = {
    1: "持续深化政治机关建设", 2: "持续推动习近平总书记“7·29”重要指示精神贯彻落实",
    3: "着力提高党员干部政治能力", 4: "健全理论学习长效机制",
    5: "突出抓好“关键少数”和年轻干部理论学习", 6: "严格落实意识形态工作责任制",
    7: "深入实施基层党组织建设强基工程", 8: "深化“四强”党支部建设", 9: "加强党员教育管理监督",
    10: "坚持不懈纠“四风”、转作风", 11: "持续强化监督执纪问责", 12: "不断激发干事创业精气神",
    13: "服务保障市委中心工作", 14: "推进以党建引领基层治理", 15: "扎实开展群众工作和统战工作",
    16: "压实党组（党委）主体责任和书记第一责任人职责",
    17: "督促党组（党委）领导班子成员严格落实“一岗双责”", 18: "深入推进机关党建法规制度建设",
    19: "建设高素质专业化党务干部队伍",
}


def test_six_sections_with_titles_and_items() -> None:
    assert [s.title for s in DOC.sections] == SECTION_TITLES
    assert [s.refs for s in DOC.sections] == [
        ("1", "2", "3"), ("4", "5", "6"), ("7", "8", "9"), ("10", "11", "12"), ("13", "14", "15"),
        ("16", "17", "18", "19")]


def test_nineteen_items_with_exact_titles() -> None:
    assert {u.number: u.title for u in DOC.numbered} == ITEM_TITLES
    assert all(u.sentences[0] == u.title + "。" for u in DOC.numbered)


def test_header_fields() -> None:
    m = DOC.meta
    assert m.issuer == "中共东莞市直属机关工作委员会"
    assert m.doc_number == "东直〔2025〕3号"
    assert m.date == "2025年3月27日"
    assert m.addressees == "市直单位党组织、中央和省驻莞有关单位党组织"
    assert "关于印发" in m.notice_title and m.notice_title.endswith("的通知")
    assert m.aliases == ("2025年市直机关党的建设重点工作要点",)
    assert DOC.unit("preamble") is not None and DOC.unit("preamble").text.startswith("2025年是“十四五”")


@pytest.mark.parametrize(
    ("ref", "joined"),
    [
        ("13", "引导机关基层党组织和党员干部以走在前列的担当"),
        ("14", "开展走访慰问活动，把党的温暖"),
        ("11", "不断提高正风肃纪反腐能力。"),
        ("19", "持续开展机关党组织新任书记、副书记"),
        ("16", "实施党建“书记项目”，探索走访新任部门党组（党委）书记机制。"),
        ("5", "组织青年党员围绕“新时代党员干部担当作为”主题"),
    ],
)
def test_page_break_splits_are_joined_into_one_sentence(ref: str, joined: str) -> None:
    unit = DOC.unit(ref)
    assert unit is not None
    assert any(joined in s for s in unit.sentences)
    assert "\n" not in "".join(unit.sentences)


def test_real_paragraph_break_inside_item_1_is_kept() -> None:
    assert DOC.unit("1").text.count("\n") == 1


def test_no_character_lost_or_duplicated() -> None:
    parts = [DOC.unit("header").text, DOC.unit("preamble").text]
    for section in DOC.sections:
        parts.append(section.label + section.title)
        for ref in section.refs:
            parts.append(f"{ref}. " + DOC.unit(ref).text)
    assert squash("".join(parts)) == squash(RAW)
    assert squash("".join(s for u in DOC.units for s in u.sentences)) == squash(
        "".join(u.text for u in DOC.units))


def test_citation_graph_lists_cited_titles_with_items() -> None:
    graph = dict(DOC.citations)
    assert graph["中国共产党党委（党组）理论学习中心组学习规则"] == ("5",)
    assert graph["整治形式主义为基层减负若干规定"] == ("10",)
    assert len(graph) == 9


def test_gbk_and_crlf_source_parses_identically(tmp_path: Path) -> None:
    data = RAW.replace("\n", "\r\n").encode("gbk")
    text = decode(data, "x.txt")
    doc = parse_notice(text, META)
    assert [u.text for u in doc.units] == [u.text for u in DOC.units]


def test_utf8_bom_is_stripped() -> None:
    assert decode("\ufeff第一条".encode("utf-8"), "x") == "第一条"


def test_corpus_loads_primary_first_with_manifest_fields() -> None:
    docs = load_corpus(CORPUS)
    assert docs[0].meta.primary and docs[0].meta.doc_number == "东直〔2025〕3号"
    assert docs[0].meta.date == "2025-03-27"
    assert re.fullmatch(r"[a-z0-9-]+", docs[0].doc_id)
