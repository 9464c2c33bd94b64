"""Enter → answer visible in the browser, at turn 1 and at turn 40 of one conversation (issue #22).

    PYTHONPATH=. .venv/bin/python scripts/bench_page.py [--turns 40] [--index DIR]

Serves the app in-process over the index, opens the page in Debian's Chromium, asks `--turns`
questions one after another (items 1..19 in turn) and times each from the Enter key to the new
turn's answer being in the page (measured in the page with performance.now()). Prints the median
of turns 1-3 and of the last three, and their ratio: appending an answer should cost the same at
turn 40 as at turn 1 (the transcript is not re-sent).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # testserver: the tests' in-process uvicorn runner

TIME_ONE = """async ([q, n]) => {
  const box = document.querySelector('#dj-question textarea');
  box.value = q; box.dispatchEvent(new Event('input', {bubbles: true}));
  const t0 = performance.now();
  box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}));
  await new Promise((done) => { const tick = () => document.querySelector(
    `.dj-turn:not(.dj-pending)[data-turn="${n}"] .dj-a`) ? done() : requestAnimationFrame(tick); tick(); });
  return performance.now() - t0;
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from testserver import running

    import ui.app as module
    from rag.assistant import open_assistant
    from rag.config import Settings

    data = Path(tempfile.mkdtemp(prefix="bench-page-"))
    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=args.index, feedback_path=data / "fb.jsonl",
                        data_dir=data / "data")
    server = module.AppState(settings, open_assistant(settings, build_if_missing=True))
    app = module.build_app(server)
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--headless=new", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_function("window.__dj && window.__dj.flow && window.__dj.flow.booted")
        times = []
        for n in range(args.turns):
            ms = page.evaluate(TIME_ONE, [f"第{n % 19 + 1}条要求什么？", n])
            times.append(ms)
        size = page.evaluate("document.querySelector('#dj-transcript').innerHTML.length")
        browser.close()
    first, last = statistics.median(times[:3]), statistics.median(times[-3:])
    print(f"turns: {args.turns}, transcript HTML at the end: {size / 1024:.0f} KB")
    print(f"Enter → answer visible, median of turns 1-3: {first:.0f} ms; "
          f"of turns {args.turns - 2}-{args.turns}: {last:.0f} ms; ratio {last / first:.2f}")
    print("per turn (ms): " + " ".join(f"{t:.0f}" for t in times))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
