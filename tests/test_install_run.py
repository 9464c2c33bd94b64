"""The install `make run` makes, end to end in a browser: a fresh venv with exactly the locked run
requirements and the project on top (`--no-deps`), its own `dangjian index` and `dangjian serve`,
then Chromium exports an answer as .docx and uploads a .docx regulation.

Why a separate install: every other test runs in the test venv, which also holds the test extras
(torch, sentence-transformers, pytest's own dependencies). A feature the page offers that needs a
package only the test lock pins (Word export and .docx upload once needed python-docx from an
extra) passes there and fails for a user of `make run`. This test sees what that user sees.

Slow (a venv and ~90 packages: about half a minute from pip's cache, longer the first time, and it
needs the package index the lock's files come from); it runs in the normal `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_browser import ARGS, CHROMIUM, ROOT, SIZES, ask

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]


def _pip_version() -> str:
    """The pip the Makefile pins (a new pip can read the lock differently)."""
    found = re.search(r"^PIP_VERSION\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert found, "PIP_VERSION not found in the Makefile"
    return found.group(1)


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 900) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} → {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def run_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`make setup` + `make index` + `make run`, step for step, in a temp folder: a new venv from the
    base interpreter, pinned pip, `--no-compile --require-hashes -r requirements/run.txt`, `--no-deps -e .`; then
    that venv's `dangjian index` and `dangjian serve` over a copy of the corpus, with their own data
    folder. Nothing of the test venv leaks in: no PYTHONPATH, and the commands run outside the
    repository, so only what the new venv installed is importable."""
    from testserver import free_port

    root = tmp_path_factory.mktemp("make-run")
    venv, bin_ = root / "venv", root / "venv" / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(DANGJIAN_DATA_DIR=str(root / "data"), DANGJIAN_FEEDBACK_PATH=str(root / "feedback.jsonl"),
               PATH=f"{bin_}{os.pathsep}{env.get('PATH', '')}", PIP_DISABLE_PIP_VERSION_CHECK="1")
    base = getattr(sys, "_base_executable", sys.executable)  # the interpreter the test venv was made from
    _run([base, "-m", "venv", str(venv)], env=env, cwd=root)
    _run([str(bin_ / "pip"), "install", "-q", f"pip=={_pip_version()}"], env=env, cwd=root)
    _run([str(bin_ / "pip"), "install", "-q", "--no-compile", "--require-hashes", "-r",
          str(ROOT / "requirements" / "run.txt")], env=env, cwd=ROOT)
    _run([str(bin_ / "pip"), "install", "-q", "--no-deps", "-e", str(ROOT)], env=env, cwd=ROOT)
    shutil.copytree(ROOT / "corpus", root / "corpus")
    dirs = ["--corpus", str(root / "corpus"), "--index", str(root / "index")]
    _run([str(bin_ / "dangjian"), "index", *dirs], env=env, cwd=root)
    port = free_port()
    log = (root / "serve.log").open("wb")
    proc = subprocess.Popen([str(bin_ / "dangjian"), "serve", "--port", str(port), *dirs],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (root / "serve.log").read_text(errors="replace")[-3000:]
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "dangjian serve did not start"
            time.sleep(0.3)
        yield {"url": url, "python": bin_ / "python", "env": env, "root": root}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        shutil.rmtree(venv, ignore_errors=True)  # ~650 MB; pytest keeps its last temp folders


def _docx_text(install: dict[str, Any], path: Path) -> str:
    """The paragraphs of a .docx, read with the python-docx the run install has (not the test venv's)."""
    script = "import docx, sys; print('\\n'.join(p.text for p in docx.Document(sys.argv[1]).paragraphs))"
    done = subprocess.run([str(install["python"]), "-c", script, str(path)], env=install["env"],
                          cwd=install["root"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_make_run_install_exports_word_and_takes_a_docx_upload(run_install: dict[str, Any],
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright
    from test_ui_office import TITLE, make_docx

    url = run_install["url"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport=SIZES["desktop"], locale="zh-CN", accept_downloads=True)
            page = ctx.new_page()
            page.set_default_timeout(90_000)  # a cold process on two busy cores
            page.goto(url + "/")
            page.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")

            turn = ask(page, "第8条要求什么？")
            expect(turn.locator("button.dj-cite").first).to_have_text("〔第8条〕")
            with page.expect_download() as got:
                turn.locator("[data-action='export-answer']").click()
            saved = tmp_path / got.value.suggested_filename
            got.value.save_as(saved)
            assert saved.suffix == ".docx" and saved.read_bytes()[:2] == b"PK"
            text = _docx_text(run_install, saved)
            assert "问：第8条要求什么？" in text and "〔第8条〕" in text
            assert "深化“四强”党支部建设" in text  # the article's own words, not only its label

            page.get_by_role("tab", name="文件").click()  # loopback, no login: the local admin
            page.locator("#dj-upload input[type=file]").set_input_files(str(make_docx(tmp_path / "jifen.docx")))
            expect(page.locator("#dj-upload").get_by_role("cell", name="jifen.docx")).to_be_visible()
            page.locator("#dj-add").click()
            expect(page.locator(".dj-job[data-state='done']")).to_be_visible(timeout=180_000)
            expect(page.locator(".dj-report")).to_contain_text("已添加")
            expect(page.locator("table.dj-docs")).to_contain_text(TITLE)

            page.get_by_role("tab", name="问答").click()
            answer = ask(page, f"《{TITLE}》第三条是什么？")
            expect(answer.locator("button.dj-cite").first).to_have_text(f"〔《{TITLE}》第三条〕")
            expect(answer.locator(".dj-text")).to_contain_text("每半年公示一次")
        finally:
            browser.close()
