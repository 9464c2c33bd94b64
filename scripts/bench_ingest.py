"""Ingest hostile-input benchmark: times relative to parsing a real regulation in the same process.

    .venv/bin/python scripts/bench_ingest.py [--timeout 60]

Cases (each run in a child process with a wall-clock timeout, so a hang is reported, not waited on):
  baseline      parse_regulation of 纪律处分条例 (corpus/, 158 articles), mean of 20
  repeated      parse_regulation of 16,000 lines that all start 第一条 (the parser alone, no limits)
  big_docx      add_files of a ~150 KB .docx whose document.xml expands to 50 MB
  big_text      add_files of a 19 MB text with 42,321 short articles (within the byte cap)
Only the operation is timed (inputs are built first). Prints seconds, the ratio to the baseline,
and the outcome (units parsed, or the refusal).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _meta(doc_id: str):  # type: ignore[no-untyped-def]
    from rag.records import DocMeta

    return DocMeta(doc_id=doc_id, title=doc_id, kind="")


def case_baseline(_tmp: Path) -> tuple[float, str]:
    from rag.articles import parse_regulation

    raw = (ROOT / "corpus" / "jilv-chufen-tiaoli-2023.txt").read_text(encoding="utf-8")
    t0 = time.perf_counter()
    for _ in range(20):
        doc = parse_regulation(raw, _meta("jilv"))
    return (time.perf_counter() - t0) / 20, f"{len(doc.units)} units"


def case_repeated(_tmp: Path) -> tuple[float, str]:
    from rag.articles import parse_regulation

    raw = "\n".join(f"第一条　第{i}行，重复的条文编号。" for i in range(16_000))
    t0 = time.perf_counter()
    doc = parse_regulation(raw, _meta("rep"))
    return time.perf_counter() - t0, f"{len(doc.units)} units"


def make_hostile_docx(path: Path, xml_mb: int = 50) -> Path:
    """A minimal valid .docx whose document.xml is `xml_mb` MB of repeated 第一条 paragraphs."""
    para = "<w:p><w:r><w:t>第一条　重复的条文。</w:t></w:r></w:p>"
    n = xml_mb * 1024 * 1024 // len(para.encode())
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {ns}><w:body>' + para * n + \
        "</w:body></w:document>"
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
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", ctypes)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", body)
    return path


def _add(path: Path, tmp: Path) -> tuple[float, str]:
    from rag.ingest import add_files

    corpus = tmp / "corpus"
    corpus.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    [res] = add_files([path], corpus)
    return time.perf_counter() - t0, f"{res.status}: {res.reason or f'{res.units} units'}"


def case_big_docx(tmp: Path) -> tuple[float, str]:
    path = make_hostile_docx(tmp / "hostile.docx")
    secs, outcome = _add(path, tmp)
    return secs, f"{path.stat().st_size // 1024} KB docx → {outcome}"


def case_big_text(tmp: Path) -> tuple[float, str]:
    lines = [f"第{i}条　本条规定第{i}项事务的办理要求，按程序执行。" for i in range(1, 42_322)]
    data = "\n".join(lines).encode("utf-8")
    data = data + b"\n" + "附注。".encode() * ((19 * 1024 * 1024 - len(data)) // 9)
    path = tmp / "big.txt"
    path.write_bytes(data)
    secs, outcome = _add(path, tmp)
    return secs, f"{len(data) / 1024 / 1024:.1f} MB text → {outcome}"


CASES = {"baseline": case_baseline, "repeated": case_repeated, "big_docx": case_big_docx,
         "big_text": case_big_text}


def _child(name: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            queue.put(CASES[name](Path(tmp)))
        except Exception as err:  # report any failure as the outcome
            queue.put((float("nan"), f"{type(err).__name__}: {err}"))


def run(name: str, timeout: float) -> tuple[float | None, str]:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.get_context("fork").Process(target=_child, args=(name, queue))
    t0 = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None, f"still running after {time.perf_counter() - t0:.0f} s, killed"
    return queue.get()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("cases", nargs="*", default=list(CASES))
    args = ap.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    base, outcome = run("baseline", args.timeout)
    assert base is not None
    print(f"{'baseline':<10} {base:8.3f} s       1×  (one parse of 纪律处分条例: {outcome})")
    for name in args.cases:
        if name == "baseline":
            continue
        secs, outcome = run(name, args.timeout)
        ratio = f"{secs / base:8.0f}×" if secs is not None else "        ?"
        shown = f"{secs:8.3f} s" if secs is not None else f"> {args.timeout:.0f} s  "
        print(f"{name:<10} {shown} {ratio}  {outcome[:160]}")


if __name__ == "__main__":
    main()
