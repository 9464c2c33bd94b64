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
file (or the index folder) and `dangjian index`; never a traceback. /healthz must refuse every
variant except those marked harmless (a file the query path never reads). The server's rebuild
of a corrupt index, and `dangjian index` over one, are checked on a sample at the end.

The embedder is the deterministic hash backend: these checks are about the index files, and a
fresh CLI process per command would otherwise load the 65 MB default model hundreds of times.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from rag import index as idx
from rag import integrity
from rag.cli import main
from rag.config import Settings
from rag.embed import HashEmbedder

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
COMMANDS = {"ref": ["ask", "第8条要求什么？"], "free": ["ask", "流动党员怎么管理？"], "search": ["search", "流动党员"]}
Mutation = Callable[[Path], None]


# -- damage ----------------------------------------------------------------------------------------


def reseal(folder: Path) -> None:
    """Re-seal the manifest over whatever the files hold now: damage a checksum cannot see."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("checksum", None)
    if isinstance(manifest.get("files"), dict):
        manifest = integrity.seal(manifest, folder)
    else:
        manifest["checksum"] = integrity.manifest_checksum(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


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
VARIANTS: list[tuple[str, Mutation, bool, bool]] = [
    *((f"truncated {n}", truncate(n), False, False) for n in FILES),
    *((f"missing {n}", delete(n), False, False) for n in FILES),
    ("missing manifest.json", delete("manifest.json"), False, False),
    ("truncated manifest.json", truncate("manifest.json"), False, False),
    *((f"flipped byte in {n}", flip(n), False, n == "vector_keys.npy")
      for n in ("chunks.jsonl", "vectors.npy", "vector_keys.npy", "bm25.unit.tf.npy", "bm25.vocab.json",
                "jieba.words.txt", "jieba.freq.npy")),
    ("chunks: two lines reordered", lines(_swap_rows), False, False),
    ("chunks: two lines reordered, resealed", lines(_swap_rows), True, False),
    ("chunks: ids shifted by one", rows(_shift), True, False),
    ("chunks: chunk_id a string", rows(_set("chunk_id", "5")), True, False),
    ("chunks: sent_no a float", rows(_set("sent_no", 0.5)), True, False),
    ("chunks: doc_id not in the corpus", rows(_set("doc_id", "no-such-doc")), True, False),
    ("chunks: ref not in the document", rows(_set("ref", "999")), True, False),
    ("chunks: level unknown", rows(_set("level", "paragraph")), True, False),
    ("chunks: a field missing", rows(_drop_field), True, False),
    ("chunks: an extra field", rows(_set("score", 1)), True, False),
    ("chunks: texts of two lines swapped", rows(_swap_text), True, False),
    ("chunks: last line duplicated", lines(lambda r: [*r, r[-1]]), True, False),
    ("chunks: a line not JSON", lines(lambda r: ["{not json", *r[1:]]), True, False),
    ("chunks: empty file", text("chunks.jsonl", ""), True, False),
    ("manifest: counts null", manifest(_field("counts", None)), False, False),
    ("manifest: counts null, resealed", manifest(_field("counts", None)), True, False),
    ("manifest: terms is 5", manifest(_field("terms", 5)), True, False),
    ("manifest: chunk count off by one", manifest(_counts("chunks", 1)), True, False),
    ("manifest: unit count a string", manifest(_counts("units", "472")), True, False),
    ("manifest: dim 256", manifest(_field("dim", 256)), True, False),
    ("manifest: dim 256, not resealed", manifest(_field("dim", 256)), False, False),
    ("manifest: format version 1", manifest(_field("format_version", 1)), True, False),
    ("manifest: another embedder", manifest(_field("embedder", "hash:other")), True, False),
    ("manifest: corpus hash changed", manifest(_field("corpus_sha256", "0" * 64)), True, False),
    ("manifest: a JSON list", text("manifest.json", "[1, 2]"), False, False),
    ("manifest: tokenizer total a string", manifest(_field("tokenizer", {"dict_sha256": "x", "total": "5"})),
     True, False),
    ("manifest: unknown dense store", manifest(_field("dense", {"store": "nope"})), True, False),
    ("manifest: domain terms dropped", manifest(_field("terms", [])), False, False),
    ("manifest: domain terms dropped, resealed", manifest(_field("terms", [])), True, False),
    ("manifest: files list without vectors.npy",
     manifest(lambda m: m["files"].pop("vectors.npy")), False, False),
    ("manifest: files list without vectors.npy, resealed",
     manifest(lambda m: m["files"].pop("vectors.npy")), True, False),
    ("manifest: checksum removed", manifest(lambda m: m.pop("checksum")), False, False),
    ("vectors: 256 columns", array("vectors.npy", lambda v: v[:, :256].copy()), True, False),
    ("vectors: float64", array("vectors.npy", lambda v: v.astype(np.float64)), True, False),
    ("vectors: a NaN", array("vectors.npy", _nan), True, False),
    ("vectors: not unit length", array("vectors.npy", _unnormalise), True, False),
    ("vectors: last rows dropped", array("vectors.npy", lambda v: v[:-3].copy()), True, False),
    # rows reordered *and* re-sealed is the one damage these checks cannot see: only re-embedding
    # every chunk could tell which text a vector came from
    ("vectors: rows reversed", array("vectors.npy", lambda v: v[::-1].copy()), False, False),
    ("vectors: pickled object array", array("vectors.npy", lambda v: np.array([v], dtype=object)), True, False),
    ("vector keys: wrong shape", array("vector_keys.npy", lambda k: k[:, :16].copy()), True, False),
    ("bm25: tf as strings", array("bm25.sentence.tf.npy", lambda a: a.astype(str)), True, False),
    ("bm25: tf as floats", array("bm25.unit.tf.npy", lambda a: a.astype(np.float64) + 0.5), True, False),
    ("bm25: a document id out of range", array("bm25.unit.indices.npy", lambda a: a + 10_000), True, False),
    ("bm25: indptr decreasing", array("bm25.sentence.indptr.npy", _decrease), True, False),
    ("bm25: lengths shifted", array("bm25.unit.lengths.npy", lambda a: np.roll(a, 1)), True, False),
    ("bm25: vocabulary not a list", text("bm25.vocab.json", '{"a": 1}'), True, False),
    ("bm25: vocabulary with a duplicate", lines(lambda r: [json.dumps(json.loads(r[0])[:-1] + json.loads(r[0])[:1],
                                                                      ensure_ascii=False)], "bm25.vocab.json"),
     True, False),
    ("bm25: vocabulary one short", lines(lambda r: [json.dumps(json.loads(r[0])[:-1], ensure_ascii=False)],
                                         "bm25.vocab.json"), True, False),
    ("jieba: frequencies one short", array("jieba.freq.npy", lambda a: a[:-1].copy()), True, False),
    ("jieba: words file truncated", truncate("jieba.words.txt"), True, False),
    ("extra file in the folder", text("notes.txt", "hello"), False, False),
    ("extra file, listed by a resealed manifest", text("notes.txt", "hello"), True, True),
    ("vectors.npy and vector_keys.npy swapped", swap("vectors.npy", "vector_keys.npy"), False, False),
    ("sentence and unit tf swapped", swap("bm25.sentence.tf.npy", "bm25.unit.tf.npy"), False, False),
    ("sentence and unit tf swapped, resealed", swap("bm25.sentence.tf.npy", "bm25.unit.tf.npy"), True, False),
    ("chunks.jsonl and bm25.vocab.json swapped", swap("chunks.jsonl", "bm25.vocab.json"), False, False),
    ("sentence and unit lengths swapped, resealed", swap("bm25.sentence.lengths.npy", "bm25.unit.lengths.npy"),
     True, False),
]


# -- the commands ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real index of the shipped corpus, and what each command prints over it."""
    root = tmp_path_factory.mktemp("clean")
    shutil.copytree(CORPUS, root / "corpus")
    idx.build(root / "corpus", root / "index", HashEmbedder())
    return {"root": root}


@pytest.fixture()
def hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    for name in ("DANGJIAN_CORPUS_DIR", "DANGJIAN_INDEX_DIR", "DANGJIAN_AUTH", "DANGJIAN_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)


def run_cli(args: list[str], corpus: Path, index: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args, "--corpus", str(corpus), "--index", str(index)])
    out = capsys.readouterr()
    return code, out.out, out.err


def healthz(corpus: Path, index: Path) -> tuple[int, dict[str, Any]]:
    import ui.app as ui_app
    from ui.api import create_app
    from ui.runtime import AppState

    settings = Settings(corpus_dir=corpus, index_dir=index, embed_backend="hash")
    app = create_app(settings=settings, blocks=ui_app.build_demo(settings), state=AppState(settings))
    with TestClient(app) as tc:
        resp = tc.get("/healthz")
    return resp.status_code, resp.json()


@pytest.fixture(scope="module")
def expected(clean: dict[str, Any]) -> dict[str, Any]:
    root = clean["root"]
    out: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANGJIAN_EMBED_BACKEND", "hash")
        import io
        import sys

        for name, args in COMMANDS.items():
            buf = io.StringIO()
            mp.setattr(sys, "stdout", buf)
            assert main([*args, "--corpus", str(root / "corpus"), "--index", str(root / "index")]) == 0
            out[name] = buf.getvalue()
    status, body = healthz(root / "corpus", root / "index")
    assert status == 200 and body["index"] == "ready"
    out["healthz"] = body
    return out


def assert_clear(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "dangjian index" in err and ("index" in err or "索引" in err), err


@pytest.mark.parametrize(("name", "mutate", "sealed", "harmless"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_corrupt_index_never_answers_wrongly(name: str, mutate: Mutation, sealed: bool, harmless: bool,
                                            clean: dict[str, Any], expected: dict[str, Any], hashed: None,
                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = clean["root"]
    index = tmp_path / "index"
    shutil.copytree(root / "index", index)
    mutate(index)
    if sealed:
        reseal(index)
    corpus = root / "corpus"
    for command, args in COMMANDS.items():
        code, out, err = run_cli(args, corpus, index, capsys)
        if code == 0:
            assert out == expected[command], f"{command}: an answer that differs from the clean index's"
        else:
            assert code == 1 and out == "", (command, code, err)
            assert_clear(err)
    status, body = healthz(corpus, index)
    if harmless:
        assert status == 200 and body == expected["healthz"]
    else:
        assert status == 503, body
        assert body["status"] == "unavailable" and "dangjian index" in body["error"], body


def test_the_matrix_is_large_enough() -> None:
    assert len(VARIANTS) >= 60
    assert len({v[0] for v in VARIANTS}) == len(VARIANTS)


# -- repair: the server rebuilds, `dangjian index` rebuilds ------------------------------------------

REPAIRED = ["truncated vectors.npy", "chunks: ids shifted by one", "manifest: counts null",
            "bm25: tf as strings", "flipped byte in jieba.words.txt", "extra file in the folder"]


@pytest.mark.parametrize("name", REPAIRED)
def test_serve_start_up_rebuilds_a_corrupt_index(name: str, clean: dict[str, Any], expected: dict[str, Any],
                                                  hashed: None, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from ui.runtime import AppState

    _name, mutate, sealed, _harmless = next(v for v in VARIANTS if v[0] == name)
    root = clean["root"]
    index = tmp_path / "index"
    shutil.copytree(root / "index", index)
    mutate(index)
    if sealed:
        reseal(index)
    notes: list[str] = []
    settings = Settings(corpus_dir=root / "corpus", index_dir=index, embed_backend="hash")
    AppState(settings).open(lambda *_a: None, notes.append)
    assert len(notes) == 1 and "正在构建索引" in notes[0]
    assert healthz(root / "corpus", index) == (200, expected["healthz"])
    code, out, _err = run_cli(COMMANDS["free"], root / "corpus", index, capsys)
    assert code == 0 and out == expected["free"]


def test_dangjian_index_repairs_and_never_reuses_corrupt_vectors(clean: dict[str, Any], expected: dict[str, Any],
                                                                 hashed: None, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = clean["root"]
    index = tmp_path / "index"
    shutil.copytree(root / "index", index)
    array("vectors.npy", _unnormalise)(index)  # same keys, wrong vectors: a naive rebuild would reuse them
    code, _out, err = run_cli(["index"], root / "corpus", index, capsys)
    assert code == 0, err
    manifest_data = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest_data["vectors"]["reused"] == 0
    assert np.array_equal(np.load(index / "vectors.npy"), np.load(root / "index" / "vectors.npy"))
    code, out, _err = run_cli(COMMANDS["search"], root / "corpus", index, capsys)
    assert code == 0 and out == expected["search"]
