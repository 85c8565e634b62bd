# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# VENV can point at an existing environment: `make test VENV=/path/to/venv`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.workbench-installed
TOOLS := .venv-tools
# uv installs the environments; pinned like everything else they hold (constraints.txt)
UV_VERSION := 0.13.10
SHARED ?= ../shared
# The example pipeline the demo productionizes and runs.
NOTEBOOK := notebooks/train.ipynb
PIPELINE := train

.PHONY: demo test test-quick lock install labextension tools system-deps lint typecheck drift verify manifests checkov pytest bytecode clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	# uv (from PyPI) resolves and installs the same requirements as pip, in a fraction of the time;
	# --compile-bytecode as pip does: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every
	# step, server and kernel process would otherwise compile scikit-learn & co. at each import.
	# constraints.txt holds the exact versions the committed generated files pin (see `lock`).
	$(PY) -m pip install -q 'uv==$(UV_VERSION)' && $(VENV)/bin/uv pip install -q --compile-bytecode \
	  --python $(PY) -c constraints.txt -e '.[test]' \
	  || $(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

# Re-resolve pyproject.toml's requirements to today's releases into constraints.txt; then run
# `make install` and `productionize` the example so the generated pins follow, and commit both.
lock:
	$(PY) -m pip install -q 'uv==$(UV_VERSION)'
	$(VENV)/bin/uv pip compile -q --python $(PY) --extra test --no-header --no-annotate \
	  -o constraints.txt.new pyproject.toml
	{ sed -n '/^#/p' constraints.txt; grep -v '^#' constraints.txt.new; } > constraints.txt.tmp
	mv constraints.txt.tmp constraints.txt && rm -f constraints.txt.new

# The JupyterLab extension (labextension/, TypeScript): built by the JupyterLab extension toolchain
# from the npm registry (npm ci on the committed lock file, tsc, @jupyterlab/builder's webpack)
# into workbench/lab/labextension, only when its sources' digest changes; then installed into
# the environment's share/jupyter/labextensions with the server extension's config, so that
# `jupyter labextension list` shows workbench-lab enabled.
LABEXT_SOURCES := $(sort $(wildcard labextension/package.json labextension/package-lock.json \
	labextension/tsconfig.json labextension/src/*.ts labextension/style/*))
LABEXT_DIGEST := $(shell cat $(LABEXT_SOURCES) | sha256sum | cut -c1-16)
LABEXT_OUT := workbench/lab/labextension
LABEXT_BUILT := $(LABEXT_OUT)/.built-$(LABEXT_DIGEST)
LABEXT_DEST := $(VENV)/share/jupyter/labextensions/workbench-lab
LABEXT_INSTALLED := $(LABEXT_DEST)/.built-$(LABEXT_DIGEST)

$(LABEXT_BUILT): | $(STAMP) system-deps
	cd labextension && npm ci --no-audit --no-fund --loglevel=error
	cd labextension && npx tsc
	rm -rf $(LABEXT_OUT)
	node labextension/node_modules/@jupyterlab/builder/lib/build-labextension.js \
	  --core-path "$$($(PY) -c 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))')" \
	  labextension
	touch $@

$(LABEXT_INSTALLED): $(LABEXT_BUILT)
	rm -rf $(LABEXT_DEST)
	mkdir -p $(dir $(LABEXT_DEST)) $(VENV)/etc/jupyter/jupyter_server_config.d
	cp -r $(LABEXT_OUT) $(LABEXT_DEST)
	cp workbench/lab/jupyter-config/workbench-lab.json $(VENV)/etc/jupyter/jupyter_server_config.d/
	touch $@

labextension: $(LABEXT_INSTALLED)

install: $(STAMP) $(LABEXT_INSTALLED)

# Debian packages the tests need (never a downloaded binary): Chromium for the real-browser test,
# PostgreSQL for the team-store tests (run as the package's `postgres` user when root), git for
# the GitOps deploy tests and, with openssh-client, the deploy image's packages that the
# rehearsal takes from this machine, shellcheck for the CI scripts, Node.js and npm to build the
# JupyterLab extension.
SYSTEM_PACKAGES := $(if $(shell command -v chromium),,chromium) \
	$(if $(shell command -v npm),,nodejs npm) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(shell command -v git),,git) \
	$(if $(shell command -v ssh),,openssh-client) \
	$(if $(shell command -v shellcheck),,shellcheck)
system-deps:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $(SYSTEM_PACKAGES); \
	  else sudo apt-get update -q && sudo apt-get install -y -q $(SYSTEM_PACKAGES); fi; fi

demo: install
	$(WB) demo-data
	$(WB) run $(NOTEBOOK)
	$(WB) run notebooks/tune.ipynb
	$(WB) productionize $(NOTEBOOK)
	$(WB) pipeline run $(PIPELINE) --lineage wait
	$(PY) -m workbench.demo.serve_check models:/breast-cancer@champion
	@echo
	@echo "Done. Look next:  $(WB) ui   (MLflow UI on http://127.0.0.1:5000)"

lint: install
	$(VENV)/bin/ruff check workbench tests $(wildcard benchmarks/*.py)
	$(VENV)/bin/ruff format --check workbench tests $(wildcard benchmarks/*.py)
	# generated steps and tests, with the generator's own ruff settings (not the project's)
	$(PY) -m workbench.emit.pycheck steps tests/steps
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy workbench

# checkov pins many packages of its own: it lives in a separate virtual environment.
CHECKOV_VERSION := 3.3.30
$(TOOLS)/bin/checkov:
	test -x $(TOOLS)/bin/python || python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q 'uv==$(UV_VERSION)' && $(TOOLS)/bin/uv pip install -q --python $(TOOLS)/bin/python \
	  'checkov==$(CHECKOV_VERSION)' || $(TOOLS)/bin/pip install -q 'checkov==$(CHECKOV_VERSION)'

tools: $(TOOLS)/bin/checkov

# Offline manifest checks: official schemas + lint, every overlay built by kustomize, checkov.
manifests: install
	$(PY) $(SHARED)/tools/validate_manifests.py manifests --kustomize -q
	@for o in manifests/*/overlays/*/ manifests/*/overlays/*/serving/ manifests/mlflow-server/ manifests/platform/*/; do kubectl kustomize "$$o" >/dev/null || exit 1; done

checkov: $(TOOLS)/bin/checkov
	$(TOOLS)/bin/checkov -d manifests --framework kubernetes argo_workflows --skip-download --compact --quiet

# Generated files (steps/, tests/steps/, manifests/) must equal what the notebooks generate.
drift: install
	$(WB) productionize $(NOTEBOOK) --check
	$(PY) -m workbench.emit.tracking_server manifests/mlflow-server --check

# The example notebook executed once and its pipeline run chained against it (exit 1 naming
# step, name and cell on any divergence); rewrites the committed files only with equal content.
verify: install
	test -f data/raw/breast_cancer.csv || $(WB) demo-data
	$(WB) productionize $(NOTEBOOK) --verify

# pytest-xdist, one worker per core (`PYTEST_WORKERS=0` runs in one process); `--dist
# loadfile` keeps each test file on one worker, so a module fixture (a served model, a migrated
# store, a started server) is still made once. Session fixtures (PostgreSQL, moto) start per
# worker on free ports; venvs are cached by digest under a lock (tests/cache_helpers.py, the
# rehearsal's image venvs: tests/deploy/conftest.py). `--no-loadscope-reorder` keeps the order
# tests/conftest.py gives the files (the heaviest first) instead of xdist's by-test-count
# order, which left the single 100+ s tests running alone at the end.
PYTEST_WORKERS ?= auto
PYTEST := WORKBENCH_SHARED=$(SHARED) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile \
	--no-loadscope-reorder

# The project's own bytecode, as `pip install` compiles a non-editable package: the editable
# install does not, and with PYTHONDONTWRITEBYTECODE (CI hosts) every test's `workbench` or
# helper subprocess would compile the modules it imports again (stale files are recompiled;
# Python checks each source's mtime).
bytecode: install
	$(VENV)/bin/python -m compileall -q workbench tests

pytest: install system-deps $(TOOLS)/bin/checkov bytecode
	$(PYTEST) --durations=25

# The edit-test loop: everything but the slow and the real-browser tests (under 90 s).
test-quick: install system-deps $(TOOLS)/bin/checkov bytecode
	$(PYTEST) -q -m "not slow and not browser"

# mypy (about 40 s in one process) reads only workbench/, which `verify` never writes, so the
# two run side by side; the checks of generated files (which `verify` rewrites, folder by
# folder) follow it.
test: lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target typecheck verify
	@$(MAKE) --no-print-directory drift manifests checkov pytest

clean:
	rm -rf .workbench mlruns mlartifacts mlflow.db mlflow.db.promotion.lock optuna.db models
