"""Document-aware ranking (rag/search.py): what the re-ranking reads, on the shipped corpus."""

from __future__ import annotations

from rag import Assistant
from rag.ranking import DEFAULT, RankSettings
from rag.records import Hit
from rag.search import rank_documents

_ranking_strength = DEFAULT.ranking_strength

# Two articles of one regulation, so neither gets the primary document's edge.
A, B = ("jilv-chufen-tiaoli-2023", "97"), ("jilv-chufen-tiaoli-2023", "98")


def _hit(unit: tuple[str, str], dense: float, unit_dense: float | None, *, coverage: float = 0.5,
         topic: float | None = None) -> Hit:
    return Hit(doc_id=unit[0], ref=unit[1], score=0.01, dense=dense, unit_dense=unit_dense, coverage=coverage,
               topic_coverage=topic)


def test_ranking_reads_part_of_the_dense_term_from_the_units_own_vector() -> None:
    one_sentence = _hit(A, dense=0.80, unit_dense=0.50)  # one sentence reads like the question
    whole_unit = _hit(B, dense=0.78, unit_dense=0.76)  # the article as a whole is about it
    assert one_sentence.strength > whole_unit.strength  # abstention's signal is unchanged…
    assert _ranking_strength(whole_unit) > _ranking_strength(one_sentence)  # …the ranking's is not
    assert _ranking_strength(one_sentence) == one_sentence.strength - DEFAULT.unit_meaning * 0.30


def test_ranking_reads_the_coverage_of_the_topic_abstention_that_of_every_token() -> None:
    """A unit that shares only the question's 可以 with it loses that coverage in the ranking."""
    says_keyi = _hit(A, dense=0.7, unit_dense=0.7, coverage=0.6, topic=0.3)
    on_topic = _hit(B, dense=0.7, unit_dense=0.7, coverage=0.5, topic=0.6)
    assert says_keyi.strength > on_topic.strength
    assert _ranking_strength(on_topic) > _ranking_strength(says_keyi)
    assert _ranking_strength(on_topic) == on_topic.strength + DEFAULT.coverage_weight * 0.1


def test_a_hit_without_the_units_own_score_ranks_on_its_strength() -> None:
    hit = _hit(A, dense=0.8, unit_dense=None)
    assert _ranking_strength(hit) == hit.strength


def test_rank_documents_orders_by_the_ranking_strength(assistant: Assistant) -> None:
    q = assistant.understand("收了别人送的东西怎么处理")  # no figure, list or claim: no shape bonus
    hits = (_hit(A, dense=0.80, unit_dense=0.50), _hit(B, dense=0.78, unit_dense=0.76))
    assert [h.key for h in rank_documents(hits, q, assistant.ctx)] == [hits[1].key, hits[0].key]
    flat = tuple(_hit((h.doc_id, h.ref), h.dense, None) for h in hits)
    assert [h.key for h in rank_documents(flat, q, assistant.ctx)] == [hits[0].key, hits[1].key]


def test_a_configuration_changes_the_ranking_without_patching(assistant: Assistant) -> None:
    """An ablation is a `RankSettings`, carried by the context: with no weight on the unit's own
    vector, the article whose one sentence reads like the question leads again."""
    from dataclasses import replace

    q = assistant.understand("收了别人送的东西怎么处理")
    hits = (_hit(A, dense=0.80, unit_dense=0.50), _hit(B, dense=0.78, unit_dense=0.76))
    sentence_only = replace(assistant.ctx, ranking=RankSettings(unit_meaning=0.0))
    assert [h.key for h in rank_documents(hits, q, sentence_only)] == [hits[0].key, hits[1].key]
    assert [h.key for h in rank_documents(hits, q, assistant.ctx)] == [hits[1].key, hits[0].key]
    assert assistant.ranking == DEFAULT  # the shared context is untouched


def test_without_document_aware_ranking_the_fused_order_stands(assistant: Assistant) -> None:
    fused = assistant.configured(RankSettings(doc_aware=False)).search("党员有哪些权利？")
    from rag.retrieve import search

    signals = search(assistant.index, assistant.emb, assistant.understand("党员有哪些权利？").text).hits
    assert [h.key for h in fused] == [h.key for h in signals]
    assert [h.key for h in assistant.search("党员有哪些权利？")] != [h.key for h in fused]


def test_each_ablation_names_what_it_changes() -> None:
    from rag.eval.ablation import CONFIGS

    assert [c.name for c in CONFIGS][0] == "full" and CONFIGS[0].changes() == ""
    assert {c.name: c.changes() for c in CONFIGS[1:]} == {
        "no_doc_aware": "doc_aware=False", "no_refs": "use_refs=False", "bm25": "mode='bm25'",
        "dense": "mode='dense'"}
    assert RankSettings(window=20).changes() == {"window": 20}


def test_a_number_question_is_not_stated_when_no_quoted_sentence_states_a_figure(assistant: Assistant) -> None:
    """A quote's gaps in an enumeration (None) are not the figure sentence that was not found."""
    from rag.answer import Quote
    from rag.figures import not_stated
    from rag.search import asks

    q = assistant.understand("党组织发展党员的名额每年是几名？")
    figure = asks(assistant.ctx, q).figure
    assert figure is not None
    doc, unit = assistant.unit("dongzhi-2025-3#9") or (None, None)
    assert doc is not None and unit is not None
    gapped = Quote(doc, unit, (0, None, 1))
    assert not_stated(figure, q, [gapped], DEFAULT).endswith("的具体数字或期限")



def test_within_one_named_document_a_question_in_own_words_is_ordered_by_strength(assistant: Assistant) -> None:
    """Free wording in one named document is ranked as across documents (`rank_documents`)."""
    from rag.search import rank_documents, ranked, signals

    q = assistant.understand("厉行节约反对浪费条例适用于哪些单位")
    docs = [d.doc_id for d in q.named]
    assert docs == ["lijie-jieyue-fandui-langfei-tiaoli-2025"]
    assert ranked(assistant.ctx, q, docs=docs) == rank_documents(signals(assistant.ctx, q, docs=docs), q,
                                                                  assistant.ctx)


def test_a_text_asking_two_questions_quotes_a_sentence_for_each(assistant: Assistant) -> None:
    ans = assistant.ask("什么是党员组织关系？什么情况下应当转移组织关系？")
    assert "党员组织关系是指党员对党的基层组织的隶属关系" in ans.text
    assert "应当转移组织关系" in ans.text


def test_a_how_often_question_is_not_answered_by_a_figure_of_something_else_its_subject_does(
        assistant: Assistant) -> None:
    """党支部每半年对入党积极分子进行一次考察 gives how often 党支部 does something else: a term (换届)
    is said by 每届任期… or by how often an electing congress is held. 党的支部委员会 is the 党支部's
    committee (`without_de`), so its term answers; the refusal names both the body and what is asked."""
    line = first_line(assistant, "党支部多久换届")
    assert "每半年" not in line and line.startswith("党的支部委员会和不设支部委员会的支部书记、副书记，每届任期一般为3年")
    assert "每届任期一般为3年" in first_line(assistant, "党总支多久换届一次")  # 党的总支部委员会…
    ans = assistant.ask("党小组多久换届")  # no term is set for a 党小组
    assert ans.abstained and "“党小组换届”的具体数字或期限" in ans.text
    assert "每届任期三年至五年" in first_line(assistant, "支部委员会多久换届一次")
    assert "每五年举行一次" in first_line(assistant, "党的全国代表大会多久换届一次")


def first_line(assistant: Assistant, question: str) -> str:
    return assistant.ask(question).text.splitlines()[0]


def test_the_party_s_bodies_are_read_also_without_the_de_of_dang_de() -> None:
    from rag.figures import covers, without_de

    assert without_de("党的总支部委员会由党员大会选举产生") == "党总支部委员会由党员大会选举产生"
    assert covers({"党总支": 1.0}, "党的总支部委员会") == 1.0 and covers({"党委": 1.0}, "党的委员会") == 1.0
    assert covers({"党纪": 1.0}, "违反党的纪律") == 1.0 and covers({"党纪": 1.0}, "纪律处分") == 0.0


def test_a_list_question_for_kinds_is_given_a_list_of_kinds(assistant: Assistant) -> None:
    """党的纪律处分有哪几种: 纪律处分条例第四条's list of principles (党的纪律处分工作应当坚持以下原则：)
    holds all its words but names no kinds; the lead that does (…纪律处分种类：) is the list asked for."""
    from rag.search import _names_kinds, asks, rank_documents, signals

    assert not _names_kinds("党的纪律处分有哪几种", "党的纪律处分工作应当坚持以下原则：")
    assert _names_kinds("党的纪律处分有哪几种", "对党员的纪律处分种类：")
    assert _names_kinds("党员有哪些权利", "党员享有下列权利：")  # not asked for kinds: any lead
    q = assistant.understand("党的纪律处分有哪几种？")
    assert asks(assistant.ctx, q).list_words is not None
    order = [h.key for h in rank_documents(signals(assistant.ctx, q), q, assistant.ctx)]
    # the principles no longer lead; 党章第四十一条 (对党员的纪律处分有五种) is among the first two
    assert order[0] != "jilv-chufen-tiaoli-2023#4" and "dangzhang-2022#41" in order[:2]


def test_a_question_closing_with_a_span_of_time_asks_for_one(assistant: Assistant) -> None:
    """…有效期, …期限: a figure is asked for, so a rule that states none does not answer it; a
    question that only names what it asks for is quoted whole in the refusal."""
    from rag.forms import figure_kind, form_of

    assert form_of("党员组织关系介绍信有效期").asks_number and figure_kind("留党察看的期限") == "time"
    ans = assistant.ask("党员组织关系介绍信有效期")
    assert ans.abstained and "“党员组织关系介绍信有效期”的具体数字或期限" in ans.text
    assert first_line(assistant, "留党察看的期限").startswith("留党察看期限最长不得超过二年")
    # a question with an interrogative is not quoted whole (今年的主题党日具体安排在哪一天)
    asked = assistant.ask("党员交费基数怎么算")
    assert asked.abstained and "“" not in asked.text.splitlines()[0]


def test_what_a_term_the_regulations_use_is_is_not_asked_of_the_notice(assistant: Assistant) -> None:
    """The notice's edge (it is what the deployment is about) is not given to a what-is question
    whose term the regulations use too: a work plan sets tasks, it does not define 三会一课."""
    from rag.search import rank_documents, signals

    def first(question: str) -> str:
        q = assistant.understand(question)
        return rank_documents(signals(assistant.ctx, q), q, assistant.ctx)[0].key

    assert first("三会一课是什么").startswith("dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019#")
    assert first("什么是流动党员").startswith("dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019#")
    # a term only the notice uses keeps it
    assert first("什么是四强党支部") == "dongzhi-2025-3#8"
