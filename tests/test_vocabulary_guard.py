"""No eval question's wording is built into the code.

A run of four Chinese characters that occurs in any eval question (eval/*.jsonl) may appear in a
string the code uses — rag/**/*.py string constants other than docstrings, and the packaged TOML
data — only when the corpus itself uses it, or when it is listed below with the reason it is general.
The list was the state of the code when this guard was introduced (2026-12-05), less the notice's
own words, which moved into its manifest entry; it may shrink but should not grow: a new word needs
a reason that has nothing to do with a question.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CJK = re.compile(r"[\u4e00-\u9fff]{4,}")

# General question grammar: interrogative frames every set shares with everyday Chinese.
_GRAMMAR = ("什么时候 分别是什 别是什么 原因是什 因是什么 多长时间 什么要求 要求什么 怎么要求 具体规定 条要求什 几次修订 第几次修 "
            # in the code before the probe set (eval/questions-real-probe.jsonl) that also uses them
            "多少个月 是指什么 "
            # …and before the check set (eval/questions-real-check.jsonl, 2026-12-06): 下列说法正确的是,
            # the polar tail 是否正确
            "正确的是 是否正确")
# How a release note names a revised regulation (rag/ingest/meta.py: 印发了新修订的《…》).
_RELEASE = "新修订的"
# Words that point at "this document" and the 公文 header fields (GB/T 9704 element names).
_DOCUMENT = "这个文件 这份文件 份文件的 发文字号 发文机关"
# Roles named in the duty checklists (rag/onboarding/duties.toml, reviewed against the regulations).
_ROLES = ("党组书记 党委书记 纪检委员 组织委员 普通党员 新任书记 机关党支 关党支部 关党委书 关纪委书 门党组书 "
          "退休党员 哪些工作")
# Titles and wording of regulations the reviewed duty checklists cite but the corpus does not hold
# (中国共产党支部工作条例, 党组讨论和决定党员处分事项工作程序规定…).
_CHECKLISTS = ("不参加组 产党支部 党宣誓的 党支部工 党支部的 党组讨论 共产党支 支部工作 支部组织 织生活要 组讨论和 部工作条 每个季度 "
               "要转移组")  # a reviewed entry's why (外出要转移组织关系), older than the probe set
# Product text: the role answer's lead (今年要抓的重点) and the reviewed 名词解释 entry for 四强党支部
# (rag/onboarding/terms.toml). The notice's own router words now come with it (corpus/manifest.toml).
_PRODUCT = "今年要抓 四强党支 强党支部"
# The synthetic bench corpus's sample questions (rag/bench_corpus.py), not an eval set's.
_BENCH = "党章第三 章第三十 怎样管理"  # 怎样管理: there before the check set, which also uses it
ALLOWED = frozenset(" ".join([_GRAMMAR, _RELEASE, _DOCUMENT, _ROLES, _CHECKLISTS, _PRODUCT, _BENCH]).split())


def _grams(text: str) -> set[str]:
    return {run[i:i + 4] for run in _CJK.findall(text) for i in range(len(run) - 3)}


def _strings(path: Path) -> Iterator[str]:
    """String constants of a module, docstrings left out (they may quote a question as an example)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.value


def _question_grams() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                for text in [row["question"], *row.get("history", [])]:
                    for g in _grams(text):
                        out.setdefault(g, f"{path.name}:{row['id']}")
    return out


def _code_grams() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((ROOT / "rag").rglob("*.py")):
        if "eval" in path.relative_to(ROOT / "rag").parts:  # the eval tooling itself
            continue
        for text in _strings(path):
            for g in _grams(text):
                out.setdefault(g, str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "rag").rglob("*.toml")):
        for g in _grams(path.read_text(encoding="utf-8")):
            out.setdefault(g, str(path.relative_to(ROOT)))
    return out


def test_no_eval_question_wording_in_the_code() -> None:
    corpus = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt"))
    questions, code = _question_grams(), _code_grams()
    found = {g: (code[g], questions[g]) for g in code.keys() & questions.keys() if g not in corpus}
    new = {g: where for g, where in found.items() if g not in ALLOWED}
    assert not new, f"eval question wording in the code (word: (code, question)): {new}"
    stale = ALLOWED - found.keys()
    assert not stale, f"no longer needed, remove from ALLOWED: {sorted(stale)}"


def test_the_guard_catches_a_question_phrase() -> None:
    """The check itself: a 4-character run shared by a question and a code string is found."""
    questions = _question_grams()
    sample = next(g for g in sorted(questions) if g not in ALLOWED)
    assert sample in _grams(f"x{sample}y")
