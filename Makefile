# The two commands: `make run` (embedded SQLite, jobs in-process) and `make test` (real
# PostgreSQL and Redis). Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	tests/with_services.sh $(MAKE) --no-print-directory lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy routing hotline workers

pytest:
	$(BIN)/pytest -p no:cacheprovider

# In-process benchmarks; bench_intake.py and bench_sweeper.py need a PostgreSQL DATABASE_URL of
# their own (and REDIS_URL for the intake one, which empties its tickets first): run them by hand.
bench: install
	for name in calendar router classify triage; do $(BIN)/python bench/bench_$$name.py || exit 1; done

clean:
	rm -rf $(VENV) instance/hotline.sqlite3
