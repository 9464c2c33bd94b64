"""`dangjian tour | duties | glossary | quiz`: text, --json in the `ask --json` citation shape, export,
the interactive practice session, and errors as one stderr line with exit code 1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from onboarding_checks import CORPUS, assert_passage_json

from rag.cli import main
from rag.onboarding import Onboarding

BASE = ["--corpus", str(CORPUS)]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([args[0], *BASE, *args[1:]])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tour_text_and_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["tour"], capsys)
    assert code == 0 and out.startswith("第1步/共26步\n【总体要求】") and "第26步/共26步" in out
    code, out, _ = run(["tour", "--step", "12"], capsys)
    assert code == 0 and "【第8条】深化“四强”党支部建设。" in out and "〔第8条〕" in out
    assert "dangjian tour --step 11" in out and "dangjian tour --step 13" in out and "dangjian show 8" in out


def test_tour_json(capsys: pytest.CaptureFixture[str], onboarding: Onboarding) -> None:
    code, out, _ = run(["tour", "--json"], capsys)
    steps = json.loads(out)
    assert code == 0 and len(steps) == 26 and steps[0]["kind"] == "preamble"
    for step in steps:
        for line in step["lines"]:
            assert_passage_json(line, onboarding.docs)
    code, out, _ = run(["tour", "--json", "--step", "3"], capsys)
    assert json.loads(out)["open"] == "dongzhi-2025-3#1"


def test_duties_text_calendar_and_json(capsys: pytest.CaptureFixture[str], onboarding: Onboarding) -> None:
    code, out, _ = run(["duties", "支部书记"], capsys)
    assert code == 0 and out.startswith("支部书记（机关党支部）职责清单（")
    assert "■ 组织生活" in out and "【每月】党支部应当每月开展1次主题党日" in out
    code, out, _ = run(["duties", "支部书记", "--calendar"], capsys)
    heads = [line for line in out.splitlines() if line.startswith("■ ")]
    assert code == 0 and heads[0].startswith("■ 每月") and heads[-1].startswith("■ 未写明时间")
    code, out, _ = run(["duties", "党务干部", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["role"] == "党务干部"
    for group in data["groups"]:
        for duty in group["duties"]:
            assert_passage_json(duty, onboarding.docs)


def test_duties_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import docx

    code, _out, err = run(["duties", "支部书记", "--export", str(tmp_path / "书记.docx")], capsys)
    assert code == 0 and "已导出" in err
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "书记.docx")).paragraphs)
    assert "支部书记（机关党支部）职责清单" in text and "出处文件" in text
    code, _out, _err = run(["duties", "党员", "--export", str(tmp_path / "党员.md")], capsys)
    assert code == 0 and (tmp_path / "党员.md").read_text(encoding="utf-8").startswith("# 普通党员职责清单")


@pytest.mark.parametrize(("args", "message"), [
    (["duties", "局长"], "没有“局长”这个角色"),
    (["duties", "党员", "--export", "x.pdf"], "只能导出为 .docx 或 .md"),
    (["tour", "--step", "0"], "导览共26步"),
    (["glossary", "护照"], "名词解释中没有“护照”"),
    (["quiz", "--n", "0"], "1 到 50"),
])
def test_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 1 and out == "" and err.startswith("dangjian: ") and message in err
    assert err.count("\n") == 1


def test_glossary(capsys: pytest.CaptureFixture[str], onboarding: Onboarding) -> None:
    code, out, _ = run(["glossary"], capsys)
    assert code == 0 and "有定义（" in out and "三会一课" in out
    code, out, _ = run(["glossary", "三会一课"], capsys)
    assert code == 0 and "已收录文件未给出定义，以下是它出现的地方" in out and "〔第4条〕" in out
    code, out, _ = run(["glossary", "党支部", "--json"], capsys)
    entry = json.loads(out)
    assert entry["defined"] is True
    for line in entry["lines"]:
        assert_passage_json(line, onboarding.docs)


def test_quiz_json_reveals_answers_with_citations(capsys: pytest.CaptureFixture[str], onboarding: Onboarding) -> None:
    code, out, _ = run(["quiz", "--json", "--n", "5", "--seed", "3"], capsys)
    data = json.loads(out)
    assert code == 0 and data["seed"] == "3" and len(data["questions"]) == 5
    for q in data["questions"]:
        assert q["answer"] and q["answer"] not in q["stem"]
        assert_passage_json(q["explanation"], onboarding.docs)


def test_quiz_print_is_a_worksheet(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["quiz", "--print", "--n", "3", "--seed", "3"], capsys)
    assert code == 0 and "第3题/共3题" in out and "—— 答案与出处 ——" in out and "--seed 3" in err


def test_quiz_session_checks_explains_and_reviews(capsys: pytest.CaptureFixture[str], onboarding: Onboarding,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.onboarding import quiz_round

    questions = quiz_round(onboarding.questions, 3, "9")
    answers = [questions[0].answer, "不知道"]  # right, wrong, then end of input
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    code, out, _ = run(["quiz", "--interactive", "--n", "3", "--seed", "9"], capsys)
    assert code == 0 and out.count("你的答案>") == 3
    assert "✓ 正确" in out and "✗ 不对（你的答案：不知道）" in out
    assert "得分：1/2" in out and "错题回顾：" in out and questions[1].prompt in out.split("错题回顾：")[1]
    assert questions[1].explanation.marker in out
