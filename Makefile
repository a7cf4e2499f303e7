# Every target makes its own virtual environment (.venv) from pyproject.toml and the pinned
# constraints, so a fresh clone on a fresh machine needs only python3 (>= 3.11).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install checkov demo browser test check bench clean

# The runtime alone (enough for the local backend and the demo) ...
$(BIN)/.runtime: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

# ... and everything: both clouds' SDKs, cdktf and its providers, the rehearsal's emulators,
# the test tools ...
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[aws,gcp,infra,rehearse,dev]'
	touch $@ $(BIN)/.runtime

# ... and the CDK for Terraform CLI, pinned by package-lock.json (npx cdktf ...; needs Node 20).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

## checkov in its own virtual environment (.venv-checkov: its pins must not constrain ours);
## the infra tests run it. Independent of the two above, so `make -j3 install checkov` (CI)
## installs all three at once.
checkov:
	scripts/checkov.sh --install >/dev/null

## The embedded local backend end to end: API, worker, upload, label, train, promote, predict.
## `make demo PORT=9000` picks the API's port (default: 8080, or a free one if it is taken).
demo: $(BIN)/.runtime
	$(BIN)/mlpoc demo $(if $(PORT),--port $(PORT))

## Debian's Chromium for the web UI's tests, with apt-get only when it is missing.
browser:
	scripts/install-chromium.sh

## The whole test suite: contract suite on local + moto + Google's emulators, infra, terraform.
test: $(BIN)/.installed node_modules/.installed checkov browser
	$(BIN)/pytest

## Lint, format check, type check and the import contracts (CI runs this before the tests).
check: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Every benchmark under bench/, one Markdown report (bench/REPORT.md) with the machine.
bench: $(BIN)/.installed
	$(BIN)/python bench/run_all.py --output bench/REPORT.md

clean:
	rm -rf $(VENV) node_modules cdktf.out .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
