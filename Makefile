# Every target makes its own virtual environment (.venv) from pyproject.toml and the pinned
# constraints, so a fresh clone on a fresh machine needs only python3 (>= 3.11).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test check bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[aws,gcp,infra,dev]'
	touch $@

install: $(BIN)/.installed

## The whole test suite: contract suite on local + moto + Google's emulators, infra, terraform.
test: $(BIN)/.installed
	$(BIN)/pytest

## Lint, format check and type check (CI runs this before the tests).
check: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python bench/adapters.py
	$(BIN)/python bench/synth.py

clean:
	rm -rf $(VENV) cdktf.out .pytest_cache .mypy_cache .ruff_cache
