"""Synthetic corpora and question kinds for `dangjian bench` (rag/bench.py says why they look so)."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DangjianError
from .ingest.manifest import write_entries

KINDS: dict[str, tuple[str, ...]] = {
    "reference": ("item_lookup", "article_lookup"),
    "keyword": ("keyword",),
    "paraphrase": ("paraphrase",),
    "out_of_scope": ("out_of_scope",),
    # real people's questions (eval/questions-real-*.jsonl): quiz stems with their options are long,
    # and the question encoder's time grows with the text
    "real": ("real_answerable", "real_unanswerable"),
}




_COPY_MARK = re.compile(r"（合成\d+）")


def _meta_fields(meta: Any) -> dict[str, object]:
    keys = ("doc_id", "file", "title", "doc_number", "issuer", "date", "kind", "primary", "aliases")
    return {k: getattr(meta, k) for k in keys if getattr(meta, k, None) not in (None, False)}


def _copy_text(doc: Any, copy_no: int, rng: random.Random) -> str:
    """A regulation-shaped text: the marked title, then the numbered units in shuffled order."""
    units = [u for u in doc.units if u.ref.isdigit()]
    rng.shuffle(units)
    body = "\n\n".join(f"第{u.ref}条　{u.text}" for u in units)
    return f"{doc.meta.title}（合成{copy_no}）\n\n{body}\n"


def _chunk_count(doc: Any, *, numbered_only: bool = False) -> int:
    return sum(1 + len(u.sentences) for u in doc.units if not numbered_only or u.ref.isdigit())


def synthesise(src: Path, dst: Path, chunks: int, *, seed: int = 0) -> None:
    """A corpus folder of about `chunks` chunks: shipped documents first, then shuffled copies."""
    from .corpus import load_corpus

    docs = load_corpus(src)
    dst.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    total = 0
    for doc in docs:
        if total >= chunks and entries:
            break
        shutil.copy2(src / doc.meta.file, dst / doc.meta.file)
        entries.append(_meta_fields(doc.meta))
        total += _chunk_count(doc)
    copy_no = 0
    while total < chunks:
        copy_no += 1
        rng = random.Random(seed * 100003 + copy_no)
        for doc in docs:
            if total >= chunks:
                break
            name = f"synth-{copy_no:03d}-{doc.doc_id}"
            (dst / f"{name}.txt").write_text(_copy_text(doc, copy_no, rng), encoding="utf-8")
            title = f"{doc.meta.title}（合成{copy_no}）"
            entries.append({"doc_id": name, "file": f"{name}.txt", "title": title, "kind": "regulation"})
            total += _chunk_count(doc, numbered_only=True)
    write_entries(dst, entries)


class MemoEmbedder:
    """Wraps the real embedder; texts that differ only by a copy mark are embedded once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.embedder_id: str = inner.embedder_id
        self.memo: dict[str, np.ndarray] = {}
        self.fresh = 0

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_COPY_MARK.sub("", t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.memo))
        for start in range(0, len(missing), 64):
            part = missing[start:start + 64]
            for key, vec in zip(part, self.inner.encode(part), strict=True):
                self.memo[key] = vec
            self.fresh += len(part)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[k] for k in keys]).astype(np.float32)


def questions_by_kind(files: Sequence[Path]) -> dict[str, list[str]]:
    """Questions without history from question sets (JSONL, `category` per row, the eval sets'
    format), grouped into the kinds of `KINDS` (those the files hold). The caller names the files:
    the package reads no fixed path."""
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise DangjianError(f"无法读取问题集 {path}：{err.strerror or err}"
                                "（用 --questions 指定问题集）") from err
        for line in text.splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("history"):
                continue
            for kind, cats in KINDS.items():
                if row.get("category") in cats:
                    out[kind].append(str(row["question"]))
    return {k: qs for k, qs in out.items() if qs}  # a kind the files do not hold is not timed


COLD_QUESTIONS = {"ask_ref_s": "第8条要求什么？", "ask_ref_doc_s": "党章第三十二条",
                  "ask_search_s": "怎样管理流动党员？"}
