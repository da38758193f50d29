# ddor-watch — `make help` lists the targets.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help setup demo test lint types check bench clean

help:  ## this list
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: $(VENV)/.installed  ## create .venv and install ddor-watch with its dev tools

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

demo: setup  ## the main job: crawl the bundled ICE mirror, alerts to the console (Slack if SLACK_BOT_TOKEN is set)
	$(BIN)/ddor demo

test: setup  ## the whole test suite (SQLite, then PostgreSQL on 127.0.0.1)
	PYTHON=$(BIN)/python bash scripts/test.sh

lint: setup  ## ruff
	$(BIN)/ruff check .

types: setup  ## mypy --strict on our packages
	$(BIN)/mypy

check: lint types test  ## lint, types, tests

bench: setup  ## speed and memory targets, each beside its target and anchor (non-zero when one is missed)
	@failed=""; for b in parse poll reparse daemon site config_load; do \
		echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "targets missed in:$$failed"; exit 1; fi; echo "every target met"

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache
