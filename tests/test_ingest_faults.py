"""Fault injection: `add`, registration (what `dangjian index` runs first) and `remove`, killed.

Each try forks a child (from a spawned helper, tests/killing.py: never the pytest process itself)
that runs the real library operation on a private corpus and dies by SIGKILL — right before or right after its N-th file-system mutation (every os.open with
O_CREAT, fsync, link, rename, replace, unlink, mkdir, rmdir, chmod: so every step boundary is
hit), or after a random delay. The parent then looks at the corpus as the user would find it:

- every file that was there before, and every file the user dropped in, has its bytes;
- the manifest lists the documents as before or as after (or, for a batch, part way), and the
  corpus loads: every listed document is answerable;
then runs the next command's recovery and checks that no temporary, journal or unlisted file is
left, then reruns the operation to completion and checks the final state.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import pytest
from killing import Killer
from test_ingest import SAMPLE_TEXT, make_docx, variant

from rag.corpus import load_corpus
from rag.ingest import add_files, read_entries, recover, register_unlisted, remove_document, unlisted_files
from rag.ingest.manifest import named_files

SHIPPED = Path(__file__).resolve().parent.parent / "corpus"
KEEP = ("notice-2025-dongzhi-3.txt", "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024.txt")
MIN_TRIES = 50
RANDOM_TRIES = 30
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

Check = Callable[[Path, dict[str, bytes]], None]


def template(base: Path) -> Path:
    """A small real corpus: the notice and one regulation, their manifest tables verbatim."""
    tpl = base / "template"
    tpl.mkdir()
    text = (SHIPPED / "manifest.toml").read_text(encoding="utf-8")
    head, *tables = re.split(r"(?m)^\[\[documents\]\]", text)
    kept = [t for t in tables if any(f'file = "{name}"' in t for name in KEEP)]
    (tpl / "manifest.toml").write_text(head + "".join("[[documents]]" + t for t in kept), encoding="utf-8")
    for name in KEEP:
        shutil.copy(SHIPPED / name, tpl / name)
    return tpl


def snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def ids(corpus: Path) -> list[str]:
    data = tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))
    return [e["doc_id"] for e in data["documents"]]


def torture(fresh: Callable[[], Path], op: Callable[[Path], object], check: Check, *, seed: int,
            random_tries: int = RANDOM_TRIES, min_tries: int = MIN_TRIES,
            warm: Callable[[], object] | None = None) -> dict[str, int]:
    """Kill `op` at every mutation (before and after it) and at random instants; `check` each time.
    `op` (and `warm`, run once in the helper first) are module-level functions or partials of them."""
    with Killer(warm) as kill:
        corpus = fresh()
        t0 = time.perf_counter()  # only to spread the random kill instants over the operation
        n = kill(partial(op, corpus))
        secs = time.perf_counter() - t0
        check(corpus, snapshot(corpus))  # the unkilled run passes the same checks
        rnd = random.Random(seed)
        points: list[dict[str, Any]] = [{"kill_at": k, "after": a}
                                        for k in range(1, n + 1) for a in (False, True)]
        randoms = max(random_tries, min_tries - len(points))
        points += [{"delay": rnd.uniform(0, secs * 1.2)} for _ in range(randoms)]
        for point in points:
            corpus = fresh()
            before = snapshot(corpus)
            kill(partial(op, corpus), **point)
            check(corpus, before)
    return {"mutations": n, "tries": len(points)}


def _add(paths: list[Path], corpus: Path) -> Any:
    return add_files(paths, corpus)


def _remove(keep_files: bool, corpus: Path) -> object:
    return remove_document(corpus, "gbk-reg", keep_files=keep_files)


def _build(index: Path, emb: Any, corpus: Path) -> object:
    from rag.index import build

    return build(corpus, index, emb)


_TOKENIZERS: dict[tuple[str, ...], Any] = {}


def _tokenizer(terms: list[str], *args: Any, **kwargs: Any) -> Any:
    """rag.index's Tokenizer, made once per term list, each text cut once: jieba's start-up and the
    BM25 counts' cutting (pure computation, no file touched) once, not per try."""
    from rag.tokenize import Tokenizer

    if tuple(terms) not in _TOKENIZERS:
        tok = Tokenizer(terms, *args, **kwargs)
        tok.tokens = lru_cache(maxsize=None)(tok.tokens)  # type: ignore[method-assign]
        _TOKENIZERS[tuple(terms)] = tok
    return _TOKENIZERS[tuple(terms)]


_DICTIONARIES: dict[str, Any] = {}


def _dictionary(folder: Path | None, recorded: object, current_sha: str) -> Any:
    """rag.index's jieba prefix dictionary, made once per process: a build reads it back from the
    previous index (0.3 s) or makes it from jieba's dict.txt (1.5 s); neither changes a file, so the
    builds here still make every mutation a real one does, at every kill point."""
    from rag.tokenize import build_dictionary

    if current_sha not in _DICTIONARIES:
        _DICTIONARIES[current_sha] = build_dictionary()
    return _DICTIONARIES[current_sha]


def _warm_tokenizers(corpus: Path, scratch: Path, emb: Any) -> None:
    """Cache the tokenizer of `corpus`'s term list and the prefix dictionary in this process (a
    build into `scratch`)."""
    import rag.index

    rag.index.Tokenizer = _tokenizer  # the helper process runs nothing but this test's builds
    rag.index.cached_dictionary = _dictionary
    rag.index.build(corpus, scratch, emb)
    shutil.rmtree(scratch)


def no_leftovers(corpus: Path, *, waiting: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """No hidden file anywhere; nothing the manifest does not name except files still to register."""
    assert [p.relative_to(corpus).as_posix() for p in corpus.rglob(".*")] == []
    assert {p.name for p in unlisted_files(corpus)} <= waiting
    named = named_files(read_entries(corpus)) | {"manifest.toml"}
    stray = [rel for rel in snapshot(corpus) if rel not in named and rel not in waiting
             and not rel.startswith("removed/") and rel != "README.md"]
    assert stray == []


def unchanged(before: dict[str, bytes], corpus: Path, *,
              except_: Callable[[str], bool] = lambda rel: False) -> None:
    now = snapshot(corpus)
    for rel, data in before.items():
        if rel != "manifest.toml" and not except_(rel):
            assert now.get(rel) == data, rel


def answerable(corpus: Path) -> list[str]:
    """The manifest's ids; every listed document loads and has numbered units."""
    listed = ids(corpus)
    docs = load_corpus(corpus)
    assert sorted(d.doc_id for d in docs) == sorted(listed) and all(d.numbered for d in docs)
    return listed


def report(name: str, stats: dict[str, int]) -> None:
    print(f"fault injection {name}: {stats}", file=sys.stderr)


def test_killed_add(tmp_path: Path) -> None:
    tpl = template(tmp_path)
    src = tmp_path / "in"
    src.mkdir()
    (src / "shequ.txt").write_text(SAMPLE_TEXT, encoding="utf-8")  # copied byte for byte
    gbk = variant("甲乙社区").encode("gbk")
    (src / "gbk-reg.txt").write_bytes(gbk)  # converted to UTF-8, original kept
    start = ids(tpl)
    final = [*start, "shequ", "gbk-reg"]

    def fresh() -> Path:
        corpus = tmp_path / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.copytree(tpl, corpus)
        return corpus

    op = partial(_add, [src / "shequ.txt", src / "gbk-reg.txt"])

    def check(corpus: Path, before: dict[str, bytes]) -> None:
        unchanged(before, corpus)
        assert answerable(corpus) in (start, [*start, "shequ"], final)
        recover(corpus)
        no_leftovers(corpus)
        assert all(r.status in ("ok", "exists") for r in op(corpus))  # the rerun is never refused
        assert ids(corpus) == final
        no_leftovers(corpus)
        assert (corpus / "shequ.txt").read_bytes() == (src / "shequ.txt").read_bytes()
        assert (corpus / "originals" / "gbk-reg.txt").read_bytes() == gbk

    stats = torture(fresh, op, check, seed=11)
    report("add", stats)
    assert stats["tries"] >= MIN_TRIES


def test_killed_registration(tmp_path: Path) -> None:
    tpl = template(tmp_path)
    docx_src = make_docx(tmp_path / "word.docx", variant("丙丁社区"))
    drops = ("shequ.txt", "word.docx", "broken.pdf")
    start = ids(tpl)
    final = [*start, "shequ", "word"]

    def fresh() -> Path:
        corpus = tmp_path / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.copytree(tpl, corpus)
        (corpus / "shequ.txt").write_text(SAMPLE_TEXT, encoding="utf-8")  # registered where it lies
        shutil.copy(docx_src, corpus / "word.docx")  # extracted to word.txt, itself the original
        (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")  # refused, stays put
        return corpus

    def check(corpus: Path, before: dict[str, bytes]) -> None:
        unchanged(before, corpus)  # includes the dropped files: never moved, never changed
        listed = answerable(corpus)
        assert listed in (start, [*start, "shequ"], final)
        recover(corpus)
        no_leftovers(corpus, waiting={"broken.pdf", *(d for d in drops if d.split(".")[0] not in listed)})
        unchanged(before, corpus)
        register_unlisted(corpus)
        assert ids(corpus) == final
        no_leftovers(corpus, waiting={"broken.pdf"})
        entries = {e["doc_id"]: e for e in read_entries(corpus)}
        assert entries["shequ"]["file"] == "shequ.txt" and entries["word"]["original"] == "word.docx"
        unchanged(before, corpus)

    stats = torture(fresh, register_unlisted, check, seed=5)
    report("registration", stats)
    assert stats["tries"] >= MIN_TRIES


@pytest.mark.parametrize("keep_files", [False, True])
def test_killed_remove(tmp_path: Path, keep_files: bool) -> None:
    tpl = template(tmp_path)
    src = tmp_path / "gbk-reg.txt"
    src.write_bytes(variant("甲乙社区").encode("gbk"))
    [res] = add_files([src], tpl)
    assert res.status == "ok" and res.original == "originals/gbk-reg.txt"
    start = ids(tpl)
    final = [i for i in start if i != "gbk-reg"]
    doc_files = ("gbk-reg.txt", "originals/gbk-reg.txt")
    originals = snapshot(tpl)

    def fresh() -> Path:
        corpus = tmp_path / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.copytree(tpl, corpus)
        return corpus

    op = partial(_remove, keep_files)

    def check(corpus: Path, before: dict[str, bytes]) -> None:
        listed = answerable(corpus)
        assert listed in (start, final)
        unchanged(before, corpus, except_=lambda rel: rel in doc_files and listed == final)
        recover(corpus)
        no_leftovers(corpus)
        if listed == start:
            unchanged(before, corpus)  # not committed: the document and its files are all there
            op(corpus)
        assert ids(corpus) == final
        no_leftovers(corpus)
        assert not any((corpus / rel).exists() for rel in doc_files)  # never re-registered
        kept = snapshot(corpus / "removed") if (corpus / "removed").is_dir() else {}
        assert kept == ({rel: originals[rel] for rel in doc_files} if keep_files else {})

    stats = torture(fresh, op, check, seed=7)
    report(f"remove keep_files={keep_files}", stats)
    assert stats["tries"] >= MIN_TRIES


def test_killed_index_build_leaves_the_last_good_index_and_no_leftovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build half of `dangjian add/index/remove`: killed while writing or swapping the folder."""
    from rag import fsutil
    from rag.config import Settings
    from rag.embed import make_embedder
    from rag.index import build, load

    monkeypatch.setattr("rag.index.Tokenizer", _tokenizer)
    monkeypatch.setattr("rag.index.cached_dictionary", _dictionary)
    corpus = template(tmp_path)
    emb = make_embedder(Settings(embed_backend="hash"))
    index = tmp_path / "ix"
    build(corpus, index, emb)  # the last good index
    (tmp_path / "shequ.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    add_files([tmp_path / "shequ.txt"], corpus)  # the corpus changes: the build has work to do
    build(corpus, tmp_path / "warm", emb)  # the new term list's tokenizer, for the checks' builds here
    shutil.rmtree(tmp_path / "warm")

    def siblings() -> list[str]:
        return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".ix."))

    def check(_corpus: Path, _before: dict[str, bytes]) -> None:
        if index.exists():  # killed anywhere: the folder is the old index or the new one, whole
            assert load(corpus, index, emb).manifest["counts"]["documents"] in (2, 3)
        else:  # killed between the two renames of the swap: the previous index waits beside it
            assert any(name.startswith(".ix.old-") for name in siblings())
        build(corpus, index, emb)  # the next command
        assert siblings() == []
        assert load(corpus, index, emb).manifest["counts"]["documents"] == 3

    stats = torture(lambda: corpus, partial(_build, index, emb), check, seed=3, random_tries=10, min_tries=0,
                    warm=partial(_warm_tokenizers, corpus, tmp_path / "warm", emb))
    report("index build", stats)
    assert stats["tries"] >= 30 and fsutil.sweep_siblings(index) == []
