"""Golden answers: the full rendered text of representative questions, reviewed on purpose."""

from __future__ import annotations

import json
from pathlib import Path

from ..pipeline import Assistant

GOLDEN_DIR = Path("tests/golden")
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "item_8": ("第8条要求什么？", ()),
    "item_19_cn": ("第十九条讲了什么", ()),
    "item_en": ("What does item 12 require?", ()),
    "section_3": ("第三部分讲什么？", ()),
    "paraphrase_mobile": ("流动党员怎么管理？", ()),
    "keyword_qifeng": ("旗峰杯党建创新大赛是什么？", ()),
    "metadata_issuer": ("这个文件是谁印发的？", ()),
    "preamble": ("总体要求是什么？", ()),
    "out_of_range": ("第20条要求什么？", ()),
    "refusal_scope": ("党费缴纳标准是多少？", ()),
    "followup_next": ("下一条呢？", ("第8条要求什么？",)),
    "followup_this": ("这一条里提到了什么品牌？", ("第12条是什么",)),
}


def render(assistant: Assistant, question: str, history: tuple[str, ...]) -> str:
    ans = assistant.ask(question, history)
    head = json.dumps({"question": question, "history": list(history), "abstained": ans.abstained,
                       "kind": ans.kind}, ensure_ascii=False)
    return f"{head}\n---\n{ans.text}\n"


def update_golden(assistant: Assistant, directory: Path = GOLDEN_DIR) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for name, (question, history) in CASES.items():
        (directory / f"{name}.txt").write_text(render(assistant, question, history), encoding="utf-8")
    return len(CASES)
