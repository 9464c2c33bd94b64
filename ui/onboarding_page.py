"""The 入门 tab: the guided tour, duty checklists by role (groups or calendar, Word/Markdown export),
the glossary and 应知应会 practice rounds — everything quoted, every line able to open its item.

The tab is one HTML view over a small state dict kept in the page:

    {"view": "tour"|"duties"|"glossary"|"quiz", "step": 1, "role": "支部书记",
     "layout": "groups"|"calendar", "open": "doc#ref" | "",
     "quiz": {"seed": "…", "ids": [...], "result": <score_json> | None}}

`act(server, state, data)` applies one click (data from the page's delegate: action + fields) and
returns the new state; `render(server, state)` draws it. Both read the views of the documents being served
(`rag.onboarding.Onboarding`, rebuilt only when the index changes).
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from rag.errors import DangjianError, InputError
from rag.onboarding import (
    GROUPS,
    Checklist,
    Duty,
    Onboarding,
    Passage,
    calendar,
    check,
    quiz_round,
    score_json,
)
from rag.onboarding.quiz import find
from rag.roles import ROLES

from .render import esc, unit_panel
from .runtime import AppState

VIEWS: tuple[tuple[str, str], ...] = (("tour", "导览"), ("duties", "职责清单"), ("glossary", "名词解释"),
                                      ("quiz", "应知应会"))
ROUND = 10
_cache: list[tuple[object, Onboarding]] = []


def views(server: AppState) -> Onboarding:
    """The onboarding views of the served documents, built again only when the index changes."""
    docs = server.assistant().index.docs
    if not _cache or _cache[0][0] is not docs:
        _cache[:] = [(docs, Onboarding(docs))]
    return _cache[0][1]


def initial(view: str = "tour", role: str = "支部书记") -> dict[str, Any]:
    return {"view": view, "step": 1, "role": role, "layout": "groups", "open": "", "quiz": {}}


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def act(server: AppState, state: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """The state after one click: switch view, step, pick a role or layout, open an item, quiz."""
    state = {**initial(), **(state or {})}
    action = str(data.get("action", ""))
    if action == "ob-view" and data.get("view") in dict(VIEWS):
        state.update(view=data["view"], open="")
    elif action == "ob-step":
        state.update(step=_int(data.get("step"), 1), open="")
    elif action == "ob-role":
        state.update(view="duties", role=str(data.get("role") or "支部书记"), open="")
    elif action == "ob-layout" and data.get("layout") in ("groups", "calendar"):
        state.update(layout=data["layout"])
    elif action == "ob-open":
        state.update(open=str(data.get("key", "")))
    elif action == "ob-close":
        state.update(open="")
    elif action == "ob-quiz-new":
        state.update(view="quiz", open="", quiz=_new_round(server))
    elif action == "ob-quiz-check":
        state.update(quiz=_checked(server, state.get("quiz") or {}, data.get("answers")))
    return state


# -- tour ---------------------------------------------------------------------------------------------


def _open(p: Passage, label: str = "看原文") -> str:
    return (f'<button type="button" class="dj-link dj-ob-open" data-action="ob-open" data-key="{esc(p.key)}" '
            f'aria-label="{esc(label)}：{esc(p.label)}">{esc(label)}</button>')


def _passage(p: Passage) -> str:
    return (f'<span class="dj-quote">{esc(p.text)}</span>'
            f'<span class="dj-marker">{esc(p.marker)}</span> {_open(p)}')


def _jump(t: Any, here: int) -> str:
    mark = ' aria-current="step"' if t.no == here else ""
    name = t.label if t.kind == "item" else t.heading[:18]
    return (f'<li><button type="button" class="dj-link" data-action="ob-step" data-step="{t.no}"{mark}>'
            f"{t.no}. {esc(name)}</button></li>")


def _tour(ob: Onboarding, state: dict[str, Any]) -> str:
    steps = ob.steps
    no = min(max(1, _int(state.get("step"), 1)), len(steps))
    s = steps[no - 1]
    kind = {"preamble": "总体要求", "section": "部分", "item": s.label}[s.kind]
    lines = "".join(f"<li>{_passage(p)}</li>" for p in s.lines)
    prev_btn = (
        f'<button type="button" class="dj-act" data-action="ob-step" data-step="{s.prev}">上一步</button>'
        if s.prev
        else '<button type="button" class="dj-act" disabled>上一步</button>'
    )
    next_btn = (
        f'<button type="button" class="dj-act dj-primary" data-action="ob-step" '
        f'data-step="{s.next}">下一步</button>'
        if s.next
        else '<button type="button" class="dj-act" data-action="ob-view" data-view="duties">'
        '看职责清单</button>'
    )
    jump = "".join(_jump(t, no) for t in steps)
    section = f'<div class="dj-ob-sec">{esc(s.section)}</div>' if s.section and s.kind == "item" else ""
    return (
        f'<div class="dj-ob-tour"><div class="dj-ob-progress" role="status">第 {no} 步 / 共 {len(steps)} 步'
        f'<progress max="{len(steps)}" value="{no}" aria-label="导览进度"></progress></div>'
        f'<h3 class="dj-ob-h"><span class="dj-badge">{esc(kind)}</span>{esc(s.heading)}</h3>{section}'
        f'<ol class="dj-ob-lines">{lines}</ol>'
        f'<div class="dj-ob-nav2">{prev_btn}{next_btn}</div>'
        f'<details class="dj-ob-jump"><summary>全部 {len(steps)} 步</summary><ol>{jump}</ol></details></div>')


# -- duties -------------------------------------------------------------------------------------------


def _duty(d: Duty) -> str:
    freq = f'<span class="dj-freq">{esc(d.frequency)}</span>' if d.frequency else ""
    why = f'<div class="dj-why">{esc(d.why)}</div>' if d.why else ""
    return f'<li class="dj-duty">{freq}{_passage(d.passage)}{why}</li>'


def _checklist_body(c: Checklist, layout: str) -> str:
    if layout == "calendar":
        parts = [f'<h4 class="dj-ob-group">{esc(when)}（{len(ds)}项）</h4><ol class="dj-duties">'
                 + "".join(_duty(d) for d in ds) + "</ol>" for when, ds in calendar(c)]
    else:
        parts = [f'<h4 class="dj-ob-group">{esc(g)}（{len(c.group(g))}项）</h4><ol class="dj-duties">'
                 + "".join(_duty(d) for d in c.group(g)) + "</ol>" for g in GROUPS if c.group(g)]
    return "".join(parts)


def _duties(ob: Onboarding, state: dict[str, Any]) -> str:
    try:
        c = ob.checklist(str(state.get("role") or "支部书记"))
    except InputError as err:
        return f'<p class="dj-status dj-status-error" role="alert">{esc(err)}</p>'
    roles = "".join(
        f'<button type="button" class="dj-chip{" dj-on" if r.name == c.role else ""}" data-action="ob-role" '
        f'data-role="{esc(r.name)}" '
        f'aria-pressed="{"true" if r.name == c.role else "false"}">{esc(r.title)}</button>'
        for r in ROLES
    )
    layout = state.get("layout", "groups")
    toggles = "".join(
        f'<button type="button" class="dj-act{" dj-on" if layout == k else ""}" data-action="ob-layout" '
        f'data-layout="{k}" aria-pressed="{"true" if layout == k else "false"}">{label}</button>'
        for k, label in (("groups", "按分组"), ("calendar", "工作日历")))
    dated = sum(bool(d.frequency) for d in c.duties)
    titles = "、".join(f"《{ob.titles.get(d, d)}》" for d in c.documents)
    return (
        f'<div class="dj-ob-roles" role="group" aria-label="选择角色">{roles}</div>'
        f'<h3 class="dj-ob-h">{esc(c.title)}职责清单</h3>'
        f'<p class="dj-ob-sum">共 {len(c.duties)} 项，出自 {len(c.documents)} 份文件，其中 {dated} '
        f'项写明了频次或时限。'
        f"每一项都是原文逐字摘录。</p>"
        f'<div class="dj-ob-tools"><span role="group" aria-label="排列方式">{toggles}</span>'
        f'<button type="button" class="dj-act" data-action="ob-export" data-fmt="docx">导出 Word</button>'
        f'<button type="button" class="dj-act" data-action="ob-export" data-fmt="md">导出 Markdown</button>'
        f'</div>'
        f'<div class="dj-checklist">{_checklist_body(c, layout)}</div>'
        f'<p class="dj-ob-docs">出处文件：{esc(titles)}</p>'
    )


def checklist_export(server: AppState, state: dict[str, Any], fmt: str) -> tuple[str, bytes, str]:
    """(file name, bytes, media type) of the shown role's checklist."""
    from rag.onboarding import export

    ob = views(server)
    c = ob.checklist(str(state.get("role") or "支部书记"))
    kind: Literal["docx", "md"] = "docx" if fmt == "docx" else "md"
    media = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if kind == "docx"
             else "text/markdown;charset=utf-8")
    return f"{c.title}职责清单.{kind}", export(c, ob.titles, kind), media


# -- glossary -----------------------------------------------------------------------------------------


def _glossary(ob: Onboarding) -> str:
    entries = ob.entries
    rows = []
    for e in entries:
        note = f'<p class="dj-why">{esc(e.note)}</p>' if e.note else ""
        lines = "".join(f"<li>{_passage(p)}</li>" for p in e.lines[:3])
        rows.append(
            f'<details class="dj-term"><summary><b>{esc(e.term)}</b>'
            f'{"" if e.defined else "<small>（原文未定义）</small>"}</summary>'
            f'{note}<ul>{lines}</ul></details>'
        )
    defined = sum(e.defined for e in entries)
    return (
        f'<h3 class="dj-ob-h">名词解释</h3>'
        f'<p class="dj-ob-sum">共 {len(entries)} 个词条，{defined} 个有原文定义；'
        f"没有定义的，列出它在原文中出现的地方，不另作解释。</p>{''.join(rows)}"
    )


# -- quiz ---------------------------------------------------------------------------------------------


def _new_round(server: AppState) -> dict[str, Any]:
    seed = str(secrets.randbelow(1_000_000))
    ids = [q.id for q in quiz_round(views(server).questions, ROUND, seed)]
    return {"seed": seed, "ids": ids, "result": None}


def _checked(server: AppState, quiz: dict[str, Any], answers: object) -> dict[str, Any]:
    given = answers if isinstance(answers, dict) else {}
    pool = views(server).questions
    try:
        results = [check(find(pool, qid), str(given.get(qid, ""))) for qid in quiz.get("ids", [])]
    except InputError:
        return {**quiz, "result": None}
    return {**quiz, "result": score_json(results)}


def _question(i: int, q: Any, result: dict[str, Any] | None) -> str:
    name = f"dj-q-{i}"
    if q.form == "choice":
        opts = "".join(
            f'<label class="dj-opt"><input type="radio" name="{name}" value="{esc(o)}"'
            f'{" disabled" if result else ""}{" checked" if result and result["given"] == o else ""}> '
            f"{chr(65 + j)}. {esc(o)}</label>"
            for j, o in enumerate(q.options)
        )
        field = f'<div class="dj-opts" role="radiogroup" aria-labelledby="{name}-h">{opts}</div>'
    else:
        value = f' value="{esc(result["given"])}" disabled' if result else ""
        field = (f'<input type="text" class="dj-fill" name="{name}" aria-labelledby="{name}-h" '
                 f'placeholder="填写答案，例如：一年"{value}>')
    verdict = ""
    if result:
        ok = result["correct"]
        exp = result["explanation"]
        verdict = (
            f'<div class="dj-verdict {"dj-ok" if ok else "dj-bad"}">{"回答正确" if ok else "回答错误"}'
            f'{"" if ok else "，正确答案：" + esc(result["answer"])}</div>'
            f'<div class="dj-explain">原文：<span class="dj-quote">{esc(exp["text"])}</span>'
            f'<span class="dj-marker">{esc(exp["marker"])}</span> '
            '<button type="button" class="dj-link" data-action="ob-open" '
            f'data-key="{esc(exp["key"])}">看原文</button>'
            "</div>"
        )
    return (
        f'<li class="dj-quiz-q" data-qid="{esc(q.id)}">'
        f'<div id="{name}-h" class="dj-quiz-prompt">{esc(q.prompt)}</div>'
        f'<div class="dj-quiz-src">出自《{esc(q.doc_title)}》{esc(q.explanation.label)}</div>'
        f'{field}{verdict}</li>'
    )


def _quiz(ob: Onboarding, state: dict[str, Any]) -> str:
    quiz = state.get("quiz") or {}
    if not quiz.get("ids"):
        return (
            '<h3 class="dj-ob-h">应知应会练习</h3><p class="dj-ob-sum">从原文确定性生成的填空题和选择题，'
            f"每组 {ROUND} 题；交卷后逐题判分，并引用原文解释。</p>"
            '<button type="button" class="dj-act dj-primary" data-action="ob-quiz-new">开始一组练习</button>'
        )
    result = quiz.get("result")
    by_id = {r["id"]: r for r in (result or {}).get("results", [])}
    try:
        qs = [find(ob.questions, qid) for qid in quiz["ids"]]
    except InputError:  # the corpus changed under the round
        return ('<p>题库已随文件更新，请<button type="button" class="dj-link" data-action="ob-quiz-new">'
                '重新开始</button>。</p>')
    items = "".join(_question(i, q, by_id.get(q.id)) for i, q in enumerate(qs))
    if result:
        wrong = "".join(f'<li>{esc(w["prompt"])} → <b>{esc(w["answer"])}</b></li>' for w in result["wrong"])
        head = (
            '<div class="dj-score" role="status" tabindex="-1">'
            f'得分：{result["score"]} / {result["total"]}</div>'
            + (
                f'<details class="dj-wrong" open><summary>错题回顾（{len(result["wrong"])}）</summary>'
                f"<ol>{wrong}</ol></details>"
                if result["wrong"]
                else ""
            )
        )
        tail = '<button type="button" class="dj-act dj-primary" data-action="ob-quiz-new">再来一组</button>'
    else:
        head = (f'<p class="dj-ob-sum">共 {len(qs)} 题。'
                "选择题点选，填空题填写数值或词语（如“一年”“六个月”）。</p>")
        tail = '<button type="button" class="dj-act dj-primary" data-action="ob-quiz-check">交卷</button>'
    return (f'<h3 class="dj-ob-h">应知应会练习</h3>{head}<form class="dj-quiz" onsubmit="return false">'
            f'<ol class="dj-quiz-list">{items}</ol>{tail}</form>')


# -- the tab ------------------------------------------------------------------------------------------


def render(server: AppState, state: dict[str, Any] | None) -> str:
    state = {**initial(), **(state or {})}
    view = state["view"]
    nav = "".join(
        f'<button type="button" class="dj-obtab{" dj-on" if view == k else ""}" '
        f'data-action="ob-view" data-view="{k}" '
        f'aria-pressed="{"true" if view == k else "false"}">{label}</button>'
        for k, label in VIEWS
    )
    try:
        ob = views(server)
        body = {"tour": _tour, "duties": _duties, "quiz": _quiz}.get(view, lambda o, _s: _glossary(o))(
            ob, state
        )
    except DangjianError as err:
        body = f'<p class="dj-status dj-status-error" role="alert">{esc(err)}</p>'
    panel = ""
    if state.get("open"):
        panel = (
            f'<aside class="dj-ob-panel" aria-label="原文">'
            f'{unit_panel(server, state["open"], copy_id="dj-copy-ob")}'
            '<button type="button" class="dj-act" data-action="ob-close">收起原文</button></aside>'
        )
    return (
        f'<div class="dj-ob"><div class="dj-ob-top"><h2 class="dj-ob-title">新任书记入门</h2>'
        f'<nav class="dj-ob-views" aria-label="入门内容">{nav}</nav></div>'
        f'<div class="dj-ob-main{" dj-with-panel" if panel else ""}">'
        f'<div class="dj-ob-body">{body}</div>{panel}</div></div>'
    )
