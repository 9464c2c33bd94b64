"""Duty checklists: the reviewed data resolves, every line is verbatim, frequencies come from the
quote, each role meets its minimums, the calendar sorts by frequency, exports carry the citations."""

from __future__ import annotations

import io
import re
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
from onboarding_checks import assert_passage_json, assert_verbatim

from rag.errors import CorpusError, InputError
from rag.onboarding import (
    GROUPS,
    Onboarding,
    calendar,
    checklist_json,
    frequency,
    load_checklists,
    to_docx,
    to_markdown,
)
from rag.onboarding.duties import DUTIES_PATH, MINIMUMS, frequency_rank
from rag.roles import ROLES

# Written independently of the module's patterns: what a frequency or deadline looks like.
_STATED = re.compile(r"每月|每季度|每半年|每年|[一二两三四五六七八九十\d]+个?(?:月|工作日|日|天)内|[一二三四五\d]+年内|半年内")


def test_data_file_entries_all_resolve() -> None:
    """Every entry of the reviewed file names an existing unit and exactly one of its sentences."""
    raw = tomllib.loads(DUTIES_PATH.read_text(encoding="utf-8"))["roles"]
    assert set(raw) == {r.name for r in ROLES}
    for role, groups in raw.items():
        assert set(groups) <= set(GROUPS), role
        for entries in groups.values():
            for e in entries:
                assert set(e) <= {"key", "sentence", "why"} and e["why"], e


def test_every_line_is_verbatim_with_its_citation(onboarding: Onboarding) -> None:
    for checklist in onboarding.checklists.values():
        for d in checklist.duties:
            assert_verbatim(d.passage, onboarding.docs)


def test_frequencies_are_read_from_the_quote(onboarding: Onboarding) -> None:
    shown = 0
    for checklist in onboarding.checklists.values():
        for d in checklist.duties:
            if d.frequency:
                shown += 1
                assert d.frequency in d.passage.text, (d.passage.key, d.frequency)
            else:
                assert not _STATED.search(d.passage.text), (d.passage.key, d.passage.text)
    assert shown >= 15


@pytest.mark.parametrize("role", [r.name for r in ROLES])
def test_each_role_meets_its_minimums(onboarding: Onboarding, role: str) -> None:
    checklist = onboarding.checklists[role]
    least, docs = MINIMUMS[role]
    assert len(checklist.duties) >= least and len(checklist.documents) >= docs
    assert {d.group for d in checklist.duties} == set(GROUPS), role  # every group has something


def test_branch_secretary_checklist(onboarding: Onboarding) -> None:
    """Done-when: at least 20 cited duties from at least three documents, with frequencies."""
    c = onboarding.checklist("支部书记")
    assert c.title == "支部书记（机关党支部）"
    assert len(c.duties) >= 20 and len(c.documents) >= 3
    by_key = {(d.passage.key, d.frequency) for d in c.duties}
    assert ("dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019#16", "每月") in by_key   # 主题党日
    assert ("fazhan-dangyuan-gongzuo-xize-2026#11", "每半年") in by_key         # 考察入党积极分子
    assert ("fazhan-dangyuan-gongzuo-xize-2026#7", "一个月内") in by_key        # 入党申请人谈话
    assert any(d.passage.doc_id == "dongzhi-2025-3" for d in c.group("本年度重点（要点）"))


@pytest.mark.parametrize(("name", "role"), [
    ("支部书记", "支部书记"), ("支部书记（机关党支部）", "支部书记"), ("党支部书记", "支部书记"),
    ("党组书记", "党组书记"), ("党组（党委）书记", "党组书记"), ("党组(党委)书记", "党组书记"),
    ("纪委委员", "纪委委员"), ("机关党委/纪委委员", "纪委委员"), ("纪检委员", "纪委委员"),
    ("党务干部", "党务干部"), ("党员", "党员"), ("普通党员", "党员"),
])
def test_role_names_and_short_forms(onboarding: Onboarding, name: str, role: str) -> None:
    assert onboarding.checklist(name).role == role


def test_unknown_role_names_the_choices(onboarding: Onboarding) -> None:
    with pytest.raises(InputError, match="支部书记、党组书记、纪委委员、党务干部、党员"):
        onboarding.checklist("局长")


@pytest.mark.parametrize(("text", "found"), [
    ("党支部应当每月开展1次主题党日", "每月"), ("党支部每半年对入党积极分子进行一次考察", "每半年"),
    ("党支部每年至少召开1次组织生活会", "每年"), ("在每年度向上级党组织报送", "每年"),
    ("应当在一个月内派人同入党申请人谈话", "一个月内"), ("应当在三个月内审批", "三个月内"),
    ("应当在六个月内将处分决定的执行情况", "六个月内"), ("对外出6个月以上并且没有转移组织关系", ""),
    ("限期改正时间不超过1年", ""), ("党支部应当及时讨论其能否转为正式党员", ""),
])
def test_frequency_regex(text: str, found: str) -> None:
    assert frequency(text) == found


def test_calendar_order(onboarding: Onboarding) -> None:
    for checklist in onboarding.checklists.values():
        ranks = [d.rank for _when, ds in calendar(checklist) for d in ds]
        assert ranks == sorted(ranks)
        assert sum(len(ds) for _w, ds in calendar(checklist)) == len(checklist.duties)
    heads = [w for w, _ds in calendar(onboarding.checklist("支部书记"))]
    assert heads == ["每月", "每半年", "每年", "限期办理", "未写明时间"]
    assert frequency_rank("每季度") < frequency_rank("每半年") < frequency_rank("一个月内") < frequency_rank("三个月内")


def test_checklist_json_shape(onboarding: Onboarding) -> None:
    data = checklist_json(onboarding.checklist("支部书记"), onboarding.titles)
    assert data["role"] == "支部书记" and data["count"] == len(onboarding.checklist("支部书记").duties)
    assert [g["group"] for g in data["groups"]] == list(GROUPS)
    assert sum(len(g["duties"]) for g in data["groups"]) == sum(len(c["duties"]) for c in data["calendar"])
    assert all(d["title"] for d in data["documents"])
    for g in data["groups"]:
        for duty in g["duties"]:
            assert {"group", "key", "label", "marker", "text", "frequency", "why", "citations"} == set(duty)
            assert_passage_json(duty, onboarding.docs)


def test_bad_data_files_are_refused(onboarding: Onboarding, tmp_path: Path) -> None:
    cases = {
        'key = "dangzhang-2022#999"\nsentence = 0': "不存在",
        'key = "dangzhang-2022#7"\nsentence = "不存在的句子"': "0 个",
        'key = "dangzhang-2022#7"\nsentence = 42': "没有第 42 句",
    }
    for body, message in cases.items():
        bad = tmp_path / "duties.toml"
        bad.write_text(f'[[roles."党员"."组织生活"]]\n{body}\nwhy = "x"\n', encoding="utf-8")
        with pytest.raises(CorpusError, match=message):
            load_checklists(onboarding.docs, bad)
    bad.write_text('[[roles."局长"."组织生活"]]\nkey = "dangzhang-2022#7"\nsentence = 0\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="未知角色"):
        load_checklists(onboarding.docs, bad)


def test_markdown_export(onboarding: Onboarding) -> None:
    c = onboarding.checklist("支部书记")
    md = to_markdown(c, onboarding.titles, today=date(2025, 4, 1))
    assert md.startswith("# 支部书记（机关党支部）职责清单\n") and "生成日期：2025-04-01" in md
    assert all(f"## {g}" in md for g in GROUPS) and "## 出处文件" in md
    for d in c.duties:
        assert d.passage.text + d.passage.marker in md
    assert "《中国共产党发展党员工作细则》（fazhan-dangyuan-gongzuo-xize-2026）" in md


def test_docx_export_reads_back(onboarding: Onboarding) -> None:
    import docx  # python-docx: a base dependency since Word export is on the page

    c = onboarding.checklist("党组书记")
    data = to_docx(c, onboarding.titles, today=date(2025, 4, 1))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "党组（党委）书记职责清单" in text and "2025-04-01" in text and "出处文件" in text
    for d in c.duties:
        assert d.passage.text in text and d.passage.marker in text


def test_docx_without_python_docx_says_how_to_install(onboarding: Onboarding,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docx", None)  # as if python-docx were not installed
    with pytest.raises(InputError, match="python-docx"):
        to_docx(onboarding.checklist("党员"), onboarding.titles)
