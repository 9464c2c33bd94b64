"""Registration in place, idempotent re-adds, removal, the manifest's edits, leftovers and recovery."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
from test_ingest import MANIFEST, NOTICE, SAMPLE_TEXT, make_docx, variant, write

from rag import fsutil
from rag.corpus import load_corpus, read_manifest
from rag.errors import CorpusError
from rag.ingest import (
    IngestError,
    add_files,
    read_entries,
    recover,
    register_unlisted,
    remove_document,
    unlisted_files,
)
from rag.ingest.manifest import append_entry, remove_entry
from rag.ingest.store import JOURNAL, write_journal


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (d / "notice-2099.txt").write_text(NOTICE, encoding="utf-8")
    return d


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- idempotent add


def test_adding_the_same_bytes_again_is_a_success_that_says_so(corpus: Path, tmp_path: Path) -> None:
    src = write(tmp_path / "reg.txt", SAMPLE_TEXT)
    [first] = add_files([src], corpus)
    manifest = (corpus / "manifest.toml").read_bytes()
    [again] = add_files([src], corpus)
    [renamed] = add_files([write(tmp_path / "other-name.txt", SAMPLE_TEXT.encode("gbk"))], corpus)
    assert first.status == "ok" and again.status == renamed.status == "exists"
    assert (again.doc_id, again.file, renamed.doc_id) == ("reg", "reg.txt", "reg")
    assert (corpus / "manifest.toml").read_bytes() == manifest
    assert listing(corpus) == ["manifest.toml", "notice-2099.txt", "reg.txt"]


def test_a_killed_add_does_not_block_the_next_one(corpus: Path, tmp_path: Path) -> None:
    """What a kill between writing the text and the manifest left: the file and the journal."""
    write_journal(corpus, ["reg.txt"])
    write(corpus / "reg.txt", SAMPLE_TEXT[:100])  # half written, not in the manifest
    [res] = add_files([write(tmp_path / "reg.txt", SAMPLE_TEXT)], corpus)
    assert res.status == "ok", res.reason
    assert (corpus / "reg.txt").read_text(encoding="utf-8") == SAMPLE_TEXT
    assert not (corpus / JOURNAL).exists()


# --------------------------------------------------------------------------- registration


def test_dropped_files_are_registered_where_they_lie(corpus: Path, tmp_path: Path) -> None:
    write(corpus / "Shequ Rules.txt", SAMPLE_TEXT)
    write(corpus / "gbk.txt", variant("甲乙社区").encode("gbk"))
    make_docx(corpus / "word.docx", variant("丙丁社区"))
    write(corpus / "broken.pdf", b"%PDF-1.4 nothing")
    write(corpus / "README.md", "# 说明\n")
    write(corpus / "SOURCES.md", "# 来源\n")
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    results = {r.path.rsplit("/", 1)[-1]: r for r in register_unlisted(corpus)}
    assert set(results) == {"Shequ Rules.txt", "gbk.txt", "word.docx", "broken.pdf"}  # not README.md
    assert results["broken.pdf"].status == "error" and "无法读取 PDF" in results["broken.pdf"].reason
    for name, data in before.items():  # every dropped file is where it was, unchanged
        if name != "manifest.toml":
            assert (corpus / name).read_bytes() == data, name
    entries = {e["doc_id"]: e for e in read_entries(corpus)}
    assert entries["shequ-rules"]["file"] == "Shequ Rules.txt" and "original" not in entries["shequ-rules"]
    assert entries["gbk"]["file"] == "gbk.txt"  # a GBK text is read in place by the same decoder
    assert (entries["word"]["file"], entries["word"]["original"]) == ("word.txt", "word.docx")
    docs = {d.doc_id: d for d in load_corpus(corpus)}
    assert len(docs["gbk"].numbered) == len(docs["word"].numbered) == 8
    assert [p.name for p in unlisted_files(corpus)] == ["broken.pdf"]
    assert register_unlisted(corpus)[0].status == "error"  # only the refused file is tried again


def test_a_dropped_copy_of_a_listed_document_is_reported_not_duplicated(corpus: Path) -> None:
    shutil.copy(corpus / "notice-2099.txt", corpus / "notice-copy.txt")
    [res] = register_unlisted(corpus)
    assert res.status == "exists" and res.doc_id == "notice-2099"
    assert [e["doc_id"] for e in read_entries(corpus)] == ["notice-2099"]


def test_files_hidden_by_an_older_version_are_put_back(corpus: Path) -> None:
    """Older versions moved a dropped file into .register-*/ while registering it; a kill left it there."""
    hidden = corpus / ".register-abc123"
    hidden.mkdir()
    write(hidden / "shequ.txt", SAMPLE_TEXT)
    notes = recover(corpus)
    assert (corpus / "shequ.txt").read_text(encoding="utf-8") == SAMPLE_TEXT and not hidden.exists()
    assert notes == ["已把上次中断时移走的文件放回原处：shequ.txt"]
    assert [r.doc_id for r in register_unlisted(corpus)] == ["shequ"]


# --------------------------------------------------------------------------- leftovers


def test_leftover_temporaries_are_swept_at_the_next_command(corpus: Path) -> None:
    for name in (".manifest.toml.tmp-999999999-ab12", ".reg.txt.tmp-1-zz"):
        write(corpus / name, "junk")
    write(corpus / "originals" / ".x.docx.tmp-5-aa", "junk")
    assert recover(corpus) == ["已清理上次中断留下的临时文件 3 个"]
    assert listing(corpus) == ["manifest.toml", "notice-2099.txt"]
    assert recover(corpus) == []


def test_index_siblings_are_swept_and_a_swap_cut_in_half_is_undone(tmp_path: Path) -> None:
    index = tmp_path / "index"
    dead = tmp_path / f".index.tmp-{2**22 + 12345}-aa"  # above any pid_max default: nobody's
    live = fsutil.make_temp_dir(index)  # ours: a build in progress is left alone
    dead.mkdir()
    old = tmp_path / ".index.old-1700000000000000000"
    old.mkdir()
    write(old / "manifest.json", "{}")
    fsutil.sweep_siblings(index)
    assert (index / "manifest.json").is_file() and not old.exists()  # the previous index is back
    assert not dead.exists() and live.exists()
    other_old = tmp_path / ".index.old-1"
    other_old.mkdir()
    fsutil.sweep_siblings(index)
    assert not other_old.exists() and (index / "manifest.json").is_file()


def test_atomic_write_and_create_new(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    fsutil.create_new(path, b"one")
    with pytest.raises(FileExistsError):
        fsutil.create_new(path, b"two")
    os.chmod(path, 0o600)
    fsutil.atomic_write(path, b"three")
    assert path.read_bytes() == b"three" and path.stat().st_mode & 0o777 == 0o600
    assert listing(tmp_path) == ["a.txt"]


def test_the_corpus_lock_excludes_a_second_writer(corpus: Path) -> None:
    with fsutil.locked(corpus), pytest.raises(TimeoutError):
        with fsutil.locked(corpus, timeout_s=0.2):
            pass
    with fsutil.locked(corpus, timeout_s=0.2):  # released
        pass


# --------------------------------------------------------------------------- remove


def test_remove_takes_the_entry_and_its_files(corpus: Path, tmp_path: Path) -> None:
    [res] = add_files([write(tmp_path / "gbk-reg.txt", variant("甲乙社区").encode("gbk"))], corpus)
    [keep] = add_files([write(tmp_path / "keep.txt", variant("丙丁社区"))], corpus)
    assert res.original == "originals/gbk-reg.txt"
    removed = remove_document(corpus, "gbk-reg")
    assert (removed.doc_id, removed.title, removed.files) == (
        "gbk-reg", "中国共产党甲乙社区党建工作条例", ("gbk-reg.txt", "originals/gbk-reg.txt"))
    assert [e["doc_id"] for e in read_entries(corpus)] == ["notice-2099", "keep"]
    assert listing(corpus) == ["keep.txt", "manifest.toml", "notice-2099.txt"]
    text = (corpus / "manifest.toml").read_text(encoding="utf-8")
    assert text.startswith(MANIFEST) and 'doc_id = "keep"' in text  # the other tables keep their bytes
    assert [d.doc_id for d in load_corpus(corpus)] == ["notice-2099", keep.doc_id]


def test_remove_keep_files_sets_them_aside(corpus: Path, tmp_path: Path) -> None:
    """Into removed/, where registration does not look: `dangjian index` does not bring them back."""
    add_files([write(tmp_path / "gbk-reg.txt", variant("甲乙社区").encode("gbk"))], corpus)
    removed = remove_document(corpus, "gbk-reg", keep_files=True)
    assert removed.moved_to == ("gbk-reg.txt", "originals/gbk-reg.txt")
    original = corpus / "removed" / "originals" / "gbk-reg.txt"
    assert original.read_bytes() == variant("甲乙社区").encode("gbk")
    assert unlisted_files(corpus) == [] and register_unlisted(corpus) == []


def test_remove_refuses_the_primary_and_unknown_ids(corpus: Path) -> None:
    with pytest.raises(IngestError, match="不能删除主文件 notice-2099（《2099年测试工作要点》"):
        remove_document(corpus, "notice-2099")
    with pytest.raises(IngestError, match="语料中没有 doc_id 为 nope 的文件；现有：notice-2099"):
        remove_document(corpus, "nope")
    assert (corpus / "manifest.toml").read_text(encoding="utf-8") == MANIFEST


def test_remove_honours_an_old_source_field_naming_the_original(corpus: Path, tmp_path: Path) -> None:
    """Manifests written before `original` existed kept the original's path in `source`."""
    add_files([write(tmp_path / "gbk-reg.txt", variant("甲乙社区").encode("gbk"))], corpus)
    text = (corpus / "manifest.toml").read_text(encoding="utf-8").replace("original = ", "source = ")
    (corpus / "manifest.toml").write_text(text, encoding="utf-8")
    assert unlisted_files(corpus) == []  # the old field still counts as naming the original
    assert remove_document(corpus, "gbk-reg").files == ("gbk-reg.txt", "originals/gbk-reg.txt")
    assert listing(corpus) == ["manifest.toml", "notice-2099.txt"]


# --------------------------------------------------------------------------- manifest edits


def test_manifest_edits_keep_comments_and_fall_back_to_a_clean_rewrite(corpus: Path) -> None:
    append_entry(corpus, {"doc_id": "b", "file": "b.txt", "title": "乙", "aliases": ("乙乙",),
                          "primary": False})
    text = (corpus / "manifest.toml").read_text(encoding="utf-8")
    assert text.startswith(MANIFEST)
    assert tomllib.loads(text)["documents"][1] == {
        "doc_id": "b", "file": "b.txt", "title": "乙", "aliases": ["乙乙"]}
    remove_entry(corpus, "b")
    assert (corpus / "manifest.toml").read_text(encoding="utf-8").rstrip("\n") == MANIFEST.rstrip("\n")
    inline = ('documents = [{doc_id = "a", file = "a.txt", title = "甲"}, '
              '{doc_id = "b", file = "b.txt", title = "乙"}]\n')
    (corpus / "manifest.toml").write_text(inline, encoding="utf-8")
    remove_entry(corpus, "a")  # no [[documents]] tables to cut: rewritten whole, same data
    assert tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8")) == {
        "documents": [{"doc_id": "b", "file": "b.txt", "title": "乙"}]}


def test_manifest_validation(corpus: Path) -> None:
    text = MANIFEST + '\n[[documents]]\ndoc_id = "notice-2099"\nfile = "x.txt"\ntitle = "重复"\n'
    (corpus / "manifest.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match="doc_id 重复：notice-2099"):
        read_manifest(corpus)
    (corpus / "manifest.toml").write_text("[[documents]\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="清单文件格式错误"):
        read_manifest(corpus)
    with pytest.raises(CorpusError, match="清单文件格式错误"):
        add_files([], corpus)
