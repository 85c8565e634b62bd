# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# VENV can point at an existing environment: `make test VENV=/path/to/venv`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.workbench-installed
TOOLS := .venv-tools
SHARED ?= ../shared
# The example pipeline the demo productionizes and runs.
NOTEBOOK := notebooks/train.ipynb
PIPELINE := train

.PHONY: demo test install system-deps lint typecheck drift manifests checkov pytest clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

# Debian packages the tests need: Chromium for the real-browser test (never a downloaded browser).
system-deps:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else sudo apt-get update -q && sudo apt-get install -y -q chromium; fi; fi

demo: install
	$(WB) demo-data
	$(WB) run $(NOTEBOOK)
	@echo
	@echo "Done. Look next:  $(WB) ui   (MLflow UI on http://127.0.0.1:5000)"

lint: install
	$(VENV)/bin/ruff check workbench tests $(wildcard benchmarks/*.py)
	$(VENV)/bin/ruff format --check workbench tests $(wildcard benchmarks/*.py)

typecheck: install
	$(VENV)/bin/mypy workbench

pytest: install system-deps
	$(VENV)/bin/pytest

test: lint typecheck pytest

clean:
	rm -rf .workbench mlruns mlartifacts mlflow.db models
