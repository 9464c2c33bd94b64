from __future__ import annotations

import pytest

from rag import Assistant
from rag.glossary import expand


@pytest.mark.parametrize(("question", "added"), [
    ("How should mobile party members be managed?", "流动党员"),
    ("What is said about tree planting?", "种树"),
    ("我是新任支部书记，要抓哪些工作？", "党支部"),
    ("我是新任的机关纪委书记，今年要做哪些工作？", "监督执纪"),
])
def test_expansion_appends_terms(question: str, added: str) -> None:
    out = expand(question)
    assert out.startswith(question) and added in out[len(question):]


def test_plain_chinese_question_is_unchanged() -> None:
    assert expand("流动党员怎么管理？") == "流动党员怎么管理？"


def test_new_branch_secretary_gets_branch_work(assistant: Assistant) -> None:
    ans = assistant.ask("我是新任支部书记，要抓哪些工作？")
    assert not ans.abstained and "9" in {c.ref for c in ans.citations}
    assert set(ans.retrieved[:4]) >= {"dongzhi-2025-3#8", "dongzhi-2025-3#9"}
