"""Cross-document evaluation: the notice plus the real regulations in ../shared/corpus-extra.

The regulations are not part of the repository; this gate runs where shared/ is laid beside it
(developer machines and CI) and skips cleanly elsewhere.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag import evaluate as ev
from rag.ingest import add_files

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ROOT.parent / "shared" / "corpus-extra"


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Assistant:
    files = sorted(EXTRA.glob("*.txt")) if EXTRA.is_dir() else []
    if not files:
        pytest.skip("shared/corpus-extra is not available")
    root = tmp_path_factory.mktemp("extra")
    shutil.copytree(settings.corpus_dir, root / "corpus")
    results = add_files(files, root / "corpus")
    assert [r.status for r in results] == ["ok"] * len(files), [r.reason for r in results]
    return Assistant.open(replace(settings, corpus_dir=root / "corpus", index_dir=root / "index"))


def test_cross_document_set_meets_its_thresholds(multi: Assistant) -> None:
    qs = ev.load_questions(ROOT / "eval" / "questions-extra.jsonl", multi.primary.doc_id)
    results = ev.run(qs, lambda q, h: multi.ask(q, h))
    metrics = ev.aggregate(results)
    assert ev.gate(metrics, ev.load_thresholds(ROOT / "eval" / "thresholds-extra.toml")) == [], metrics


STRUCTURAL = ("item_lookup", "item_lookup_en", "multi_item", "section", "out_of_range")


def test_references_to_the_notice_are_unaffected_by_added_regulations(multi: Assistant) -> None:
    """第8条 / item 8 / 第三部分 / 第20条 still mean the notice when seven regulations are indexed.

    Free-text notice questions legitimately drift to the regulations (发展党员 → 发展党员工作细则);
    that is measured in the README, not gated here.
    """
    qs = [q for q in ev.load_questions(ROOT / "eval" / "questions.jsonl", multi.primary.doc_id)
          if q.category in STRUCTURAL]
    cats = ev.by_category(ev.run(qs, lambda q, h: multi.ask(q, h)))
    for cat in STRUCTURAL:
        assert cats[cat]["abstention_accuracy"] == 1.0, (cat, cats[cat])
        assert cats[cat]["hit_at_1"] in (None, 1.0), (cat, cats[cat])
