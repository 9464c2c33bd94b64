"""Answer → the `ask --json` contract (a stable dict other tools read)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .records import Answer


def answer_json(ans: Answer) -> dict[str, Any]:
    return {
        "question": ans.question,
        "answer": ans.text,
        "abstained": ans.abstained,
        "kind": ans.kind,
        "route": ans.route,
        "citations": [asdict(c) for c in ans.citations],
        "retrieved": list(ans.retrieved),
        "suggestions": list(ans.suggestions),
        "timings_ms": dict(ans.timings_ms),
        "generated": ans.generated,
        "verification": ans.verification,
        "notes": list(ans.notes),
    }
