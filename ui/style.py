"""Page styles (ui/static/page.css, package data), passed to gr.mount_gradio_app(css=...).

Colours are chosen for a contrast of at least 4.5:1 against their backgrounds (the browser test
computes it from the page's styles). The page scrolls as a whole: the conversation is never a
scroll box of its own; the question box (one row: question, scope, 提问) sticks to the bottom of
the screen and the slim tab bar to the top. At 820 px and below the conversation list becomes a
drawer and the source panel and the 目录's article bottom sheets, one at a time over a backdrop.
"""

from importlib import resources

CSS = (resources.files("ui") / "static" / "page.css").read_text(encoding="utf-8")
