"""Changing the corpus folder so that a kill at any instant leaves it usable and recoverable.

Every change follows one order: note in a journal the files about to appear or disappear,
create the new files (never overwriting), rewrite the manifest atomically — the commit point —
then delete what it no longer names, then the journal. Whatever a kill interrupts, `recover`
(run under the corpus lock at the start of the next add / index / remove) finishes or undoes it:
journalled files the manifest does not name are garbage (an add that never committed, or a
remove that did), temporaries are swept, and a file an older version hid in `.register-*` while
registering it is put back where the user left it. A file the user dropped in is never moved.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .. import fsutil
from ..errors import IngestError
from .manifest import ORIGINALS, named_files, read_entries

JOURNAL = ".dangjian-journal.json"
REMOVED = "removed"  # where `remove --keep-files` puts a document's files (not scanned for new files)


@contextlib.contextmanager
def session(corpus: Path) -> Iterator[list[str]]:
    """Hold the corpus lock; recover from any interrupted command first. Yields recovery notes."""
    if not corpus.is_dir():
        raise IngestError(f"语料目录不存在：{corpus}")
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(fsutil.locked(corpus))
        except TimeoutError as err:
            raise IngestError(f"语料目录正被另一个 dangjian 命令修改：{corpus}，请稍后重试") from err
        yield recover_locked(corpus)


def recover(corpus: Path) -> list[str]:
    """Finish or undo what an interrupted command left in the corpus; Chinese notes of what was done."""
    with session(corpus) as notes:
        return notes


def recover_locked(corpus: Path) -> list[str]:
    """`recover` for a caller that already holds the corpus lock."""
    notes = _restore_register_dirs(corpus)
    notes += replay_journal(corpus)
    swept = [p for d in (corpus, corpus / ORIGINALS, corpus / REMOVED)
             for p in fsutil.sweep_temp_files(d, everyone=True)]
    if swept:
        notes.append(f"已清理上次中断留下的临时文件 {len(swept)} 个")
    return notes


def write_journal(corpus: Path, files: Sequence[str], *, keep: bool = False) -> None:
    """Before touching `files` (corpus-relative): after a kill, those the manifest does not name
    are removed (or, with `keep`, moved into removed/)."""
    data = {"pid": os.getpid(), "files": list(files), "keep": keep}
    fsutil.atomic_write(corpus / JOURNAL, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def clear_journal(corpus: Path) -> None:
    (corpus / JOURNAL).unlink(missing_ok=True)
    fsutil.fsync_dir(corpus)


def replay_journal(corpus: Path) -> list[str]:
    """Apply the journal against the committed manifest, then drop it."""
    path = corpus / JOURNAL
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = [str(f) for f in data.get("files", [])]
        keep = bool(data.get("keep", False))
    except (ValueError, AttributeError, UnicodeDecodeError):
        files, keep = [], False  # written atomically, so unreadable only if edited by hand
    named = named_files(read_entries(corpus))
    notes: list[str] = []
    for rel in files:
        target = corpus / rel
        if rel in named or not _inside(corpus, target) or not target.is_file():
            continue
        if keep:
            notes.append(f"已把上次中断的删除操作留下的 {rel} 移入 {REMOVED}/{set_aside(corpus, target)}")
        else:
            target.unlink()
            notes.append(f"已删除上次中断的操作留下的文件 {rel}")
    clear_journal(corpus)
    return notes


def set_aside(corpus: Path, path: Path) -> str:
    """Move `path` to the same place under removed/ (a free name if taken); returns where, relative
    to removed/."""
    rel = path.relative_to(corpus)
    folder = (corpus / REMOVED / rel).parent
    folder.mkdir(parents=True, exist_ok=True)
    name, n = path.name, 1
    while (folder / name).exists():
        n += 1
        name = f"{path.stem}-{n}{path.suffix}"
    os.rename(path, folder / name)
    fsutil.fsync_dir(folder)
    return str((rel.parent / name).as_posix())


def _inside(corpus: Path, path: Path) -> bool:
    return corpus.resolve() in path.resolve().parents


def _restore_register_dirs(corpus: Path) -> list[str]:
    """Older versions moved a dropped-in file into `.register-*/` while registering it: put it back."""
    notes: list[str] = []
    for folder in sorted(corpus.glob(".register-*")):
        if not folder.is_dir():
            continue
        for staged in sorted(folder.iterdir()):
            home = corpus / staged.name
            if home.exists() and home.read_bytes() == staged.read_bytes():
                staged.unlink()
                continue
            if home.exists():
                home = corpus / f"{staged.stem}（恢复）{staged.suffix}"
            os.rename(staged, home)
            notes.append(f"已把上次中断时移走的文件放回原处：{home.name}")
        folder.rmdir()
    return notes
