# The BSS suite. `make run` starts everything on the embedded default; `make test` runs the tests.
# Both create .venv and install what they need on first use.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := libs/bss services/catalog services/subscriptions services/billing services/support-sla gateway
PROJECT_FILES := $(foreach p,$(PACKAGES),$(p)/pyproject.toml) requirements-dev.txt constraints.txt
PYTEST_ARGS ?=
ST ?=
B ?=

.PHONY: install run demo import-book test lint apicheck migrate seed bench schemas clean help

help:
	@echo "make run      start broker, services and gateway on the embedded default (SQLite + embedded Kafka)"
	@echo "make demo     a month in the life, through the gateway (starts the suite if none answers)"
	@echo "make import-book  import a book from CSV files through the gateway (DIR=...; default: fresh samples)"
	@echo "make test     run the whole test suite (DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)"
	@echo "make lint     ruff, mypy and the import-linter contracts"
	@echo "make apicheck schemathesis against a throwaway suite: no 5xx, every answer as documented (ST=\"--seed 1\")"
	@echo "make migrate  apply every service's migrations (production-style)"
	@echo "make seed     load the Acronis catalog into the catalog database (idempotent)"
	@echo "make bench    run the benchmarks (B=name for one)"

install: $(STAMP)

$(STAMP): $(PROJECT_FILES)
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or set PYTHON=..."; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p))
	@touch $(STAMP)

run: install
	$(BIN)/python -m deploy.local.run

demo: install
	$(BIN)/python -m deploy.demo

# DIR=<dir> imports that book; without DIR, a sample book generated relative to today into var/import-samples,
# under a source named after this month (so a second run this month changes nothing). IMPORT_ARGS="--dry-run" etc.
import-book: install
	@if [ -n "$(DIR)" ]; then \
		$(BIN)/python -m deploy.import_book "$(DIR)" $(IMPORT_ARGS); \
	else \
		$(BIN)/python -m deploy.import_book.samples var/import-samples && \
		$(BIN)/python -m deploy.import_book var/import-samples --source "samples-$$(date -u +%Y-%m)" $(IMPORT_ARGS); \
	fi

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bench deploy/local deploy/demo deploy/import_book libs/bss/bss services/catalog/catalog services/subscriptions/subscriptions services/billing/billing services/support-sla/support_sla gateway/gateway
	$(BIN)/lint-imports

apicheck: install
	$(BIN)/python -m deploy.local.apicheck $(ST)

migrate: install
	@for pkg in catalog subscriptions billing support_sla; do $(BIN)/python -m $$pkg migrate || exit $$?; done

seed: install
	$(BIN)/python -m catalog.seed

schemas: install
	$(BIN)/python -m bss.events.schemagen

bench: install
	$(BIN)/python -m bench $(B)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
