"""The `dangjian` command: a thin shell over `rag`. Library errors become one stderr line + exit 1.

Commands that only read (ask, chat, search, show, eval) never build the index: a missing or stale
one is a one-line message saying to run `dangjian index`; index, add and remove build (bounded by
the ingest limits), under the corpus lock. Unreadable paths, undecodable arguments or input and a
closed pipe (`dangjian ask … | head`) are one line or silence, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from .config import STORES, Settings
from .errors import DangjianError

DOC_HELP = "只在这些文件中查找（doc_id，可重复；默认全部文件）"
EXIT_ERROR = 1
EXIT_USAGE = 2
_SURROGATE = re.compile("[\ud800-\udfff]")  # what undecodable bytes in argv or stdin become
BROKEN_ARG = "含有无法识别的字符（不是有效的 UTF-8，或截断的表情符号）"
PATH_ARGS = frozenset({"corpus", "index", "files", "file", "thresholds", "report", "out", "feedback",
                       "export", "root", "worker"})  # file names may be any bytes; everything else is text
POSITIONAL = frozenset({"ref", "term", "role", "user", "doc_id"})
OS_ERRORS = {errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
             errno.EISDIR: "这是一个文件夹，不是文件", errno.ENOTDIR: "路径中有一段不是文件夹",
             errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读", errno.ENAMETOOLONG: "路径过长",
             errno.ELOOP: "符号链接循环", errno.EINVAL: "参数无效"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"dangjian: 参数错误：{message}（用 dangjian --help 查看用法）\n")


class _Progress:
    """Build progress on stderr: one line per stage, with rate and time left while embedding."""

    NAMES = {"parse": "解析文件", "embed": "计算向量", "tokenize": "分词", "milvus": "写入 Milvus", "save": "写入索引"}

    def __init__(self) -> None:
        self.stage, self.started = "", 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if stage != self.stage or done == 0:
            self.stage, self.started = stage, now
        line = f"{self.NAMES.get(stage, stage)} {done}/{total}"
        elapsed = now - self.started
        if stage == "embed" and total == 0:
            line = "计算向量：没有新文本（向量全部取自上次的索引）"
        elif stage == "embed" and done and elapsed > 0:
            rate = done / elapsed
            left = f"用时 {_duration(elapsed)}" if done >= total else f"约剩 {_duration((total - done) / rate)}"
            line += f" · {rate:.0f} 块/秒 · {left}"
        end = "\n" if done >= total else ""
        clear = "\033[K" if sys.stderr.isatty() else ""
        print(f"\r{line}{clear}", end=end, file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds >= 60 else f"{seconds} 秒"


_progress = _Progress()  # one per process: the stage clock spans a build


def _notify(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    try:
        s = Settings.from_env()
    except ValueError as err:  # a DANGJIAN_* number that does not parse
        raise DangjianError(str(err)) from err
    if args.corpus:
        s = replace(s, corpus_dir=Path(args.corpus))
    if args.index:
        s = replace(s, index_dir=Path(args.index))
    if getattr(args, "store_choice", None):
        s = replace(s, store=args.store_choice)
    return s


def _assistant(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The index as it is: never built here (a missing or stale one says to run `dangjian index`)."""
    from .embed import make_embeddings
    from .index import load, require_current
    from .pipeline import Assistant

    s = _settings(args)
    emb = make_embeddings(s)
    require_current(s.index_dir, s.corpus_dir, emb)
    return Assistant(load(s.corpus_dir, s.index_dir, emb, threads=s.threads), emb, s)


def cmd_index(args: argparse.Namespace) -> int:
    from .ingest import register_unlisted

    s = _settings(args)
    _recover(s.corpus_dir)
    _report(register_unlisted(s.corpus_dir))
    idx = _rebuild(s)
    c = idx.manifest["counts"]
    print(f"索引已写入 {s.index_dir}：{c['documents']} 个文件，{c['units']} 个条目，{c['sentences']} 个句子")
    if (dense := idx.manifest.get("dense", {})).get("store") == "milvus":
        print(f"Milvus（{dense['uri']}）：集合 {dense['collection']}_units、{dense['collection']}_sentences")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .inputs import check_history
    from .query import validate
    from .render import answer_json

    validate(args.question)  # before the index loads: bad input costs nothing
    args.history = check_history(args.history or (), label="--history")
    assistant = _assistant(args)
    if args.mode == "llm":
        from .llm import llm_answer

        stream = None if args.json else (lambda d: print(d, end="", file=sys.stderr, flush=True))
        ans = llm_answer(assistant, args.question, args.history or (), settings=assistant.settings,
                         on_token=stream)
        if stream:
            print(file=sys.stderr)
    else:
        ans = assistant.ask(args.question, args.history or (), options=_options(args))
    for note in ans.notes:
        print(f"【{note}】", file=sys.stderr)
    if args.json:
        print(json.dumps(answer_json(ans), ensure_ascii=False, indent=2))
    else:
        print(ans.text)
    return 0


def cmd_llm_check(args: argparse.Namespace) -> int:
    from .llm import llm_check

    ok, message = llm_check(_settings(args))
    print(message)
    return 0 if ok else EXIT_ERROR


def _chat_turn(assistant, question: str, history: list[str], mode: str, options=None,  # type: ignore[no-untyped-def]
               state=None):
    """One turn: the extractive answer (from the conversation `state`, nothing replayed), or the LLM
    answer streamed, then shown as verified."""
    if mode != "llm":
        ans = assistant.ask(question, options=options, state=state) if options else \
            assistant.ask(question, state=state)
        print(ans.text + "\n")
        return ans
    from .llm import llm_answer

    streamed: list[str] = []

    def on_token(delta: str) -> None:
        streamed.append(delta)
        print(delta, end="", flush=True)

    ans = llm_answer(assistant, question, history, settings=assistant.settings, on_token=on_token)
    if streamed:
        print()
    if "".join(streamed).strip() != ans.text.strip():
        print(("\n—— 核验后的答案 ——\n" if streamed else "") + ans.text)
    for note in ans.notes:
        print(f"【{note}】")
    print()
    return ans


def _tolerant_stdin() -> None:
    """Undecodable input lines become lone surrogates (which `validate` refuses), not a traceback."""
    reconfigure: Callable[..., None] | None = getattr(sys.stdin, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")


def cmd_chat(args: argparse.Namespace) -> int:
    from .inputs import fit_history
    from .query import State, next_state

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
    print(f"{'rank':>4} {'unit':<44} {'strength':>8} {'fused':>7} {'bm25':>7} {'dense':>6} {'cover':>6}  title")
    for rank, hit in enumerate(hits[: args.k], 1):
        found = assistant.unit(hit.key)
        title = found[1].title[:30] if found else ""
        print(f"{rank:>4} {hit.key:<44} {hit.strength:8.3f} {hit.score:7.4f} {hit.bm25:7.2f} {hit.dense:6.3f} "
              f"{hit.coverage:6.2f}  {title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from . import answer as compose
    from .refs import cn_to_int

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
        raise DangjianError(f"没有这个部分：“{args.ref}”（共{len(doc.sections)}个部分，一至{len(doc.sections)}）")
    print(compose.compose_section("", doc, no, per_item=99).text)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    return run_eval(_assistant(args), args)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ui.app import serve
    except ImportError as err:
        raise DangjianError(f"无法启动网页界面：{err}") from err
    return serve(_settings(args), host=args.host, port=args.port, auth=args.auth)


def _read_password() -> str:
    """Twice without echo on a terminal; one line from stdin otherwise (for scripts)."""
    if not sys.stdin.isatty():
        _tolerant_stdin()
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise DangjianError("两次输入的密码不一致")
    return first


def cmd_passwd(args: argparse.Namespace) -> int:
    """`dangjian passwd USER [--file F]`: a "user:scrypt$…" line, printed or written into F."""
    try:
        from ui.auth import auth_line, with_user
    except ImportError as err:
        raise DangjianError(f"无法加载登录模块：{err}") from err
    password = _read_password()
    if _SURROGATE.search(password):
        raise DangjianError(f"密码{BROKEN_ARG}")
    line = auth_line(args.user, password)
    if not args.auth_file:
        print(line)
        return 0
    from . import fsutil

    path = Path(args.auth_file)
    if not path.exists():  # private from the first byte: atomic_write keeps an existing file's mode
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        old = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DangjianError(f"密码文件不是 UTF-8 文本：{path}") from err
    fsutil.atomic_write(path, with_user(old, args.user, line).encode("utf-8"))
    print(f"已写入 {path}（用户 {args.user}）；启动时设置 DANGJIAN_AUTH_FILE={path}", file=sys.stderr)
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    """👍 as candidate eval questions, 👎 as needs-review items (no gold); a missing file is an error."""
    from .eval.feedback import REVIEW, export

    source = Path(args.feedback) if args.feedback else Settings.from_env().feedback_path
    rows, text = export(source, Path(args.out) if args.out else None)
    review = sum(r["category"] == REVIEW for r in rows)
    summary = f"{len(rows) - review} 条候选评测题（👍），{review} 条待复核（👎，无标准答案）"
    if args.out:
        print(f"已导出 {summary}到 {args.out}（来自 {source}）", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"已导出 {summary}（来自 {source}）", file=sys.stderr)
    return 0


# -- 新任书记入门: tour, duties, glossary, quiz (read the corpus; no index needed) -----------------


def _onboarding(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .onboarding import Onboarding

    return Onboarding.from_corpus(_settings(args).corpus_dir)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_tour(args: argparse.Namespace) -> int:
    from .onboarding import step, step_json
    from .onboarding.text import format_step, format_tour

    steps = _onboarding(args).steps
    chosen = [step(steps, args.step)] if args.step is not None else list(steps)
    if args.json:
        _print_json([step_json(s) for s in chosen] if args.step is None else step_json(chosen[0]))
    else:
        print(format_step(chosen[0]) if args.step is not None else format_tour(chosen))
    return 0


def cmd_duties(args: argparse.Namespace) -> int:
    from .onboarding import checklist_json, export, format_for
    from .onboarding.text import format_calendar, format_checklist

    ob = _onboarding(args)
    checklist = ob.checklist(args.role)
    if args.export:
        out = Path(args.export)
        data = export(checklist, ob.titles, format_for(out))
        try:
            out.write_bytes(data)
        except OSError as err:
            raise DangjianError(f"无法写入 {out}：{err.strerror or err}") from err
        print(f"已导出 {checklist.title}职责清单（{len(checklist.duties)}项）到 {out}", file=sys.stderr)
        return 0
    if args.json:
        _print_json(checklist_json(checklist, ob.titles))
    else:
        print(format_calendar(checklist) if args.calendar else format_checklist(checklist, ob.titles))
    return 0


def cmd_glossary(args: argparse.Namespace) -> int:
    from .onboarding import entry_json, lookup
    from .onboarding.text import format_entry, format_glossary

    entries = _onboarding(args).entries
    chosen = [lookup(entries, args.term)] if args.term else list(entries)
    if args.json:
        _print_json(entry_json(chosen[0]) if args.term else [entry_json(e) for e in chosen])
    else:
        print(format_entry(chosen[0]) if args.term else format_glossary(chosen))
    return 0


def cmd_quiz(args: argparse.Namespace) -> int:
    import secrets

    from .onboarding import question_json, quiz_round
    from .onboarding.text import format_sheet

    seed = args.seed if args.seed is not None else str(secrets.randbelow(1_000_000))
    questions = quiz_round(_onboarding(args).questions, args.n, seed)
    if args.json:
        _print_json({"seed": seed, "questions": [question_json(q, reveal=True) for q in questions]})
        return 0
    print(f"应知应会练习：{len(questions)}题（--seed {seed} 可重做同一组）", file=sys.stderr)
    interactive = args.interactive if args.interactive is not None else sys.stdin.isatty()
    if not interactive:
        print(format_sheet(questions))
        return 0
    _tolerant_stdin()
    return _quiz_session(questions)


def _quiz_session(questions) -> int:  # type: ignore[no-untyped-def]
    """Ask each question, check the answer, explain it; the score and the wrong ones at the end."""
    from .onboarding import check
    from .onboarding.text import format_question, format_result, format_review

    results = []
    for i, q in enumerate(questions, 1):
        print(format_question(q, i, len(questions)))
        try:
            given = _SURROGATE.sub("\ufffd", input("你的答案> ").strip())
        except (EOFError, KeyboardInterrupt):
            print()
            break
        result = check(q, given)
        results.append(result)
        print(format_result(result) + "\n")
    print(format_review(results))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """`dangjian bench`: synthesised corpora of the given sizes, cold starts, the naive baseline."""
    from . import bench

    if args.worker:  # internal: one fresh process that loads an index and answers
        s = _settings(args)
        questions = json.loads(Path(args.worker).read_text(encoding="utf-8"))
        stats = bench.serve_stats(s.corpus_dir, s.index_dir, questions, repeat=args.repeat,
                                  encoder=args.worker_encoder)
        print(json.dumps(stats, ensure_ascii=False))
        return 0
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError as err:
        raise DangjianError(f"--sizes 应为逗号分隔的整数，如 2000,10000：{args.sizes}") from err
    if not sizes or min(sizes) < 1:
        raise DangjianError(f"--sizes 应为正整数：{args.sizes}")
    if unknown := [x for x in args.store.split(",") if x not in bench.STORES]:
        raise DangjianError(f"未知的 --store：{'、'.join(unknown)}（可选 {'、'.join(bench.STORES)}）")
    report = bench.run(sizes, root=Path(args.root), repeat=args.repeat, cold_repeat=args.cold_repeat,
                       sweep=args.threads_sweep, stores=args.store.split(","), quick=args.sizes_only,
                       notify=_notify)
    text = bench.markdown(report)
    if args.out:
        out = Path(args.out)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"已写入 {out}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", help="语料目录（默认 corpus/，或 DANGJIAN_CORPUS_DIR）")
    common.add_argument("--index", help="索引目录（默认 index/，或 DANGJIAN_INDEX_DIR）")
    stored = argparse.ArgumentParser(add_help=False, parents=[common])  # commands that build or search
    stored.add_argument("--store", dest="store_choice", choices=list(STORES),
                        help="向量库：" + "；".join(f"{k}——{v}" for k, v in STORES.items()) + "（或 DANGJIAN_STORE）")
    parser = _Parser(prog="dangjian", description="党建文件问答：逐字引用、注明出处的检索问答。")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("index", parents=[stored], help="构建或重建索引").set_defaults(func=cmd_index)
    p = sub.add_parser("ask", parents=[stored], help="提一个问题")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--history", action="append", metavar="前一问", help="之前的提问（可重复，按时间顺序）")
    p.add_argument("--mode", choices=["extractive", "llm"], default="extractive",
                   help="llm：经 DANGJIAN_LLM_* 配置的大模型生成并核验引用")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help=DOC_HELP)
    p.set_defaults(func=cmd_ask)
    sub.add_parser("llm-check", parents=[common], help="检查大模型端点是否可用").set_defaults(func=cmd_llm_check)
    p = sub.add_parser("chat", parents=[stored], help="多轮对话")
    p.add_argument("--mode", choices=["extractive", "llm"], default="extractive")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help=DOC_HELP)
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("search", parents=[stored], help="检索测试：列出排序结果和分数")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--doc", action="append", metavar="DOC_ID", help=DOC_HELP)
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("show", parents=[common], help="显示条目（如 8、header）或部分（如 三）")
    p.add_argument("ref")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("eval", parents=[stored], help="运行评测集")
    p.add_argument("--file", help="评测集（默认 eval/questions.jsonl；--ablation 默认跑通知、法规和留出三个集）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--thresholds", help="质量门槛文件（默认：与评测集同目录的 thresholds<后缀>.toml，"
                                        "如 questions-regs.jsonl → thresholds-regs.toml）")
    p.add_argument("--no-gate", action="store_true", help="只报告，不按阈值判定失败")
    p.add_argument("--ablation", action="store_true", help="消融实验并写入 eval/report.md")
    p.add_argument("--report", default="eval/report.md")
    p.add_argument("--update-golden", action="store_true", help="重新生成黄金答案文件")
    p.add_argument("--mode", choices=["extractive", "llm"], default="extractive",
                   help="llm：经配置的大模型作答，并报告 verified_rate")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help=DOC_HELP)
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("add", parents=[stored], help="把文件加入语料（txt/md/docx/pdf/html）并重建索引")
    p.add_argument("files", nargs="+")
    p.add_argument("--doc-id")
    p.add_argument("--title")
    p.add_argument("--kind", choices=["notice", "regulation"])
    p.add_argument("--encoding", help="强制文本编码，如 gbk")
    p.add_argument("--allow-ambiguous", action="store_true", help="编码不确定时仍然导入")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("remove", parents=[stored], help="从语料中移除一个文件（清单条目和文件）并重建索引")
    p.add_argument("doc_id")
    p.add_argument("--keep-files", action="store_true", help="不删除文件，移入语料目录下的 removed/")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("tour", parents=[common], help="新任书记入门：按顺序导览要点（总体要求、六个部分、19条）")
    p.add_argument("--step", type=int, metavar="N", help="只显示第 N 步")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_tour)
    p = sub.add_parser("duties", parents=[common], help="按角色列出职责清单（逐条引用原文）")
    p.add_argument("role", help="支部书记 | 党组书记 | 纪委委员 | 党务干部 | 党员（也可用全称）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--calendar", action="store_true", help="按频次和时限排列（每月、每年、限期办理…）")
    p.add_argument("--export", metavar="文件", help="导出为 .docx 或 .md")
    p.set_defaults(func=cmd_duties)
    p = sub.add_parser("glossary", parents=[common], help="名词解释：列出词条，或查看一个词条的原文出处")
    p.add_argument("term", nargs="?", help="词条，如 三会一课")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_glossary)
    p = sub.add_parser("quiz", parents=[common], help="应知应会练习：从原文生成的填空题和选择题")
    p.add_argument("--n", type=int, default=10, help="题目数量（默认 10）")
    p.add_argument("--seed", help="随机种子：同一种子出同一组题")
    p.add_argument("--json", action="store_true", help="输出题目、答案和出处（JSON）")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--interactive", action="store_true", default=None, help="逐题作答（终端中默认）")
    mode.add_argument("--print", dest="interactive", action="store_false", help="打印题目和答案，不作答")
    p.set_defaults(func=cmd_quiz)
    p = sub.add_parser("serve", parents=[stored], help="启动网页界面")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", default="", help="user:password（会出现在进程列表中：建议改用 DANGJIAN_AUTH，"
                                               "或 DANGJIAN_AUTH_FILE 与 dangjian passwd）")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("passwd", help="生成网页登录的密码行（scrypt 散列），写入 DANGJIAN_AUTH_FILE 指向的文件")
    p.add_argument("user", help="用户名")
    p.add_argument("--file", dest="auth_file", metavar="文件",
                   help="写入这个密码文件（替换该用户原有的行；默认只打印这一行）")
    p.set_defaults(func=cmd_passwd)
    p = sub.add_parser("bench", parents=[common], help="速度基准：合成语料、冷启动、与朴素基线对比")
    p.add_argument("--sizes", default="2000,10000,100000", help="语料规模（块数），逗号分隔")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--out", help="把 Markdown 表格写入文件，如 eval/bench.md")
    p.add_argument("--repeat", type=int, default=3, help="每个问题计时的轮数")
    p.add_argument("--cold-repeat", type=int, default=5, help="每个冷启动测量的次数（取中位数）")
    p.add_argument("--root", default=".", help="项目目录（含 corpus/ 与 eval/）")
    p.add_argument("--threads-sweep", action="store_true", help="另测 DANGJIAN_THREADS=1/2，空闲与另一核满载时")
    p.add_argument("--store", default="auto", help="向量库：auto（按规模）、flat、ivf、milvus（Milvus Lite，"
                                                          "或 DANGJIAN_MILVUS_URI 指向的服务器），可逗号分隔对比")
    p.add_argument("--sizes-only", action="store_true", help="只测各规模（跳过冷启动、基线、增量构建）")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-encoder", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("feedback-export", help="把网页 👍/👎 反馈导出为候选评测题（JSONL）")
    p.add_argument("--out", help="输出文件（默认打印到标准输出）")
    p.add_argument("--feedback", help="反馈文件（默认 feedback.jsonl，或 DANGJIAN_FEEDBACK_PATH）")
    p.set_defaults(func=cmd_feedback_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_text_args(args)
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except DangjianError as err:
        print(f"dangjian: {err}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `dangjian ask … | head`: the reader has all it wanted
        _silence_stdout()
        return 0
    except OSError as err:  # a path the library hands to the OS as given (--index, --out, …)
        print(f"dangjian: {_os_message(err)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _check_text_args(args: argparse.Namespace) -> None:
    """Text arguments (not file names) that held undecodable bytes: one line naming the argument."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        if name in PATH_ARGS or not any(isinstance(v, str) and _SURROGATE.search(v) for v in values):
            continue
        label = "问题" if name == "question" else name if name in POSITIONAL else "--" + name.replace("_", "-")
        raise DangjianError(f"参数 {label} {BROKEN_ARG}")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _os_message(err: OSError) -> str:
    why = OS_ERRORS.get(err.errno or 0) or err.strerror or str(err)
    where = err.filename if err.filename is not None else ""
    return f"无法访问 {where}：{why}" if where else f"系统错误：{why}"


def _options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .query import Options

    return Options(docs=tuple(dict.fromkeys(args.doc or ())))


def _asker(assistant, mode: str, options=None):  # type: ignore[no-untyped-def]
    """The same answering path as `ask --mode`: extractive, or the verified LLM answer."""
    if mode != "llm":
        return lambda q, h: assistant.ask(q, h, options=options) if options else assistant.ask(q, h)
    from .llm import llm_answer

    return lambda q, h: llm_answer(assistant, q, h, settings=assistant.settings)


def run_eval(assistant, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    """`dangjian eval`: score the set, print (or --json), gate on thresholds, optional ablation."""
    from .eval import evaluate as ev

    if args.ablation:
        from .eval.ablation import ABLATION_SETS, write_report

        files = [args.file] if args.file else list(ABLATION_SETS)
        sets = [(f, ev.load_questions(Path(f), assistant.primary.doc_id)) for f in files]
        path = write_report(assistant, sets, Path(args.report), k=args.k)
        print(f"消融报告已写入 {path}")
        return 0
    args.file = args.file or "eval/questions.jsonl"
    thresholds = {} if args.no_gate else _thresholds(_thresholds_for(args))  # before the slow part
    try:
        qs = ev.load_questions(Path(args.file), assistant.primary.doc_id)
    except (UnicodeDecodeError, TypeError, KeyError, ValueError, AttributeError) as err:
        raise DangjianError(f"评测集文件格式错误：{args.file}（应为 UTF-8、每行一个 JSON 对象）") from err
    if args.update_golden:
        from .eval.golden import update_golden

        print(f"黄金答案已更新：{update_golden(assistant)} 个")
        return 0
    assistant.search("党建工作")  # load the lazy parts (model, tokenizer, BM25) before timing answers
    results = ev.run(qs, _asker(assistant, args.mode, _options(args)), k=args.k)
    report = ev.report_json(assistant.primary.doc_id, results)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(ev.format_table(report["metrics"], report["by_category"]))
        print()
        print(ev.format_table(report["metrics"], {k: {m: v for m, v in d.items() if m != "questions"}
                                                  for k, d in report["by_route"].items()}, label="route"))
        fails = ev.failures(results)
        print(f"\n未完全通过：{len(fails)}/{len(results)}")
        for r in fails:
            print(f"- [{r.question.id}/{r.question.category}/{r.route}] {r.question.question}")
            print(f"    期望 gold={list(r.question.gold)} answerable={r.question.answerable} "
                  f"must_include={list(r.question.must_include)}")
            print(f"    实际 abstained={r.abstained} cited={list(r.citations)[:5]} "
                  f"retrieved={list(r.retrieved)[:5]}")
    breaches = ev.gate(report["metrics"], thresholds)
    for line in breaches:
        print(f"dangjian eval: 质量门槛未通过：{line}", file=sys.stderr)
    return EXIT_ERROR if breaches else 0


def _thresholds(path: Path) -> dict[str, float]:
    from .eval import evaluate as ev

    if path.exists() and not path.is_file():
        raise DangjianError(f"质量门槛文件不是文件：{path}")
    return ev.load_thresholds(path)


def _thresholds_for(args: argparse.Namespace) -> Path:
    """The gate file named for the question set: questions-regs.jsonl → thresholds-regs.toml."""
    if args.thresholds:
        return Path(args.thresholds)
    questions = Path(args.file)
    return questions.with_name("thresholds" + questions.stem.removeprefix("questions") + ".toml")


def _report(results) -> None:  # type: ignore[no-untyped-def]
    """One line per ingested file: ✓ with what was found, = already there, or ✗ with the reason."""
    for r in results:
        if r.status == "ok":
            print(f"✓ {r.doc_id}（{r.units} 个条目，{r.file}，编码 {r.encoding}）")
        elif r.status == "exists":
            print(f"= {r.path}：已收录（{r.doc_id}，{r.file}），未重复添加")
        else:
            print(f"✗ {r.path}：{r.reason}")


def _recover(corpus_dir: Path) -> None:
    """Finish or undo what an interrupted add/index/remove left behind; say so on stderr."""
    from .ingest import recover

    for note in recover(corpus_dir):
        _notify(note)


def _rebuild(s: Settings):  # type: ignore[no-untyped-def]
    """The index build every corpus change ends with, under the corpus lock: a running `serve`
    that rebuilds in the background waits for it instead of racing it."""
    from . import fsutil
    from .corpus import read_manifest
    from .embed import make_embeddings
    from .index import build

    read_manifest(s.corpus_dir)
    try:
        with fsutil.locked(s.corpus_dir, timeout_s=300.0):
            return build(s.corpus_dir, s.index_dir, make_embeddings(s), _progress, threads=s.threads,
                         store=s.store_spec)
    except TimeoutError as err:
        raise DangjianError(f"语料目录正被另一个 dangjian 命令使用：{s.corpus_dir}，请稍后重试") from err


def cmd_remove(args: argparse.Namespace) -> int:
    """Take one document out of the corpus, then rebuild the index; one line of report."""
    from .ingest import remove_document

    s = _settings(args)
    _recover(s.corpus_dir)
    r = remove_document(s.corpus_dir, args.doc_id, keep_files=args.keep_files)
    _rebuild(s)
    files = "、".join(r.files) or "无"
    done = f"文件已移入 removed/：{'、'.join(r.moved_to)}" if args.keep_files and r.moved_to else f"已删除文件：{files}"
    print(f"已移除 {r.doc_id}（《{r.title}》），{done}；索引已重建：{s.index_dir}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Copy documents into the corpus (one report line each), then rebuild the index."""
    from .ingest import add_files

    s = _settings(args)
    _recover(s.corpus_dir)
    flags = {k: v for k, v in {"doc_id": args.doc_id, "title": args.title, "kind": args.kind,
                               "encoding": args.encoding}.items() if v}
    if len(args.files) > 1 and {"doc_id", "title"} & flags.keys():
        raise DangjianError("--doc-id / --title 只能在添加单个文件时使用")
    overrides = {args.files[0]: flags} if len(args.files) == 1 else flags
    results = add_files(args.files, s.corpus_dir, overrides=overrides,
                        allow_ambiguous=args.allow_ambiguous)
    _report(results)
    if any(r.status == "ok" for r in results):
        _rebuild(s)
        print(f"索引已重建：{s.index_dir}")
    return 0 if all(r.succeeded for r in results) else EXIT_ERROR
