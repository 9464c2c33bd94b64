"""Copy text and Word files of answers (ui/export.py): rendered from the answer's typed blocks — the
direct answer first, each quoted unit once with one 出处, the 来源 list — and Word files set up the
way a Chinese office files them (A4, zh-CN, office fonts, black text, the product as author).
Turns saved before answers had blocks still export from their text."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest

from rag import Assistant
from rag.onboarding import Onboarding
from rag.onboarding.export import BODY_FONT, HEADING_FONT, PRODUCT, TITLE_FONT
from rag.render import answer_json
from ui import export

Q8 = "第8条要求什么？"
FREE = "预备党员的预备期是多长？"
ART32 = "党章第三十二条怎么说"
NOTICE = "2025年市直机关党的建设要点"


def turn(assistant: Assistant, question: str) -> dict[str, Any]:
    return {"question": question, "time": "2025-05-01T10:00:00", "answer": answer_json(assistant.ask(question))}


def paragraphs(data: bytes) -> list[Any]:
    from docx import Document as Docx

    return list(Docx(io.BytesIO(data)).paragraphs)


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in paragraphs(data))


def quotes(answer: Mapping[str, Any]) -> list[str]:
    return [str(c["quote"]) for c in answer["citations"]]


# -- copy (plain text) --------------------------------------------------------------------------


def test_copy_text_quotes_each_sentence_once_and_cites_the_unit_once(assistant: Assistant) -> None:
    t = turn(assistant, Q8)
    text = export.answer_text(t, assistant.unit)
    assert text.startswith(f"问：{Q8}\n时间：2025-05-01 10:00\n答：\n第8条 深化“四强”党支部建设")
    assert text.count("〔第8条〕") == 1, text  # not after every sentence, not again in 来源
    assert f"出处：〔第8条〕《{NOTICE}》（东直〔2025〕3号）" in text
    for q in quotes(t["answer"]):
        assert text.count(q) == 1
    assert "1. 根据党组织隶属关系" in text and "5. 开展“四强”党支部" in text
    sources = text[text.index("来源："):]
    assert f"1. 《{NOTICE}》（东直〔2025〕3号，中共东莞市直属机关工作委员会" in sources
    assert text.rstrip().endswith("引文为原文逐字摘录）")


def test_copy_text_puts_the_direct_answer_first(assistant: Assistant) -> None:
    t = turn(assistant, FREE)
    first = t["answer"]["blocks"][0]
    assert first["kind"] == "answer"
    text = export.answer_text(t, assistant.unit)
    after = text.split("答：\n", 1)[1].split("\n")
    assert after[0] == first["text"] + first["marker"]  # the answer, then the evidence
    cited = text[text.index("来源："):]
    assert "《中国共产党发展党员工作细则》" in cited and "《中国共产党章程》" in cited
    assert "〔" not in cited.replace("〔2025〕", "")  # each marker was printed with its title above


def test_sources_name_a_document_once_with_all_its_units(assistant: Assistant) -> None:
    text = export.answer_text(turn(assistant, "第三部分讲什么"), assistant.unit)
    cited = text[text.index("来源："):]
    assert cited.count(f"《{NOTICE}》") == 1 and "：第7条 深入实施基层党组织建设强基工程；第8条" in cited
    assert [text.count(f"出处：〔第{n}条〕") for n in (7, 8, 9)] == [1, 1, 1]


def test_copy_text_indents_list_items_under_their_lead(assistant: Assistant) -> None:
    text = export.answer_text(turn(assistant, ART32), assistant.unit)
    assert "2. 它的基本任务是：\n　　（一）宣传和执行党的路线" in text
    assert text.count("〔《中国共产党章程》第三十二条〕") == 1 and "出处：〔《中国共产党章程》第三十二条〕" in text


def test_conversation_text_holds_every_turn_once(assistant: Assistant) -> None:
    turns = [turn(assistant, Q8), turn(assistant, ART32)]
    text = export.conversation_text("学习", turns, assistant.unit)
    assert text.startswith("学习\n") and "【第1问】\n问：第8条要求什么？" in text and "【第2问】\n问：党章第三十二条" in text
    assert text.count("〔第8条〕") == 1 and text.count("引文为原文逐字摘录") == 1


def test_generated_answer_is_its_text_then_the_sources(assistant: Assistant) -> None:
    t = turn(assistant, Q8)
    written = "应当深化“四强”党支部建设，加强分类指导。〔第8条〕"
    t["answer"] = {**t["answer"], "generated": True, "answer": written,
                   "blocks": [{"kind": "generated", "text": written}]}
    text = export.answer_text(t, assistant.unit)
    assert text.split("答：\n", 1)[1].startswith(written + "\n\n来源：\n")
    assert f"1. 《{NOTICE}》（东直〔2025〕3号，" in text and "：第8条 深化“四强”党支部建设" in text  # 〔第8条〕's document
    doc = docx_text(export.answer_docx(t, assistant.unit))
    assert written in doc and "：第8条 深化“四强”党支部建设" in doc and "根据党组织隶属关系" not in doc


def test_old_turn_without_blocks_still_exports(assistant: Assistant) -> None:
    t = turn(assistant, Q8)
    old = {**t, "answer": {k: v for k, v in t["answer"].items() if k != "blocks"}}
    text = export.answer_text(old, assistant.unit)
    assert t["answer"]["answer"].strip() in text and f"《{NOTICE}》（东直〔2025〕3号，" in text
    doc = docx_text(export.answer_docx(old, assistant.unit))
    for q in quotes(t["answer"]):
        assert q in doc
    both = docx_text(export.conversation_docx("学习", [old, t], assistant.unit))
    assert both.count("问：第8条要求什么？") == 2


def test_a_unit_the_index_no_longer_holds_is_listed_by_its_citation(assistant: Assistant) -> None:
    t = turn(assistant, Q8)
    text = export.answer_text(t, lambda _key: None)
    assert "出处：〔第8条〕" in text and "第8条 深化“四强”党支部建设（dongzhi-2025-3）" in text
    assert "根据党组织隶属关系" in docx_text(export.answer_docx(t, lambda _key: None))


# -- Word ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", [Q8, ART32, FREE])
def test_word_answer_prints_nothing_twice(assistant: Assistant, question: str) -> None:
    t = turn(assistant, question)
    paras = [p.text for p in paragraphs(export.answer_docx(t, assistant.unit)) if p.text.strip()]
    assert len(paras) == len(set(paras)), [p for p in paras if paras.count(p) > 1]
    assert not any(p.startswith("引文") for p in paras)
    for b in t["answer"]["blocks"]:
        if b["kind"] == "evidence":  # its marker once, on its 出处 line, not after its sentences
            assert sum(b["marker"] in p for p in paras) == 1 + sum(
                a["kind"] == "answer" and a["marker"] == b["marker"] for a in t["answer"]["blocks"])
            for line in b["lines"]:
                if line["sent_no"] is not None:
                    assert sum(line["text"] in p for p in paras if not p.startswith("答：")) == 1


def test_word_answer_reads_in_order(assistant: Assistant) -> None:
    t = turn(assistant, FREE)
    paras = [p for p in paragraphs(export.answer_docx(t, assistant.unit)) if p.text.strip()]
    texts = [p.text for p in paras]
    assert texts[0] == "问答摘录" and paras[0].style.name == "Title"
    assert texts[2] == f"问：{FREE}" and paras[2].style.name == "Heading 1"
    assert texts[3] == "提问时间：2025-05-01 10:00"
    assert texts[4].startswith("答：预备党员的预备期为一年。〔《中国共产党发展党员工作细则》第三十一条〕")
    assert texts.index("来源") > texts.index("出处：〔《中国共产党章程》第七条〕")
    t32 = turn(assistant, ART32)
    items = [p for p in paragraphs(export.answer_docx(t32, assistant.unit)) if p.text.startswith("（一）")]
    assert items and items[0].paragraph_format.left_indent is not None  # under its lead
    numbered = [p.text for p in paragraphs(export.answer_docx(t32, assistant.unit)) if p.text[:2] == "2．"]
    assert numbered == ["2．它的基本任务是："]


def _chinese_office_file(data: bytes, title: str) -> None:
    """A4 with 公文 margins, zh-CN, the product as author, black office fonts set for Latin and
    Chinese text on every style the file uses, no theme font or colour left to override them."""
    from docx import Document as Docx
    from docx.oxml.ns import qn

    doc = Docx(io.BytesIO(data))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4, in twips
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    props = doc.core_properties
    assert props.author == props.last_modified_by == PRODUCT and props.language == "zh-CN"
    assert props.title == title and "python-docx" not in f"{props.comments}{props.author}"
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert doc.settings.element.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"
    wanted = {"Normal": BODY_FONT, "Title": TITLE_FONT, "Heading 1": HEADING_FONT}
    for name, font in wanted.items():
        rpr = doc.styles[name].element.rPr
        fonts = rpr.rFonts
        assert fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == font
        assert not any("Theme" in a or "theme" in a for a in fonts.attrib)
        assert rpr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
        assert str(doc.styles[name].font.color.rgb) == "000000" and doc.styles[name].font.color.theme_color is None
    for p in doc.paragraphs:  # every style in use is one of ours, black
        assert p.style.name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "List Bullet"), p.style.name
    assert doc.styles["Title"].element.pPr.find(qn("w:pBdr")) is None  # no blue rule under the title
    assert "PAGE" in doc.sections[0].footer._element.xml
    assert all(not rel.reltype.endswith("thumbnail") for rel in doc.part.package.rels.values())


def test_word_files_are_chinese_office_documents(assistant: Assistant) -> None:
    t = turn(assistant, Q8)
    _chinese_office_file(export.answer_docx(t, assistant.unit), "问答摘录")
    _chinese_office_file(export.conversation_docx("学习", [t], assistant.unit), "学习")
    found = assistant.unit("dangzhang-2022#32")
    assert found is not None
    item = export.item_docx(*found)
    _chinese_office_file(item, "《中国共产党章程》第三十二条")
    assert "出处：〔《中国共产党章程》第三十二条〕" in docx_text(item)


def test_checklist_shares_the_office_set_up(onboarding: Onboarding) -> None:
    from rag.onboarding import to_docx

    _chinese_office_file(to_docx(onboarding.checklist("党员"), onboarding.titles), "普通党员职责清单")
