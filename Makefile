# Two commands do everything on a fresh machine (see README.md):
#   make run    set up .venv and run the main job on the embedded default
#   make test   set up .venv, run the checks of `make lint` and the test suite (with doctests)
#   make lint   ruff (lint and, once enabled, format) and mypy over the package
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.selfsim-installed

# `make lint` checks the formatting too (`ruff format`); FORMAT_CHECK=0 skips that check
FORMAT_CHECK ?= 1
LINT_PATHS := src tests benchmarks scripts examples conftest.py

.PHONY: run test lint bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/selfsim analyze

test: lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
ifeq ($(FORMAT_CHECK),1)
	$(BIN)/ruff format --check $(LINT_PATHS)
endif
	$(BIN)/python -m mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ss_rate.py
	$(BIN)/python benchmarks/bench_covering.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
