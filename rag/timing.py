"""The one place an answer's "total" time is computed (CLI, API and web chat report the same thing)."""

from __future__ import annotations

import time
from dataclasses import replace

from .records import Answer


def with_total(answer: Answer, started: float, *, earlier_ms: float = 0.0) -> Answer:
    """`answer` with timings_ms["total"]: milliseconds since `started` (a `time.perf_counter()`
    reading) plus `earlier_ms` spent before it (retrieval computed by the caller)."""
    total = round((time.perf_counter() - started) * 1000 + earlier_ms, 2)
    return replace(answer, timings_ms={**answer.timings_ms, "total": total})
