"""Tests for rag.ingest: reading files of every supported format, metadata, adding to a corpus.

Bounds (zip bombs, page limits, implausible structure, encrypted PDFs) are in test_ingest_limits.py;
crash safety, registration and removal in test_ingest_store.py.
"""

from __future__ import annotations

import os
import random
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from rag.catalog import aliases_for
from rag.corpus import read_manifest
from rag.errors import DangjianError
from rag.ingest import (
    IngestError,
    Limits,
    add_files,
    decode_bytes,
    detect_meta,
    entry_toml,
    parse_document,
    read_text,
    slugify,
)
from rag.text import squash

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample-regulation.txt"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
CORPUS = Path(__file__).resolve().parent.parent / "corpus"

NOTICE = """中共测试市委员会

测委〔2099〕7号

中共测试市委员会关于印发《2099年测试工作要点》的通知

各单位党组织：

现将《2099年测试工作要点》印发给你们，请认真贯彻落实。

中共测试市委员会

2099年1月5日

2099年测试工作要点

为做好测试工作，现提出如下要点。

一、加强领导

1. 加强组织领导。各单位要高度重视。

2. 压实工作责任。层层抓好落实。
"""

MANIFEST = """# Test corpus. Comments and layout must survive an append byte for byte.

[[documents]]
doc_id = "notice-2099"   # the primary notice
file = "notice-2099.txt"
title = "2099年测试工作要点"
kind = "notice"
primary = true
"""


def variant(title_word: str) -> str:
    """The sample regulation with a different name, so duplicate-content checks do not fire."""
    return SAMPLE_TEXT.replace("示范社区", title_word)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (d / "notice-2099.txt").write_text(NOTICE, encoding="utf-8")
    return d


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def make_docx(path: Path, text: str) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "附表"
    table.rows[0].cells[1].text = "登记项目。"
    document.save(str(path))
    return path


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A text PDF in reportlab's built-in CID font STSong-Light (no font file needed)."""
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for no, lines in enumerate(pages, 1):
        c.setFont("STSong-Light", 10)
        for i, line in enumerate(lines):
            c.drawString(40, 800 - 14 * i, line)
        c.drawString(290, 30, f"- {no} -")  # a page number footer, dropped on extraction
        c.showPage()
    c.save()
    return path


def make_scanned_pdf(path: Path) -> Path:
    pytest.importorskip("reportlab")
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)  # an "image": no text at all
    c.showPage()
    c.save()
    return path


def pdf_pages(text: str, per_page: int = 12) -> list[list[str]]:
    lines = [ln.strip("\u3000 ") for ln in text.split("\n") if ln.strip()]
    return [lines[i:i + per_page] for i in range(0, len(lines), per_page)]


# --------------------------------------------------------------------------- read_text


def test_read_utf8_bom_and_gbk_give_the_same_text(tmp_path: Path) -> None:
    t1, n1 = read_text(write(tmp_path / "a.txt", SAMPLE_TEXT.encode("utf-8")))
    t2, n2 = read_text(write(tmp_path / "b.txt", SAMPLE_TEXT.encode("utf-8-sig")))
    t3, n3 = read_text(write(tmp_path / "c.txt", SAMPLE_TEXT.encode("gbk")))
    t4, n4 = read_text(write(tmp_path / "d.txt", SAMPLE_TEXT.replace("\n", "\r\n").encode("gb18030")))
    assert (n1, n2, n3, n4) == ("utf-8", "utf-8-sig", "gb18030", "gb18030")
    assert t1 == t2.lstrip("\ufeff") == t3 == t4 == SAMPLE_TEXT


def test_traditional_chinese_gbk_is_not_ambiguous(tmp_path: Path) -> None:
    text = "中國共產黨紀律處分條例\n第一條　為了維護黨章和其他黨內法規，嚴肅黨的紀律。"
    _, note = read_text(write(tmp_path / "t.txt", text.encode("gbk")))
    assert note == "gb18030"


@pytest.mark.parametrize("text", [
    "中國共產黨紀律處分條例第一條為了維護黨章和其他黨內法規，嚴肅黨的紀律。",
    "中國共產黨測試條例\n第一條　為了測試。\n第二條　乙。\n第三條　丙。\n",
    "第1條 A.\n第2條 B.\n第3條 C.\n",
])
def test_big5_is_recognised_as_big5(text: str) -> None:
    assert decode_bytes(text.encode("big5"), "x.txt") == (text, "big5")


def test_gbk_of_the_same_traditional_text_stays_gbk() -> None:
    text = "中國共產黨測試條例\n第一條　為了測試。\n第二條　乙。\n第三條　丙。\n"
    assert decode_bytes(text.encode("gbk"), "x.txt") == (text, "gb18030")


@pytest.mark.parametrize("text", ["第一条", "1. 甲\n2. 乙\n"])
def test_too_short_to_tell_gb_from_big5_is_ambiguous(text: str) -> None:
    decoded, note = decode_bytes(text.encode("gbk"), "x.txt")
    assert decoded == text and note == "gb18030 (ambiguous: 也可能是 big5)"


@pytest.mark.parametrize(("data", "detected"), [
    ("日本語のテキストです。これは文字化けのテストです。".encode("shift_jis"), "cp932"),
    ("한국어 텍스트입니다. 테스트입니다.".encode("euc-kr"), "cp949"),
])
def test_other_east_asian_encodings_are_refused_with_the_verdict(data: bytes, detected: str) -> None:
    with pytest.raises(IngestError, match=f"无法识别文件编码：x.txt（检测为 {detected}，不是中文编码"):
        decode_bytes(data, "x.txt")


def test_utf16_without_bom_is_read() -> None:
    text = "第一条 为了测试。\n第二条 乙。\n"
    assert decode_bytes(text.encode("utf-16-le"), "x.txt")[0] == text


def test_undecodable_bytes_are_refused(tmp_path: Path) -> None:
    data = ("Ceci est un texte très élégant, déjà vu à Noël. " * 5).encode("latin-1")
    with pytest.raises(IngestError, match="无法识别文件编码"):
        read_text(write(tmp_path / "latin.txt", data))
    junk = bytes(random.Random(7).randrange(256) for _ in range(2048))
    with pytest.raises(IngestError, match="无法识别"):
        read_text(write(tmp_path / "junk.txt", junk))


def test_replacement_characters_over_one_percent_are_refused(tmp_path: Path) -> None:
    text = "第一条　测试。" * 10 + "\ufffd" * 5
    with pytest.raises(IngestError, match="无法识别的字符过多"):
        read_text(write(tmp_path / "bad.txt", text))
    ok = "第一条　测试。" * 100 + "\ufffd"
    assert read_text(write(tmp_path / "ok.txt", ok))[0] == ok


def test_empty_whitespace_unsupported_and_missing(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="文件为空"):
        read_text(write(tmp_path / "empty.txt", b""))
    with pytest.raises(IngestError, match="没有文字内容"):
        read_text(write(tmp_path / "blank.txt", " \n\u3000\n"))
    with pytest.raises(IngestError, match="另存为 .docx"):
        read_text(write(tmp_path / "old.doc", b"\xd0\xcf\x11\xe0"))
    with pytest.raises(IngestError, match="不支持的文件类型"):
        read_text(write(tmp_path / "x.xlsx", b"PK"))
    with pytest.raises(IngestError, match="文件不存在"):
        read_text(tmp_path / "nope.txt")
    assert issubclass(IngestError, DangjianError)


def test_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", SAMPLE_TEXT)
    with pytest.raises(IngestError, match="文件过大.*上限为 0.0 MB"):
        read_text(path, limits=Limits(max_bytes=100))


def test_markdown_heading_marks_are_stripped(tmp_path: Path) -> None:
    md = "# 测试条例\n\n## 第一章 总则\n\n第一条 **为了**测试，制定本条例。\n第二条 乙。\n第三条 丙。\n"
    text, _ = read_text(write(tmp_path / "a.md", md))
    doc = parse_document(text, _meta("md"))
    assert [s.title for s in doc.sections] == ["总则"]
    assert doc.unit("1").text == "为了测试，制定本条例。"  # type: ignore[union-attr]


def test_docx(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "reg.docx", SAMPLE_TEXT)
    text, note = read_text(path)
    assert note == "docx"
    assert "第一条　为了加强示范社区党的建设" in text
    assert "附表\t登记项目。" in text
    doc = parse_document(text, _meta("docx"))
    assert [u.number for u in doc.numbered] == list(range(1, 9))


def test_text_pdf_with_page_breaks(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    path = make_pdf(tmp_path / "reg.pdf", pdf_pages(SAMPLE_TEXT, per_page=7))
    text, note = read_text(path)
    assert note == "pdf"
    assert "- 1 -" not in text and "- 2 -" not in text  # footers dropped
    doc = parse_document(text, _meta("pdf"))
    assert [u.number for u in doc.numbered] == list(range(1, 9))
    u3 = doc.unit("3")
    assert u3 is not None and "（二）坚持以人民为中心，把服务群众作为出发点和落脚点；" in u3.sentences
    assert squash(text) == squash(SAMPLE_TEXT)


def test_pdf_page_limit(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    path = make_pdf(tmp_path / "reg.pdf", pdf_pages(SAMPLE_TEXT, per_page=7))
    with pytest.raises(IngestError, match="PDF 页数过多.*上限为 2 页"):
        read_text(path, limits=Limits(max_pages=2))


def test_scanned_pdf_has_no_text_layer(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    with pytest.raises(IngestError, match="该PDF没有文字层（可能是扫描件），请先进行OCR"):
        read_text(make_scanned_pdf(tmp_path / "scan.pdf"))


def test_broken_pdf_and_docx(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    pytest.importorskip("docx")
    rnd = random.Random(7)
    junk = bytes(rnd.randrange(256) for _ in range(2048))
    with pytest.raises(IngestError, match="无法读取 PDF 文件"):
        read_text(write(tmp_path / "broken.pdf", junk))
    with pytest.raises(IngestError, match="无法读取 Word 文件"):
        read_text(write(tmp_path / "broken.docx", junk))
    with pytest.raises(IngestError, match="无法读取 PDF 文件"):
        read_text(write(tmp_path / "trunc.pdf", b"%PDF-1.4\n1 0 obj\n<<"))


def test_html(tmp_path: Path) -> None:
    page = ("<html><head><meta charset='gb2312'><title>站点标题</title>"
            "<style>p{color:red}</style><script>var a='第九条';</script></head><body>"
            "<div class=nav>首页 &gt; 党建学习</div>"
            "<h1>测试条例</h1><p>第一章&nbsp;总则</p><p>第一条&nbsp;为了<b>测试</b>，制定本条例。</p>"
            "<p>第二条 乙。<br>第三条 丙。</p><script>alert(1)</script></body></html>")
    text, note = read_text(write(tmp_path / "page.html", page.encode("gbk")))
    assert note == "html (gb18030)"
    assert "var a" not in text and "color" not in text and "站点标题" not in text
    assert text.split("\n") == ["首页 > 党建学习", "测试条例", "第一章 总则", "第一条 为了测试，制定本条例。",
                                "第二条 乙。", "第三条 丙。"]
    doc = parse_document(text, _meta("html"))
    assert [u.number for u in doc.numbered] == [1, 2, 3]


# --------------------------------------------------------------------------- detect_meta


def test_detect_meta_sample() -> None:
    meta = detect_meta(SAMPLE_TEXT, "sample-regulation.txt")
    assert meta == {
        "kind": "regulation",
        "title": "中国共产党示范社区党建工作条例",
        "issuer": "中共中央",
        "date": "2021-02-20",  # the latest 发布, not the 2018 first publication
        "aliases": ["示范社区党建工作条例"],
    }


def test_detect_meta_notice_and_fallbacks() -> None:
    meta = detect_meta(NOTICE, "n.txt")
    assert meta["kind"] == "notice"
    assert meta["title"] == "2099年测试工作要点"
    assert meta["doc_number"] == "测委〔2099〕7号"
    assert meta["issuer"] == "中共测试市委员会"
    assert meta["date"] == "2099-01-05"
    no_title = "第一条 甲。\n第二条 乙。\n第三条 本规定自2030年7月1日起施行。"
    meta = detect_meta(no_title, "某某规定.txt")
    assert meta["title"] == "某某规定" and meta["date"] == "2030-07-01"
    assert "issuer" not in meta
    lead = "中共中央办公厅印发\n中办发〔2030〕12号\n测试工作规定\n第一条 甲。\n第二条 乙。\n第三条 丙。"
    meta = detect_meta(lead, "x.txt")
    assert meta["title"] == "测试工作规定" and meta["doc_number"] == "中办发〔2030〕12号"


def test_aliases() -> None:
    assert aliases_for("中国共产党章程") == ["党章"]
    assert aliases_for("中国共产党纪律处分条例") == ["纪律处分条例"]
    assert aliases_for("中国共产党支部工作条例（试行）") == ["中国共产党支部工作条例", "支部工作条例"]
    assert aliases_for("党政机关厉行节约反对浪费条例") == ["厉行节约反对浪费条例"]
    assert aliases_for("党史学习教育工作条例") == []


EXTRA_META = {
    "jiguan-jiceng-zuzhi-gongzuo-tiaoli-2019.txt": (
        "中国共产党党和国家机关基层组织工作条例", "中共中央", "2019-11-29"),
    "dangzhang-2022.txt": ("中国共产党章程", "中国共产党第二十次全国代表大会", "2022-10-22"),
    "jilv-chufen-tiaoli-2023.txt": ("中国共产党纪律处分条例", "中共中央", "2023-12-19"),
    "dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019.txt": (
        "中国共产党党员教育管理工作条例", "中共中央", "2019-05-06"),
    "fazhan-dangyuan-gongzuo-xize-2026.txt": ("中国共产党发展党员工作细则", "中共中央办公厅", "2026-05-11"),
    "lijie-jieyue-fandui-langfei-tiaoli-2025.txt": (
        "党政机关厉行节约反对浪费条例", "中共中央、国务院", "2025-05-02"),
    "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024.txt": ("党史学习教育工作条例", "中共中央", "2024-02-05"),
}


@pytest.mark.parametrize("name", sorted(EXTRA_META))
def test_detect_meta_shipped_regulations(name: str) -> None:
    path = CORPUS / name
    text, _ = read_text(path)
    meta = detect_meta(text, name)
    assert (meta["title"], meta["issuer"], meta["date"], meta["kind"]) == (*EXTRA_META[name], "regulation")


# --------------------------------------------------------------------------- add_files


def _meta(doc_id: str) -> Any:
    from rag.records import DocMeta

    return DocMeta(doc_id=doc_id, title=doc_id, kind="")  # "" → scheme detected from the text


def _entries(corpus: Path) -> list[dict[str, Any]]:
    return tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))["documents"]


def test_add_utf8_copies_bytes_and_appends_manifest(corpus: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "in" / "Sample Regulation.txt", SAMPLE_TEXT.encode("utf-8-sig"))
    [res] = add_files([src], corpus)
    assert res.status == "ok", res.reason
    assert (res.doc_id, res.file, res.original, res.encoding) == (
        "sample-regulation", "sample-regulation.txt", "", "utf-8-sig")
    assert (res.articles, res.warnings) == (8, ())
    assert (corpus / res.file).read_bytes() == src.read_bytes()
    raw = (corpus / "manifest.toml").read_bytes()
    assert raw.startswith(MANIFEST.encode("utf-8"))
    entry = _entries(corpus)[1]
    assert entry == {
        "doc_id": "sample-regulation", "file": "sample-regulation.txt",
        "title": "中国共产党示范社区党建工作条例", "issuer": "中共中央", "date": "2021-02-20",
        "kind": "regulation", "aliases": ["示范社区党建工作条例"],
    }
    metas = read_manifest(corpus)  # the project's own loader accepts it
    assert [m.doc_id for m in metas] == ["notice-2099", "sample-regulation"]
    doc = parse_document((corpus / metas[1].file).read_text(encoding="utf-8-sig"), metas[1])
    assert len(doc.numbered) == 8 and doc.meta.aliases == ("示范社区党建工作条例",)
    assert sorted(p.name for p in corpus.iterdir()) == [
        "manifest.toml", "notice-2099.txt", "sample-regulation.txt"]  # no temp files left


def test_add_converted_formats_keep_originals(corpus: Path, tmp_path: Path) -> None:
    srcs = [
        write(tmp_path / "in" / "gbk-reg.txt", variant("甲乙社区").encode("gbk")),
        make_docx(tmp_path / "in" / "word-reg.docx", variant("丙丁社区")),
    ]
    pytest.importorskip("pypdf")
    srcs.append(make_pdf(tmp_path / "in" / "pdf-reg.pdf", pdf_pages(variant("戊己社区"))))
    results = add_files(srcs, corpus)
    assert [r.status for r in results] == ["ok", "ok", "ok"], [r.reason for r in results]
    for res, src in zip(results, srcs, strict=True):
        assert res.original == f"originals/{res.doc_id}{src.suffix}"
        assert (corpus / res.original).read_bytes() == src.read_bytes()
        text = (corpus / res.file).read_bytes().decode("utf-8")  # converted to UTF-8
        assert res.articles == 8
        assert len(parse_document(text, _meta(res.doc_id)).numbered) == 8
    entries = _entries(corpus)
    assert [e["title"] for e in entries[1:]] == [
        "中国共产党甲乙社区党建工作条例", "中国共产党丙丁社区党建工作条例", "中国共产党戊己社区党建工作条例"]
    assert entries[1]["original"] == "originals/gbk-reg.txt" and "source" not in entries[1]
    assert (corpus / "manifest.toml").read_bytes().startswith(MANIFEST.encode("utf-8"))


def test_bad_files_do_not_stop_the_batch(corpus: Path, tmp_path: Path) -> None:
    rnd = random.Random(3)
    junk = bytes(rnd.randrange(256) for _ in range(1024))
    good = write(tmp_path / "in" / "good.txt", SAMPLE_TEXT)
    paths = [
        write(tmp_path / "in" / "broken.pdf", junk),
        write(tmp_path / "in" / "broken.docx", junk),
        write(tmp_path / "in" / "empty.txt", b""),
        good,
        write(tmp_path / "in" / "notice-2099.txt", variant("另一")),  # doc_id taken
        write(tmp_path / "sub" / "good.txt", variant("再一")),  # same slug as an earlier file in the batch
        write(tmp_path / "in" / "copy.txt", SAMPLE_TEXT.encode("gbk")),  # same content as good.txt
        write(tmp_path / "in" / "prose.txt", "只是一段说明文字，没有任何编号条目。"),
        tmp_path / "in" / "missing.txt",
    ]
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    results = add_files(paths, corpus)
    status = {(Path(r.path).parent.name, Path(r.path).name): (r.status, r.reason) for r in results}
    assert [r.status for r in results] == ["error"] * 3 + ["ok"] + ["error"] * 2 + ["exists"] + ["error"] * 2
    assert "无法读取 PDF" in status[("in", "broken.pdf")][1]
    assert "无法读取 Word" in status[("in", "broken.docx")][1]
    assert "文件为空" in status[("in", "empty.txt")][1]
    assert "已有 doc_id 为 notice-2099" in status[("in", "notice-2099.txt")][1]
    assert "已有 doc_id 为 good" in status[("sub", "good.txt")][1]
    assert results[6].doc_id == "good" and results[6].file == "good.txt"  # same text, other encoding
    assert "没有解析出任何编号条目" in status[("in", "prose.txt")][1]
    assert "文件不存在" in status[("in", "missing.txt")][1]
    after = {p.name: p.read_bytes() for p in corpus.iterdir()}
    assert set(after) == set(before) | {"good.txt"}
    assert all(after[name] == data for name, data in before.items() if name != "manifest.toml")
    assert after["manifest.toml"].startswith(before["manifest.toml"])
    assert [e["doc_id"] for e in _entries(corpus)] == ["notice-2099", "good"]


def test_never_overwrites_an_unlisted_file(corpus: Path, tmp_path: Path) -> None:
    write(corpus / "stray.txt", "别人的文件")
    [res] = add_files([write(tmp_path / "stray.txt", SAMPLE_TEXT)], corpus)
    assert res.status == "error" and "不会覆盖" in res.reason
    assert (corpus / "stray.txt").read_text(encoding="utf-8") == "别人的文件"


def test_overrides(corpus: Path, tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", variant("甲"))
    b = write(tmp_path / "中文名.txt", variant("乙"))
    results = add_files([a, b], corpus, overrides={
        "issuer": "测试机关",
        "a.txt": {"doc_id": "reg-a", "title": "甲条例", "aliases": ["甲"]},
    })
    assert [r.status for r in results] == ["ok", "ok"], [r.reason for r in results]
    assert results[0].doc_id == "reg-a" and results[0].meta["title"] == "甲条例"
    assert results[1].doc_id.startswith("doc-")  # no ASCII in the file name
    entries = _entries(corpus)
    assert [e["issuer"] for e in entries[1:]] == ["测试机关", "测试机关"]
    assert entries[1]["aliases"] == ["甲"]
    c = write(tmp_path / "c.txt", variant("丙"))
    [res] = add_files([c], corpus, overrides={"c.txt": {"primary": True}})
    assert res.status == "error" and "primary" in res.reason
    [res] = add_files([c], corpus, overrides={"doc_id": "x"})
    assert res.status == "error" and "只能针对单个文件" in res.reason
    [res] = add_files([c], corpus, overrides={"colour": "red"})
    assert res.status == "error" and "不认识的清单字段" in res.reason


def test_big5_is_added_as_utf8_with_the_original_kept(corpus: Path, tmp_path: Path) -> None:
    text = "中國共產黨測試條例\n第一條　為了測試。\n第二條　乙。\n第三條　丙。\n"
    src = write(tmp_path / "big5.txt", text.encode("big5"))
    [res] = add_files([src], corpus)
    assert res.status == "ok", res.reason
    assert (res.encoding, res.original, res.articles) == ("big5", "originals/big5.txt", 3)
    assert (corpus / "big5.txt").read_text(encoding="utf-8") == text


def test_ambiguous_encoding_refused_unless_forced(corpus: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "short.txt", "1. 甲\n2. 乙\n".encode("gbk"))
    [res] = add_files([src], corpus)
    assert res.status == "error" and "无法确定文件编码" in res.reason and "big5" in res.reason
    [res] = add_files([src], corpus, overrides={"encoding": "gbk"})
    assert res.status == "ok", res.reason
    assert res.original == "originals/short.txt" and res.articles == 2
    assert (corpus / "short.txt").read_text(encoding="utf-8") == "1. 甲\n2. 乙\n"


def test_new_manifest_and_missing_trailing_newline(tmp_path: Path) -> None:
    empty = tmp_path / "fresh"
    empty.mkdir()
    [res] = add_files([write(tmp_path / "r.txt", SAMPLE_TEXT)], empty)
    assert res.status == "ok" and _entries(empty)[0]["doc_id"] == "r"
    other = tmp_path / "other"
    other.mkdir()
    write(other / "manifest.toml", MANIFEST.rstrip("\n"))
    write(other / "notice-2099.txt", NOTICE)
    [res] = add_files([write(tmp_path / "s.txt", SAMPLE_TEXT)], other)
    assert res.status == "ok"
    assert (other / "manifest.toml").read_text(encoding="utf-8").startswith(MANIFEST.rstrip("\n") + "\n")
    assert [e["doc_id"] for e in _entries(other)] == ["notice-2099", "s"]
    with pytest.raises(IngestError, match="语料目录不存在"):
        add_files([], tmp_path / "nope")


def test_entry_toml_escapes() -> None:
    text = entry_toml({"doc_id": "x", "file": "x.txt", "title": 'A "quoted" \\ title\n', "primary": False,
                           "aliases": ["甲", "乙"], "doc_number": ""})
    assert tomllib.loads(text)["documents"] == [
        {"doc_id": "x", "file": "x.txt", "title": 'A "quoted" \\ title\n', "aliases": ["甲", "乙"]}]


def test_slugify() -> None:
    assert slugify("Dangzhang 2022") == "dangzhang-2022"
    assert slugify("纪律处分条例_2023") == "2023"
    assert slugify("中文") == ""
    assert slugify("ＡＢＣ－１") == "abc-1"


def test_add_the_shipped_regulations(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = sorted(CORPUS / name for name in EXTRA_META)
    results = add_files(files, corpus)
    assert [r.status for r in results] == ["ok"] * len(files), [r.reason for r in results]
    assert {r.doc_id: r.articles for r in results} == {
        "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024": 34, "dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019": 46,
        "dangzhang-2022": 55, "fazhan-dangyuan-gongzuo-xize-2026": 44,
        "jiguan-jiceng-zuzhi-gongzuo-tiaoli-2019": 43, "jilv-chufen-tiaoli-2023": 158,
        "lijie-jieyue-fandui-langfei-tiaoli-2025": 63}
    assert all(not r.warnings for r in results)
    metas = read_manifest(corpus)
    assert {m.doc_id: m.aliases for m in metas}["dangzhang-2022"] == ("党章",)
    for m in metas:
        assert (corpus / m.file).read_bytes() == (CORPUS / m.file).read_bytes()
    shutil.rmtree(corpus)
    assert not os.path.exists(corpus)


def test_add_notice(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    [res] = add_files([write(tmp_path / "notice.txt", NOTICE)], corpus)
    assert res.status == "ok", res.reason
    assert res.meta["kind"] == "notice" and res.meta["doc_number"] == "测委〔2099〕7号"
    [meta] = read_manifest(corpus)
    doc = parse_document((corpus / meta.file).read_text(encoding="utf-8"), meta)
    assert [u.ref for u in doc.numbered] == ["1", "2"] and meta.primary is False
