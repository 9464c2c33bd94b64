"""`Assistant.ask(question, state=…)` → `Answer`: the one façade the CLI, UI, API and eval use.

A conversation is one `State` (the document and units of the last answer, `next_state`), carried
by every edge from answer to answer; an edge that has only the earlier questions passes `history`,
which is turned into a state once (`state_after`).

Three explicit stages: *understand* (rag/query.py: normalise, references, documents, intents,
conversation state) → *route* (rag/routes.py: an ordered table, first match wins, search last)
→ *compose* (rag/answer.py: each route's composer returns a complete `Answer`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from .catalog import Catalog
from .config import Settings
from .embed import Embedder
from .errors import InputError
from .index_load import Index
from .query import Options, Query, State, next_state, understand, validate
from .ranking import RankSettings
from .records import Answer, Document, Hit, Mode, Unit
from .routes import route
from .search import Context, ranked

__all__ = ["Assistant", "Options", "State", "validate"]


class Assistant:
    """Owns the loaded index and embedder (every edge opens it with `rag.assistant.open_assistant`).
    `ask` only reads them, so concurrent calls are safe as far as this class goes (the embedder
    backend decides whether encoding is)."""

    def __init__(self, index: Index, emb: Embedder, settings: Settings,
                 ranking: RankSettings | None = None) -> None:
        """`ranking`: the search path's settings; by default the calibrated ones, with the
        abstention bar of `settings.abstain_threshold` when that is set."""
        self.index = index
        self.emb = emb
        self.settings = settings
        self.catalog = Catalog(index.docs)
        if ranking is None:
            ranking = RankSettings()
            if settings.abstain_threshold:
                ranking = replace(ranking, min_strength=settings.abstain_threshold)
        self.ctx = Context(index, emb, self.catalog, ranking)

    @property
    def primary(self) -> Document:
        return self.catalog.primary

    @property
    def min_strength(self) -> float:
        return self.ctx.min_strength

    @property
    def ranking(self) -> RankSettings:
        return self.ctx.ranking

    def configured(self, ranking: RankSettings) -> Assistant:
        """The same loaded index and encoder, ranked by other settings (an ablation's configuration)."""
        return Assistant(self.index, self.emb, self.settings, ranking)

    def _options(self, options: Options) -> Options:
        unknown = [d for d in options.docs if self.catalog.doc(d) is None]
        if unknown:
            ids = "、".join(d.doc_id for d in self.catalog.docs)
            raise InputError(f"没有这个文件：{'、'.join(unknown)}（可用的 doc_id：{ids}）")
        return options

    def understand(self, question: str, state: State = State(), options: Options = Options()) -> Query:
        return understand(validate(question), self.catalog, state=state, options=self._options(options))

    def state_after(self, history: Sequence[str], options: Options = Options()) -> State:
        """The conversation state after `history` (earlier questions, oldest first), replayed."""
        state = State()
        for turn in history:
            state = next_state(state, self._answer(self.understand(turn, state, options)).focus)
        return state

    def ask(self, question: str, history: Sequence[str] = (), *, options: Options = Options(),
            state: State | None = None) -> Answer:
        """Answer `question`; `state` (from `Answer.focus` via `next_state`) saves replaying `history`."""
        question = validate(question)
        history = [validate(h) for h in history]
        state = state if state is not None else self.state_after(history, options)
        start = time.perf_counter()
        ans = self._answer(self.understand(question, state, options))
        return replace(
            ans, timings_ms=dict(ans.timings_ms, total=round((time.perf_counter() - start) * 1000, 2))
        )

    def _answer(self, q: Query) -> Answer:
        return route(self.ctx, q)

    def search(self, question: str, *, mode: Mode | None = None, docs: Sequence[str] = ()) -> tuple[Hit, ...]:
        """The units a free-text question ranks, in the order answers use (no routing): `dangjian search`;
        `mode` overrides the configured signals (`RankSettings.mode`)."""
        q = self.understand(question, options=Options(docs=tuple(docs)))
        ranking = self.ranking if mode is None else replace(self.ranking, mode=mode)
        ctx = replace(self.ctx, ranking=ranking)
        return ranked(ctx, q, docs=docs)

    def unit(self, key: str) -> tuple[Document, Unit] | None:
        """`doc_id#ref` (or a bare ref of the primary document) → its document and unit."""
        return self.ctx.unit(key)
