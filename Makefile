# hiworkbook — every task. `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# JupyterLab lives in its own venv: in the batch runtime it would make every nbformat import ~1 s
# slower (docs/architecture.md). Both venvs install hiworkbook from this folder (editable).
LAB_VENV  := .venv-lab
LAB_BIN   := $(LAB_VENV)/bin
LAB_STAMP := $(LAB_VENV)/.installed-stamp
LAB_FLAGS := --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  --LabApp.news_url=None --LabApp.extension_manager=readonly \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

.DEFAULT_GOAL := help
.PHONY: help install demo test test-fast lint format notebooks browser bench lab teach teach-reset clean

help: ## list every target
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv (if missing) and install hiworkbook with its test tools

demo: $(STAMP) ## generate the synthetic demo region and write one report per place into reports/demo
	$(BIN)/hiworkbook demo

browser: ## install Debian's chromium and poppler-utils, and axe-core from npm, for the browser tests (only if missing)
	@bash scripts/install-chromium.sh
	@bash scripts/install-axe.sh

test: $(STAMP) $(LAB_STAMP) browser ## set up and run the whole test suite with lint (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

test-fast: $(STAMP) ## the test suite without slow tests (notebooks, browser)
	$(BIN)/pytest -m "not slow"

lint: $(STAMP) ## ruff lint and format check, and notebooks stored without outputs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q tests/test_project.py

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

notebooks: $(STAMP) ## regenerate notebooks/*.ipynb (no outputs) from scripts/make_notebooks.py
	$(BIN)/python scripts/make_notebooks.py
	$(BIN)/ruff format notebooks

bench: $(STAMP) ## run the benchmarks and print their figures (see docs/benchmarks.md)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_teaching.py
	$(BIN)/python benchmarks/bench_trends.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_batch.py

$(LAB_STAMP): pyproject.toml
	@test -x $(LAB_BIN)/python || $(PYTHON) -m venv $(LAB_VENV)
	$(LAB_BIN)/python -m pip install --quiet --upgrade pip
	$(LAB_BIN)/python -m pip install --quiet -e ".[test,lab]"
	@touch $(LAB_STAMP)

lab: $(LAB_STAMP) ## install JupyterLab + ipywidgets (.venv-lab) and open it on notebooks/, offline
	$(LAB_BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS)

teach: $(LAB_STAMP) ## open the teaching course (learner copy in notebooks/local/teaching) in JupyterLab, offline
	$(LAB_BIN)/hiworkbook generate-demo > /dev/null
	$(LAB_BIN)/hiworkbook teach reset --keep-existing
	$(LAB_BIN)/jupyter lab --notebook-dir=notebooks/local/teaching $(LAB_FLAGS)

teach-reset: $(STAMP) ## restore a learner's course notebooks: make teach-reset [DIR=folder]
	$(BIN)/hiworkbook teach reset $(DIR)

clean: ## remove generated demo data, caches and reports (keeps .venv)
	rm -rf data/demo data/cache reports/demo .pytest_cache .ruff_cache .hypothesis
