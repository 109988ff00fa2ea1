# Frontdesk — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: help install run ingest check serve test lint format bench-ingest bench-ask bench-events bench-widget bench-dashboard bench-load clean

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

WIDGET := widget/dist/widget.js
WIDGET_SOURCES := $(wildcard widget/src/*.js widget/src/**/*.js) widget/build.mjs

# Debian packages: node and npm build the widget; the tests run Chromium, PostgreSQL and Redis.
APT_NEEDS := $(if $(shell command -v npm),,nodejs npm)
TEST_APT_NEEDS := $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(wildcard /usr/bin/redis-server),,redis-server)

$(STAMP): pyproject.toml
	$(if $(APT_NEEDS),apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_NEEDS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0   # the CPU wheel first, or pip pulls CUDA builds
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

widget/node_modules/.package-lock.json: widget/package-lock.json
	npm ci --prefix widget --no-audit --no-fund --loglevel=error

$(WIDGET): widget/node_modules/.package-lock.json $(WIDGET_SOURCES)
	npm run --prefix widget --silent build

install: $(STAMP) $(WIDGET) ## Create .venv, install Frontdesk and its dev tools, build the widget

run: install ## Install, ingest kb_articles/ and serve on http://127.0.0.1:8000
	$(BIN)/frontdesk ingest
	$(BIN)/frontdesk serve

ingest: install ## Index the knowledge base (FRONTDESK_KB_DIR)
	$(BIN)/frontdesk ingest

check: install ## Validate the knowledge base without writing
	$(BIN)/frontdesk check

serve: install ## Serve without ingesting first
	$(BIN)/frontdesk serve

lint: install ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install lint ## Install, lint and run the whole test suite (Python and browser tests)
	$(if $(strip $(TEST_APT_NEEDS)),apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TEST_APT_NEEDS))
	$(BIN)/pytest

bench-ingest: install ## Benchmark ingest on a generated 1,000-article knowledge base
	$(BIN)/python bench/ingest_bench.py

bench-ask: install ## Benchmark /ask latency and throughput against a real server (uses wrk)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python bench/ask_bench.py

bench-events: install ## Benchmark event ingestion (batches of 20) on SQLite and PostgreSQL (uses wrk)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,apt-get update -q && apt-get install -y -q postgresql)
	$(BIN)/python bench/events_bench.py

bench-widget: install ## Benchmark the widget's sizes, time to launcher, long tasks, cold panel open and main-thread time in Chromium
	$(if $(strip $(TEST_APT_NEEDS)),apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TEST_APT_NEEDS))
	$(BIN)/python bench/widget_bench.py

bench-load: install ## Widget traffic on 1 worker, 2 workers, and 2 workers on PostgreSQL + Redis + Chroma (uses wrk)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	command -v redis-server >/dev/null || (apt-get update -q && apt-get install -y -q redis-server)
	$(BIN)/python bench/load_bench.py

clean: ## Remove the local index, the built widget and caches (keeps .venv)
	rm -rf .frontdesk .pytest_cache .mypy_cache .ruff_cache widget/dist test-artifacts

.PHONY: bench-dashboard
bench-dashboard: install ## Benchmark the dashboard pages and admin API on a generated 1M-event history, SQLite and PostgreSQL
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,apt-get update -q && apt-get install -y -q postgresql)
	$(BIN)/python bench/dashboard_bench.py

.PHONY: bench-queue
bench-queue: install ## Benchmark the queue page and endpoints on a generated 90-day helpdesk history (50,000 tickets), SQLite and PostgreSQL
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,apt-get update -q && apt-get install -y -q postgresql)
	$(BIN)/python bench/helpdesk_bench.py
