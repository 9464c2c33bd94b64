"""The 新任书记入门 JSON API: the tour, duty checklists by role, the glossary and practice rounds.

`ui.api.create_app` includes `onboarding_router(guard)` with one line, before its /api fallback;
`guard` is the app's own auth dependency, so these routes are protected exactly like /api/ask.
Every error is ``{"error": "中文说明"}``. Shapes (all citations have the `ask --json` shape):

    GET  /api/tour[?step=N]        {"total": 26, "steps": [STEP…]} or one STEP (rag.onboarding.tour)
    GET  /api/duties               {"roles": [{"role", "title", "aliases", "count"}]}
    GET  /api/duties/{role}        CHECKLIST: groups and calendar (rag.onboarding.duties)
    GET  /api/duties/{role}.docx   the checklist as a Word file (attachment)
    GET  /api/duties/{role}.md     the checklist as Markdown (attachment)
    GET  /api/glossary             {"count", "defined", "entries": [ENTRY…]} (rag.onboarding.terms)
    GET  /api/glossary/{term}      ENTRY
    GET  /api/quiz?n=10&seed=S     {"seed", "questions": [QUESTION…]} — no answers (rag.onboarding.quiz)
    POST /api/quiz/check           {"answers": [{"id", "answer"}]} → {"score", "total", "results", "wrong"}

`role` accepts the short names (支部书记, 党组书记, 纪委委员, 党务干部, 党员), full titles and aliases;
the same `seed` always gives the same round; a checked answer reveals the answer and its article.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from rag.errors import CorpusError, DangjianError, InputError
from rag.onboarding import (
    Onboarding,
    check,
    checklist_json,
    entry_json,
    export,
    lookup,
    question_json,
    quiz_round,
    score_json,
    step,
    step_json,
)
from rag.onboarding.quiz import MAX_ROUND, find
from rag.pipeline import Assistant
from rag.roles import ROLES

MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "md": "text/markdown; charset=utf-8"}


class QuizAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: StrictStr
    answer: StrictStr = ""


class QuizCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[QuizAnswer] = Field(max_length=MAX_ROUND)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _failure(err: DangjianError) -> JSONResponse:
    """A library error other than bad input: a broken data file → 500; no usable index → 503."""
    if isinstance(err, CorpusError):
        return _error(500, str(err))
    return _error(503, str(err))


def onboarding_router(guard: Any, assistant: Callable[[], Assistant]) -> APIRouter:
    """The routes, behind `guard` (the app's auth dependency), over `assistant()`'s documents."""
    router = APIRouter(dependencies=[guard], tags=["新任书记入门"])
    built: list[tuple[object, Onboarding]] = []  # (the index's documents, their views)

    def ob() -> Onboarding:
        """The views of the loaded index's documents, built again only when the index changes."""
        docs = assistant().index.docs
        if not built or built[0][0] is not docs:
            built[:] = [(docs, Onboarding(docs))]
        return built[0][1]

    @router.get("/api/tour", summary="要点导览：总体要求、六个部分、19条（?step=N 取一步）")
    def api_tour(step_no: str | None = Query(None, alias="step")) -> Any:
        return _tour(ob, step_no)

    @router.get("/api/duties", summary="可用的角色")
    def api_roles() -> Any:
        try:
            lists = ob().checklists
        except DangjianError as err:
            return _failure(err)
        return {"roles": [{"role": r.name, "title": r.title, "aliases": list(r.aliases),
                           "count": len(lists[r.name].duties)} for r in ROLES]}

    @router.get("/api/duties/{role}.docx", summary="职责清单导出为 Word")
    def api_duties_docx(role: str) -> Any:
        return _export(ob, role, "docx")

    @router.get("/api/duties/{role}.md", summary="职责清单导出为 Markdown")
    def api_duties_md(role: str) -> Any:
        return _export(ob, role, "md")

    @router.get("/api/duties/{role}", summary="某个角色的职责清单（分组和日历）")
    def api_duties(role: str) -> Any:
        try:
            views = ob()
            return checklist_json(views.checklist(role), views.titles)
        except InputError as err:
            return _error(404, str(err))
        except DangjianError as err:
            return _failure(err)

    @router.get("/api/glossary", summary="名词解释：全部词条")
    def api_glossary() -> Any:
        try:
            entries = ob().entries
        except DangjianError as err:
            return _failure(err)
        return {"count": len(entries), "defined": sum(e.defined for e in entries),
                "entries": [entry_json(e) for e in entries]}

    @router.get("/api/glossary/{term}", summary="名词解释：一个词条")
    def api_term(term: str) -> Any:
        try:
            return entry_json(lookup(ob().entries, term))
        except InputError as err:
            return _error(404, str(err))
        except DangjianError as err:
            return _failure(err)

    @router.get("/api/quiz", summary="应知应会练习：取一组题（不含答案）")
    def api_quiz(n: str = "10", seed: str | None = None) -> Any:
        return _quiz(ob, n, seed)

    @router.post("/api/quiz/check", summary="应知应会练习：提交答案，返回得分、答案和出处")
    def api_quiz_check(body: QuizCheck) -> Any:
        try:
            pool = ob().questions
            return score_json([check(find(pool, a.id), a.answer) for a in body.answers])
        except InputError as err:
            return _error(400, str(err))
        except DangjianError as err:
            return _failure(err)

    return router


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{what}应为整数：{text}") from None


def _tour(ob: Callable[[], Onboarding], step_no: str | None) -> Any:
    try:
        steps = ob().steps
        if step_no is None:
            return {"total": len(steps), "steps": [step_json(s) for s in steps]}
        return step_json(step(steps, _int(step_no, "step")))
    except InputError as err:
        return _error(404, str(err))
    except DangjianError as err:
        return _failure(err)


def _export(ob: Callable[[], Onboarding], role: str, fmt: str) -> Any:
    try:
        views = ob()
        checklist = views.checklist(role)
    except InputError as err:
        return _error(404, str(err))
    except DangjianError as err:
        return _failure(err)
    try:
        data = export(checklist, views.titles, "docx" if fmt == "docx" else "md")
    except InputError as err:  # python-docx not installed
        return _error(503, str(err))
    name = quote(f"{checklist.title}职责清单.{fmt}")
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _quiz(ob: Callable[[], Onboarding], n: str, seed: str | None) -> Any:
    seed = seed if seed else str(secrets.randbelow(1_000_000))
    try:
        questions = quiz_round(ob().questions, _int(n, "n"), seed)
    except InputError as err:
        return _error(400, str(err))
    except DangjianError as err:
        return _failure(err)
    return {"seed": seed, "questions": [question_json(q) for q in questions]}
