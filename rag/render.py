"""Answer → the `ask --json` contract (a stable dict other tools read)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .records import Answer, Block, Citation


def citation_json(c: Citation) -> dict[str, str]:
    """One citation as `ask --json` writes it: doc_id, ref, label, title, section, quote."""
    return asdict(c)


def block_json(b: Block) -> dict[str, Any]:
    """One typed block as `ask --json` writes it (see records.Block); empty fields left out."""
    out: dict[str, Any] = {"kind": b.kind}
    for name in ("text", "doc_id", "ref", "heading", "marker"):
        if value := getattr(b, name):
            out[name] = value
    if b.kind == "evidence":
        out["numbered"] = b.numbered
    if b.lines:
        out["lines"] = [{"text": line.text, "sent_no": line.sent_no, "depth": line.depth} for line in b.lines]
    if b.items:
        out["items"] = [{"key": key, "heading": heading} for key, heading in b.items]
    return out


def answer_json(ans: Answer) -> dict[str, Any]:
    return {
        "question": ans.question,
        "answer": ans.text,
        "abstained": ans.abstained,
        "kind": ans.kind,
        "route": ans.route,
        "citations": [citation_json(c) for c in ans.citations],
        "retrieved": list(ans.retrieved),
        "suggestions": list(ans.suggestions),
        "timings_ms": dict(ans.timings_ms),
        "generated": ans.generated,
        "verification": ans.verification,
        "notes": list(ans.notes),
        "blocks": [block_json(b) for b in ans.blocks],
    }
