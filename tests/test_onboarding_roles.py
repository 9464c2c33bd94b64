"""Roles named in questions: the search route adds a note pointing to that role's duty checklist."""

from __future__ import annotations

import pytest

from rag import Assistant
from rag.roles import ROLES, resolve_role, role_in_question


@pytest.mark.parametrize(("question", "role"), [
    ("我是新任支部书记，应该先做哪些工作？", "支部书记"),
    ("刚接手党支部书记这个岗位，今年支部工作该从哪些方面抓起？", "支部书记"),
    ("党组书记的职责", "党组书记"),
    ("党组（党委）书记要负什么责任？", "党组书记"),
    ("作为党务干部要做什么", "党务干部"),
    ("纪检委员平时做什么？", "纪委委员"),
    ("机关党委书记由谁担任？", "纪委委员"),  # 机关党委书记 is not 党委书记 (the longest name wins)
    ("作为一名党员要做什么", "党员"),
    ("我是普通党员，要参加哪些组织生活？", "党员"),
    ("预备党员的预备期多长？", None),  # 党员 inside 预备党员 is not the asker's role
    ("党员大会多久开一次？", None),
    ("我是党员领导干部，要参加什么组织生活？", None),
    ("第8条要求什么？", None),
])
def test_role_in_question(question: str, role: str | None) -> None:
    assert role_in_question(question) == role


def test_every_alias_resolves_to_its_role() -> None:
    for r in ROLES:
        assert resolve_role(r.name) == r.name and resolve_role(r.title) == r.name
        assert all(resolve_role(a) == r.name for a in r.aliases)
    assert resolve_role("局长") is None


@pytest.mark.parametrize(("question", "role", "route"), [
    ("我是新任支部书记，应该先做哪些工作？", "支部书记", "role_duties"),
    ("党组书记的职责有哪些？", "党组书记", "role_duties"),
    ("作为党务干部要做什么？", "党务干部", "role_duties"),
    ("新任支部书记怎么做好党员的日常管理？", "支部书记", "search"),
])
def test_answers_about_a_role_point_to_the_checklist(assistant: Assistant, question: str, role: str,
                                                     route: str) -> None:
    ans = assistant.ask(question)
    assert ans.route == route and not ans.abstained and ans.citations
    assert f"「{role}」的职责清单：dangjian duties {role}（网页“入门”页）" in ans.notes


def test_a_new_secretary_gets_the_items_the_reviewed_table_assigns() -> None:
    """The chat answer to 我是新任支部书记，要抓哪些工作？ is the table's 本年度重点 group, not a guess:
    三会一课 and 主题党日 (第4条), 四强党支部 (第8条), 党员教育管理 (第9条)."""
    from rag.roles import focus_entries

    keys = [k for k, _s in focus_entries("支部书记")]
    assert {"dongzhi-2025-3#4", "dongzhi-2025-3#8", "dongzhi-2025-3#9"} <= set(keys)


def test_no_note_without_a_role(assistant: Assistant) -> None:
    assert assistant.ask("预备党员的预备期多长？").notes == ()
    assert assistant.ask("第8条要求什么？").notes == ()  # a reference route answers; no note added there
