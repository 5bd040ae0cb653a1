# Quick start: `make run` serves the demo directory; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := finder

.PHONY: run serve test test-postgresql install install-dev db lint bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed .venv-fhir-r4/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# FHIR R4 (4.0.1) itself, to validate what the API says against: fhir.resources 6.4 is the last
# release whose models are R4, and it needs pydantic 1, so it lives in a venv of its own.
.venv-fhir-r4/.installed: requirements-fhir-r4.txt
	$(PYTHON) -m venv .venv-fhir-r4
	.venv-fhir-r4/bin/pip install --quiet -r requirements-fhir-r4.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo

run: db
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Production: the schema brought up to date, then gunicorn with gunicorn.conf.py (a worker per
# core, threads, timeouts, access log) and FINDER_ENV=production, which refuses to start
# without SECRET_KEY and SERVER_NAME or TRUSTED_HOSTS (README, "Production").
serve: install
	FINDER_ENV=production $(BIN)/flask init-db
	FINDER_ENV=production $(BIN)/gunicorn 'finder:create_app()'

# Tests run side by side, one worker per CPU; slow tests start first and each worker is
# handed one test at a time, so that no worker idles while another has a queue.
test: install-dev
	$(BIN)/python -m pytest -q -n auto --maxschedchunk 1 --durations=15

# The same tests with every test's database on PostgreSQL, at FINDER_TEST_POSTGRES_URL (a user
# that may create databases): tests about SQLite itself (its file, its lock), and those that
# make their own PostgreSQL database (which `make test` runs on that server), are left out.
test-postgresql: install-dev
	FINDER_TEST_ENGINE=postgresql $(BIN)/python -m pytest -q -n auto --maxschedchunk 1 --durations=5

# Style, formatting, and the models equal to the migrations (on a throwaway database).
lint: install-dev
	$(BIN)/ruff check finder tests benchmarks migrations config.py
	$(BIN)/ruff format --check finder tests benchmarks migrations config.py
	@check=$$(mktemp -d) && FINDER_INSTANCE=$$check DATABASE_URL=sqlite:///$$check/check.sqlite \
	  $(BIN)/flask db upgrade >/dev/null 2>&1 && FINDER_INSTANCE=$$check \
	  DATABASE_URL=sqlite:///$$check/check.sqlite $(BIN)/flask db check; \
	  status=$$?; rm -rf $$check; exit $$status

# After strings change: extract them, update every language's catalogue, compile. New strings
# arrive untranslated; `make test` fails until each is translated (tests/test_translations.py).
translations: install
	sh translations/update.sh

bench: install-dev
	$(BIN)/python benchmarks/search.py

clean:
	rm -rf $(VENV) .venv-fhir-r4 instance/*.sqlite*
