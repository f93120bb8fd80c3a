# Kindnet: `make run` serves the demo network, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Both cores: the suite runs in two processes (pytest-xdist), each with its own test database.
PYTEST_ARGS ?= -n 2
STAMP := $(VENV)/.installed

.PHONY: run test lint setup data clean prod-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python manage.py compiletranslations

data: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_gazetteer --if-empty
	$(BIN)/python manage.py load_municipalities --if-empty
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py geocode --pending --no-progress

run: data
	@echo "Kindnet is on http://$(HOST):$(PORT)/ (admin at /admin/)"
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python .ci/import_cycles.py
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# The production profile on loopback under load, with fault drills (bench/prod_check.py):
# its own PostgreSQL database and Redis; PROD_CHECK_ARGS=--quick is CI's shorter run.
PROD_CHECK_ARGS ?=
prod-check: setup
	$(BIN)/python bench/prod_check.py $(PROD_CHECK_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
