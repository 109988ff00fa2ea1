# Frontdesk — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: help install run ingest check serve test lint format bench-ingest bench-ask clean

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0   # the CPU wheel first, or pip pulls CUDA builds
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Frontdesk with its dev tools

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

test: install lint ## Install, lint and run the whole test suite
	$(BIN)/pytest

bench-ingest: install ## Benchmark ingest on a generated 1,000-article knowledge base
	$(BIN)/python bench/ingest_bench.py

bench-ask: install ## Benchmark /ask latency and throughput against a real server (uses wrk)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python bench/ask_bench.py

clean: ## Remove the local index and caches (keeps .venv)
	rm -rf .frontdesk .pytest_cache .mypy_cache .ruff_cache
