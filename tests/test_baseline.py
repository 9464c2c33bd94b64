"""The naive LangChain baseline covers every document, so the ablation compares like with like."""

from __future__ import annotations

from pathlib import Path

from rag import Assistant
from rag.baseline import NaiveBaseline


def test_baseline_chunks_every_document_and_cites_real_units(assistant: Assistant, settings) -> None:  # type: ignore[no-untyped-def]
    base = NaiveBaseline(Path(settings.corpus_dir), assistant.emb)
    assert {doc_id for doc_id, _ref in base.keys} == {d.doc_id for d in assistant.index.docs}
    assert ("dangzhang-2022", "preamble") in base.keys  # 总纲
    missing = {f"{d}#{r}" for d, r in base.keys if assistant.unit(f"{d}#{r}") is None}
    assert not missing, sorted(missing)[:5]
    ans = base.ask("预备党员的预备期是多长时间？")
    assert not ans.abstained and len(ans.citations) == 3 and ans.route == "naive"
