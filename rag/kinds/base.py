"""What a document kind declares: how its text becomes units, how a unit is labelled and counted,
which reference words a question may use for it, and where its text names its issuer and date.

The rest of the library asks the registry (`rag.kinds`) about a document's kind instead of testing
a kind's name, so adding a kind is one module beside this one (see README, "新的文件类型").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..records import DocMeta, Document

# Where a kind's text names its issuer and date: the lead before 第一条 (a regulation's revision
# line), the header above the title (a notice's red head and date), or the 落款 after the body.
Signature = Literal["lead", "header", "closing"]


def no_warnings(doc: Document) -> list[str]:
    """The default `DocKind.check`: nothing to warn about."""
    return []


def no_guess(text: str) -> dict[str, Any]:
    """The default `DocKind.guess`: the generic guesses of rag/ingest/meta.py stand."""
    return {}


@dataclass(frozen=True, slots=True)
class DocKind:
    """One kind of document. `parse` must give every numbered unit the Unit.kind `unit_kind`, the
    ref str(n) and the label `label(n)` (or the label as the text writes it, e.g. 第三十一条)."""

    name: str  # the manifest's `kind` value
    display: str  # what the 文件 page calls it
    unit_kind: str  # `Unit.kind` of its numbered units
    unit_word: str  # what a numbered unit is counted in: 第8条, 共19条; 第3段, 共12段
    ref_words: str  # the characters a question may write after 第N for one of its units (条项点, 段)
    parse: Callable[[str, DocMeta], Document]
    claims: Callable[[str], bool]  # this text is of this kind (asked in the registry's order)
    signature: Signature
    titled: bool = False  # a numbered unit's first sentence is its own heading (a notice item's)
    check: Callable[[Document], list[str]] = no_warnings  # warnings `dangjian add` prints
    guess: Callable[[str], dict[str, Any]] = no_guess  # manifest fields read where this kind writes them

    def label(self, n: int) -> str:
        """How a message names unit `n`: 第8条, 第3段."""
        return f"第{n}{self.unit_word}"

    def takes(self, word: str) -> bool:
        """A reference written with `word` (第N条 → "条"; "" for 8. / item 8) can mean one of its units."""
        return not word or word in self.ref_words
