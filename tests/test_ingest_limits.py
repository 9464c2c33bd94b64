"""Bounded ingest: zip bombs, PDF pages and encryption, implausible structure, linear parsing.

Every hostile input here used to stall `dangjian add` (minutes, gigabytes); the tests assert the
outcome — refused with a reason, or parsed completely — never a duration (the timings are in
scripts/bench_ingest.py).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from test_ingest import SAMPLE_TEXT, make_docx, make_pdf, pdf_pages

from rag.articles import parse_regulation
from rag.corpus import load_corpus
from rag.errors import CorpusError
from rag.ingest import IngestError, Limits, add_files, parse_document, read_text
from rag.records import DocMeta

META = DocMeta(doc_id="t", title="测试", kind="")
_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def write_docx_xml(path: Path, body_xml: str) -> Path:
    """A minimal valid .docx around `body_xml` (the content of <w:body>)."""
    ctypes = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
              'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
              'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
              '<Override PartName='
              '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
              'wordprocessingml.'
              'document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>'
           f"{body_xml}</w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", ctypes)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", doc)
    return path


def para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


# --------------------------------------------------------------------------- docx


def test_minimal_docx_reads(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    path = write_docx_xml(tmp_path / "ok.docx", "".join(para(f"第{n}条　内容。") for n in "一二三"))
    assert read_text(path)[0] == "第一条　内容。\n第二条　内容。\n第三条　内容。"


def test_docx_expanding_to_50_mb_is_refused(tmp_path: Path) -> None:
    """The hostile file of the report: ~150 KB on disk, 50 MB of repeated 第一条 XML inside."""
    pytest.importorskip("docx")
    one = para("第一条　重复的条文。")
    path = write_docx_xml(tmp_path / "bomb.docx", one * (50 * 1024 * 1024 // len(one.encode())))
    assert path.stat().st_size < 300 * 1024
    with pytest.raises(IngestError, match=r"压缩比异常：bomb.docx 中的 word/document.xml .*解压为 50.0 MB"):
        read_text(path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    [res] = add_files([path], corpus)
    assert res.status == "error" and "压缩比异常" in res.reason
    assert sorted(p.name for p in corpus.iterdir()) == []


@pytest.mark.parametrize(("limits", "message"), [
    (Limits(max_zip_entries=2), r"Word 文件内部条目过多：reg.docx 含 \d+ 个，上限为 2 个"),
    (Limits(max_zip_total=10_000), r"Word 文件解压后过大：reg.docx 解压后为 .* MB，上限为 0.0 MB"),
    (Limits(max_zip_entry=5_000), r"Word 文件中的 .* 解压后为 .* MB，上限为 0.0 MB"),
])
def test_docx_zip_limits(tmp_path: Path, limits: Limits, message: str) -> None:
    path = make_docx(tmp_path / "reg.docx", SAMPLE_TEXT)
    read_text(path)  # fine with the defaults
    with pytest.raises(IngestError, match=message):
        read_text(path, limits=limits)


def test_docx_refused_from_its_directory_before_decompressing(tmp_path: Path) -> None:
    """A zip whose directory claims 300 MB for a small entry: refused without reading the entry
    (were it read, zipfile would fail with a CRC or size error instead)."""
    pytest.importorskip("docx")
    path = write_docx_xml(tmp_path / "liar.docx", para("第一条　内容。"))
    data = bytearray(path.read_bytes())
    at = data.rfind(b"word/document.xml") - 46  # its central directory record
    assert data[at:at + 4] == b"PK\x01\x02"
    data[at + 24:at + 28] = struct.pack("<I", 300 * 1024 * 1024)  # uncompressed size
    path.write_bytes(bytes(data))
    with pytest.raises(IngestError, match="Word 文件解压后过大：liar.docx 解压后为 300.0 MB"):
        read_text(path)


# --------------------------------------------------------------------------- pdf


def _encrypt(src: Path, dst: Path, *, user: str, algorithm: str) -> Path:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(src))
    writer.encrypt(user_password=user, owner_password="owner-secret", algorithm=algorithm)
    with open(dst, "wb") as f:
        writer.write(f)
    return dst


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256", "RC4-128"])
def test_encrypted_pdf_with_empty_user_password_reads(tmp_path: Path, algorithm: str) -> None:
    pytest.importorskip("cryptography")
    plain = make_pdf(tmp_path / "plain.pdf", pdf_pages(SAMPLE_TEXT, per_page=7))
    locked = _encrypt(plain, tmp_path / "locked.pdf", user="", algorithm=algorithm)
    import pypdf

    assert pypdf.PdfReader(str(locked)).is_encrypted
    assert read_text(locked) == read_text(plain)
    assert len(parse_document(read_text(locked)[0], META).numbered) == 8


def test_password_protected_pdf_says_so(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    plain = make_pdf(tmp_path / "plain.pdf", pdf_pages(SAMPLE_TEXT))
    locked = _encrypt(plain, tmp_path / "secret.pdf", user="123456", algorithm="AES-128")
    with pytest.raises(IngestError, match="PDF 已加密，需要密码：secret.pdf"):
        read_text(locked)


def test_pdf_page_limit_is_checked_before_extracting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdf

    path = make_pdf(tmp_path / "reg.pdf", pdf_pages(SAMPLE_TEXT, per_page=4))

    def no_extraction(*_a: object, **_k: object) -> str:
        raise AssertionError("text extracted before the page count was checked")

    monkeypatch.setattr(pypdf.PageObject, "extract_text", no_extraction)
    with pytest.raises(IngestError, match="PDF 页数过多：reg.pdf 共 6 页，上限为 2 页"):
        read_text(path, limits=Limits(max_pages=2))


# --------------------------------------------------------------------------- structure


def test_parser_is_complete_on_20000_repeated_article_numbers() -> None:
    """Linear parsing: every line becomes its own article, numbered 1, 1-2, … 1-20000."""
    raw = "\n".join(f"第一条　第{i}行，重复的条文编号。" for i in range(20_000))
    doc = parse_regulation(raw, META)
    arts = [u for u in doc.units if u.kind == "article"]
    assert len(arts) == 20_000
    assert [u.ref for u in arts[:3]] == ["1", "1-2", "1-3"] and arts[-1].ref == "1-20000"
    assert arts[-1].text == "第19999行，重复的条文编号。"


def test_parser_is_complete_on_one_paragraph_broken_over_200000_lines() -> None:
    """Page-break joining is linear too: 200,000 unfinished lines make one paragraph."""
    raw = "第一条　开头\n" + "\n".join(f"片段{i}" for i in range(200_000)) + "。\n第二条　乙。\n第三条　丙。"
    doc = parse_regulation(raw, META)
    first = doc.unit("1")
    assert first is not None and first.text.startswith("开头片段0片段1")
    assert first.text.endswith("片段199999。")
    assert [u.ref for u in doc.numbered] == ["1", "2", "3"]


def test_repeated_article_numbers_are_refused() -> None:
    raw = "\n".join(f"第一条　第{i}行，重复的条文编号。" for i in range(20_000))
    with pytest.raises(IngestError, match="约有 20,000 行以“第X条”或“1.”开头，条目上限为 3,000 个"):
        parse_document(raw, META)
    few = "\n".join(f"第{n}条　内容。" for n in ("一", "二", "三") * 40)  # 120 articles, 3 numbers
    with pytest.raises(IngestError, match="120 个条目中只有 3 个不同的编号（117 个编号与前文重复）"):
        parse_document(few, META)


def test_a_few_repeated_numbers_are_only_warnings() -> None:
    raw = "\n".join(f"第{n}条　内容。" for n in ("一", "二", "二", "三", "四"))
    doc = parse_document(raw, META)
    assert [u.ref for u in doc.units if u.kind == "article"] == ["1", "2", "2-2", "3", "4"]


def test_text_of_42321_articles_is_refused(tmp_path: Path) -> None:
    """The report's 19 MB text within the byte cap: 42,321 条目 are refused, not indexed for minutes."""
    lines = [f"第{i}条　本条规定第{i}项事务的办理要求，按程序执行。" for i in range(1, 42_322)]
    head = ("\n".join(lines) + "\n").encode("utf-8")
    data = head + "附注。".encode() * ((19 * 1024 * 1024 + 100_000 - len(head)) // 9)
    assert 19 * 1024 * 1024 < len(data) < 20 * 1024 * 1024
    src = tmp_path / "big.txt"
    src.write_bytes(data)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    [res] = add_files([src], corpus)
    assert res.status == "error" and "约有 42,321 行" in res.reason and "条目上限为 3,000 个" in res.reason
    assert list(corpus.iterdir()) == []


def test_one_article_of_megabytes_is_refused() -> None:
    raw = "第一条　" + "很长的一句话，" * 200_000 + "完。\n第二条　乙。\n第三条　丙。"
    with pytest.raises(IngestError, match="第一条长达 1,400,002 个字符，单个条目上限为 100,000 个"):
        parse_document(raw, META)


def test_the_corpus_loader_applies_the_same_bounds(tmp_path: Path) -> None:
    """A manifest edited by hand to list a hostile file fails the build with a reason, at once."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.txt").write_text("\n".join(f"第一条　第{i}行。" for i in range(5_000)), encoding="utf-8")
    (corpus / "manifest.toml").write_text('[[documents]]\ndoc_id = "bad"\nfile = "bad.txt"\ntitle = "坏"\n'
                                          'kind = "regulation"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="文件 bad.txt 无法载入：文件结构异常：约有 5,000 行"):
        load_corpus(corpus)
