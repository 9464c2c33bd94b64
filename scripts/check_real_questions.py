#!/usr/bin/env python3
"""Check eval/questions-real-*.jsonl against the shipped corpus.

Plain Python, no project imports: reads corpus/manifest.toml and corpus/*.txt, cuts every regulation
into articles by its 第N条 heading (Chinese numerals, optionally indented with ASCII or full-width
spaces), cuts the notice into its header, preamble and numbered items (lines "N. " / "N．" / "（N）"),
and checks every row:

* fields present and typed; ids unique and prefixed rd/rt/rp/rc by file; form and category known;
* answerable rows: every gold ``doc_id#ref`` exists, and every must_include appears verbatim (after
  removing all whitespace) in at least one gold unit;
* unanswerable rows: no gold, no must_include;
* a source never appears in two files (dev, test, the probe set).

Usage:  python scripts/check_real_questions.py            (check both files, exit 1 on failure)
        python scripts/check_real_questions.py show DOC REF   (print one unit)
        python scripts/check_real_questions.py find PHRASE    (which units contain PHRASE)
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FILES = [ROOT / "eval" / "questions-real-dev.jsonl", ROOT / "eval" / "questions-real-test.jsonl",
         # tuned on, found after the splits were frozen (eval/REAL-QUESTIONS.md, last section)
         ROOT / "eval" / "questions-real-probe.jsonl",
         # never tuned on, failures not read: a second check beside the test split (REAL-QUESTIONS.md)
         ROOT / "eval" / "questions-real-check.jsonl"]
FORMS = {"single_choice", "multi_choice", "true_false", "fill_blank", "short_answer", "typed"}
CATEGORIES = {"real_answerable", "real_unanswerable", "named_absent"}

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ART_RE = re.compile(r"^[ \t\u3000]*第([一二三四五六七八九十百零〇]+)条(?=[ \t\u3000])")
DIVISION_RE = re.compile(r"^[ \t\u3000]*(第[一二三四五六七八九十百零〇]+[编章节]|总[ \t\u3000]*纲)")
ITEM_RE = re.compile(r"^[ \t\u3000]*(?:(\d+)[.．]|（(\d+)）)")
SECTION_RE = re.compile(r"^[ \t\u3000]*[一二三四五六七八九十]+、")


def cn2int(s: str) -> int:
    total, cur = 0, 0
    for ch in s:
        if ch == "百":
            total += (cur or 1) * 100
            cur = 0
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        else:
            cur = DIGITS[ch]
    return total + cur


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s.replace("\u3000", " "))


def manifest() -> dict[str, dict]:
    text = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    if tomllib:
        docs = tomllib.loads(text)["documents"]
    else:  # tiny fallback: doc_id / file / kind lines
        docs, cur = [], None
        for line in text.splitlines():
            m = re.match(r'\s*(doc_id|file|kind)\s*=\s*"([^"]*)"', line)
            if line.strip() == "[[documents]]":
                cur = {}
                docs.append(cur)
            elif m and cur is not None:
                cur[m.group(1)] = m.group(2)
    return {d["doc_id"]: d for d in docs}


def regulation_units(text: str) -> dict[str, str]:
    units: dict[str, list[str]] = {"lead": []}
    cur = "lead"
    for line in text.splitlines():
        m = ART_RE.match(line)
        if m:
            cur = str(cn2int(m.group(1)))
            units[cur] = [line]
        elif DIVISION_RE.match(line):
            cur = None  # headings belong to no article
            if "总" in line and "纲" in line and "preamble" not in units:
                cur = "preamble"  # 党章 总纲
                units[cur] = [line]
        elif cur is not None:
            units[cur].append(line)
    return {k: "\n".join(v) for k, v in units.items()}


def notice_units(text: str) -> dict[str, str]:
    lines = text.splitlines()
    units: dict[str, list[str]] = {"header": [], "preamble": []}
    cur = "header"
    for line in lines:
        if cur == "header" and line.strip().startswith("2025年市直机关党的建设重点工作要点"):
            units["header"].append(line)
            cur = "preamble"
            continue
        m = ITEM_RE.match(line) if cur != "header" else None
        if m:
            cur = m.group(1) or m.group(2)
            units[cur] = [line]
        elif cur != "header" and SECTION_RE.match(line):
            cur = "section"
            units.setdefault(cur, []).append(line)
        else:
            units.setdefault(cur, []).append(line)
    return {k: "\n".join(v) for k, v in units.items()}


def load_units() -> dict[str, str]:
    out: dict[str, str] = {}
    for doc_id, d in manifest().items():
        text = (CORPUS / d["file"]).read_text(encoding="utf-8")
        units = notice_units(text) if d.get("kind") == "notice" else regulation_units(text)
        for ref, body in units.items():
            out[f"{doc_id}#{ref}"] = body
    return out


def check(units: dict[str, str]) -> list[str]:
    errors: list[str] = []
    sources: dict[str, str] = {}
    seen: set[str] = set()
    squashed = {k: squash(v) for k, v in units.items()}
    for path in FILES:
        prefix = {"dev": "rd", "test": "rt", "probe": "rp", "check": "rc"}[path.stem.rsplit("-", 1)[-1]]
        if not path.exists():
            errors.append(f"{path.name}: missing")
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: bad JSON ({e})")
                continue
            rid = row.get("id", "")
            where = f"{where} {rid}"
            for field, typ in [("id", str), ("question", str), ("history", list), ("gold", list),
                               ("answerable", bool), ("must_include", list), ("category", str),
                               ("form", str), ("key", str), ("source", str),
                               ("source_answer_checked", bool)]:
                if not isinstance(row.get(field), typ):
                    errors.append(f"{where}: field {field} missing or not {typ.__name__}")
            if not rid.startswith(prefix):
                errors.append(f"{where}: id should start with {prefix}")
            if rid in seen:
                errors.append(f"{where}: duplicate id")
            seen.add(rid)
            if row.get("form") not in FORMS:
                errors.append(f"{where}: unknown form {row.get('form')}")
            if row.get("category") not in CATEGORIES:
                errors.append(f"{where}: unknown category {row.get('category')}")
            src = row.get("source", "")
            if sources.setdefault(src, path.name) != path.name:
                errors.append(f"{where}: source in both splits: {src}")
            if row.get("answerable"):
                if row.get("category") != "real_answerable":
                    errors.append(f"{where}: answerable row with category {row.get('category')}")
                golds = row.get("gold") or []
                if not golds:
                    errors.append(f"{where}: answerable without gold")
                for g in golds:
                    if g not in units:
                        errors.append(f"{where}: gold {g} not in corpus")
                if not row.get("must_include"):
                    errors.append(f"{where}: answerable without must_include")
                for phrase in row.get("must_include") or []:
                    p = squash(phrase)
                    if not any(p in squashed.get(g, "") for g in golds):
                        errors.append(f"{where}: must_include {phrase!r} not in {golds}")
            else:
                if row.get("category") == "real_answerable":
                    errors.append(f"{where}: unanswerable row with category real_answerable")
                if row.get("gold") or row.get("must_include"):
                    errors.append(f"{where}: unanswerable row has gold or must_include")
    return errors


def main(argv: list[str]) -> int:
    units = load_units()
    if argv[:1] == ["show"] and len(argv) == 3:
        print(units.get(f"{argv[1]}#{argv[2]}", "(no such unit)"))
        return 0
    if argv[:1] == ["find"] and len(argv) >= 2:
        p = squash(" ".join(argv[1:]))
        for k, v in units.items():
            if p in squash(v):
                print(k)
        return 0
    errors = check(units)
    for e in errors:
        print(e)
    total = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in FILES if p.exists())
    print(f"{total} rows checked, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
