"""Chinese numerals, in one place: the alphabet the parsers' patterns use, and one parser.

    cn_to_int("第十九条"[1:-1]) → 19     cn_to_int("１９") → 19     cn_to_int("一二") → None
    int_to_cn(32) → "三十二"            digits_to_int("二〇二五") → 2025

Only the standard written form is a number: digits and units alternating, units decreasing
(一百五十八, 一千零七十, 两百), a leading 十 for 10–19 (十九), 零/〇 as a filler (一百零一).
Anything else ("一二", "十十", "一百十", "百") is not one: such runs are codes or words, and a
heading or reference built on them is better left unrecognised than given a wrong number.
廿 (20) and 卅 (30) are not accepted: official texts number articles in the standard form, and
in running text those characters occur in dates and names, not as article numbers.
Values are below 10,000 (no 万): no document has that many articles, items or sections.
"""

from __future__ import annotations

DIGITS: dict[str, int] = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
                          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS)
"""Every character a Chinese numeral may contain: put it inside a regex character class."""

_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)}
_NAMES = "零一二三四五六七八九"


def _parse_cn(text: str) -> int | None:
    """The standard form below 10,000; None for anything else."""
    total, digit, last_unit = 0, None, 10_000
    for i, ch in enumerate(text):
        if ch in DIGITS:
            if digit is not None:
                return None  # two digits in a row ("一二") is a code, not a number
            digit = DIGITS[ch] or None
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit >= last_unit or (digit is None and not (ch == "十" and i == 0)):
                return None
            total += (digit or 1) * unit
            digit, last_unit = None, unit
        else:
            return None
    return total + (digit or 0)


def cn_to_int(text: str) -> int | None:
    """Value of an Arabic (half- or full-width) or standard Chinese numeral; None when it is not one."""
    s = text.translate(_FULL_WIDTH_DIGITS).strip()
    if not s:
        return None
    if s.isascii():
        return int(s) if s.isdigit() else None
    return _parse_cn(s)


def digits_to_int(text: str) -> int | None:
    """A number written digit by digit, as years are (二〇二五 → 2025); None otherwise."""
    if not text or any(ch not in DIGITS or ch == "两" or ch == "兩" for ch in text):
        return None
    return int("".join(str(DIGITS[ch]) for ch in text))


def int_to_cn(n: int) -> str:
    """1 → 一, 10 → 十, 19 → 十九, 32 → 三十二, 101 → 一百零一, 110 → 一百一十 (0 ≤ n < 10,000)."""
    if not 0 <= n < 10_000:
        raise ValueError(f"out of range: {n}")
    if n == 0:
        return "零"
    out: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_NAMES[d] + unit)
    s = "".join(out)
    return s[1:] if s.startswith("一十") else s
