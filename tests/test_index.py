from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import index as idx
from rag.embed import HashEmbeddings, USEEmbeddings, VectorEmbeddings
from rag.errors import IndexError_


@pytest.fixture()
def built(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    index_dir = tmp_path / "index"
    idx.build(corpus_copy, index_dir, HashEmbeddings())
    return corpus_copy, index_dir


def test_round_trip_with_real_faiss_and_default_model(corpus_copy: Path, tmp_path: Path) -> None:
    emb = USEEmbeddings()
    built = idx.build(corpus_copy, tmp_path / "index", emb)
    loaded = idx.load(corpus_copy, tmp_path / "index", emb)
    assert len(loaded.chunks) == len(built.chunks) == loaded.faiss_index.ntotal
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"] == emb.embedder_id and manifest["dim"] == 512
    assert manifest["counts"]["units"] == 21  # header, preamble, 19 items
    q = emb.encode(["深化四强党支部建设"])
    _scores, ids = loaded.faiss_index.search(q, 3)
    assert loaded.chunks[int(ids[0][0])].ref == "8"
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == sorted(idx.FILES)


def test_no_pickle_files(built: tuple[Path, Path]) -> None:
    _c, index_dir = built
    for path in index_dir.iterdir():
        assert not path.read_bytes().startswith(b"\x80"), path


def test_current_index_is_not_stale(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    assert idx.staleness(index_dir, corpus, HashEmbeddings()) == ""


def test_corpus_change_triggers_rebuild(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    notice = corpus / "notice-2025-dongzhi-3.txt"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    messages: list[str] = []
    idx.open_index(corpus, index_dir, HashEmbeddings(), notify=messages.append)
    assert messages == ["语料已变更，正在重建索引"]
    assert idx.staleness(index_dir, corpus, HashEmbeddings()) == ""


class _OtherEmbeddings(HashEmbeddings):
    embedder_id = "hash:other"


def test_embedder_change_triggers_rebuild(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    assert "向量模型已变更" in idx.staleness(index_dir, corpus, _OtherEmbeddings())


def test_truncated_faiss_file_is_a_clear_error(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    path = index_dir / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexError_, match=r"vectors\.faiss.*dangjian index"):
        idx.load(corpus, index_dir, HashEmbeddings())


def test_counts_disagree_is_a_clear_error(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    lines = (index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    (index_dir / "chunks.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(IndexError_, match="数量不一致"):
        idx.load(corpus, index_dir, HashEmbeddings())


@pytest.mark.parametrize("name", ["bm25.json", "chunks.jsonl", "manifest.json"])
def test_missing_or_garbled_file_names_the_file(built: tuple[Path, Path], name: str) -> None:
    corpus, index_dir = built
    (index_dir / name).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexError_, match=name.replace(".", r"\.")):
        idx.load(corpus, index_dir, HashEmbeddings())
    (index_dir / name).unlink()
    with pytest.raises(IndexError_, match=name.replace(".", r"\.")):
        idx.load(corpus, index_dir, HashEmbeddings())


class _Exploding(HashEmbeddings):
    def encode(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("model crashed mid-build")


def test_failed_build_leaves_the_old_index_usable(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    before = {p.name: p.read_bytes() for p in index_dir.iterdir()}
    with pytest.raises(RuntimeError):
        idx.build(corpus, index_dir, _Exploding())
    assert {p.name: p.read_bytes() for p in index_dir.iterdir()} == before
    assert not [p for p in index_dir.parent.iterdir() if p.name.startswith(".index.")]
    assert idx.load(corpus, index_dir, HashEmbeddings()).faiss_index.ntotal > 0


def test_rebuild_replaces_in_place(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    idx.build(corpus, index_dir, HashEmbeddings())
    assert [p.name for p in index_dir.parent.iterdir() if p.name.startswith(".")] == []


def test_progress_is_reported(corpus_copy: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    idx.build(corpus_copy, tmp_path / "i", HashEmbeddings(), lambda s, d, t: seen.append((s, d, t)))
    stages = [s for s, _d, _t in seen]
    assert stages[0] == "parse" and "embed" in stages and stages[-1] == "save"
    embed = [(d, t) for s, d, t in seen if s == "embed"]
    assert embed[-1][0] == embed[-1][1]


def test_hash_embeddings_is_a_vector_embeddings() -> None:
    emb: VectorEmbeddings = HashEmbeddings()
    assert len(emb.embed_query("第8条")) == emb.dim
    assert len(emb.embed_documents(["a", "b"])) == 2
