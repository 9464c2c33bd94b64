"""Reading files into text: one decoder for every text the project reads, and docx / pdf / html.

    read_text(path)            → (text, note)   .txt .md .docx .pdf .html .htm, bounded by `Limits`
    decode_bytes(data, name)   → (text, note)   the decoder the corpus loader uses too

Decoding: a BOM (UTF-8, UTF-16) or valid UTF-8 is taken at once; anything else goes to
charset-normalizer, whose verdict must be a Chinese encoding (GB18030/GBK/GB2312, Big5) or a
Unicode one. The note is "ambiguous" only when detection really is unsure: a GB and a Big5
reading fit the bytes equally well (short files, mostly-ASCII files); the GB reading is then
returned and `dangjian add` asks for `--encoding`. A quality gate refuses text with more than
`max_bad_share` replacement or control characters, whichever path produced it.
"""

from __future__ import annotations

import html.parser
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, ClassVar

from ..errors import IngestError
from ..text import SURROGATES, squash
from .limits import DEFAULT_LIMITS, MB, Limits

TEXT_SUFFIXES = (".txt", ".md")
SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
ENCODING_HINT = "支持 UTF-8、UTF-16、GBK/GB18030、Big5；请转换为 UTF-8 后重试，或用 --encoding 指定编码"

# charset-normalizer's codec names → the codec we decode with, and its family
_CHINESE = {"gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "hz": "hz",
            "big5": "big5", "big5hkscs": "big5hkscs", "cp950": "cp950"}
_FAMILY = {"gb18030": "GB", "hz": "GB", "big5": "Big5", "big5hkscs": "Big5", "cp950": "Big5"}
_CHAOS_MARGIN = 0.05  # a Chinese reading this close to the best one wins (the corpus is Chinese)
_RIVAL_MARGIN = 0.02  # a GB and a Big5 reading this close: detection is unsure


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def read_text(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS,
              encoding: str | None = None) -> tuple[str, str]:
    """The file's text (newlines normalised to \\n, NFC) and a note on how it was read.

    Notes: "utf-8", "utf-8-sig", "utf-16", "gb18030", "big5", "gb18030 (ambiguous: …)",
    "docx", "pdf", "html (utf-8)"… `encoding` forces a codec for text and HTML files.
    """
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"文件不存在：{p}")
    suffix = p.suffix.lower()
    if suffix == ".doc":
        raise IngestError(f"不支持旧版 Word（.doc）文件：{p.name}，请在 Word 中另存为 .docx 后再添加")
    if suffix not in SUPPORTED:
        raise IngestError(f"不支持的文件类型“{p.suffix or '无扩展名'}”：{p.name}"
                          f"（支持 {'、'.join(SUPPORTED)}）")
    size = p.stat().st_size
    if size > limits.max_bytes:
        raise IngestError(f"文件过大：{p.name} 为 {_mb(size)}，上限为 {_mb(limits.max_bytes)}")
    if size == 0:
        raise IngestError(f"文件为空：{p.name}")
    if suffix in TEXT_SUFFIXES:
        text, note = decode_bytes(p.read_bytes(), p.name, limits=limits, encoding=encoding)
        if suffix == ".md":
            text = _strip_markdown(text)
    elif suffix == ".docx":
        text, note = _read_docx(p, limits), "docx"
    elif suffix == ".pdf":
        text, note = _read_pdf(p, limits), "pdf"
    else:
        data = p.read_bytes()
        text, note = decode_bytes(data, p.name, limits=limits, encoding=encoding or _html_charset(data))
        text, note = _html_to_text(text), f"html ({note})"
    if len(text) > limits.max_chars:
        raise IngestError(f"文字过多：{p.name} 有 {len(text):,} 个字符，上限为 {limits.max_chars:,} 个")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    _check_quality(text, p.name, limits, private_use_is_bad="ambiguous" not in note)
    return text, note


def decode_bytes(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS,
                 encoding: str | None = None) -> tuple[str, str]:
    """Bytes → (text, note). BOM and UTF-8 fast paths, else charset-normalizer (see module doc)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as err:
            raise IngestError(f"无法按指定编码 {encoding} 读取文件：{name}（{err}）") from err
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_lenient(data, "utf-8-sig", name, limits), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_lenient(data, "utf-16", name, limits), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    codec, note = _detect(data, name)
    return _decode_lenient(data, codec, name, limits), note


def _detect(data: bytes, name: str) -> tuple[str, str]:
    """(codec to decode with, note) from charset-normalizer's ranked readings of the bytes."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:  # nothing decodes cleanly: let the quality gate judge the GB reading
        return "gb18030", "gb18030"
    best = matches[0]
    chinese = [m for m in matches if m.encoding in _CHINESE and m.chaos <= best.chaos + _CHAOS_MARGIN]
    if not chinese:
        if best.encoding.startswith("utf"):
            return best.encoding, best.encoding.replace("_", "-")
        raise IngestError(f"无法识别文件编码：{name}（检测为 {best.encoding}，不是中文编码；"
                          f"{ENCODING_HINT}）")
    chosen = chinese[0]
    rivals = [m for m in chinese if _family(m.encoding) != _family(chosen.encoding)
              and abs(m.chaos - chosen.chaos) <= _RIVAL_MARGIN and str(m) != str(chosen)]
    if not rivals:
        codec = _CHINESE[chosen.encoding]
        return codec, codec
    readings = [chosen, *rivals]  # unsure: prefer GB (simplified Chinese is what this corpus holds)
    gb = next((m for m in readings if _family(m.encoding) == "GB"), chosen)
    other = next(m for m in readings if m is not gb)
    codec = _CHINESE[gb.encoding]
    return codec, f"{codec} (ambiguous: 也可能是 {_CHINESE[other.encoding]})"


def _family(encoding: str) -> str:
    return _FAMILY[_CHINESE[encoding]]


def _decode_lenient(data: bytes, codec: str, name: str, limits: Limits) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd") / max(len(text), 1)
    if bad > limits.max_bad_share:
        raise IngestError(f"无法识别文件编码：{name}（按 {codec} 解码有 {bad:.1%} 的字符无法识别；"
                          f"{ENCODING_HINT}）")
    return text


# Unicode categories Cc (controls, except \t \n), Cs (surrogates), Co (private use), and U+FFFD;
# a regex rather than a per-character loop: a 20 MB text is checked in milliseconds, not seconds
_BAD = f"\ufffd\x00-\x08\x0b-\x1f\x7f-\x9f{SURROGATES}"
_PRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_BAD_RE = re.compile(f"[{_BAD}]")
_BAD_OR_PRIVATE_RE = re.compile(f"[{_BAD}{_PRIVATE}]")


def _check_quality(text: str, name: str, limits: Limits, *, private_use_is_bad: bool = True) -> None:
    """Refuse empty text and text with too many replacement/control/private-use characters."""
    squashed = squash(text)
    if not squashed:
        raise IngestError(f"文件中没有文字内容：{name}")
    bad = len((_BAD_OR_PRIVATE_RE if private_use_is_bad else _BAD_RE).findall(text))
    share = bad / max(len(squashed), 1)
    if share > limits.max_bad_share:
        raise IngestError(f"文件中无法识别的字符过多：{name}（{share:.1%}，"
                          f"上限 {limits.max_bad_share:.0%}），可能是编码错误或文件已损坏")


def _strip_markdown(text: str) -> str:
    """Heading marks and emphasis only: "## 第一章 总则" must read as a heading line."""
    text = re.sub(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+", "", text)
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)


# -- docx -----------------------------------------------------------------------------------


def check_zip(p: Path, limits: Limits) -> None:
    """Refuse a zip bomb from its central directory, before a byte is decompressed.

    zipfile never inflates an entry past the size its directory declares, so these figures
    bound the work python-docx can be made to do."""
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise IngestError(f"无法读取 Word 文件：{p.name}（文件已损坏或不是 .docx 格式）") from err
    if len(infos) > limits.max_zip_entries:
        raise IngestError(f"Word 文件内部条目过多：{p.name} 含 {len(infos):,} 个，"
                          f"上限为 {limits.max_zip_entries:,} 个")
    total = sum(i.file_size for i in infos)
    if total > limits.max_zip_total:
        raise IngestError(f"Word 文件解压后过大：{p.name} 解压后为 {_mb(total)}，"
                          f"上限为 {_mb(limits.max_zip_total)}")
    for i in infos:
        if i.file_size > limits.max_zip_entry:
            raise IngestError(f"Word 文件中的 {i.filename} 解压后为 {_mb(i.file_size)}，上限为 "
                              f"{_mb(limits.max_zip_entry)}：{p.name}")
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size >= MB and ratio > limits.max_zip_ratio:
            raise IngestError(f"Word 文件压缩比异常：{p.name} 中的 {i.filename} "
                              f"从 {i.compress_size / 1024:.0f} KB 解压为 {_mb(i.file_size)}"
                              f"（{ratio:.0f} 倍，上限 {limits.max_zip_ratio:.0f} 倍），可能是恶意构造的文件")


def _read_docx(p: Path, limits: Limits) -> str:
    try:
        import docx  # python-docx
    except ImportError as err:
        raise IngestError("读取 Word 文件需要安装 python-docx（随本项目安装，请运行 make setup）") from err
    check_zip(p, limits)
    try:
        document = docx.Document(str(p))
    except Exception as err:  # python-docx raises zipfile/KeyError/lxml errors alike
        raise IngestError(f"无法读取 Word 文件：{p.name}（文件已损坏或不是 .docx 格式）") from err
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:  # merged cells repeat: keep each text once per row
                    if not cells or cells[-1] != cell.text:
                        cells.append(cell.text)
                out.append("\t".join(cells))
    return "\n".join(out)


# -- pdf ------------------------------------------------------------------------------------

_PAGE_NO = re.compile(r"^[\s\-—－–·]*(?:第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d{1,4})[\s\-—－–·]*$")


def _open_pdf(p: Path) -> Any:
    """A PdfReader, decrypted when it opens with the empty user password (copy-protected files)."""
    import pypdf
    from pypdf.errors import DependencyError

    try:
        reader = pypdf.PdfReader(str(p))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as err:
                raise IngestError("读取加密 PDF 需要安装 cryptography"
                                  f"（随本项目安装，请运行 make setup）：{p.name}") from err
            if not opened:
                raise IngestError(f"PDF 已加密，需要密码：{p.name}（请先去除密码保护后再添加）")
        return reader
    except IngestError:
        raise
    except Exception as err:  # pypdf raises many error types for broken files
        raise IngestError(f"无法读取 PDF 文件：{p.name}（文件已损坏或不是 PDF 格式）") from err


def _read_pdf(p: Path, limits: Limits) -> str:
    try:
        import pypdf  # noqa: F401
    except ImportError as err:
        raise IngestError("读取 PDF 文件需要安装 pypdf（随本项目安装，请运行 make setup）") from err
    reader = _open_pdf(p)
    try:
        pages = len(reader.pages)
    except Exception as err:
        raise IngestError(f"无法读取 PDF 文件：{p.name}（文件已损坏或不是 PDF 格式）") from err
    if pages > limits.max_pages:
        raise IngestError(f"PDF 页数过多：{p.name} 共 {pages} 页，上限为 {limits.max_pages} 页")
    texts: list[str] = []
    chars = 0
    try:
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            chars += len(texts[-1])
            if chars > limits.max_chars:
                raise IngestError(f"文字过多：{p.name} 超过 {limits.max_chars:,} 个字符")
    except IngestError:
        raise
    except Exception as err:
        raise IngestError(f"无法提取 PDF 文字：{p.name}（{type(err).__name__}）") from err
    lines = [ln for t in texts for ln in t.split("\n") if not _PAGE_NO.match(ln)]
    text = "\n".join(lines)
    if len(squash(text)) < 10 * max(pages, 1) and len(squash(text)) < 50:
        raise IngestError(f"该PDF没有文字层（可能是扫描件），请先进行OCR：{p.name}")
    return text


# -- html -----------------------------------------------------------------------------------

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)


def _html_charset(data: bytes) -> str | None:
    m = _CHARSET_RE.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii").lower()
    if name in ("gb2312", "gbk", "gb18030", "x-gbk"):
        return "gb18030"
    try:
        import codecs

        return codecs.lookup(name).name
    except LookupError:
        return None


class _HTMLText(html.parser.HTMLParser):
    DROP: ClassVar[frozenset[str]] = frozenset({
        "script", "style", "noscript", "template", "head", "svg", "iframe"})
    BLOCK: ClassVar[frozenset[str]] = frozenset({
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
        "article", "header", "footer", "nav", "blockquote", "pre", "hr", "dt", "dd", "dl", "title", "center",
        "main", "aside", "form", "figure", "figcaption"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data.replace("\n", " ").replace("\u00a0", " "))


def _html_to_text(source: str) -> str:
    parser = _HTMLText()
    parser.feed(source)
    parser.close()
    lines = [ln.strip(" \t") for ln in "".join(parser.parts).split("\n")]
    return "\n".join(ln for ln in lines if ln)
