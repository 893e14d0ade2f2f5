# The two commands a newcomer needs:
#   make run   install, create the SQLite database, load the LL2 seed data, serve on :8000
#   make test  install and run the test suite (SQLite unless DATABASE_URL says otherwise)
#   make test-fast  the same without the tests that start processes (marked `server`)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000

.PHONY: install install-dev run test test-fast lint bench screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt

run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py load_seed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# On every core (pytest-xdist), each module's tests on one worker, so that a module's
# databases and servers are made once. PYTEST_ARGS: more arguments (a file, -k, -x...).
test: install-dev
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# The inner loop: everything but the tests that start processes (marked `server`).
test-fast: install-dev
	$(BIN)/python -m pytest -n auto -m "not server" $(PYTEST_ARGS)

# The documentation's screenshots (docs/screenshots/*.png), taken by the browser tests that
# show those pages, on gunicorn; needs Chromium (apt-get install chromium).
SCREENSHOT_TESTS = pagination_control or filters_dialog_has_no_select or lists_every_operation or the_change_form
screenshots: install-dev
	SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_browser_api.py \
		tests/test_browser_docs.py tests/test_browser_admin.py -k "gunicorn and ($(SCREENSHOT_TESTS))"
	@ls -l docs/screenshots

# The benchmark (not a test; a few minutes): BENCH_ARGS="--database-url postgres://... --scale 100000"
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	SECRET_KEY=lint $(BIN)/python manage.py check
	SECRET_KEY=lint $(BIN)/python manage.py makemigrations --check --dry-run
