# simulacra: the README's commands. `make setup run` runs the quick study; `make setup test` the tests.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test test-all lint bench docs

setup: $(BIN)/simulacra
	@# Debian's Chromium serves the report's browser test; skipped where apt is unavailable.
	@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
		&& echo "setup: installing Debian's chromium for the report's browser test (about a minute)" \
		&& (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "note: chromium not installed; the browser test of the report will be skipped")

$(BIN)/simulacra: pyproject.toml
	@echo "setup: creating $(VENV) with $$($(PY) --version)"
	$(PY) -m venv $(VENV)
	@echo "setup: installing simulacra and its pinned dependencies (PyTorch CPU, SB3, Ray, ...; 2-3 minutes on a fresh machine)"
	$(BIN)/pip install -q --progress-bar off -e '.[dev]'
	@echo "setup: done ($(BIN)/simulacra)"
	@touch $@

run:
	$(BIN)/simulacra run

test:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

# The slow tests (full training runs, Ray cluster) that the default run leaves out.
test-all:
	$(BIN)/pytest -m "expensive or not expensive"

lint:
	$(BIN)/ruff check src tests benchmarks

bench:
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/worlds_throughput.py
	$(BIN)/python benchmarks/dt_training.py
	$(BIN)/python benchmarks/dt_rollouts.py

# docs/worlds.md is generated from the world docstrings (a test fails when it is stale).
docs:
	$(BIN)/python -m simulacra.worlds.docs
