"""The corruption matrix: damaged index folders × the commands that read them.

Each variant damages a copy of a real index (truncation, deletion, reordered or shifted lines,
wrong types, null counts, wrong dimensions, swapped files, flipped bytes, extra files…), most of
them twice: as damage (the manifest's checksums no longer match) and as *consistent* damage (the
manifest re-sealed over the damaged files, as a buggy writer would leave it), so the structural
checks are exercised, not only the checksums. Every variant meets four commands:

    ask 第8条…            the CLI, in process (exit code, stdout, stderr)
    ask 流动党员…          a free question: tokenizer, BM25, vectors, chunks
    search 流动党员        the ranking table
    GET /healthz          through the app object (`create_app` over a fresh `AppState`), which
                          loads and checks every part

and must end in either the clean index's exact output or a one-line Chinese message naming a
file (or the index folder) and `dangjian index`; never a traceback. /healthz (which loads and
checks every part) must refuse every variant except those marked harmless, and the server's
start-up and `dangjian index` must repair a sample: tests/test_index_corruption_server.py.

The embedder is the deterministic hash backend: these checks are about the index files, and a
fresh CLI process per command would otherwise load the 65 MB default model hundreds of times.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from rag import index as idx
from rag import integrity
from rag.cli import main

COMMANDS = {"ref": ["ask", "第8条要求什么？"], "free": ["ask", "流动党员怎么管理？"], "search": ["search", "流动党员"]}
Mutation = Callable[[Path], None]
Seal = Literal["", "files", "checksum"]


# -- damage ----------------------------------------------------------------------------------------


def reseal(folder: Path, mode: Seal) -> None:
    """Re-seal the manifest over whatever the files hold now ("files": their sha256 and sizes, then
    its own checksum; "checksum": only its own): damage a checksum cannot see."""
    if not mode:
        return
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("checksum", None)
    if mode == "files" and isinstance(manifest.get("files"), dict):
        manifest = integrity.seal(manifest, folder)
    else:
        manifest["checksum"] = integrity.manifest_checksum(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def damaged(source: Path, target: Path, name: str) -> tuple[bool, bool]:
    """Copy the index at `source` to `target` and apply variant `name`; → (resealed, harmless)."""
    _name, mutate, mode, harmless = next(v for v in VARIANTS if v[0] == name)
    shutil.copytree(source, target)
    mutate(target)
    reseal(target, mode)
    return bool(mode), harmless


def truncate(name: str) -> Mutation:
    return lambda f: (f / name).write_bytes((f / name).read_bytes()[: (f / name).stat().st_size // 2])


def delete(name: str) -> Mutation:
    return lambda f: (f / name).unlink()


def flip(name: str) -> Mutation:
    """One byte changed in the middle: same size, so only the checksum can tell."""
    def run(f: Path) -> None:
        data = bytearray((f / name).read_bytes())
        data[len(data) // 2] ^= 0x55
        (f / name).write_bytes(bytes(data))
    return run


def swap(a: str, b: str) -> Mutation:
    def run(f: Path) -> None:
        tmp = f / ".swap"
        (f / a).rename(tmp)
        (f / b).rename(f / a)
        tmp.rename(f / b)
    return run


def lines(edit: Callable[[list[str]], list[str]], name: str = "chunks.jsonl") -> Mutation:
    def run(f: Path) -> None:
        rows = (f / name).read_text(encoding="utf-8").splitlines()
        (f / name).write_text("\n".join(edit(rows)) + "\n", encoding="utf-8")
    return run


def rows(edit: Callable[[list[dict[str, Any]]], None]) -> Mutation:
    def change(text: list[str]) -> list[str]:
        data = [json.loads(x) for x in text]
        edit(data)
        return [json.dumps(x, ensure_ascii=False) for x in data]
    return lines(change)


def manifest(edit: Callable[[dict[str, Any]], None]) -> Mutation:
    def run(f: Path) -> None:
        data = json.loads((f / "manifest.json").read_text(encoding="utf-8"))
        edit(data)
        (f / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return run


def array(name: str, edit: Callable[[np.ndarray], np.ndarray]) -> Mutation:
    def run(f: Path) -> None:
        np.save(f / name, edit(np.load(f / name, allow_pickle=False)), allow_pickle=True)
    return run


def text(name: str, content: str) -> Mutation:
    return lambda f: (f / name).write_text(content, encoding="utf-8")


def _swap_rows(r: list[str]) -> list[str]:
    return [r[1], r[0], *r[2:]]


def _set(key: str, value: Any, row: int = 5) -> Callable[[list[dict[str, Any]]], None]:
    def edit(data: list[dict[str, Any]]) -> None:
        data[row][key] = value
    return edit


def _shift(data: list[dict[str, Any]]) -> None:
    for r in data:
        r["chunk_id"] += 1


def _swap_text(data: list[dict[str, Any]]) -> None:
    data[3]["text"], data[4]["text"] = data[4]["text"], data[3]["text"]


def _drop_field(data: list[dict[str, Any]]) -> None:
    del data[2]["context"]


def _counts(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(m: dict[str, Any]) -> None:
        m["counts"][key] = value
    return edit


def _field(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(m: dict[str, Any]) -> None:
        m[key] = value
    return edit


def _unnormalise(v: np.ndarray) -> np.ndarray:
    return v * 2


def _nan(v: np.ndarray) -> np.ndarray:
    v = v.copy()
    v[7, 3] = np.nan
    return v


def _decrease(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a[10], a[11] = a[11], a[10] - 1
    return a


FILES = [n for n in idx.FILES if n != "manifest.json"]
# (name, mutation, re-seal the manifest afterwards, harmless: the query path never reads it)
VARIANTS: list[tuple[str, Mutation, Seal, bool]] = [
    *((f"truncated {n}", truncate(n), "", False) for n in FILES),
    *((f"missing {n}", delete(n), "", False) for n in FILES),
    ("missing manifest.json", delete("manifest.json"), "", False),
    ("truncated manifest.json", truncate("manifest.json"), "", False),
    *((f"flipped byte in {n}", flip(n), "", n == "vector_keys.npy")
      for n in ("chunks.jsonl", "vectors.npy", "vector_keys.npy", "bm25.unit.tf.npy", "bm25.vocab.json",
                "jieba.words.txt", "jieba.freq.npy")),
    ("chunks: two lines reordered", lines(_swap_rows), "", False),
    ("chunks: two lines reordered, resealed", lines(_swap_rows), "files", False),
    ("chunks: ids shifted by one", rows(_shift), "files", False),
    ("chunks: chunk_id a string", rows(_set("chunk_id", "5")), "files", False),
    ("chunks: sent_no a float", rows(_set("sent_no", 0.5)), "files", False),
    ("chunks: doc_id not in the corpus", rows(_set("doc_id", "no-such-doc")), "files", False),
    ("chunks: ref not in the document", rows(_set("ref", "999")), "files", False),
    ("chunks: level unknown", rows(_set("level", "paragraph")), "files", False),
    ("chunks: a field missing", rows(_drop_field), "files", False),
    ("chunks: an extra field", rows(_set("score", 1)), "files", False),
    ("chunks: texts of two lines swapped", rows(_swap_text), "files", False),
    ("chunks: last line duplicated", lines(lambda r: [*r, r[-1]]), "files", False),
    ("chunks: a line not JSON", lines(lambda r: ["{not json", *r[1:]]), "files", False),
    ("chunks: empty file", text("chunks.jsonl", ""), "files", False),
    ("manifest: counts null", manifest(_field("counts", None)), "", False),
    ("manifest: counts null, resealed", manifest(_field("counts", None)), "files", False),
    ("manifest: terms is 5", manifest(_field("terms", 5)), "files", False),
    ("manifest: chunk count off by one", manifest(_counts("chunks", 1)), "files", False),
    ("manifest: unit count a string", manifest(_counts("units", "472")), "files", False),
    ("manifest: dim 300", manifest(_field("dim", 300)), "files", False),
    ("manifest: dim 300, not resealed", manifest(_field("dim", 300)), "", False),
    ("manifest: format version 1", manifest(_field("format_version", 1)), "files", False),
    ("manifest: another embedder", manifest(_field("embedder", "hash:other")), "files", False),
    ("manifest: corpus hash changed", manifest(_field("corpus_sha256", "0" * 64)), "files", False),
    ("manifest: a JSON list", text("manifest.json", "[1, 2]"), "", False),
    ("manifest: tokenizer total a string", manifest(_field("tokenizer", {"dict_sha256": "x", "total": "5"})),
     "files", False),
    ("manifest: unknown dense store", manifest(_field("dense", {"store": "nope"})), "files", False),
    ("manifest: domain terms dropped", manifest(_field("terms", [])), "", False),
    ("manifest: domain terms dropped, resealed", manifest(_field("terms", [])), "files", False),
    ("manifest: files list without vectors.npy",
     manifest(lambda m: m["files"].pop("vectors.npy")), "", False),
    ("manifest: files list without vectors.npy, resealed",
     manifest(lambda m: m["files"].pop("vectors.npy")), "checksum", False),
    ("manifest: checksum removed", manifest(lambda m: m.pop("checksum")), "", False),
    ("vectors: 200 columns", array("vectors.npy", lambda v: v[:, :200].copy()), "files", False),
    ("vectors: float64", array("vectors.npy", lambda v: v.astype(np.float64)), "files", False),
    ("vectors: a NaN", array("vectors.npy", _nan), "files", False),
    ("vectors: not unit length", array("vectors.npy", _unnormalise), "files", False),
    ("vectors: last rows dropped", array("vectors.npy", lambda v: v[:-3].copy()), "files", False),
    # rows reordered *and* re-sealed is the one damage these checks cannot see: only re-embedding
    # every chunk could tell which text a vector came from
    ("vectors: rows reversed", array("vectors.npy", lambda v: v[::-1].copy()), "", False),
    ("vectors: pickled object array", array("vectors.npy", lambda v: np.array([v], dtype=object)), "files", False),
    ("vector keys: wrong shape", array("vector_keys.npy", lambda k: k[:, :16].copy()), "files", False),
    ("bm25: tf as strings", array("bm25.sentence.tf.npy", lambda a: a.astype(str)), "files", False),
    ("bm25: tf as floats", array("bm25.unit.tf.npy", lambda a: a.astype(np.float64) + 0.5), "files", False),
    ("bm25: a document id out of range", array("bm25.unit.indices.npy", lambda a: a + 10_000), "files", False),
    ("bm25: indptr decreasing", array("bm25.sentence.indptr.npy", _decrease), "files", False),
    ("bm25: lengths shifted", array("bm25.unit.lengths.npy", lambda a: np.roll(a, 1)), "files", False),
    ("bm25: vocabulary not a list", text("bm25.vocab.json", '{"a": 1}'), "files", False),
    ("bm25: vocabulary with a duplicate", lines(lambda r: [json.dumps(json.loads(r[0])[:-1] + json.loads(r[0])[:1],
                                                                      ensure_ascii=False)], "bm25.vocab.json"),
     "files", False),
    ("bm25: vocabulary one short", lines(lambda r: [json.dumps(json.loads(r[0])[:-1], ensure_ascii=False)],
                                         "bm25.vocab.json"), "files", False),
    ("jieba: frequencies one short", array("jieba.freq.npy", lambda a: a[:-1].copy()), "files", False),
    ("jieba: words file truncated", truncate("jieba.words.txt"), "files", False),
    ("extra file in the folder", text("notes.txt", "hello"), "", False),
    ("extra file, listed by a resealed manifest", text("notes.txt", "hello"), "files", True),
    ("vectors.npy and vector_keys.npy swapped", swap("vectors.npy", "vector_keys.npy"), "", False),
    ("sentence and unit tf swapped", swap("bm25.sentence.tf.npy", "bm25.unit.tf.npy"), "", False),
    ("sentence and unit tf swapped, resealed", swap("bm25.sentence.tf.npy", "bm25.unit.tf.npy"), "files", False),
    ("chunks.jsonl and bm25.vocab.json swapped", swap("chunks.jsonl", "bm25.vocab.json"), "", False),
    ("sentence and unit lengths swapped, resealed", swap("bm25.sentence.lengths.npy", "bm25.unit.lengths.npy"),
     "files", False),
]


# -- the commands ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(hash_index: Path) -> Path:
    """A real index of the shipped corpus (root/corpus, root/index): damaged only in copies."""
    return hash_index


@pytest.fixture()
def hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    for name in ("DANGJIAN_CORPUS_DIR", "DANGJIAN_INDEX_DIR", "DANGJIAN_AUTH", "DANGJIAN_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)


def run_cli(args: list[str], corpus: Path, index: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args, "--corpus", str(corpus), "--index", str(index)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def expected(clean: Path) -> dict[str, str]:
    """What each command prints over the clean index."""
    import io
    import sys

    out: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANGJIAN_EMBED_BACKEND", "hash")
        for name, args in COMMANDS.items():
            buf = io.StringIO()
            mp.setattr(sys, "stdout", buf)
            assert main([*args, "--corpus", str(clean / "corpus"), "--index", str(clean / "index")]) == 0
            out[name] = buf.getvalue()
    return out


def assert_clear(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "dangjian index" in err and ("index" in err or "索引" in err), err


@pytest.mark.parametrize("name", [v[0] for v in VARIANTS])
def test_commands_over_a_corrupt_index(name: str, clean: Path, expected: dict[str, str], hashed: None,
                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each command: the clean index's exact output, or one clear line; never a traceback."""
    index = tmp_path / "index"
    damaged(clean / "index", index, name)
    for command, args in COMMANDS.items():
        code, out, err = run_cli(args, clean / "corpus", index, capsys)
        if code == 0:
            assert out == expected[command], f"{command}: an answer that differs from the clean index's"
        else:
            assert code == 1 and out == "", (command, code, err)
            assert_clear(err)


def test_the_matrix_is_large_enough() -> None:
    assert len(VARIANTS) >= 60
    assert len({v[0] for v in VARIANTS}) == len(VARIANTS)
    assert sum(bool(v[2]) for v in VARIANTS) >= 30  # consistent damage: the structural checks at work
