# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= dossiers
# The examples get their own data directory so a demo never mixes with real runs.
DEMO_DATA ?= .jobintel

.PHONY: run test lint typecheck install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: set up and run the pipeline on the bundled examples (no key, no network)
run: install
	JOBINTEL_DATA_DIR=$(DEMO_DATA) $(BIN)/jobintel run examples/postings --cv examples/master-cv.md \
		--out $(OUT) --strategy deterministic

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

## test: set up, lint, type-check and run the whole test suite
test: lint typecheck
	$(BIN)/python -m pytest

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/offline_pipeline.py
	$(BIN)/python bench/extraction_quality.py
	$(BIN)/python bench/fit_scale.py
	$(BIN)/python bench/tokens_per_job.py
	$(BIN)/python bench/budget_overshoot.py
	$(BIN)/python bench/ratelimit_utilization.py
	$(BIN)/python bench/guard_overhead.py
	$(BIN)/python bench/service_load.py
	$(BIN)/python bench/observability_overhead.py

clean:
	rm -rf $(VENV) $(DEMO_DATA) $(OUT) .pytest_cache .mypy_cache .ruff_cache
