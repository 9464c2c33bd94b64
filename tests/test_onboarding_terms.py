"""The glossary: every shown sentence is verbatim; "defined" entries really define; the rest say so."""

from __future__ import annotations

import re

import pytest
from onboarding_checks import assert_passage_json, assert_verbatim

from rag.errors import InputError
from rag.onboarding import NOT_DEFINED, Onboarding, entry_json, lookup
from rag.onboarding.terms import defines, plain

# Written apart from the module's rules: what a defining sentence looks like.
_DEFINING_WORDS = ("是指", "是", "包括", "分为", "：")


def test_at_least_25_terms_all_found_in_the_corpus(onboarding: Onboarding) -> None:
    entries = onboarding.entries
    assert len(entries) >= 25
    assert len({e.term for e in entries}) == len(entries)
    for e in entries:
        assert e.lines, f"{e.term} 不在已收录文件中"
    for term in ("四强党支部", "第一议题", "三会一课", "主题党日", "五学联动", "双报到", "流动党员", "四种形态",
                 "民主生活会", "组织生活会", "预备党员", "入党积极分子", "发展对象"):
        assert lookup(entries, term).term == term


def test_every_shown_sentence_is_verbatim_and_names_the_term(onboarding: Onboarding) -> None:
    for e in onboarding.entries:
        names = [plain(n) for n in (e.term, *e.aliases)]
        for p in e.lines:
            assert_verbatim(p, onboarding.docs)
            assert any(n in plain(p.text) for n in names), (e.term, p.text)


def test_defined_entries_contain_a_defining_sentence(onboarding: Onboarding) -> None:
    defined = [e for e in onboarding.entries if e.defined]
    assert len(defined) >= 10
    for e in defined:
        assert e.note == ""
        for p in e.lines:
            sentence = next(s for s in p.quoted if any(plain(n) in plain(s) for n in (e.term, *e.aliases)))
            s = plain(sentence)
            name = next(plain(n) for n in (e.term, *e.aliases) if plain(n) in s)
            after = s[s.index(name) + len(name):]
            assert s.index(name) <= 5 or s.endswith("："), (e.term, sentence)  # the term leads the sentence
            assert any(w in after[:12] for w in _DEFINING_WORDS), (e.term, sentence)


def test_undefined_entries_say_so_and_show_first_uses(onboarding: Onboarding) -> None:
    undefined = [e for e in onboarding.entries if not e.defined]
    assert undefined
    for e in undefined:
        assert e.note == NOT_DEFINED
        assert len({p.doc_id for p in e.lines}) == len(e.lines)  # one first use per document
    # the notice is read first: 四强党支部 is first used in 第8条 (its title)
    four = lookup(onboarding.entries, "四强党支部")
    assert four.lines[0].key == "dongzhi-2025-3#8" and four.lines[0].text == "深化“四强”党支部建设。"


@pytest.mark.parametrize(("sentence", "term", "lead", "expected"), [
    ("党支部是党的基础组织，担负直接教育党员的职责。", "党支部", False, True),
    ("党员组织关系是指党员对党的基层组织的隶属关系。", "党员组织关系", False, True),
    ("留党察看处分，分为留党察看一年、留党察看二年。", "留党察看", False, True),
    ("政治审查的主要内容是：坚定马克思主义信仰", "政治审查", False, True),
    ("对党员的纪律处分种类：", "纪律处分", True, True),
    ("对党员的纪律处分种类：", "纪律处分", False, False),  # a lead counts only when a list follows
    ("党支部应当每月开展1次主题党日。", "主题党日", False, False),
    ("落实“三会一课”制度。", "三会一课", False, False),
    ("预备党员的预备期为一年。", "预备期", False, False),
])
def test_defining_rules(sentence: str, term: str, lead: bool, expected: bool) -> None:
    assert defines(sentence, term, is_lead=lead) is expected


def test_lookup_ignores_quotes_and_suggests(onboarding: Onboarding) -> None:
    assert lookup(onboarding.entries, "“四种形态”").term == "四种形态"
    assert lookup(onboarding.entries, "党员组织关系").term == "组织关系"
    with pytest.raises(InputError, match="相近的词条：四强党支部"):
        lookup(onboarding.entries, "四强")
    with pytest.raises(InputError, match=re.escape("dangjian glossary")):
        lookup(onboarding.entries, "护照")


def test_entry_json_shape(onboarding: Onboarding) -> None:
    for e in onboarding.entries:
        data = entry_json(e)
        assert set(data) == {"term", "aliases", "defined", "note", "lines"}
        for line in data["lines"]:
            assert_passage_json(line, onboarding.docs)
