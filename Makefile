# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv when it is missing and install what they need: `make run` only what
# running needs (baas and its dependencies, the console's GraphiQL bundle), `make test`
# the development and test tools on top (pytest, ruff, mypy, the tests' OpenID provider
# from npm, a browser). A second run only re-installs when pyproject.toml (or a
# package.json) changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := tests/node_modules/.installed
CONSOLE_STAMP := baas/console/node_modules/.installed
JS_CLIENT_STAMP := clients/js/node_modules/.installed
BROWSER_STAMP := $(VENV)/.browser

.PHONY: run test install setup compile lint typecheck check-imports check-functions unit integration bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# What running needs. (No pip upgrade: the pip of Python 3.11+ installs this project.)
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e .
	touch $@

# What developing and testing need on top: the [dev] extra (pytest, ruff, mypy, ...).
$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
	touch $@

NODE_DEPS :=
ifneq ($(wildcard tests/package.json),)
NODE_DEPS := $(NODE_STAMP)
$(NODE_STAMP): tests/package.json $(wildcard tests/package-lock.json)
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	touch $@
endif

# The console's GraphiQL page serves GraphiQL and React from here, never from a CDN.
$(CONSOLE_STAMP): baas/console/package.json baas/console/package-lock.json
	npm ci --prefix baas/console --no-audit --no-fund --loglevel=error
	touch $@

# The TypeScript client (clients/js): its build tools and codegen; the tests build it.
$(JS_CLIENT_STAMP): clients/js/package.json clients/js/package-lock.json
	npm ci --prefix clients/js --no-audit --no-fund --loglevel=error
	touch $@

# The console's browser tests drive Debian's chromium with Playwright (its own browser
# download cannot work here). Without a browser they skip with one line; CI sets
# BAAS_TEST_BROWSER_REQUIRED=1 so that a missing browser fails instead.
$(BROWSER_STAMP): $(DEV_STAMP)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: the console's browser tests will skip"
	$(BIN)/python -m pip install -qq -e '.[dev,browser]'
	touch $@

# Byte-compile the project's own packages: an editable install is not compiled by pip,
# and with PYTHONDONTWRITEBYTECODE set Python would re-compile them at every start (about
# 0.4 s of `baas dev`'s start-up here). compileall only rewrites what changed.
compile:
	@$(BIN)/python -m compileall -q baas auth storage workflows functions examples >/dev/null

## install: what running needs, and nothing more (`make run` runs it)
install: $(STAMP) $(CONSOLE_STAMP)
	@$(MAKE) --no-print-directory compile

## setup: everything for development and tests (`make test` runs it)
setup: install $(DEV_STAMP) $(NODE_DEPS) $(JS_CLIENT_STAMP)

## run: the whole stack on this machine (embedded Temporal, worker, API, example app)
## (the Python packages and the console's npm packages install side by side: -j2)
run:
	@$(MAKE) --no-print-directory -j2 install
	BAAS_APP=$${BAAS_APP:-examples.board:app} $(BIN)/baas dev

## test: format check, lint, types, import contracts, function isolation of the example,
## then unit and integration tests
test: setup $(BROWSER_STAMP) lint typecheck check-imports check-functions
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

check-imports: setup
	$(BIN)/lint-imports

check-functions: setup
	$(BIN)/baas check examples.board:app

unit: setup
	$(BIN)/pytest tests/unit

integration: setup
	$(BIN)/pytest tests/integration

## bench: every benchmark in bench/, each beside its baseline (installs the peers it
## compares with: moto from PyPI, dynalite from npm, wrk from Debian when missing)
bench: setup
	$(BIN)/python -m pip install -qq -e '.[dev,bench]'
	npm ci --prefix bench --no-audit --no-fund --loglevel=error
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || echo "wrk missing: the GraphQL benchmark needs it (apt-get install wrk)"
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .baas tests/node_modules baas/console/node_modules clients/js/node_modules clients/js/dist .pytest_cache .mypy_cache .ruff_cache
