"""Tests for rag.articles: the regulation parser (编/章/节 headings, 第X条 articles, lead, 总纲)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from rag.articles import (
    _classify,
    article_title,
    check_numbering,
    detect_scheme,
    normalize_title,
    parse_regulation,
    source_text,
)
from rag.records import DocMeta, Document
from rag.text import squash

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample-regulation.txt"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
META = DocMeta(doc_id="sample", title="中国共产党示范社区党建工作条例")


def parse(raw: str, doc_id: str = "t") -> Document:
    return parse_regulation(raw, DocMeta(doc_id=doc_id, title="测试条例"))


@pytest.fixture(scope="module")
def sample() -> Document:
    return parse_regulation(SAMPLE.read_text(encoding="utf-8"), META)


def assert_lossless(raw: str, doc: Document) -> None:
    assert squash(source_text(doc)) == squash(raw)


# --------------------------------------------------------------------------- the sample


def test_sample_articles_numbered_in_order(sample: Document) -> None:
    arts = [u for u in sample.units if u.kind == "article"]
    assert [u.ref for u in arts] == [str(i) for i in range(1, 9)]
    assert [u.number for u in sample.numbered] == list(range(1, 9))
    assert arts[0].label == "第一条" and arts[-1].label == "第八条"
    assert check_numbering(sample) == []
    assert sample.meta.kind == "regulation"


def test_sample_lead_is_not_an_article(sample: Document) -> None:
    lead = sample.unit("lead")
    assert lead is not None and lead.kind == "lead" and lead.number is None
    assert lead.text.startswith("新华社北京3月2日电 近日，中共中央印发了")
    assert "中国共产党示范社区党建工作条例" in lead.text
    # the revision line spans two source lines and is one paragraph of the lead
    revision = lead.text.split("\n")[-1]
    assert revision.startswith("（2018年5月6日") and revision.endswith("2021年2月20日中共中央发布）")
    assert sample.units[0] is lead


def test_sample_chapters_are_sections_and_jie_in_path(sample: Document) -> None:
    assert [(s.no, s.label, s.title) for s in sample.sections] == [
        (1, "第一章", "总则"), (2, "第二章", "组织设置"), (3, "第三章", "附则")]
    assert [s.refs for s in sample.sections] == [("1", "2", "3"), ("4", "5", "6"), ("7", "8")]
    u4, u6 = sample.unit("4"), sample.unit("6")
    assert u4 is not None and u6 is not None
    assert u4.path == ("第二章 组织设置", "第一节 一般规定")
    assert u6.path == ("第二章 组织设置", "第二节 特别规定")
    assert (u4.section_no, u4.section_title) == (2, "组织设置")
    first = sample.unit("1")
    assert first is not None and first.path == ("第一章 总则",)


def test_sample_clauses_are_sentences_and_page_break_joined(sample: Document) -> None:
    u3 = sample.unit("3")
    assert u3 is not None
    assert u3.title == "示范社区党建工作应当遵循以下原则"
    assert u3.sentences == (
        "示范社区党建工作应当遵循以下原则：",
        "（一）坚持党的全面领导；",
        "（二）坚持以人民为中心，把服务群众作为出发点和落脚点；",
        "（三）坚持问题导向。",
    )
    assert not u3.text.startswith("第三条")


def test_sample_cross_references_are_not_articles(sample: Document) -> None:
    u6 = sample.unit("6")
    assert u6 is not None
    assert u6.text.startswith("依照本条例第三条规定的原则")
    # "第三条规定的原则…" begins a line but is a reference, not a second 第三条
    assert u6.sentences[-1] == "第三条规定的原则同样适用于社区内的其他组织。"
    assert sum(1 for u in sample.units if u.ref == "3") == 1


def test_sample_titles_and_citations(sample: Document) -> None:
    u1, u8 = sample.unit("1"), sample.unit("8")
    assert u1 is not None and u8 is not None
    assert u1.title == "为了加强示范社区党的建设，根据《中国共产党章程》，制定本条例"
    assert u8.title == "本条例自2021年3月1日起施行"
    assert dict(sample.citations) == {"中国共产党章程": ("1",)}  # the lead's 《条例》 is not a citation


def test_sample_lossless(sample: Document) -> None:
    assert_lossless(SAMPLE.read_text(encoding="utf-8"), sample)


def test_detect_scheme() -> None:
    assert detect_scheme(SAMPLE.read_text(encoding="utf-8")) == "regulation"
    notice = Path(__file__).resolve().parents[1] / "corpus" / "notice-2025-dongzhi-3.txt"
    if notice.is_file():
        assert detect_scheme(notice.read_text(encoding="utf-8")) == "notice"
    assert detect_scheme("依照第一条、第二条、第三条的规定。\n第一条 甲。\n第二条 乙。") == "notice"
    assert detect_scheme("第一条 甲。\n　　第二条　乙。\n第三条 丙。") == "regulation"


# --------------------------------------------------------------------------- variants


def test_preamble_zonggang_and_bian_levels() -> None:
    raw = (
        "中国共产党测试章程\n"
        "中国共产党第九十次全国代表大会部分修改，2099年1月2日通过\n"
        "总　纲\n"
        "第一段总纲文字。\n"
        "第二段总纲文字，提到第一条时不算条文。\n"
        "第一编　总　　则\n"
        "第一章　党　员\n"
        "第一条　甲。\n"
        "第二条　乙。\n"
        "第二编　分则\n"
        "第二章　党的组织\n"
        "第三条　丙：\n"
        "（一）丁；\n"
        "（二）戊。\n"
        "第三编　附则\n"
        "第四条　本章程自通过之日起施行。"
    )
    doc = parse(raw)
    pre = doc.unit("preamble")
    assert pre is not None and pre.kind == "preamble" and pre.label == "总纲" and pre.title == "总纲"
    assert pre.sentences == ("第一段总纲文字。", "第二段总纲文字，提到第一条时不算条文。")
    assert [u.ref for u in doc.units] == ["lead", "preamble", "1", "2", "3", "4"]
    assert [(s.no, s.title) for s in doc.sections] == [(1, "党员"), (2, "党的组织")]
    u1, u3, u4 = doc.unit("1"), doc.unit("3"), doc.unit("4")
    assert u1 is not None and u1.path == ("第一编 总则", "第一章 党员")
    assert u3 is not None and u3.path == ("第二编 分则", "第二章 党的组织") and u3.title == "丙"
    # an article directly under a 编 (no chapter): no section number, the 编 title as section title
    assert u4 is not None and u4.path == ("第三编 附则",) and u4.section_no is None and u4.section_title == "附则"
    assert_lossless(raw, doc)


def test_xuyan_preamble_label() -> None:
    doc = parse("序　言\n序言的文字。\n第一条 甲。\n第二条 乙。\n第三条 丙。")
    pre = doc.unit("preamble")
    assert pre is not None and pre.label == "序言"
    assert doc.unit("lead") is None


def test_articles_without_space_and_page_breaks() -> None:
    raw = "第一章总则\n第一条为了测试，\n\n制定本条例。\n第二条本条例适用于测试。\n第三条本条例自发布之日起施行。"
    doc = parse(raw)
    assert [u.ref for u in doc.numbered] == ["1", "2", "3"]
    u1 = doc.unit("1")
    assert u1 is not None and u1.sentences == ("为了测试，制定本条例。",)
    assert [(s.no, s.title) for s in doc.sections] == [(1, "总则")]
    assert_lossless(raw, doc)


def test_page_break_cross_reference_at_line_start_is_joined() -> None:
    raw = ("第一条 甲。\n第二条 乙。\n第三条 违反本条例\n第一条规定的，予以批评。\n"
           "第四条 丁。\n第五条 戊。")
    doc = parse(raw)
    assert [u.ref for u in doc.numbered] == ["1", "2", "3", "4", "5"]
    u3 = doc.unit("3")
    assert u3 is not None and u3.sentences == ("违反本条例第一条规定的，予以批评。",)


def test_arabic_article_numbers() -> None:
    doc = parse("第1条 甲。\n第2条 乙。\n第3条 丙。\n第10章 其他\n第4条 丁。")
    assert [u.ref for u in doc.numbered] == ["1", "2", "3", "4"]
    assert doc.unit("4") is not None and doc.unit("4").label == "第4条"  # type: ignore[union-attr]
    assert [(s.no, s.title) for s in doc.sections] == [(10, "其他")]


def test_heading_title_on_its_own_line() -> None:
    raw = "第一章\n总　则\n第一条 甲。\n第二条 乙。\n第二章\n附则\n第三条 丙。"
    doc = parse(raw)
    assert [(s.no, s.label, s.title) for s in doc.sections] == [(1, "第一章", "总则"), (2, "第二章", "附则")]
    assert doc.unit("3") is not None and doc.unit("3").path == ("第二章 附则",)  # type: ignore[union-attr]
    assert_lossless(raw, doc)


def test_table_of_contents_goes_to_lead() -> None:
    raw = "测试条例\n目　录\n第一章 总则\n第二章 附则\n第一章 总则\n第一条 甲。\n第二条 乙。\n第二章 附则\n第三条 丙。"
    doc = parse(raw)
    lead = doc.unit("lead")
    assert lead is not None and "目　录" in lead.text and "第二章 附则" in lead.text
    assert [(s.no, s.refs) for s in doc.sections] == [(1, ("1", "2")), (2, ("3",))]
    assert_lossless(raw, doc)


def test_text_between_heading_and_first_article_is_implicit_preamble() -> None:
    raw = "第一章 总则\n本章说明。\n第一条 甲。\n第二条 乙。\n第三条 丙。"
    doc = parse(raw)
    pre = doc.unit("preamble")
    assert pre is not None and pre.label == "序言" and pre.title == "" and pre.text == "本章说明。"
    assert_lossless(raw, doc)


def test_long_heading_like_sentence_is_text() -> None:
    raw = "第一条 甲。\n第二条 乙：\n第一章规定的各项制度，应当认真执行。\n第三条 丙。"
    doc = parse(raw)
    assert doc.sections == ()
    u2 = doc.unit("2")
    assert u2 is not None and u2.sentences[-1] == "第一章规定的各项制度，应当认真执行。"


def test_numbering_problems_reported() -> None:
    doc = parse("第一条 甲。\n第二条 乙。\n第四条 丁。")
    assert check_numbering(doc) == ["第2条之后是第4条（不连续）"]
    doc = parse("第一条 甲。\n第一条 甲二。\n第二条 乙。")
    assert [u.ref for u in doc.numbered] == ["1", "2"]  # "1-2" is not numbered
    assert [u.ref for u in doc.units] == ["1", "1-2", "2"]


def test_helpers() -> None:
    assert normalize_title("总　　则") == "总则"
    assert normalize_title("党　员") == "党员"
    assert normalize_title("WTO 规则 和 A B") == "WTO 规则和 A B"
    assert article_title("党员必须履行下列义务：") == "党员必须履行下列义务"
    assert article_title("应当遵循下列原则：坚持甲；坚持乙。其他。") == "应当遵循下列原则"
    assert article_title("") == ""
    assert _classify("第一百五十八条 本条例自2024年1月1日起施行。").no == 158
    assert _classify("第三章　国内差旅和因公临时出国（境）").kind == "heading"
    assert _classify("（一）坚持党的领导；").kind == "clause"


# --------------------------------------------------------------------------- real texts

# file → (articles, chapters, has 总纲)
EXPECTED = {
    "jiguan-jiceng-zuzhi-gongzuo-tiaoli-2019.txt": (43, 9, False),
    "dangzhang-2022.txt": (55, 11, True),
    "jilv-chufen-tiaoli-2023.txt": (158, 11, False),
    "dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019.txt": (46, 10, False),
    "fazhan-dangyuan-gongzuo-xize-2026.txt": (44, 7, False),
    "lijie-jieyue-fandui-langfei-tiaoli-2025.txt": (63, 11, False),
    "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024.txt": (34, 6, False),
}
_STRUCTURAL = re.compile(r"^[\s\u3000]*第[〇零一二三四五六七八九十百千两]+[编章节条]")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_regulations(name: str) -> None:
    path = CORPUS / name
    raw = path.read_text(encoding="utf-8")
    n_articles, n_chapters, has_zonggang = EXPECTED[name]
    assert detect_scheme(raw) == "regulation"
    doc = parse_regulation(raw, DocMeta(doc_id=path.stem, title=path.stem))
    arts = [u for u in doc.units if u.kind == "article"]
    assert [u.ref for u in arts] == [str(i) for i in range(1, n_articles + 1)]
    assert [u.number for u in doc.numbered] == list(range(1, n_articles + 1))
    assert [s.no for s in doc.sections] == list(range(1, n_chapters + 1))
    assert all(s.refs for s in doc.sections)
    assert check_numbering(doc) == []
    assert (doc.unit("preamble") is not None) == has_zonggang
    assert all(u.kind != "article" for u in doc.units[:1])
    # no heading or article swallowed into a unit's text
    for u in doc.units:
        for para in u.text.split("\n"):
            assert not _STRUCTURAL.match(para) or u.kind == "lead", (u.ref, para[:30])
        assert all(u.sentences) and squash("".join(u.sentences)) == squash(u.text)
    assert_lossless(raw, doc)


def rewrap(raw: str, seed: int) -> str:
    """Simulate page breaks: split long lines mid-sentence with a blank line, CRLF endings."""
    rnd = random.Random(seed)
    out = []
    for line in raw.split("\n"):
        if len(line) > 40 and rnd.random() < 0.5:
            i = rnd.randrange(10, len(line) - 5)
            if line[i] not in "（(" and line[i - 1] not in "。！？；：":
                line = line[:i] + "\r\n\r\n\u3000\u3000" + line[i:]
        out.append(line)
    return "\r\n".join(out)


def test_closing_quote_mid_sentence_is_a_fragment() -> None:
    doc = parse("第一条 保障“三会一课”\n\n经费。\n第二条 他说：“好。”\n第三条 丙。")
    assert doc.unit("1").sentences == ("保障“三会一课”经费。",)  # type: ignore[union-attr]
    assert doc.unit("2").sentences == ("他说：“好。”",)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_regulations_survive_page_breaks(name: str) -> None:
    path = CORPUS / name
    raw = path.read_text(encoding="utf-8")
    base = parse_regulation(raw, DocMeta(doc_id="x", title="x"))
    for seed in (1, 2):
        doc = parse_regulation(rewrap(raw, seed), DocMeta(doc_id="x", title="x"))
        assert [u.ref for u in doc.units] == [u.ref for u in base.units]
        assert [[squash(s) for s in u.sentences] for u in doc.units] == [
            [squash(s) for s in u.sentences] for u in base.units]
        assert_lossless(raw, doc)


def test_sample_survives_page_breaks(sample: Document) -> None:
    raw = SAMPLE.read_text(encoding="utf-8")
    for seed in range(5):
        doc = parse_regulation(rewrap(raw, seed), META)
        assert [(u.ref, u.sentences) for u in doc.units if u.kind != "lead"] == [
            (u.ref, u.sentences) for u in sample.units if u.kind != "lead"]
