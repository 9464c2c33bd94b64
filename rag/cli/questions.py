"""Question commands: ask, chat, search, show, llm-check."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ..errors import DangjianError
from .common import EXIT_ERROR, _assistant, _options, _settings, _tolerant_stdin

if TYPE_CHECKING:
    from ..config import AnswerMode
    from ..pipeline import Assistant
    from ..query import Options, State
    from ..records import Answer


def cmd_ask(args: argparse.Namespace) -> int:
    from ..inputs import check_history
    from ..query import validate
    from ..render import answer_json

    validate(args.question)  # before the index loads: bad input costs nothing
    args.history = check_history(args.history or (), label="--history")
    assistant = _assistant(args)
    options = _options(args)
    state = assistant.state_after(args.history, options)  # --history: turned into a state once
    ans = assistant.ask(args.question, options=options, state=state)
    if args.mode == "llm":
        from ..llm import llm_answer

        stream = None if args.json else (lambda d: print(d, end="", file=sys.stderr, flush=True))
        ans = llm_answer(assistant, args.question, args.history, settings=assistant.settings,
                         on_token=stream, extractive=ans)
        if stream:
            print(file=sys.stderr)
    for note in ans.notes:
        print(f"【{note}】", file=sys.stderr)
    if args.json:
        print(json.dumps(answer_json(ans), ensure_ascii=False, indent=2))
    else:
        print(ans.text)
    return 0


def cmd_llm_check(args: argparse.Namespace) -> int:
    from ..llm import llm_check

    ok, message = llm_check(_settings(args))
    print(message)
    return 0 if ok else EXIT_ERROR


def _chat_turn(assistant: Assistant, question: str, history: list[str], mode: AnswerMode,
               options: Options, state: State) -> Answer:
    """One turn, retrieved from the conversation `state` (nothing replayed): the extractive answer,
    or the LLM answer over it streamed, then shown as verified (`history`: the model's context)."""
    extractive = assistant.ask(question, options=options, state=state)
    if mode != "llm":
        print(extractive.text + "\n")
        return extractive
    from ..llm import llm_answer

    streamed: list[str] = []

    def on_token(delta: str) -> None:
        streamed.append(delta)
        print(delta, end="", flush=True)

    ans = llm_answer(assistant, question, history, settings=assistant.settings, on_token=on_token,
                     extractive=extractive)
    if streamed:
        print()
    if "".join(streamed).strip() != ans.text.strip():
        print(("\n—— 核验后的答案 ——\n" if streamed else "") + ans.text)
    for note in ans.notes:
        print(f"【{note}】")
    print()
    return ans


def cmd_chat(args: argparse.Namespace) -> int:
    from ..inputs import fit_history
    from ..query import State, next_state

    assistant = _assistant(args)
    _tolerant_stdin()
    history: list[str] = []
    state = State()
    print("党建问答 · 输入问题后回车；输入 exit 或按 Ctrl-D 退出。", file=sys.stderr)
    while True:
        try:
            question = input("问> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if question.lower() in {"exit", "quit", "退出"}:
            return 0
        if not question:
            continue
        try:
            ans = _chat_turn(assistant, question, fit_history(history), args.mode, _options(args), state)
        except DangjianError as err:
            print(f"错误：{err}", file=sys.stderr)
            continue
        history.append(question)
        state = next_state(state, ans.focus)


def cmd_search(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    hits = assistant.search(args.question, docs=_options(args).docs)
    print(
        f"{'rank':>4} {'unit':<44} {'strength':>8} {'fused':>7} {'bm25':>7} {'dense':>6} {'cover':>6}  title"
    )
    for rank, hit in enumerate(hits[: args.k], 1):
        found = assistant.unit(hit.key)
        title = found[1].title[:30] if found else ""
        print(
            f"{rank:>4} {hit.key:<44} {hit.strength:8.3f} {hit.score:7.4f} {hit.bm25:7.2f} {hit.dense:6.3f} "
            f"{hit.coverage:6.2f}  {title}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .. import answer as compose
    from ..numerals import cn_to_int

    assistant = _assistant(args)
    doc = assistant.primary
    target = args.ref.strip().rstrip("、")
    if target in ("header", "preamble") or target.isdigit():
        found = assistant.unit(target)
        if found is None:
            raise DangjianError(f"《{doc.meta.title}》共{len(doc.numbered)}条，没有“{args.ref}”")
        d, u = found
        print(compose.unit_heading(d, u))
        print(u.text)
        return 0
    no = cn_to_int(target)
    if no is None or doc.section(no) is None:
        raise DangjianError(
            f"没有这个部分：“{args.ref}”（共{len(doc.sections)}个部分，一至{len(doc.sections)}）"
        )
    print(compose.compose_section("", doc, no, per_item=99).text)
    return 0
