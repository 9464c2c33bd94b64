"""The guided tour of the notice: reading order, quoted lines, the main-requirement rule."""

from __future__ import annotations

import pytest
from onboarding_checks import assert_passage_json, assert_verbatim

from rag.errors import InputError
from rag.onboarding import Onboarding, main_requirement, step, step_json

DOC = "dongzhi-2025-3"


def test_reading_order_preamble_parts_items(onboarding: Onboarding) -> None:
    steps = onboarding.steps
    assert [s.no for s in steps] == list(range(1, 27))  # 1 preamble + 6 parts + 19 items
    assert [s.kind for s in steps].count("section") == 6 and [s.kind for s in steps].count("item") == 19
    assert steps[0].kind == "preamble" and "总体要求" in steps[0].heading
    items = [s for s in steps if s.kind == "item"]
    assert [s.key for s in items] == [f"{DOC}#{n}" for n in range(1, 20)]
    # each part comes right before its items
    assert steps[1].heading.startswith("一、") and steps[2].key == f"{DOC}#1"
    assert next(s for s in steps if s.heading.startswith("六、")).no == 22 and steps[22].key == f"{DOC}#16"


def test_every_line_is_quoted(onboarding: Onboarding) -> None:
    for s in onboarding.steps:
        assert s.lines, s.no
        for p in s.lines:
            assert_verbatim(p, onboarding.docs)
        if s.kind == "item":
            title, requirement = s.lines
            assert title.text == s.heading and title.key == s.key == requirement.key
            assert requirement.text != title.text


def test_section_step_lists_its_item_titles(onboarding: Onboarding) -> None:
    part3 = next(s for s in onboarding.steps if s.heading.startswith("三、"))
    assert [p.ref for p in part3.lines] == ["7", "8", "9"]
    assert part3.lines[1].text == "深化“四强”党支部建设。"


@pytest.mark.parametrize(("ref", "starts"), [
    ("8", "进一步深化“四强”党支部创建工作"),   # the sentence that repeats the title's words
    ("9", "全覆盖、全方位、全周期严格教育管理党员"),
    ("6", "压实主管主办责任"),  # earliest of the sentences at least half as close as the best one
    ("19", "严格机关党组织按期换届"),
])
def test_main_requirement_rule(onboarding: Onboarding, ref: str, starts: str) -> None:
    unit = onboarding.docs[0].unit(ref)
    assert unit is not None and unit.sentences[main_requirement(unit)].startswith(starts)


def test_steps_link_back_and_forth(onboarding: Onboarding) -> None:
    steps = onboarding.steps
    assert steps[0].prev is None and steps[0].next == 2 and steps[-1].next is None and steps[-1].prev == 25
    assert step(steps, 12).key == f"{DOC}#8"
    for bad in (0, 27, -1):
        with pytest.raises(InputError, match="共26步"):
            step(steps, bad)


def test_step_json_shape(onboarding: Onboarding) -> None:
    data = step_json(step(onboarding.steps, 12))
    assert {"step", "total", "kind", "key", "label", "heading", "section", "lines", "open", "prev", "next"} == set(data)
    assert data["open"] == f"{DOC}#8" and data["prev"] == 11 and data["next"] == 13
    assert data["section"].startswith("三、")
    for line in data["lines"]:
        assert_passage_json(line, onboarding.docs)
