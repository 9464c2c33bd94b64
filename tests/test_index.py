from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag import fsutil
from rag import index as idx
from rag.chunking import embed_text
from rag.embed import HashEmbedder, USEEmbedder
from rag.errors import IndexError_
from rag.glossary import expand
from rag.ranking import DEFAULT
from rag.retrieve import EXACT_FILL, top_units, unit_scores
from rag.stores.recall import tie_aware_recall
from rag.tokenize import Dictionary, Tokenizer, build_dictionary


@pytest.fixture()
def built(hash_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the hash-embedded index of the shipped corpus (rebuilds reuse its vectors)."""
    shutil.copytree(hash_index / "corpus", tmp_path / "corpus")
    shutil.copytree(hash_index / "index", tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


class _Counting(HashEmbedder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().encode(texts)


class _Exploding(HashEmbedder):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model crashed mid-build")


def test_round_trip_with_the_default_model(corpus_copy: Path, tmp_path: Path) -> None:
    emb = USEEmbedder()
    built = idx.build(corpus_copy, tmp_path / "index", emb)
    loaded = idx.load(corpus_copy, tmp_path / "index", emb)
    assert len(loaded.chunks) == len(built.chunks) == loaded.dense.ntotal
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"] == emb.embedder_id and manifest["dim"] == 512
    assert manifest["dense"] == {"store": "flat"}  # the shipped corpus is far below the IVF size
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == sorted(idx.FILES)
    _sims, rows = loaded.dense.search(emb.encode(["深化四强党支部建设"])[0], 3)
    assert loaded.chunks[int(rows[0])].key == "dongzhi-2025-3#8"


def test_no_pickle_anywhere(built: tuple[Path, Path]) -> None:
    _c, index_dir = built
    for path in index_dir.iterdir():
        assert not path.read_bytes().startswith(b"\x80"), path  # a pickle stream's first byte
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object


def test_load_is_lazy_and_parts_load_on_first_use(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    loaded = idx.load(corpus, index_dir, HashEmbedder())
    assert len(loaded.docs) == 8 and loaded.primary.doc_id == "dongzhi-2025-3"
    assert not any(loaded.loaded(p) for p in ("chunks", "dense", "bm25", "tokenizer", "layout"))
    assert loaded.tokenizer.tokens("流动党员管理") and loaded.loaded("tokenizer")
    assert not loaded.loaded("dense")


def test_current_index_is_not_stale(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    assert idx.staleness(index_dir, corpus, HashEmbedder()) == ""


def test_corpus_change_triggers_rebuild(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    notice = corpus / "notice-2025-dongzhi-3.txt"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    messages: list[str] = []
    idx.open_index(corpus, index_dir, HashEmbedder(), notify=messages.append)
    assert messages == ["语料已变更，正在重建索引"]
    assert idx.staleness(index_dir, corpus, HashEmbedder()) == ""


class _OtherEmbeddings(HashEmbedder):
    embedder_id = "hash:other"


def test_embedder_change_triggers_rebuild_and_reuses_no_vectors(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    assert "向量模型已变更" in idx.staleness(index_dir, corpus, _OtherEmbeddings())
    other = _OtherEmbeddings()
    assert idx.build(corpus, index_dir, other).manifest["vectors"]["reused"] == 0


def test_rebuild_of_an_unchanged_corpus_embeds_nothing(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    before = np.load(index_dir / "vectors.npy")
    seen: list[tuple[str, int, int]] = []
    again = idx.build(corpus, index_dir, _Exploding(), lambda *a: seen.append(a))  # would raise if asked
    assert again.manifest["vectors"]["embedded"] == 0 and ("embed", 0, 0) in seen
    assert np.array_equal(np.load(index_dir / "vectors.npy"), before)


def test_adding_a_document_embeds_only_its_new_texts(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    manifest = (corpus / "manifest.toml").read_text(encoding="utf-8")
    blocks = manifest.split("[[documents]]")
    held = next(b for b in blocks if "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024" in b)
    kept = "[[documents]]".join(b for b in blocks if b is not held)
    (corpus / "manifest.toml").write_text(kept, encoding="utf-8")
    without = idx.build(corpus, index_dir, HashEmbedder())
    (corpus / "manifest.toml").write_text(manifest, encoding="utf-8")
    counting = _Counting()
    full = idx.build(corpus, index_dir, counting)
    known = {embed_text(c) for c in without.chunks}
    new = {embed_text(c) for c in full.chunks if c.doc_id == "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024"}
    assert sorted(counting.seen) == sorted(new - known) and len(counting.seen) > 50
    assert full.manifest["vectors"]["embedded"] == len(counting.seen)


def test_truncated_vectors_file_is_a_clear_error(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    path = index_dir / "vectors.npy"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(IndexError_, match=r"vectors\.npy.*dangjian index"):
        idx.load(corpus, index_dir, HashEmbedder())


def test_counts_disagree_is_a_clear_error(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    lines = (index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    (index_dir / "chunks.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(IndexError_, match=r"chunks\.jsonl（大小 \d+ 字节，应为 \d+ 字节）.*dangjian index"):
        idx.load(corpus, index_dir, HashEmbedder())


@pytest.mark.parametrize("name", ["bm25.vocab.json", "chunks.jsonl", "manifest.json", "jieba.words.txt"])
def test_missing_file_names_the_file(built: tuple[Path, Path], name: str) -> None:
    corpus, index_dir = built
    (index_dir / name).unlink()
    with pytest.raises(IndexError_, match=name.replace(".", r"\.")):
        idx.load(corpus, index_dir, HashEmbedder())


@pytest.mark.parametrize(("name", "part"), [("bm25.vocab.json", "bm25_unit"), ("chunks.jsonl", "chunks")])
def test_garbled_file_is_named_on_first_use(built: tuple[Path, Path], name: str, part: str) -> None:
    corpus, index_dir = built
    lines = (index_dir / name).read_bytes().split(b"\n")
    (index_dir / name).write_bytes(b"\n".join(b"{" + b"x" * (len(x) - 1) if x else x for x in lines))
    loaded = idx.load(corpus, index_dir, HashEmbedder())  # sizes agree: the file is read on first use
    with pytest.raises(IndexError_, match=name.replace(".", r"\.") + ".*dangjian index"):
        getattr(loaded, part)


def test_garbled_manifest_names_the_file(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    (index_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexError_, match=r"manifest\.json"):
        idx.load(corpus, index_dir, HashEmbedder())


def test_failed_build_leaves_the_old_index_usable(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    notice = corpus / "notice-2025-dongzhi-3.txt"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n这是新增的一句话。\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in index_dir.iterdir()}
    with pytest.raises(RuntimeError):
        idx.build(corpus, index_dir, _Exploding())
    assert {p.name: p.read_bytes() for p in index_dir.iterdir()} == before
    assert not [p for p in index_dir.parent.iterdir() if p.name.startswith(".index.")]


def test_rebuild_replaces_in_place_and_sweeps_leftovers(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    dead_tmp = index_dir.with_name(".index.tmp-999999999-dead")  # no such pid
    old = index_dir.with_name(".index.old-1700000000000000000")
    live_tmp = index_dir.with_name(f".index.tmp-{os.getpid()}-live")
    for p in (dead_tmp, old, live_tmp):
        p.mkdir()
    other = index_dir.with_name(".other.tmp-999999999-x")
    other.mkdir()
    idx.build(corpus, index_dir, HashEmbedder())
    assert sorted(p.name for p in index_dir.parent.iterdir() if p.name.startswith(".")) == \
        sorted([live_tmp.name, other.name])


def test_missing_index_with_an_old_copy_is_restored(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    old = index_dir.with_name(".index.old-1700000000000000000")
    index_dir.rename(old)
    assert fsutil.sweep_siblings(index_dir) == [old]
    assert idx.staleness(index_dir, corpus, HashEmbedder()) == ""


def test_progress_is_reported(corpus_copy: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    idx.build(corpus_copy, tmp_path / "i", HashEmbedder(), lambda s, d, t: seen.append((s, d, t)))
    stages = list(dict.fromkeys(s for s, _d, _t in seen))
    assert stages == ["parse", "embed", "tokenize", "save"]
    embed = [(d, t) for s, d, t in seen if s == "embed"]
    assert embed[0] == (0, embed[0][1]) and embed[-1][0] == embed[-1][1] > 0


def test_tokenizer_from_the_cache_equals_jieba(built: tuple[Path, Path]) -> None:
    """The cached dictionary is jieba's own (gen_pfdict over its dict.txt), and cuts the same."""
    corpus, index_dir = built
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    cached = Dictionary.load(index_dir, manifest["tokenizer"]["total"])
    fresh = build_dictionary()
    assert cached.freq == fresh.freq and cached.total == fresh.total
    terms = manifest["terms"]
    a, b = Tokenizer(terms, cached, copy=False), Tokenizer(terms, fresh)
    for text in ("党员教育管理工作条例对流动党员怎么规定", "深化“四强”党支部建设", "三会一课制度怎么落实"):
        assert a.tokens(text) == b.tokens(text)


def test_ivf_store_beyond_the_exact_size(corpus_copy: Path, tmp_path: Path) -> None:
    """Past `exact_max_rows` the dense store is faiss IVF; its recall@10 against exact is high."""
    emb = HashEmbedder()
    built = idx.build(corpus_copy, tmp_path / "ix", emb, exact_max_rows=100)
    assert built.manifest["dense"]["store"] == "ivf"
    loaded = idx.load(corpus_copy, tmp_path / "ix", emb)
    store, vectors = loaded.dense, np.load(tmp_path / "ix" / "vectors.npy")
    assert not store.exact
    recalls = []
    for q in emb.encode(["流动党员管理", "党费收缴", "四强党支部", "纪律处分的种类", "发展党员的程序"]):
        sims, rows = store.search(q, 10)
        assert np.allclose(sims, vectors[rows] @ q, atol=1e-5)
        recalls.append(tie_aware_recall(vectors @ q, sims, 10))
    assert np.mean(recalls) >= 0.95
    # the best units get exact scores after fusion: the unit's own vector and the best of it and its sentences
    s = unit_scores(loaded, emb, "流动党员怎么管理")
    filled = top_units(s.fused, s.mask, EXACT_FILL * DEFAULT.window)
    q = emb.encode([expand("流动党员怎么管理")])[0]
    assert np.allclose(s.own_dense[filled], vectors[loaded.layout.unit_ids[filled]] @ q, atol=1e-5)
    assert np.all(s.dense[filled] >= s.own_dense[filled] - 1e-6)


def test_jieba_never_writes_its_marshal_cache_to_the_temp_folder(built: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    """jieba's own start-up unmarshals (and writes) `jieba.cache` in the shared temp folder; we never
    call it: building and loading the tokenizer leave the temp folder empty."""
    import subprocess
    import sys

    corpus, index_dir = built
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    code = ("import sys; from pathlib import Path; from rag import index as idx; "
            "from rag.embed import HashEmbedder; from rag.tokenize import Tokenizer, build_dictionary; "
            "i = idx.load(Path(sys.argv[1]), Path(sys.argv[2]), HashEmbedder()); "
            "assert i.tokenizer.tokens('流动党员管理'); "
            "assert Tokenizer(['四强'], build_dictionary()).tokens('四强党支部')")
    env = dict(os.environ, TMPDIR=str(tmpdir), TEMP=str(tmpdir), TMP=str(tmpdir))
    subprocess.run([sys.executable, "-c", code, str(corpus), str(index_dir)], env=env, check=True,
                   timeout=120)
    assert list(tmpdir.iterdir()) == []


def test_a_current_index_opens_without_parsing_the_corpus(built: tuple[Path, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import corpus

    corpus_dir, index_dir = built
    expected = corpus.load_corpus(corpus_dir)
    parsed_files: list[str] = []
    real = corpus._load
    monkeypatch.setattr(corpus, "_load", lambda d, m: parsed_files.append(m.file) or real(d, m))
    assert idx.load(corpus_dir, index_dir, HashEmbedder()).docs == expected
    assert parsed_files == []  # read from documents.json
    notice = corpus_dir / "notice-2025-dongzhi-3.txt"
    notice.write_text(notice.read_text(encoding="utf-8").replace("城市之光", "城市之灯"), encoding="utf-8")
    stale = idx.load(corpus_dir, index_dir, HashEmbedder())  # the corpus as it is now, parsed
    assert len(parsed_files) == len(expected) and "城市之灯" in stale.docs[0].unit("12").text


def test_a_tampered_parsed_corpus_is_refused(built: tuple[Path, Path]) -> None:
    corpus_dir, index_dir = built
    path = index_dir / "documents.json"
    path.write_text(path.read_text(encoding="utf-8").replace("城市之光", "城市之灯"), encoding="utf-8")
    with pytest.raises(IndexError_, match="documents.json"):
        idx.load(corpus_dir, index_dir, HashEmbedder())


@pytest.mark.parametrize("array", [
    np.zeros((3, 512), dtype=np.float32), np.zeros((5, 32), dtype=np.uint8), np.arange(7, dtype=np.int64),
    np.zeros(0, dtype=np.float64), np.array(["党章", "条例"]), np.zeros((2, 3, 4), dtype=np.int32),
])
@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_npy_shape_reads_numpy_headers_without_numpy(tmp_path: Path, array: np.ndarray,
                                                      version: tuple[int, int]) -> None:
    from numpy.lib import format as npy

    from rag.index_load import _npy_shape

    path = tmp_path / "a.npy"
    with open(path, "wb") as f:
        npy.write_array(f, array, version=version)
    assert _npy_shape(path) == array.shape
    if array.size:  # a byte short of the data its header promises
        path.write_bytes(path.read_bytes()[:-1])
        with pytest.raises(IndexError_, match="a.npy"):
            _npy_shape(path)


@pytest.mark.parametrize("content", [b"", b"\x93NUMPY", b"not numpy at all", b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}"])
def test_npy_shape_refuses_what_is_not_an_array_file(tmp_path: Path, content: bytes) -> None:
    from rag.index_load import _npy_shape

    (tmp_path / "b.npy").write_bytes(content)
    with pytest.raises(IndexError_, match="b.npy"):
        _npy_shape(tmp_path / "b.npy")


def test_an_object_array_is_refused(tmp_path: Path) -> None:
    from rag.index_load import _npy_shape

    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(IndexError_, match="o.npy"):
        _npy_shape(tmp_path / "o.npy")  # its data would be a pickle


def test_bm25_files_name_bm25s_arrays() -> None:
    from rag import bm25
    from rag.index_load import BM25_ARRAYS

    assert BM25_ARRAYS == bm25.ARRAYS
