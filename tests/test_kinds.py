"""The document-kind registry (rag/kinds) and its third kind, the plain notice cited by paragraph:
detection, parsing, manifest fields, adding it, references written 第N段 (answers: test_kinds_answers.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag import kinds
from rag.corpus import read_manifest
from rag.ingest import add_files, detect_meta, read_entries
from rag.ingest.parse import parse_document
from rag.records import DocMeta
from rag.refs import parse_refs
from rag.text import squash

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PLAIN = ROOT / "tests" / "data" / "plain-notice-dangfei.txt"
RAW = PLAIN.read_text(encoding="utf-8")
TITLE = "关于做好2025年党费收缴工作的通知"
META = DocMeta(doc_id="dangfei", title=TITLE, kind="plain")


def plain_doc(raw: str = RAW, meta: DocMeta = META):  # type: ignore[no-untyped-def]
    return kinds.parse(raw, meta)


# -- the registry -------------------------------------------------------------------------------


def test_every_kind_has_its_own_name_unit_and_words() -> None:
    assert kinds.NAMES == ("regulation", "notice", "plain")
    assert len({k.unit_kind for k in kinds.KINDS}) == len(kinds.KINDS)
    assert set(kinds.REF_WORDS) == {"条", "项", "点", "段"}
    assert kinds.get("plain") is kinds.KINDS[2] and kinds.get("memo") is None
    assert kinds.of(DocMeta(doc_id="x", title="x", kind="")) is kinds.DEFAULT  # an unknown name: the notice


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.stem)
def test_the_shipped_documents_are_detected_as_their_manifest_says(path: Path) -> None:
    listed = {m.file: m.kind for m in read_manifest(CORPUS)}
    assert kinds.detect(path.read_text(encoding="utf-8")).name == listed[path.name]


def test_detection_order_and_fallback() -> None:
    assert kinds.detect(RAW).name == "plain"
    # a text without a title line and without items: nobody claims it, the notice parses it and finds
    # nothing to cite (ingestion then refuses it, as before)
    assert kinds.detect("只是一段说明文字，没有任何编号条目。") is kinds.DEFAULT
    # an attachment list "2.…" is no notice scheme: the notice claims a text only when its items start at 1.
    listed = RAW.replace("联系电话：0769-12345678）。", "联系电话：0769-12345678）。\n2.党费收缴登记表")
    assert kinds.detect(listed).name == "plain"
    numbered = RAW.replace("一、提高思想认识", "一、提高思想认识\n1.按期交纳党费是党员的义务。")
    numbered = numbered.replace("\n2025年3月10日", "")  # the notice parser takes a date line for its header's end
    assert kinds.detect(numbered).name == "notice"


def test_labels_and_reference_words() -> None:
    plain, notice = kinds.get("plain"), kinds.get("notice")
    assert plain is not None and notice is not None
    assert plain.label(3) == "第3段" and notice.label(8) == "第8条"
    assert plain.takes("段") and not plain.takes("条") and plain.takes("")
    assert notice.takes("条") and notice.takes("项") and not notice.takes("段")


# -- parsing a plain notice ---------------------------------------------------------------------


def test_plain_notice_units_sections_and_header() -> None:
    doc = plain_doc()
    assert doc.meta.kind == "plain"
    assert [u.ref for u in doc.units] == ["header", *map(str, range(1, 10)), "closing"]
    assert [u.label for u in doc.numbered] == [f"第{n}段" for n in range(1, 10)]
    assert {u.kind for u in doc.numbered} == {"paragraph"} and all(kinds.numbered(u) for u in doc.numbered)
    assert not any(kinds.titled(u) for u in doc.units)
    header, closing = doc.unit("header"), doc.unit("closing")
    assert header is not None and header.text.splitlines()[-2:] == [TITLE, "各党支部："]
    assert closing is not None and closing.text == "中共东莞市某某局机关委员会\n2025年3月10日"
    assert [(s.label, s.title, s.refs) for s in doc.sections] == [
        ("一、", "提高思想认识", ("2",)), ("二、", "准确核定交纳基数", ("3", "4")),
        ("三、", "规范收缴程序", ("5", "6")), ("四、", "加强监督检查", ("7", "8", "9"))]
    # a heading run into its text ("四、加强监督检查。机关党委…") opens section 四 and is its first paragraph
    assert doc.unit("7").text.startswith("四、加强监督检查。")  # type: ignore[union-attr]
    assert doc.unit("1").section_no is None and doc.unit("3").path == ("二、准确核定交纳基数",)  # type: ignore[union-attr]
    assert dict(doc.citations)["中国共产党章程"] == ("1", "7")


def test_plain_notice_loses_no_character_and_joins_page_breaks() -> None:
    doc = plain_doc()
    second = doc.unit("2")
    assert second is not None and "足额交纳党费。" in second.text and "\n" not in second.text
    # every character of the source is in a unit or a stand-alone heading, in order
    rebuilt, seen = [], set()
    for u in doc.units:
        section = doc.section(u.section_no) if u.section_no else None
        if section and section.no not in seen:
            seen.add(section.no)
            if not u.text.startswith(section.label + section.title):
                rebuilt.append(section.label + section.title)
        rebuilt.append(u.text)
    assert squash("".join(rebuilt)) == squash(RAW)


def test_plain_notice_variants_title_wrap_cn_date_no_header() -> None:
    wrapped = RAW.replace(TITLE, "关于做好2025年党费收缴\n工作的通知").replace("2025年3月10日", "二〇二五年三月十日")
    meta = detect_meta(wrapped, "x.txt")
    assert meta["title"] == TITLE and meta["date"] == "2025-03-10" and meta["kind"] == "plain"
    # pasted from a web page: title and body only, no addressees and no 落款
    body = RAW.split("各党支部：\n", 1)[1].rsplit("\n\n中共", 1)[0]
    doc = plain_doc(f"{TITLE}\n{body}\n")
    assert [u.ref for u in doc.units] == ["header", *map(str, range(1, 10))]


def test_detect_meta_reads_the_title_line_and_the_closing() -> None:
    assert detect_meta(RAW, "dangfei.txt") == {
        "kind": "plain", "title": TITLE, "doc_number": "东某机党〔2025〕2号", "issuer": "中共东莞市某某局机关委员会",
        "date": "2025-03-10", "addressees": "各党支部"}


def test_parse_document_keeps_the_structure_bounds() -> None:
    doc = parse_document(RAW, replace(META, kind=""))
    assert doc.meta.kind == "plain" and len(doc.numbered) == 9


# -- references ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "items", "words", "relative"), [
    ("《关于做好2025年党费收缴工作的通知》第3段讲什么？", (3,), ("段",), None),
    ("第2段和第4段", (2, 4), ("段",), None),
    ("第8条要求什么？", (8,), ("条",), None),
    ("下一段呢", (), (), "next"),
    ("上一段说了什么", (), (), "prev"),
    ("前一段时间党员学习了什么？", (), (), None),  # a time, not a paragraph
    ("下一段时间的重点工作", (), (), None),
])
def test_paragraph_references(question: str, items: tuple[int, ...], words: tuple[str, ...],
                              relative: str | None) -> None:
    rq = parse_refs(question)
    assert rq.items == items and rq.words == words and rq.relative == relative


def test_plain_notices_are_added_as_txt_docx_and_pdf(tmp_path: Path) -> None:
    from test_ingest import make_docx, make_pdf, pdf_pages

    corpus = tmp_path / "c"
    corpus.mkdir()
    sources = [PLAIN, make_docx(tmp_path / "dangfei.docx", RAW.replace(TITLE, TITLE.replace("2025", "2026"))),
               make_pdf(tmp_path / "dangfei.pdf", pdf_pages(RAW.replace(TITLE, TITLE.replace("2025", "2027"))))]
    results = add_files(sources, corpus, overrides={"dangfei.docx": {"doc_id": "dangfei-docx"},
                                                    "dangfei.pdf": {"doc_id": "dangfei-pdf"}})
    assert [(r.status, r.meta.get("kind"), r.articles) for r in results] == [("ok", "plain", 9)] * 3, results
    assert [e["kind"] for e in read_entries(corpus)] == ["plain"] * 3
    assert results[0].meta["title"] == TITLE and results[0].meta["issuer"] == "中共东莞市某某局机关委员会"


def test_a_sub_heading_without_a_full_stop_is_a_paragraph_of_its_own() -> None:
    raw = RAW.replace("　　党员一般应当按月交纳党费", "　　（一）交纳方式\n　　党员一般应当按月交纳党费")
    doc = plain_doc(raw)
    assert [u.text[:7] for u in doc.numbered][4:6] == ["（一）交纳方式", "党员一般应当按"]
    assert doc.section(3).refs == ("5", "6", "7")  # type: ignore[union-attr]
