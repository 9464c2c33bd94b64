"""Bounds on what one request may ask: history turns and characters, a conversation state.

The question itself is checked by `rag.query.validate` (empty, too long, broken characters).
These checks sit beside it so every edge (CLI, API, page) reports which limit a request broke —
"history 第3条过长", not "问题过长" — before any work is done. A history is replayed answer by
answer, so its length is bounded as a whole; a client that keeps a conversation going sends the
compact `state` ({doc_id, refs}, returned with each answer) instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from .catalog import Catalog
from .config import MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_STATE_REFS
from .errors import InputError
from .query import State
from .text import SURROGATE

BROKEN_TEXT = "含有无法识别的字符（可能是编码错误或截断的表情符号）"


def has_broken_text(text: str) -> bool:
    """True when `text` holds a lone surrogate: what undecodable bytes and half emoji become."""
    return SURROGATE.search(text) is not None


def check_history(history: Sequence[object], *, label: str = "history") -> list[str]:
    """The earlier questions, stripped; InputError naming the turn and the limit it breaks."""
    if len(history) > MAX_HISTORY_TURNS:
        raise InputError(f"{label} 最多 {MAX_HISTORY_TURNS} 条（收到 {len(history)} 条）；"
                         "更长的对话请改传 state（每次回答都会返回）")
    out: list[str] = []
    for n, turn in enumerate(history, 1):
        if not isinstance(turn, str):
            raise InputError(f"{label} 第{n}条应为文本")
        if has_broken_text(turn):
            raise InputError(f"{label} 第{n}条{BROKEN_TEXT}")
        text = turn.strip()
        if not text:
            raise InputError(f"{label} 第{n}条为空")
        if len(text) > MAX_QUESTION_CHARS:
            raise InputError(f"{label} 第{n}条过长（{len(text)} 字），每条不超过 {MAX_QUESTION_CHARS} 字")
        out.append(text)
    total = sum(map(len, out))
    if total > MAX_HISTORY_CHARS:
        raise InputError(f"{label} 合计过长（{total} 字），全部之前的提问合计不超过 {MAX_HISTORY_CHARS} 字；"
                         "更长的对话请改传 state")
    return out


def fit_history(history: Sequence[str]) -> list[str]:
    """The most recent turns within the limits: for an edge's own history (the page's, chat's),
    which is trimmed, never refused."""
    kept: list[str] = []
    total = 0
    for turn in reversed([h.strip() for h in history if isinstance(h, str) and h.strip()]):
        if len(kept) == MAX_HISTORY_TURNS or total + len(turn) > MAX_HISTORY_CHARS or has_broken_text(turn):
            break
        kept.append(turn)
        total += len(turn)
    return kept[::-1]


def check_state(doc_id: object, refs: object, catalog: Catalog) -> State:
    """A client's conversation state → `State`, when it names a document and units that exist."""
    if not isinstance(doc_id, str) or (doc_id and has_broken_text(doc_id)):
        raise InputError("state.doc_id 应为文本（已收录文件的 doc_id，或空）")
    if not isinstance(refs, (list, tuple)) or not all(isinstance(r, str) for r in refs):
        raise InputError("state.refs 应为文本列表，例如 [\"8\"]")
    if len(refs) > MAX_STATE_REFS:
        raise InputError(f"state.refs 最多 {MAX_STATE_REFS} 项（收到 {len(refs)} 项）")
    if not doc_id:
        if refs:
            raise InputError("state.refs 不为空时必须给出 state.doc_id")
        return State()
    doc = catalog.doc(doc_id)
    if doc is None:
        ids = "、".join(d.doc_id for d in catalog.docs)
        raise InputError(f"state.doc_id 不是已收录的文件：{doc_id[:60]}（可用的 doc_id：{ids}）")
    for ref in refs:
        if doc.unit(ref) is None:
            raise InputError(f"state.refs 中的“{ref[:20]}”不是《{doc.meta.title}》的条目")
    return State(doc_id, tuple(refs))


def state_json(state: State) -> dict[str, object]:
    """What a client sends back next time: {"doc_id": …, "refs": […]}."""
    return {"doc_id": state.doc_id, "refs": list(state.refs)}
