"""Adding documents to the corpus: read any supported file, guess its metadata, parse it, file it.

    read_text(path)            → (text, encoding note)     .txt .md .docx .pdf .html .htm
    detect_meta(text, name)    → manifest fields            title, doc_number, issuer, date, kind, aliases
    add_files(paths, corpus)   → [IngestResult]             one per file; a bad file never stops the batch

What lands in the corpus folder for an accepted file:
- a UTF-8 `.txt` input is copied byte for byte as `<doc_id>.txt`;
- anything else (GBK text, Markdown, Word, PDF, HTML) is written as the extracted UTF-8 text
  `<doc_id>.txt` (what was parsed is what is indexed), and the original is kept, unchanged, as
  `originals/<doc_id><suffix>` and named in the manifest entry's `source` field;
- one `[[documents]]` table is appended to `manifest.toml`; the existing bytes of the manifest
  are kept as they are, and the new manifest replaces the old one atomically.
Nothing already in the corpus folder is overwritten: an existing doc_id or file is an error.
"""

from __future__ import annotations

import hashlib
import html.parser
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

from .articles import check_numbering, detect_scheme, parse_regulation
from .catalog import aliases_for
from .errors import DangjianError
from .records import DocMeta, Document
from .structure import parse_notice
from .text import squash, to_simplified

MANIFEST = "manifest.toml"
ORIGINALS = "originals"
TEXT_SUFFIXES = (".txt", ".md")
SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")


class IngestError(DangjianError):
    """A file that cannot be added; `str(err)` is the Chinese reason shown to the user."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 500
    max_bad_share: float = 0.01  # undecodable / replacement characters
    max_rare_share: float = 0.10  # GB-decoded text: implausible characters among the non-ASCII ones


DEFAULT_LIMITS = Limits()


# --------------------------------------------------------------------------------------------
# reading


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def read_text(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS,
              encoding: str | None = None) -> tuple[str, str]:
    """The file's text (newlines normalised to \\n) and a note on how it was decoded.

    Notes: "utf-8", "utf-8-sig", "utf-16", "gb18030", "gb18030 (ambiguous: …)", "docx", "pdf",
    "html (utf-8)"… An "ambiguous" note means UTF-8 failed and the GB decode contains an unusual
    share of rare characters: the text may be another encoding (Big5, Shift-JIS, Latin-1).
    `encoding` forces a codec for text and HTML files.
    """
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"文件不存在：{p}")
    suffix = p.suffix.lower()
    if suffix == ".doc":
        raise IngestError(f"不支持旧版 Word（.doc）文件：{p.name}，请在 Word 中另存为 .docx 后再添加")
    if suffix not in SUPPORTED:
        raise IngestError(f"不支持的文件类型“{p.suffix or '无扩展名'}”：{p.name}（支持 {'、'.join(SUPPORTED)}）")
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
        text, note = _read_docx(p), "docx"
    elif suffix == ".pdf":
        text, note = _read_pdf(p, limits), "pdf"
    else:
        data = p.read_bytes()
        text, note = decode_bytes(data, p.name, limits=limits, encoding=encoding or _html_charset(data))
        text, note = _html_to_text(text), f"html ({note})"
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    _check_quality(text, p.name, limits, private_use_is_bad="ambiguous" not in note)
    return text, note


def decode_bytes(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS,
                 encoding: str | None = None) -> tuple[str, str]:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (superset of GBK and GB2312)."""
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
    text = _decode_lenient(data, "gb18030", name, limits)
    rare = _rare_share(text)
    if rare > limits.max_rare_share:
        return text, f"gb18030 (ambiguous: {rare:.0%} 的汉字不在常用字范围内)"
    return text, "gb18030"


def _decode_lenient(data: bytes, codec: str, name: str, limits: Limits) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd") / max(len(text), 1)
    if bad > limits.max_bad_share:
        raise IngestError(
            f"无法识别文件编码：{name}（按 {codec} 解码有 {bad:.1%} 的字符无法识别；"
            f"支持 UTF-8、GBK/GB18030，请转换为 UTF-8 后重试）")
    return text


def _in_gb2312(c: str) -> bool:
    try:
        c.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _rare_share(text: str) -> float:
    """Share of non-ASCII characters that are neither in GB2312 (6,763 common hanzi + symbols)
    nor the traditional form of one (GBK text may legitimately be traditional Chinese).

    Big5 or Shift-JIS bytes read as GB18030 give 50–80 %; real GBK documents well under 1 %.
    """
    non_ascii = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not non_ascii:
        return 0.0
    plausible: dict[str, bool] = {}
    for c in set(non_ascii):
        ok = _in_gb2312(c)
        if not ok and 0x4E00 <= ord(c) <= 0x9FFF:
            simple = to_simplified(c)
            ok = simple != c and all(_in_gb2312(x) for x in simple)
        plausible[c] = ok
    return sum(not plausible[c] for c in non_ascii) / len(non_ascii)


def _check_quality(text: str, name: str, limits: Limits, *, private_use_is_bad: bool = True) -> None:
    """Refuse empty text and text with too many replacement/control/private-use characters.

    An "ambiguous" GB decode is left to the caller (its private-use characters are the symptom)."""
    if not squash(text):
        raise IngestError(f"文件中没有文字内容：{name}")
    bad_cats = ("Cc", "Cs", "Co") if private_use_is_bad else ("Cc", "Cs")
    bad = sum(1 for c in text if c == "\ufffd" or (unicodedata.category(c) in bad_cats and c not in "\n\t"))
    share = bad / max(len(squash(text)), 1)
    if share > limits.max_bad_share:
        raise IngestError(f"文件中无法识别的字符过多：{name}（{share:.1%}，上限 {limits.max_bad_share:.0%}），"
                          "可能是编码错误或文件已损坏")


def _strip_markdown(text: str) -> str:
    """Heading marks and emphasis only: "## 第一章 总则" must read as a heading line."""
    text = re.sub(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+", "", text)
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)


def _read_docx(p: Path) -> str:
    try:
        import docx  # python-docx
    except ImportError as err:
        raise IngestError("读取 Word 文件需要安装 python-docx（pip install 'dangjian-rag[ingest]'）") from err
    try:
        document = docx.Document(str(p))
    except Exception as err:  # python-docx raises zipfile/KeyError/lxml errors alike
        raise IngestError(f"无法读取 Word 文件：{p.name}（文件已损坏或不是 .docx 格式）") from err
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
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


_PAGE_NO = re.compile(r"^[\s\-—－–·]*(?:第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d{1,4})[\s\-—－–·]*$")


def _read_pdf(p: Path, limits: Limits) -> str:
    try:
        import pypdf
    except ImportError as err:
        raise IngestError("读取 PDF 文件需要安装 pypdf（pip install 'dangjian-rag[ingest]'）") from err
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(str(p))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"PDF 文件已加密：{p.name}，请先解除密码保护")
        pages = len(reader.pages)
    except IngestError:
        raise
    except Exception as err:  # pypdf raises many error types for broken files
        raise IngestError(f"无法读取 PDF 文件：{p.name}（文件已损坏或不是 PDF 格式）") from err
    if pages > limits.max_pages:
        raise IngestError(f"PDF 页数过多：{p.name} 共 {pages} 页，上限为 {limits.max_pages} 页")
    texts: list[str] = []
    try:
        for page in reader.pages:
            texts.append(page.extract_text() or "")
    except Exception as err:
        raise IngestError(f"无法提取 PDF 文字：{p.name}（{type(err).__name__}）") from err
    lines = [ln for t in texts for ln in t.split("\n") if not _PAGE_NO.match(ln)]
    text = "\n".join(lines)
    if len(squash(text)) < 10 * max(pages, 1) and len(squash(text)) < 50:
        raise IngestError(f"该PDF没有文字层（可能是扫描件），请先进行OCR：{p.name}")
    return text


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
    DROP: ClassVar[frozenset[str]] = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})
    BLOCK: ClassVar[frozenset[str]] = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
             "section", "article", "header", "footer", "nav", "blockquote", "pre", "hr", "dt", "dd",
             "dl", "title", "center", "main", "aside", "form", "figure", "figcaption"})

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


# --------------------------------------------------------------------------------------------
# metadata

_DOCNO_RE = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
_LEAD_TITLE_RE = re.compile(r"(?:印发|发布|公布|颁布)了?\s*(?:修订后的|新修订的|新修订)?\s*《([^《》]{2,60})》")
_NOTICE_ISSUER_RE = re.compile(r"^\s*([\u4e00-\u9fff（）()]{2,40}?)关于印发")
_ACTOR_RE = re.compile(r"([\u4e00-\u9fff、]{2,30}?)(?:近日)?(?:印发|发布)了")
_DATED_RE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"([\u4e00-\u9fff、]{0,30}?)"
    r"(发布|印发|通过|公布|批准|修订|施行)")
_ANY_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CONGRESS_RE = re.compile(r"(中国共产党第[\u4e00-\u9fff]{1,6}次全国代表大会)")
_TITLE_WORDS = ("条例", "章程", "细则", "规定", "办法", "规则", "准则", "意见", "通知", "决定", "要点",
                "纲要", "方案", "规划", "（试行）", "(试行)", "制度", "守则")
_VERB_RANK = {"发布": 3, "印发": 3, "公布": 3, "通过": 2, "批准": 1, "修订": 1, "施行": 0}
_ORG_HINT = ("中共", "中央", "国务院", "委员会", "办公厅", "工委", "党委", "党组", "纪委", "组织部",
             "宣传部", "全国代表大会", "政府")


def _lead_region(text: str) -> str:
    """Text before the first 第X章/第X条/总纲 line (the whole text when there is none), ≤ 40 lines."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        s = line.strip(" \t\u3000\ufeff")
        if re.match(r"^(第[〇零一二三四五六七八九十百千两兩\d]+[编編章节節条條]|总\s*纲$|序\s*言$)", s):
            return "\n".join(lines[:i])
    return "\n".join(lines[:40])


def _title_line(lead: str) -> str:
    for line in lead.split("\n"):
        s = re.sub(r"[\s\u3000]+\d{4}$", "", line.strip(" \t\u3000\ufeff"))  # "…条例 2023" (site label)
        if not s or s.startswith(("（", "(")) or len(s) > 60:
            continue
        if re.search(r"[。，；：！？]", s) or _DOCNO_RE.search(s) or _ANY_DATE_RE.fullmatch(s):
            continue
        if s.endswith(_TITLE_WORDS):
            return s
    return ""


def _first_heading_line(text: str) -> str:
    for line in text.split("\n"):
        s = line.strip(" \t\u3000\ufeff")
        if s:
            return s if len(s) <= 60 and not re.search(r"[。；！？]", s) else ""
    return ""


def _date(m: re.Match[str]) -> str:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1900 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def detect_meta(text: str, filename: str) -> dict[str, Any]:
    """Manifest fields guessed from the text: title, doc_number, issuer, date, kind, aliases.

    Values that cannot be found are left out (title falls back to the file name). Keys are
    `DocMeta` field names, so the result can be passed to `DocMeta(doc_id=…, file=…, **meta)`.
    """
    lead = _lead_region(text)
    kind = detect_scheme(text)
    meta: dict[str, Any] = {"kind": kind}
    m = _LEAD_TITLE_RE.search(lead)
    title = (m.group(1).strip() if m else "") or _title_line(lead) or _first_heading_line(text)
    if not title or (kind == "regulation" and re.match(r"^第.+[章条]", title)):
        title = Path(filename).stem
    meta["title"] = title
    if dn := _DOCNO_RE.search(lead if kind == "regulation" else text[:2000]):
        meta["doc_number"] = re.sub(r"\s+", "", dn.group(0))

    # the revision line: "（2010年…审议批准 2010年6月4日中共中央发布 2019年11月29日…修订）" →
    # date = the latest dated act (ties: 发布/印发 first), issuer = who published it last
    acts: list[tuple[str, int, str]] = []  # (date, verb rank, organ)
    for dm in _DATED_RE.finditer(lead):
        if date := _date(dm):
            acts.append((date, _VERB_RANK[dm.group(5)], dm.group(4)))
    latest = max(acts, default=None)
    published = [a for a in acts if a[1] >= 3 and a[2]]
    issuer = max(published)[2] if published else ""
    if not issuer and (am := _ACTOR_RE.search(lead)):
        issuer = re.sub(r"^.*?(?=中共|中国共产党|国务院|中央)", "", am.group(1), count=1) or am.group(1)
    if not issuer and (nm := _NOTICE_ISSUER_RE.search(lead)):
        issuer = nm.group(1)
    if not issuer and (cm := _CONGRESS_RE.search(lead)):
        issuer = cm.group(1)
    if not issuer and kind == "notice":
        first = _first_heading_line(text)
        if first and first.endswith(_ORG_HINT):
            issuer = first
    if issuer:
        meta["issuer"] = issuer
    date = latest[0] if latest else ""
    if not date:
        for line in lead.split("\n"):  # a notice's date line: "2025年3月27日"
            if (dm2 := _ANY_DATE_RE.fullmatch(line.strip(" \t\u3000"))) and (d := _date(dm2)):
                date = d
    if not date and (sm := re.search(r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日起施行", text)):
        date = _date(sm)
    if date:
        meta["date"] = date
    if aliases := aliases_for(title):
        meta["aliases"] = aliases
    return meta


# --------------------------------------------------------------------------------------------
# adding to the corpus


@dataclass(frozen=True, slots=True)
class IngestResult:
    path: str
    status: Literal["ok", "error"]
    reason: str = ""  # the Chinese error message when status == "error"
    doc_id: str = ""
    file: str = ""  # the corpus file written, relative to the corpus folder
    source: str = ""  # the kept original (originals/…), "" when the file was copied as is
    encoding: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # the manifest entry that was written
    units: int = 0
    articles: int = 0
    warnings: tuple[str, ...] = ()


def slugify(name: str) -> str:
    """ASCII doc_id from a file stem: lower case, [a-z0-9-]; "" when nothing ASCII is left."""
    s = unicodedata.normalize("NFKC", name).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:60].strip("-")


def parse_text(text: str, meta: DocMeta) -> Document:
    """Parse with the scheme the manifest names ("notice"/"regulation"), else the detected one
    (kind "" or anything else, e.g. "auto")."""
    scheme = meta.kind if meta.kind in ("notice", "regulation") else detect_scheme(text)
    return parse_regulation(text, meta) if scheme == "regulation" else parse_notice(text, meta)


_META_FIELDS = {f.name for f in fields(DocMeta)}
_ORDER = ("doc_id", "file", "title", "doc_number", "issuer", "date", "kind", "primary", "aliases",
          "addressees", "notice_title", "source")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v)
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def manifest_entry(entry: Mapping[str, Any]) -> str:
    """One `[[documents]]` table, keys in a stable order, empty values left out."""
    keys = [k for k in _ORDER if k in entry] + sorted(k for k in entry if k not in _ORDER)
    lines = ["[[documents]]"]
    for k in keys:
        v = entry[k]
        if v in ("", None, (), []) or (k == "primary" and v is False):
            continue
        lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def _read_manifest_text(corpus_dir: Path) -> str:
    path = corpus_dir / MANIFEST
    if not path.is_file():
        return "# Documents in the corpus. One [[documents]] table per file.\n"
    return path.read_bytes().decode("utf-8")


def _append_manifest(corpus_dir: Path, entry: Mapping[str, Any]) -> None:
    """Existing bytes kept; new table appended; validated; written to a temp file and os.replace'd."""
    path = corpus_dir / MANIFEST
    old = _read_manifest_text(corpus_dir)
    sep = "" if old.endswith("\n\n") else "\n" if old.endswith("\n") else "\n\n"
    new = old + sep + manifest_entry(entry)
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as err:  # pragma: no cover - our writer emits valid TOML
        raise IngestError(f"生成的清单文件格式错误：{err}") from err
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=corpus_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _existing(corpus_dir: Path) -> tuple[list[dict[str, Any]], set[str]]:
    """Manifest entries (raw dicts) and the text hashes of their files, for duplicate checks."""
    path = corpus_dir / MANIFEST
    if not path.is_file():
        return [], set()
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("documents", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise IngestError(f"清单文件格式错误：{path}：{err}") from err
    hashes = set()
    for e in entries:
        f = corpus_dir / str(e.get("file", ""))
        if e.get("file") and f.is_file():
            try:
                hashes.add(_text_hash(decode_bytes(f.read_bytes(), f.name)[0]))
            except IngestError:
                pass
    return entries, hashes


def _text_hash(text: str) -> str:
    return hashlib.sha256(squash(text).encode("utf-8")).hexdigest()


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` with `data`; never overwrite (O_EXCL), no partial file left on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _overrides_for(path: Path, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Global fields (keys that are DocMeta fields or "encoding"), then per-file dicts keyed by
    the path as given or its file name."""
    out = {k: v for k, v in overrides.items() if not isinstance(v, Mapping)}
    for key in (str(path), path.name):
        if isinstance(overrides.get(key), Mapping):
            out.update(overrides[key])
    return out


def add_files(paths: Iterable[str | os.PathLike[str]], corpus_dir: str | os.PathLike[str], *,
              overrides: Mapping[str, Any] | None = None, limits: Limits = DEFAULT_LIMITS,
              allow_ambiguous: bool = False) -> list[IngestResult]:
    """Add each file to the corpus; one result per path, in order. See the module docstring.

    `overrides`: manifest fields that win over the detected ones — either global
    (`{"kind": "regulation"}`) or per file (`{"a.pdf": {"doc_id": "x", "title": "…"}}`);
    the key "encoding" forces the codec of a text/HTML file. doc_id, file and primary may only
    be given per file. A GB-decoded text whose encoding is "ambiguous" is refused unless
    `allow_ambiguous` or an explicit encoding is given.
    """
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        raise IngestError(f"语料目录不存在：{corpus}")
    overrides = dict(overrides or {})
    results: list[IngestResult] = []
    for raw_path in paths:
        path = Path(raw_path)
        try:
            results.append(_add_one(path, corpus, _overrides_for(path, overrides), limits, allow_ambiguous,
                                    global_keys={k for k, v in overrides.items() if not isinstance(v, Mapping)}))
        except IngestError as err:
            results.append(IngestResult(path=str(path), status="error", reason=str(err)))
        except OSError as err:
            results.append(IngestResult(path=str(path), status="error",
                                        reason=f"读写文件失败：{path.name}（{err.strerror or err}）"))
    return results


def _add_one(path: Path, corpus: Path, ov: dict[str, Any], limits: Limits, allow_ambiguous: bool,
             global_keys: set[str]) -> IngestResult:
    if global_keys & {"doc_id", "file", "primary"}:
        raise IngestError("doc_id、file、primary 只能针对单个文件指定")
    unknown = set(ov) - _META_FIELDS - {"encoding"}
    if unknown:
        raise IngestError(f"不认识的清单字段：{'、'.join(sorted(unknown))}")
    text, note = read_text(path, limits=limits, encoding=ov.get("encoding"))
    if "ambiguous" in note and not allow_ambiguous:
        raise IngestError(f"无法确定文件编码：{path.name}（按 GBK/GB18030 解码后生僻字比例异常，"
                          "可能是其他编码；请转换为 UTF-8 后重试，或明确指定编码）")
    entries, hashes = _existing(corpus)
    doc_id = str(ov.get("doc_id") or slugify(path.stem)
                 or "doc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", doc_id):
        raise IngestError(f"doc_id 只能包含字母、数字、-、_、.：{doc_id}")
    if any(e.get("doc_id") == doc_id for e in entries):
        raise IngestError(f"语料中已有 doc_id 为 {doc_id} 的文件；请换一个文件名或指定 doc_id")
    file = str(ov.get("file") or f"{doc_id}.txt")
    if any(e.get("file") == file for e in entries) or (corpus / file).exists():
        raise IngestError(f"语料目录中已存在文件 {file}，不会覆盖；请指定其他 doc_id")
    if _text_hash(text) in hashes:
        raise IngestError(f"该文件的内容已收录在语料中：{path.name}")
    if ov.get("primary") and any(e.get("primary") for e in entries):
        raise IngestError("语料中已有主文件（primary = true），只能有一个")

    detected = detect_meta(text, path.name)
    meta_fields = {**detected, **{k: v for k, v in ov.items() if k in _META_FIELDS}}
    meta_fields.update(doc_id=doc_id, file=file)
    if isinstance(meta_fields.get("aliases"), (list, tuple)):
        meta_fields["aliases"] = tuple(meta_fields["aliases"])
    meta_fields["date"] = str(meta_fields.get("date", ""))
    meta = DocMeta(**meta_fields)
    doc = parse_text(text, meta)
    if not doc.numbered:
        raise IngestError(f"文件中没有解析出任何编号条目（“第X条”或“1.”）：{path.name}")
    warnings = tuple(check_numbering(doc)) if meta.kind == "regulation" else ()

    suffix = path.suffix.lower()
    as_is = suffix == ".txt" and note in ("utf-8", "utf-8-sig") and "encoding" not in ov
    source = "" if as_is else f"{ORIGINALS}/{doc_id}{suffix}"
    if source and (corpus / source).exists():
        raise IngestError(f"语料目录中已存在文件 {source}，不会覆盖")
    entry: dict[str, Any] = {k: v for k, v in meta_fields.items() if k in _META_FIELDS}
    entry["aliases"] = list(meta.aliases)
    if source:
        entry["source"] = source
    written: list[Path] = []
    try:
        target = corpus / file
        _write_new(target, path.read_bytes() if as_is else text.encode("utf-8"))
        written.append(target)
        if source:
            _write_new(corpus / source, path.read_bytes())
            written.append(corpus / source)
        _append_manifest(corpus, entry)
    except FileExistsError as err:
        for w in written:
            w.unlink(missing_ok=True)
        raise IngestError(f"语料目录中已存在文件 {err.filename}，不会覆盖") from err
    except BaseException:
        for w in written:
            w.unlink(missing_ok=True)
        raise
    return IngestResult(path=str(path), status="ok", doc_id=doc_id, file=file, source=source, encoding=note,
                        meta=entry, units=len(doc.units), articles=len(doc.numbered), warnings=warnings)


def unlisted_files(corpus_dir: str | os.PathLike[str]) -> list[Path]:
    """Documents dropped into the corpus folder that no manifest entry names yet."""
    from .corpus import MANIFEST, read_manifest

    corpus = Path(corpus_dir)
    listed = {m.file for m in read_manifest(corpus)} if (corpus / MANIFEST).is_file() else set()
    return sorted(p for p in corpus.iterdir()
                  if p.is_file() and p.suffix.lower() in SUPPORTED and p.name not in listed
                  and not p.name.startswith(".") and p.name.lower() != "readme.md")


def register_unlisted(corpus_dir: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS) -> list[IngestResult]:
    """Add dropped-in files through the same path as `dangjian add`; a file that fails stays where it was."""
    corpus = Path(corpus_dir)
    results = []
    for path in unlisted_files(corpus):
        with tempfile.TemporaryDirectory(prefix=".register-", dir=corpus) as tmp:
            staged = Path(tmp) / path.name
            path.rename(staged)  # out of the way, so add_files may write <doc_id>.txt under the same name
            ok = False
            try:
                (result,) = add_files([staged], corpus, limits=limits)
                ok = result.status == "ok"
            finally:
                if not ok:
                    staged.rename(path)
        results.append(replace(result, path=str(path)))
    return results
