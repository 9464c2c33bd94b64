"""The page's scripts (gr.HTML `js_on_load` bodies), in ui/static/*.js (package data), by name here.

GLOBAL runs once (in the header): lang, the aria-live region, toasts, copy without the HTTPS-only
Clipboard API, Space on role=button elements, the phone's bottom sheets and drawer (one at a time,
over a backdrop; a link's article opens as a sheet), the ask timer,
then the visitor cookie (`GET api/session`) and the boot event with the page's link (?q ?item ?doc).
DELEGATE (in every HTML part with buttons) turns a click on a [data-action] element into that
component's event, with the element's data-* as the payload, and puts focus back on the same
control after the part re-renders. TRANSCRIPT scrolls to a new answer, announces it and shows the
time the user waited. DOWNLOAD saves an export the server returned. `ask_from_box` empties the
question box the moment a question is sent from it (the Gradio API's path). FLOW is the page's own
asking: a queue of questions sent one at a time to POST api/page/ask (ui/page_api.py), each echoed
at once, answered turn by turn; `settable` lets it set the parts an answer changes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def script(name: str) -> str:
    """A script shipped in ui/static (package data): the page's JavaScript lives in .js files."""
    return (resources.files("ui") / "static" / name).read_text(encoding="utf-8")


# action → the gr.HTML event it fires (the handler bound to that event dispatches on `action`)
EVENTS: dict[str, str] = {
    "source": "select", "item": "select", "doc": "select", "open": "select",
    "export-answer": "download", "export-conversation": "download", "export-item": "download",
    "ob-export": "download", "duties": "expand", "tab": "expand", "rename": "submit", "delete": "delete",
}
GLOBAL_ACTIONS = ("copy", "close-sheet", "drawer")

GLOBAL = script("global.js")
DELEGATE = script("delegate.js")
TRANSCRIPT = script("transcript.js")
PANEL = script("panel.js")
DOWNLOAD = script("download.js")
SCOPE = script("scope.js")


def delegate(extra: str = "") -> str:
    """The delegate with its action → event table, plus a part's own watchers."""
    table = f"const EVENTS = {json.dumps(EVENTS)}; const GLOBAL_ACTIONS = {json.dumps(list(GLOBAL_ACTIONS))};"
    return table + DELEGATE + extra


def ask_from_box(inputs: int) -> str:
    """The ask event's `js`: it runs after the inputs are read, so the box empties as the question is
    sent (not when its answer lands, which wiped whatever was typed meanwhile)."""
    return f"""(...args) => {{
  const box = document.querySelector('#dj-question textarea');
  if (box && box.value) {{ box.value = ''; box.dispatchEvent(new Event('input', {{bubbles: true}})); }}
  return args.slice(0, {inputs});
}}"""


def settable(name: str) -> str:
    """Lets the page's script set this part's value (`__dj.set[name](html)`) as a server update
    would: an answer from the page's own route (ui/page_api.py) updates the conversation list, side
    panel and status line, and Gradio's idea of their value stays the one shown."""
    return (f"{{ const d = window.__dj || (window.__dj = {{waits: {{}}}}); (d.set || (d.set = {{}}))"
            f"[{json.dumps(name)}] = (html) => {{ props.value = html; }}; }}")


FLOW = script("flow.js")
