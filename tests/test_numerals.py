"""Tests for rag.numerals: the one Chinese-numeral parser every module uses."""

from __future__ import annotations

import re

import pytest

from rag.numerals import CN_NUMERAL_CHARS, cn_to_int, digits_to_int, int_to_cn


@pytest.mark.parametrize(("text", "value"), [
    # the forms real texts use for articles, items and sections
    ("一", 1), ("十", 10), ("十九", 19), ("二十", 20), ("二十一", 21), ("三十二", 32),
    ("一百", 100), ("一百零一", 101), ("一百〇一", 101), ("一百一十", 110), ("一百五十八", 158),
    ("一千零七十", 1070), ("九千九百九十九", 9999), ("一十", 10),
    ("两", 2), ("两百", 200), ("兩百", 200), ("〇", 0), ("零", 0),
    # Arabic digits, half- and full-width, with surrounding space
    ("8", 8), ("８", 8), ("１９", 19), ("158", 158), (" 12\u3000", 12),
    # not numbers: codes, words, malformed or unsupported forms
    ("一二", None), ("二〇二五", None), ("十十", None), ("百", None), ("一百十", None), ("千百", None),
    ("廿", None), ("廿一", None), ("卅", None), ("万", None), ("一万", None),
    ("", None), ("  ", None), ("abc", None), ("-1", None), ("1.5", None), ("8条", None), ("1九", None),
])
def test_cn_to_int(text: str, value: int | None) -> None:
    assert cn_to_int(text) == value


@pytest.mark.parametrize(("text", "value"), [("二〇二五", 2025), ("一九四九", 1949), ("二零零八", 2008),
                                             ("两〇二五", None), ("二十", None), ("", None), ("2025", None)])
def test_digits_to_int(text: str, value: int | None) -> None:
    assert digits_to_int(text) == value


@pytest.mark.parametrize(("n", "text"), [
    (0, "零"), (1, "一"), (10, "十"), (19, "十九"), (20, "二十"), (32, "三十二"), (100, "一百"),
    (101, "一百零一"), (110, "一百一十"), (158, "一百五十八"), (1001, "一千零一"), (1070, "一千零七十"),
    (9999, "九千九百九十九"),
])
def test_int_to_cn(n: int, text: str) -> None:
    assert int_to_cn(n) == text


def test_int_to_cn_round_trips_and_labels_parse() -> None:
    for n in range(10_000):
        assert cn_to_int(int_to_cn(n)) == n
    m = re.fullmatch(rf"第([{CN_NUMERAL_CHARS}]+)条", f"第{int_to_cn(32)}条")
    assert m is not None and cn_to_int(m.group(1)) == 32
    with pytest.raises(ValueError):
        int_to_cn(10_000)


MIGRATED = ("structure.py", "articles.py", "refs.py", "verify.py", "corpus.py", "ingest")


def test_one_alphabet_where_there_were_six() -> None:
    """The modules that each spelled the alphabet (and two that parsed numerals) now import it.
    Regex classes for a deliberate subset, such as 要点一…要点十九, may stay where they are used."""
    from pathlib import Path

    rag = Path(__file__).resolve().parent.parent / "rag"
    paths = [rag / n for n in MIGRATED if n.endswith(".py")] + sorted((rag / "ingest").rglob("*.py"))
    for path in paths:
        source = path.read_text(encoding="utf-8")
        assert "九十百千" not in source, path
        assert '"十": 10' not in source and '"九": 9' not in source, path
