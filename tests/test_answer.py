"""Composers: enumerations are one unit of meaning, over every list in the shipped corpus."""

from __future__ import annotations

import pytest

from rag import Assistant
from rag import answer as compose
from rag.records import Unit


def _lists(assistant: Assistant) -> list[tuple[str, Unit, range]]:
    return [(d.meta.title, u, r) for d in assistant.index.docs for u in d.units for r in compose.enumerations(u)]


def test_the_corpus_has_lists_to_check(assistant: Assistant) -> None:
    found = _lists(assistant)
    assert len(found) >= 40  # 党章, 纪律处分条例 … hold 45 （一）…（N） lists
    assert any(u.doc_id == "jilv-chufen-tiaoli-2023" and u.ref == "9" for _t, u, _r in found)


def test_quoting_any_sentence_of_a_list_keeps_lead_and_items(assistant: Assistant) -> None:
    for _title, unit, rng in _lists(assistant):
        whole = sum(len(unit.sentences[n]) for n in rng) <= compose.WHOLE_LIST_CHARS
        for n in rng:
            out = compose.with_enumerations(unit, [n])
            shown = {s for s in out if s is not None}
            assert rng[0] in shown, (unit.key, n)  # never an item without its lead
            assert shown & set(rng[1:]), (unit.key, n)  # never a lead alone
            if whole:
                assert set(rng) <= shown, (unit.key, n)
            else:
                assert None in out or set(rng) <= shown, (unit.key, n)  # a cut list says so: ……


def test_gap_marks_stand_between_quoted_sentences() -> None:
    unit = Unit(doc_id="d", ref="1", kind="article", label="第一条", title="t", text="", sentences=(
        "有下列情形之一的，给予处分：", *(f"（{c}）情形{c}{'很长' * 200}；" for c in "一二三四五"), "其他。"))
    assert compose.with_enumerations(unit, [4]) == (0, None, 4, None)  # lead …… （四） ……
    assert compose.with_enumerations(unit, [1, 2]) == (0, 1, 2, None)


def test_reference_answers_quote_every_list_whole(assistant: Assistant) -> None:
    """《X》第N条 shows each （一）…（N） item of the article, verbatim, under its lead."""
    checked = 0
    for title, unit, rng in _lists(assistant):
        if unit.kind != "article":
            continue
        ans = assistant.ask(f"《{title}》{unit.label}")
        assert ans.route == "reference" and not ans.abstained, unit.key
        for n in rng:
            assert unit.sentences[n] in ans.text, (unit.key, n)
        checked += 1
    assert checked >= 35


@pytest.mark.parametrize(("question", "first", "last"), [
    ("纪律处分条例第九条", "可以予以：", "（二）解散。"),
    ("党员有哪些义务？", "党员必须履行下列义务：", "（八）"),
])
def test_enumeration_answers_reach_the_last_item(assistant: Assistant, question: str, first: str, last: str) -> None:
    text = assistant.ask(question).text
    assert first in text and last in text
