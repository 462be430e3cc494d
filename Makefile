# Two commands do everything on a fresh machine (see README.md):
#   make run    set up .venv and run the main job on the embedded default
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.selfsim-installed

.PHONY: run test bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/selfsim analyze

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ss_rate.py
	$(BIN)/python benchmarks/bench_covering.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
