# druid-ingest: every entry point. `make demo` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# --- installing -------------------------------------------------------------------------------------------
install: $(VENV)/.installed var/.system-installed frontend/node_modules/.installed ## install what is missing (apt, pip, npm, mvn); Chromium comes with `make e2e`

var/.system-installed: stack/install.sh stack/druid/pom.xml
	bash stack/install.sh
	@mkdir -p var && touch $@

var/.browser-installed: # Debian's Chromium for the browser tests (a test tool's own browser download cannot work here)
	command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	@mkdir -p var && touch $@

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

# --- the local stack (PostgreSQL, S3, ZooKeeper, Druid) --------------------------------------------------------
up: install ## start the local stack (idempotent) and migrate the database
	$(PY) stack/stackctl.py up

down: ## stop the API/worker started by `make demo` and the whole local stack
	-$(BIN)/druid-ingest app down
	$(PY) stack/stackctl.py down

status: ## show each service of the stack: up/down, pid, memory
	$(PY) stack/stackctl.py status

# --- the two commands ---------------------------------------------------------------------------------------
demo: up frontend/dist/index.html ## THE MAIN JOB: stack + API + worker up, sample ingested, Druid row count printed
	$(BIN)/druid-ingest demo

test: up check ## ALL TESTS: lint + types, unit, integration (real stack), front-end, browser end-to-end
	$(BIN)/pytest tests -q
	cd frontend && npm test --silent
	$(MAKE) e2e

check: install ## ruff, mypy --strict (backend, stack), the layer contracts (import-linter), the committed OpenAPI document and GraphQL schema, TypeScript strict, ESLint
	$(BIN)/ruff check backend tests stack bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/druid-ingest openapi --check
	$(BIN)/druid-ingest graphql-schema --check
	cd frontend && npm run check:generated --silent && npm run typecheck --silent && npm run lint --silent

frontend/dist/index.html: $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/package.json
	cd frontend && npm run build --silent

e2e: var/.browser-installed frontend/dist/index.html ## browser tests in Debian's Chromium against the real stack (screenshots in var/screenshots)
	$(BIN)/druid-ingest app down
	$(BIN)/druid-ingest app up
	@# The tests sign in as an admin of their own, with a password made up for this run (never stored).
	@export E2E_ADMIN_USERNAME=e2e-admin E2E_ADMIN_PASSWORD="e2e-$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	&& $(BIN)/druid-ingest users create-admin --username e2e-admin --password-env E2E_ADMIN_PASSWORD --reset \
	&& cd frontend && npm run e2e --silent

screenshots: ## the browser tests, saving their screenshots over the README's in docs/screenshots
	E2E_SCREENSHOTS=docs/screenshots $(MAKE) e2e

bench: up ## benchmarks (ratios measured side by side)
	$(PY) bench/validate.py
	$(PY) bench/upload.py
	$(PY) bench/throughput.py

.PHONY: help install up down status demo test check e2e screenshots bench
