"""The web page and HTTP API over `rag` (see `app.py`).

Importing the package first arranges for Gradio to be imported without its type-stub writer
(`gradio_startup.py`): every module here imports Gradio, and that writer is half of its import.
"""

from .gradio_startup import skip_stub_writer

skip_stub_writer()
