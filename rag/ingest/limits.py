"""What one document may cost: bounds checked before the expensive step they protect."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Defaults are far above any real party document (the largest shipped text is 46 KB,
    158 articles) and far below what makes ingestion or the index build stall."""

    max_bytes: int = 20 * MB  # the file as given
    max_pages: int = 500  # PDF pages, counted before any text is extracted
    max_bad_share: float = 0.01  # undecodable / replacement / control characters in the text
    # .docx (a zip): measured from the zip directory before anything is decompressed
    max_zip_entries: int = 10_000
    max_zip_total: int = 200 * MB  # all entries, uncompressed
    max_zip_entry: int = 100 * MB  # one entry, uncompressed
    max_zip_ratio: float = 100.0  # uncompressed / compressed, for entries of at least 1 MB
    # the extracted text and its structure
    max_chars: int = 8_000_000  # extracted text (a 20 MB UTF-8 text has ~7 M characters)
    max_units: int = 3_000  # numbered 条目 (articles or items); the 民法典 has 1,260
    max_unit_chars: int = 100_000  # one article or item
    max_repeat_share: float = 0.5  # share of articles whose number repeats an earlier one


DEFAULT_LIMITS = Limits()
