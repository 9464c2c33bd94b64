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


@pytest.mark.parametrize(("question", "role"), [
    ("我是新任支部书记，应该先做哪些工作？", "支部书记"),
    ("党组书记的职责有哪些？", "党组书记"),
    ("作为党务干部要做什么？", "党务干部"),
])
def test_search_answers_point_to_the_checklist(assistant: Assistant, question: str, role: str) -> None:
    ans = assistant.ask(question)
    assert ans.route == "search" and not ans.abstained and ans.citations
    assert f"「{role}」的职责清单：dangjian duties {role}（网页“入门”页）" in ans.notes


def test_no_note_without_a_role(assistant: Assistant) -> None:
    assert assistant.ask("预备党员的预备期多长？").notes == ()
    assert assistant.ask("第8条要求什么？").notes == ()  # a reference route answers; no note added there
