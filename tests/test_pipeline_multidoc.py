"""Questions across documents: the notice plus a self-written regulation (tests/data)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.assistant import open_assistant

DATA = Path(__file__).resolve().parent / "data"
REG = "shequ"
REG_TITLE = "中国共产党示范社区党建工作条例"
CITED = "整治形式主义为基层减负若干规定"


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Assistant:
    root = tmp_path_factory.mktemp("multi")
    corpus = root / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    shutil.copy(DATA / "sample-regulation.txt", corpus / "shequ.txt")
    # the same made-up text filed under a title the notice cites, to test linking cited documents
    shutil.copy(DATA / "sample-regulation.txt", corpus / "jianfu.txt")
    trial = (DATA / "sample-regulation.txt").read_text(encoding="utf-8").replace("示范社区", "示范社区（试行）", 1)
    (corpus / "shequ-trial.txt").write_text(trial, encoding="utf-8")
    with open(corpus / "manifest.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[[documents]]\ndoc_id = "{REG}"\nfile = "shequ.txt"\ntitle = "{REG_TITLE}"\n'
                'kind = "regulation"\n')
        f.write(f'\n[[documents]]\ndoc_id = "shequ-trial"\nfile = "shequ-trial.txt"\n'
                f'title = "{REG_TITLE}（试行）"\nkind = "regulation"\n')
        f.write(f'\n[[documents]]\ndoc_id = "jianfu"\nfile = "jianfu.txt"\ntitle = "{CITED}"\n'
                'kind = "regulation"\n')
    return open_assistant(replace(settings, corpus_dir=corpus, index_dir=root / "index", embed_backend="hash"), build_if_missing=True)


def refs(ans) -> list[str]:  # type: ignore[no-untyped-def]
    return list(dict.fromkeys(f"{c.doc_id}#{c.ref}" for c in ans.citations))


@pytest.mark.parametrize("question", [
    f"《{REG_TITLE}》第二条怎么说", f"{REG_TITLE}第2条", "中国共产党示范社区党建工作条例第二条讲什么",
])
def test_article_lookup_names_the_document(multi: Assistant, question: str) -> None:
    ans = multi.ask(question)
    assert refs(ans) == [f"{REG}#2"] and f"〔《{REG_TITLE}》第二条〕" in ans.text


def test_bare_item_still_means_the_primary_notice(multi: Assistant) -> None:
    assert refs(multi.ask("第8条要求什么？")) == ["dongzhi-2025-3#8"]
    assert refs(multi.ask("要点第8条")) == ["dongzhi-2025-3#8"]


def test_follow_ups_stay_in_the_document_of_the_conversation(multi: Assistant) -> None:
    assert refs(multi.ask("下一条", [f"{REG_TITLE}第二条"])) == [f"{REG}#3"]
    assert refs(multi.ask("那第一条呢", [f"{REG_TITLE}第二条"])) == [f"{REG}#1"]


def test_out_of_range_is_judged_per_document(multi: Assistant) -> None:
    n = len(multi.catalog.find(REG_TITLE).numbered)  # type: ignore[union-attr]
    ans = multi.ask(f"{REG_TITLE}第{n + 1}条")
    assert ans.abstained and f"共{n}条" in ans.text and REG_TITLE in ans.text


def test_unknown_and_ambiguous_document_names(multi: Assistant) -> None:
    ans = multi.ask("问责条例第七条")
    assert ans.abstained and "《问责条例》未收录" in ans.text and not ans.citations
    assert ans.route == "unresolved_document"
    ans = multi.ask("示范社区党建工作条例第二条")  # names both the regulation and its trial version
    assert ans.abstained and "可能指多份文件" in ans.text and f"{REG_TITLE}（试行）" in ans.text
    assert refs(multi.ask("那第二条呢", [f"《{REG_TITLE}（试行）》第一条"])) == ["shequ-trial#2"]


def test_a_cited_document_in_the_corpus_is_linked(multi: Assistant) -> None:
    ans = multi.ask(f"哪些条引用了《{CITED}》？")
    assert refs(ans) == ["dongzhi-2025-3#10"] and "全文已收录" in ans.text
    assert refs(multi.ask(f"《{CITED}》第二条")) == ["jianfu#2"]


@pytest.mark.parametrize(("question", "quoted"), [
    (f"{REG_TITLE}什么时候发布的", "2021年2月20日中共中央发布"),
    (f"{REG_TITLE}是谁印发的", "中共中央发布"),
])
def test_metadata_of_another_document_is_quoted_from_its_lead(multi: Assistant, question: str, quoted: str) -> None:
    ans = multi.ask(question)
    assert ans.kind == "metadata" and not ans.abstained and quoted in ans.text
    assert all(c.doc_id == REG and c.ref == "lead" for c in ans.citations)


def test_effective_date_is_quoted_from_the_article_that_says_it(multi: Assistant) -> None:
    ans = multi.ask(f"{REG_TITLE}什么时候施行")
    assert ans.kind == "metadata" and ans.citations and "施行" in ans.citations[0].quote
    assert ans.citations[0].ref.isdigit()
