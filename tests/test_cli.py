from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag import Settings
from rag.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ask_json_contract(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(["ask", "--json", "第8条要求什么？"], capsys)
    data = json.loads(out)
    assert code == 0
    assert {"question", "answer", "abstained", "citations", "retrieved", "timings_ms"} <= data.keys()
    assert data["abstained"] is False and data["retrieved"][0] == "dongzhi-2025-3#8"
    for c in data["citations"]:
        assert set(c) == {"doc_id", "ref", "label", "title", "section", "quote"}
        assert c["ref"] == "8" and c["label"] == "第8条" and c["quote"] in data["answer"]


def test_ask_history_replays_follow_up(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ask", "--json", "--history", "第8条要求什么？", "那第9条呢？"], capsys)
    assert code == 0 and {c["ref"] for c in json.loads(out)["citations"]} == {"9"}


def test_out_of_range_json(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ask", "--json", "第20条要求什么？"], capsys)
    data = json.loads(out)
    assert code == 0 and data["abstained"] is True and "共19条" in data["answer"]


def test_show_item_and_section(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["show", "8"], capsys)
    assert code == 0 and out.startswith("第8条 深化“四强”党支部建设")
    code, out, _ = run(["show", "三"], capsys)
    assert code == 0 and "第9条 加强党员教育管理监督" in out


def test_search_prints_scores(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["search", "流动党员"], capsys)
    lines = out.splitlines()
    assert code == 0 and "strength" in lines[0] and "dongzhi-2025-3#9" in "".join(lines[1:4])


@pytest.mark.parametrize(("args", "message"), [
    (["ask", ""], "问题不能为空"),
    (["ask", "问" * 2001], "问题过长"),
    (["show", "20"], "共19条"),
    (["show", "七"], "没有这个部分"),
])
def test_errors_are_one_line_without_traceback(cli_env: Settings, capsys: pytest.CaptureFixture[str],
                                               args: list[str], message: str) -> None:
    code, out, err = run(args, capsys)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_corrupt_index_is_a_clear_error(tmp_path: Path, corpus_copy: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--corpus", str(corpus_copy), "--index", str(tmp_path / "ix")]
    assert run(["index", *args], capsys)[0] == 0
    vectors = tmp_path / "ix" / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:200])
    code, _out, err = run(["ask", "第8条", *args], capsys)
    assert code == 1 and "vectors.npy" in err and "dangjian index" in err and "Traceback" not in err


def test_missing_corpus_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["ask", "第8条", "--corpus", str(tmp_path), "--index", str(tmp_path / "i")], capsys)
    assert code == 1 and "manifest.toml" in err


def test_unknown_option_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ask", "--bogus", "x"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--bogus" in err and len(err.strip().splitlines()) == 1


def test_module_entry_point_runs_offline(cli_env: Settings) -> None:
    proc = subprocess.run([sys.executable, "-m", "rag", "ask", "--json", "What does item 8 require?"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["retrieved"][0] == "dongzhi-2025-3#8"


def test_ask_llm_mode_and_llm_check_over_real_http(cli_env: Settings, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    try:
        monkeypatch.setenv("DANGJIAN_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("DANGJIAN_LLM_MODEL", "good_8")
        code, out, err = run(["ask", "--json", "--mode", "llm", "第8条要求什么？"], capsys)
        data = json.loads(out)
        assert code == 0 and data["generated"] is True and "AI生成" in err
        assert data["verification"]["ok"] is True and "〔第8条〕" in data["answer"]
        code, out, _ = run(["llm-check"], capsys)
        assert code == 0 and "good_8" in out
        monkeypatch.setenv("DANGJIAN_LLM_MODEL", "fabricated_25")
        code, out, err = run(["ask", "--json", "--mode", "llm", "第8条要求什么？"], capsys)
        data = json.loads(out)
        assert data["generated"] is False and "未通过引用核验" in err and "第25条" not in data["answer"]
    finally:
        server.stop()


def test_index_registers_files_dropped_into_the_corpus(corpus_copy: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    shutil.copy(ROOT / "tests" / "data" / "sample-regulation.txt", corpus_copy / "shequ.txt")
    (corpus_copy / "broken.pdf").write_bytes(b"\xff\xfe not a pdf")
    before = (corpus_copy / "manifest.toml").read_text(encoding="utf-8")
    code, out, _ = run(["index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "ix")], capsys)
    assert code == 0 and "✓ shequ" in out and "✗" in out and "broken.pdf" in out and "9 个文件" in out
    after = (corpus_copy / "manifest.toml").read_text(encoding="utf-8")
    assert after.startswith(before) and 'doc_id = "shequ"' in after
    assert (corpus_copy / "broken.pdf").read_bytes() == b"\xff\xfe not a pdf"  # a failed file stays put
    code, out, _ = run(["ask", "示范社区党建工作条例第八条", "--corpus", str(corpus_copy),
                        "--index", str(tmp_path / "ix")], capsys)
    assert code == 0 and "本条例自2021年3月1日起施行。" in out


def test_add_reports_each_file_and_rebuilds(corpus_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_EMBED_BACKEND", "hash")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    args = ["--corpus", str(corpus_copy), "--index", str(tmp_path / "ix")]
    code, out, _ = run(["add", str(ROOT / "tests" / "data" / "sample-regulation.txt"), str(empty), *args], capsys)
    assert code == 1 and "✓ sample-regulation" in out and "✗" in out and "索引已重建" in out


def test_chat_keeps_history_across_turns(cli_env: Settings, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("第8条要求什么？\n\n下一条\nexit\n"))
    code, out, _ = run(["chat"], capsys)
    assert code == 0 and "〔第8条〕" in out and "〔第9条〕" in out


def test_chat_llm_mode_streams_then_shows_the_verified_answer(
        cli_env: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    try:
        monkeypatch.setenv("DANGJIAN_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("DANGJIAN_LLM_MODEL", "fabricated_25")
        monkeypatch.setattr("sys.stdin", io.StringIO("第8条要求什么？\n"))
        code, out, _ = run(["chat", "--mode", "llm"], capsys)
        assert code == 0 and "第25条" in out  # what streamed, as the model said it
        verified = out.split("核验后的答案", 1)[1]
        assert "第25条" not in verified and "〔第8条〕" in verified and "未通过引用核验" in verified
    finally:
        server.stop()
