"""The argument parser: every command, its flags and Chinese help."""

from __future__ import annotations

import argparse

from .. import kinds
from ..choices import ANSWER_MODES, STORES
from .common import DATABASE_HELP, DOC_HELP, SHARED_CHANGE_HELP, _Parser
from .corpus import cmd_add, cmd_index, cmd_remove
from .evaluation import cmd_bench, cmd_eval, cmd_feedback_export
from .onboarding import cmd_duties, cmd_glossary, cmd_quiz, cmd_tour
from .questions import cmd_ask, cmd_chat, cmd_llm_check, cmd_search, cmd_show
from .serve import cmd_passwd, cmd_serve


def _port(text: str) -> int:
    """A TCP port 1–65535: an int alone would let `serve --port 99999` announce 99999 while the
    socket layer wraps or refuses it, and 0 would announce a port nobody listens on."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"端口应为 1–65535 之间的整数，而不是“{text}”") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"端口应在 1–65535 之间，而不是 {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--corpus", help="语料目录（默认 corpus/，或 DANGJIAN_CORPUS_DIR）")
    common.add_argument("--index", help="索引目录（默认 index/，或 DANGJIAN_INDEX_DIR）")
    stored = _Parser(add_help=False, parents=[common])  # commands that build or search
    stored.add_argument(
        "--store",
        dest="store_choice",
        choices=list(STORES),
        help="向量库：" + "；".join(f"{k}——{v}" for k, v in STORES.items()) + "（或 DANGJIAN_STORE）",
    )
    changes = _Parser(add_help=False, parents=[stored])  # commands that change the corpus
    changes.add_argument("--database-url", help=SHARED_CHANGE_HELP)
    parser = _Parser(prog="dangjian", description="党建文件问答：逐字引用、注明出处的检索问答。")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("index", parents=[changes], help="构建或重建索引").set_defaults(
        func=cmd_index, reads_files=True
    )
    p = sub.add_parser("ask", parents=[stored], help="提一个问题")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--history", action="append", metavar="前一问", help="之前的提问（可重复，按时间顺序）")
    p.add_argument("--mode", choices=list(ANSWER_MODES), default="extractive",
                   help="llm：经 DANGJIAN_LLM_* 配置的大模型生成并核验引用")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help=DOC_HELP)
    p.set_defaults(func=cmd_ask)
    sub.add_parser("llm-check", parents=[common], help="检查大模型端点是否可用").set_defaults(
        func=cmd_llm_check
    )
    p = sub.add_parser("chat", parents=[stored], help="多轮对话")
    p.add_argument("--mode", choices=list(ANSWER_MODES), default="extractive")
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
    p.add_argument(
        "--file", help="评测集（默认 eval/questions.jsonl；--ablation 默认跑通知、法规和留出三个集）"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--thresholds", help="质量门槛文件（默认：与评测集同目录的 thresholds<后缀>.toml，"
                                        "如 questions-regs.jsonl → thresholds-regs.toml）")
    p.add_argument("--no-gate", action="store_true", help="只报告，不按阈值判定失败")
    p.add_argument("--ablation", action="store_true", help="消融实验并写入 eval/report.md")
    p.add_argument("--real", action="store_true",
                   help="真实题集：开发集、测试集与核对集（eval/questions-real-dev/test/check.jsonl）并排报告，"
                        "各按门槛判定；测试集和核对集只报告汇总，不列出失败题")
    p.add_argument("--report", default="eval/report.md")
    p.add_argument("--update-golden", action="store_true", help="重新生成黄金答案文件")
    p.add_argument("--mode", choices=list(ANSWER_MODES), default="extractive",
                   help="llm：经配置的大模型作答，并报告 verified_rate")
    p.add_argument("--doc", action="append", metavar="DOC_ID", help=DOC_HELP)
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("add", parents=[changes], help="把文件加入语料（txt/md/docx/pdf/html）并重建索引")
    p.add_argument("files", nargs="+")
    p.add_argument("--doc-id")
    p.add_argument("--title")
    kind_help = "；".join(f"{k.name}——{k.display}" for k in kinds.KINDS)
    p.add_argument("--kind", choices=kinds.NAMES, help=f"文件类型（默认自动识别）：{kind_help}")
    p.add_argument("--encoding", help="强制文本编码，如 gbk")
    p.add_argument("--allow-ambiguous", action="store_true", help="编码不确定时仍然导入")
    p.set_defaults(func=cmd_add, reads_files=True)
    p = sub.add_parser("remove", parents=[changes], help="从语料中移除一个文件（清单条目和文件）并重建索引")
    p.add_argument("doc_id")
    p.add_argument("--keep-files", action="store_true", help="不删除文件，移入语料目录下的 removed/")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser(
        "tour", parents=[common], help="新任书记入门：按顺序导览要点（总体要求、六个部分、19条）"
    )
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
    p.add_argument("--port", type=_port, default=7860, help="端口（1–65535，默认 7860）")
    p.add_argument("--auth", default="", help="user:password（会出现在进程列表中：建议改用 DANGJIAN_AUTH，"
                                               "或 DANGJIAN_AUTH_FILE 与 dangjian passwd）")
    p.add_argument("--database-url", help=DATABASE_HELP)
    p.set_defaults(func=cmd_serve, reads_files=True)  # uploads
    p = sub.add_parser(
        "passwd", help="生成网页登录的密码行（scrypt 散列），写入 DANGJIAN_AUTH_FILE 指向的文件"
    )
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
    p.add_argument("--questions", action="append", metavar="文件",
                   help="计时用的问题集（JSONL，可重复；默认当前目录下的 eval/questions.jsonl 与 "
                        "eval/questions-extra.jsonl）；合成语料取自 --corpus 的文件")
    p.add_argument(
        "--threads-sweep", action="store_true", help="另测 DANGJIAN_THREADS=1/2，空闲与另一核满载时"
    )
    p.add_argument(
        "--store",
        default="auto",
        help="向量库：auto（按规模）、flat、ivf、milvus（Milvus Lite，"
        "或 DANGJIAN_MILVUS_URI 指向的服务器），可逗号分隔对比",
    )
    p.add_argument("--sizes-only", action="store_true", help="只测各规模（跳过冷启动、基线、增量构建）")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-encoder", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("feedback-export", help="把网页 👍/👎 反馈导出为候选评测题（JSONL）")
    p.add_argument("--out", help="输出文件（默认打印到标准输出）")
    p.add_argument("--feedback", help="旧版的反馈文件 feedback.jsonl（默认读数据库中的反馈）")
    p.add_argument("--database-url", help=DATABASE_HELP)
    p.set_defaults(func=cmd_feedback_export)
    return parser
