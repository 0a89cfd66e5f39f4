# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format audit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

## Serve the demo on http://127.0.0.1:5000, or on PORT (`PORT=5055 make run`): SQLite +
## embedded Redis, demo data, log lines for a person; "Serving on" once it answers.
run: $(VENV)/.run-installed
	$(BIN)/python -m exam_service.embedded

## The whole test suite (back ends from DATABASE_URL / REDIS_URL, else embedded), on 4
## processes (pytest-xdist; each has its own database and Redis, tests/support/workers.py).
## PYTEST_ARGS replaces the default, e.g. one file alone: PYTEST_ARGS=tests/unit/test_config.py
PYTEST_ARGS ?= -n 4
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Style, and the layers of docs/architecture.md (.importlinter).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Security audit: bandit fails on any high-severity, high-confidence finding in our
## code; pip-audit checks the pinned run-time dependencies (and what they pull in)
## against PyPI's vulnerability data, so it needs network access to pypi.org. Add
## PIP_AUDIT_ARGS=--strict to fail when a package could not be looked up at all.
audit: $(VENV)/.dev-installed
	$(BIN)/bandit -c pyproject.toml -r exam_service question_bank loadtest -lll -iii -q
	$(BIN)/pip-audit -r requirements.txt --vulnerability-service pypi --progress-spinner off $(PIP_AUDIT_ARGS)

## The benchmark against local PostgreSQL and Redis (RESETS them; see loadtest/README.md),
## e.g. make bench BENCH_ARGS="--scale 0.5".
bench: $(VENV)/.dev-installed
	$(BIN)/python -m loadtest.bench $(BENCH_ARGS)

clean:
	rm -rf instance .pytest_cache .ruff_cache
