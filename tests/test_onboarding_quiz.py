"""应知应会 practice: over EVERY question the shipped corpus yields — one right answer in its source
sentence, not given away by the stem, distinct distractors, answers checked and explained verbatim."""

from __future__ import annotations

from collections import Counter

import pytest
from onboarding_checks import assert_passage_json, assert_verbatim

from rag.errors import InputError
from rag.onboarding import Onboarding, check, generate, question_json, quiz_round, score_json
from rag.onboarding.quiz import BLANK, Question, normalise, values


def _stem_pieces(q: Question) -> list[str]:
    return [p for p in q.stem.replace(BLANK, q.answer).split("……") if p]


def test_generator_yields_every_kind(onboarding: Onboarding) -> None:
    qs = onboarding.questions
    kinds = Counter(q.kind for q in qs)
    forms = Counter(q.form for q in qs)
    assert len(qs) >= 150 and forms["fill"] >= 80 and forms["choice"] >= 60
    assert {"period", "duration", "count", "proportion", "term"} <= set(kinds)
    assert len({q.id for q in qs}) == len(qs)


def test_every_question_has_one_answer_in_its_sentence(onboarding: Onboarding) -> None:
    for q in onboarding.questions:
        assert q.sentence.count(q.answer) == 1, q.id
        assert q.sentence in q.explanation.quoted, q.id
        assert_verbatim(q.explanation, onboarding.docs)
        if q.kind != "term":  # no other value in the sentence means the same (6个月 and 半年, 一年 and 1年)
            same = [t for k, t, _s in values(q.sentence) if normalise(k, t) == normalise(q.kind, q.answer)]
            assert same == [q.answer], (q.id, same)
        assert check(q, q.answer).correct, q.id
        assert not check(q, "").correct and not check(q, "不知道").correct, q.id


def test_no_question_gives_its_answer_away(onboarding: Onboarding) -> None:
    for q in onboarding.questions:
        assert q.stem.count(BLANK) == 1, q.id
        for piece in _stem_pieces(q):
            assert piece in q.sentence, (q.id, piece)  # the stem is the sentence's own words
        shown = q.stem.replace(BLANK, "")
        assert q.answer not in shown and not any(a in shown for a in q.accepted), q.id
        if q.kind != "term":
            assert normalise(q.kind, q.answer) not in {normalise(k, t) for k, t, _s in values(shown)}, q.id


def test_choices_have_exactly_one_right_option(onboarding: Onboarding) -> None:
    choices = [q for q in onboarding.questions if q.form == "choice"]
    assert choices
    for q in choices:
        assert 3 <= len(q.options) <= 4 and q.answer in q.options, q.id
        norms = [normalise(q.kind, o) for o in q.options]
        assert all(norms) and len(set(norms)) == len(norms), (q.id, q.options)  # distractors all differ
        right = [o for o in q.options if check(q, o).correct]
        assert right == [q.answer], (q.id, right)
        letter = "ABCD"[q.options.index(q.answer)]
        assert check(q, letter).correct and check(q, letter.lower()).correct
        for o in q.options:
            if o != q.answer:
                assert o not in q.stem, (q.id, o)


def test_questions_are_deterministic(onboarding: Onboarding) -> None:
    again = generate(onboarding.docs, onboarding.entries)
    assert [q.id for q in again] == [q.id for q in onboarding.questions]
    assert [q.options for q in again] == [q.options for q in onboarding.questions]
    one = quiz_round(onboarding.questions, 10, "42")
    assert [q.id for q in one] == [q.id for q in quiz_round(onboarding.questions, 10, "42")]
    assert [q.id for q in one] != [q.id for q in quiz_round(onboarding.questions, 10, "43")]
    assert len(one) == 10 and len({q.sentence for q in one}) == 10


def test_round_size_is_bounded(onboarding: Onboarding) -> None:
    for n in (0, 51):
        with pytest.raises(InputError, match="1 到 50"):
            quiz_round(onboarding.questions, n, 1)


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("duration", "6个月", "六个月"), ("duration", "六个月", "半年"), ("duration", "一年", "1年"),
    ("duration", "一年", "12个月"), ("duration", "二年", "两年"), ("count", "两名", "2名"),
    ("count", "三人", "3人"), ("proportion", "三分之二", "2/3"), ("proportion", "半数", "一半"),
    ("period", "每月", "每个月"), ("period", "每半年", "半年"), ("period", "每年度", "每年"),
    ("term", "“四种形态”", "四种形态"),
])
def test_normalisation(kind: str, a: str, b: str) -> None:
    assert normalise(kind, a) and normalise(kind, a) == normalise(kind, b)


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("duration", "一年", "一年半"), ("duration", "三个月", "三年"), ("period", "每月", "每年"),
    ("proportion", "三分之一", "三分之二"), ("count", "3人", "7人"),
])
def test_normalisation_keeps_different_values_apart(kind: str, a: str, b: str) -> None:
    assert normalise(kind, a) != normalise(kind, b)


def test_dates_are_not_durations() -> None:
    assert [v for v in values("本条例自2019年5月6日起施行。")] == []
    assert [t for _k, t, _s in values("党支部每半年对入党积极分子进行一次考察。")] == ["每半年"]


def test_the_examples_from_the_issue(onboarding: Onboarding) -> None:
    by_stem = {q.stem: q for q in onboarding.questions if q.form == "fill"}
    q = by_stem["预备党员的预备期为___。"]
    assert q.answer == "一年" and all(check(q, a).correct for a in ("一年", "1年", "12个月", "1"))
    q = by_stem["党支部___对入党积极分子进行一次考察。"]
    assert q.answer == "每半年" and check(q, "半年").correct and check(q, "6个月").correct
    assert not check(q, "每年").correct


def test_json_hides_answers_until_checked(onboarding: Onboarding) -> None:
    q = next(q for q in onboarding.questions if q.form == "choice")
    hidden = question_json(q)
    assert "answer" not in hidden and "explanation" not in hidden
    assert q.answer not in hidden["stem"] and hidden["options"] == list(q.options)
    shown = question_json(q, reveal=True)
    assert shown["answer"] == q.answer
    assert_passage_json(shown["explanation"], onboarding.docs)
    wrong = next(o for o in q.options if o != q.answer)
    score = score_json([check(q, q.answer), check(q, wrong)])
    assert score["score"] == 1 and score["total"] == 2 and len(score["wrong"]) == 1
    assert score["wrong"][0]["given"] == wrong and score["wrong"][0]["answer"] == q.answer
