"""The CLI at its edges: undecodable arguments and input, paths that are not what they should be,
a stale or missing index (never rebuilt by a question), a closed pipe. Every failure is one line
on stderr and exit 1; never a traceback."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import run  # the runner the CLI tests share (their `cli_env` fixture is in conftest)

from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "HF_HUB_OFFLINE": "1"}



def one_line(err: str) -> str:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def subprocess_env(settings: Settings) -> dict[str, str]:
    return {**ENV, "DANGJIAN_CORPUS_DIR": str(settings.corpus_dir), "DANGJIAN_INDEX_DIR": str(settings.index_dir)}


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "\udcff\udcfe"], "参数 问题 含有无法识别的字符"),
    (["ask", "第8条\ud800"], "参数 问题 含有无法识别的字符"),
    (["ask", "下一条", "--history", "第8条", "--history", "\udc80"], "参数 --history 含有无法识别的字符"),
    (["ask", "第8条", "--doc", "\udcff"], "参数 --doc 含有无法识别的字符"),
    (["show", "\udcff"], "参数 ref 含有无法识别的字符"),
    (["glossary", "\udcff"], "参数 term 含有无法识别的字符"),
    (["ask", "下一条", *[a for _ in range(11) for a in ("--history", "第8条")]], "--history 最多 10 条"),
    (["ask", "下一条", "--history", "第8条", "--history", "问" * 2001], "--history 第2条过长"),
])
def test_bad_arguments_are_one_line(cli_env: Settings, capsys: pytest.CaptureFixture[str], args: list[str],
                                    message: str) -> None:
    code, out, err = run(args, capsys)
    assert code == 1 and out == "" and message in one_line(err)


def test_undecodable_bytes_in_a_real_argv(cli_env: Settings) -> None:
    proc = subprocess.run([sys.executable, "-m", "rag", "ask", b"\xff\xfe\xe7\xac\xac8"], capture_output=True,
                          cwd=ROOT, env=subprocess_env(cli_env), timeout=120, check=False)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1 and proc.stdout == b"" and "含有无法识别的字符" in one_line(err)


def test_chat_survives_undecodable_input(cli_env: Settings) -> None:
    stdin = b"\xff\xfe\n\xe7\xac\xac8\xe6\x9d\xa1\xe8\xa6\x81\xe6\xb1\x82\xe4\xbb\x80\xe4\xb9\x88\n\xe4\xb8\x8b\xe4\xb8\x80\xe6\x9d\xa1\n"
    proc = subprocess.run([sys.executable, "-m", "rag", "chat"], input=stdin, capture_output=True, cwd=ROOT,
                          env=subprocess_env(cli_env), timeout=120, check=False)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode == 0 and "Traceback" not in err
    assert "错误：问题含有无法识别的字符" in err
    assert "〔第8条〕" in out and "〔第9条〕" in out  # the next turns, and the state carried across them


def test_chat_carries_state_not_history(cli_env: Settings, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    turns = ["党章第三十二条"] + ["下一条"] * 12  # longer than any history limit
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(turns) + "\n"))
    code, out, err = run(["chat"], capsys)
    assert code == 0 and "错误" not in err
    assert "第四十四条" in out  # 32 + 12: every follow-up resolved from the carried state


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "第8条", "--index", "/proc/version"], "索引目录不是文件夹：/proc/version"),
    (["search", "党员", "--index", "/proc/version"], "索引目录不是文件夹"),
    (["ask", "第8条", "--corpus", "/proc/version"], "manifest.toml"),
    (["ask", "第8条", "--corpus", "/nonexistent/corpus"], "manifest.toml"),
    (["index", "--corpus", "/nonexistent/corpus"], "语料目录不存在：/nonexistent/corpus"),
    (["eval", "--thresholds", "/etc/passwd"], "质量门槛文件格式错误：/etc/passwd"),
    (["eval", "--thresholds", "/proc"], "质量门槛文件不是文件"),
    (["eval", "--file", "/etc/passwd", "--no-gate"], "/etc/passwd:1: 不是合法的 JSON"),
    (["duties", "支部书记", "--export", "/proc/version/x.md"], "无法写入"),
])
def test_path_errors_are_one_line(cli_env: Settings, capsys: pytest.CaptureFixture[str], args: list[str],
                                  message: str) -> None:
    code, out, err = run(args, capsys)
    assert code == 1 and out == "" and message in one_line(err)


def test_unreadable_corpus_file(cli_env: Settings, corpus_copy: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    notice = corpus_copy / "notice-2025-dongzhi-3.txt"
    notice.unlink()
    notice.mkdir()  # listed in the manifest, but a folder: unreadable whoever runs the command
    code, _out, err = run(["index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "ix")], capsys)
    assert code == 1 and "notice-2025-dongzhi-3.txt" in one_line(err)


def test_bad_environment_number(cli_env: Settings, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_THREADS", "two")
    code, _out, err = run(["ask", "第8条"], capsys)
    assert code == 1 and "DANGJIAN_THREADS 应为整数" in one_line(err)


def test_questions_never_build_the_index(corpus_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         settings: Settings, assistant: Assistant) -> None:
    index = tmp_path / "ix"
    args = ["--corpus", str(corpus_copy), "--index", str(index)]
    for command in (["ask", "第8条"], ["search", "党员"], ["show", "8"]):
        code, _out, err = run([*command, *args], capsys)
        assert code == 1 and "索引不存在" in one_line(err) and "dangjian index" in err
    assert not index.exists()
    shutil.copytree(settings.index_dir, index)  # built from the same corpus: current
    assert run(["ask", "第8条", *args], capsys)[0] == 0
    notice = corpus_copy / "notice-2025-dongzhi-3.txt"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = (index / "manifest.json").read_bytes()
    code, _out, err = run(["ask", "第8条", *args], capsys)
    assert code == 1 and "索引已过期（语料已变更）" in one_line(err) and "dangjian index" in err
    assert (index / "manifest.json").read_bytes() == before


def test_a_closed_pipe_is_quiet(cli_env: Settings) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "rag", "tour"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT, env=subprocess_env(cli_env))
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` that has already exited: every write meets a closed pipe
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 0 and err == ""


def test_a_pipe_closed_midway_is_quiet(cli_env: Settings) -> None:
    shell = f"{sys.executable} -m rag ask --json 第8条要求什么？ | head -c 10"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, cwd=ROOT,
                          env=subprocess_env(cli_env), timeout=120, check=False)
    assert proc.stdout.decode("utf-8", "replace").startswith("{") and proc.stderr == b""
    assert proc.returncode == 0


def test_ask_json_still_prints_the_answer(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(["ask", "--json", "--history", "第8条要求什么？", "下一条"], capsys)
    assert code == 0 and json.loads(out)["retrieved"] == ["dongzhi-2025-3#9"]


@pytest.mark.parametrize(("port", "message"), [
    ("99999", "端口应在 1–65535 之间，而不是 99999"),
    ("0", "端口应在 1–65535 之间，而不是 0"),
    ("-1", "端口应在 1–65535 之间，而不是 -1"),
    ("http", "端口应为 1–65535 之间的整数，而不是“http”"),
])
def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str], port: str, message: str) -> None:
    """Refused while parsing (exit 2, nothing loaded): `--port 99999` used to be announced as
    http://127.0.0.1:99999 while the server listened elsewhere."""
    with pytest.raises(SystemExit) as exit_info:
        run(["serve", f"--port={port}"], capsys)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in one_line(err) and "参数错误" in err


def test_serve_accepts_the_port_range_ends() -> None:
    from rag.cli.parser import build_parser

    assert [build_parser().parse_args(["serve", "--port", p]).port for p in ("1", "65535")] == [1, 65535]
