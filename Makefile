# Village Affairs Platform. `make run` serves the demo; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install run test test-postgres test-replicas lint messages messages-compile bench load demo clean

# The interpreter the virtualenv is built with: Python 3.11 (Debian 12), 3.12 (Ubuntu 24.04) or
# 3.13. The stamp names the version, so switching interpreters rebuilds the virtualenv.
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
STAMP := $(BIN)/.installed-$(PY_VERSION)

$(STAMP): pyproject.toml
	@case "$(PY_VERSION)" in 3.11|3.12|3.13) ;; \
	  *) echo "Python 3.11, 3.12 or 3.13 is needed; '$(PYTHON)' is '$(PY_VERSION)'." \
	       "Run e.g. 'make run PYTHON=python3.12'."; exit 1;; esac
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$(PY_VERSION)" ]; then \
	  echo "$(VENV) was built with another Python: rebuilding it with $(PYTHON) $(PY_VERSION)"; \
	  rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(BIN)/.installed-*
	touch $@

install: $(STAMP)

# The app on SQLite with eager tasks and the demo data, at http://127.0.0.1:8000 (no services).
run: install
	$(BIN)/python -m villageaffairs.i18n_compile
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true LOG_LEVEL_CELERY=WARNING $(BIN)/python manage.py seed_demo
	DEBUG=true LOG_LEVEL_CELERY=WARNING $(BIN)/python manage.py runserver 127.0.0.1:8000

# The tests (SQLite, eager tasks). With DATABASE_URL/REDIS_URL set and PYTEST_ARGS=--integration
# the same command runs them on PostgreSQL with Redis and a real Celery worker.
test: install
	$(BIN)/python -m villageaffairs.i18n_compile
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/villageaffairs} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(MAKE) test PYTEST_ARGS="--integration --create-db $(PYTEST_ARGS)"

# The read-replica tests against a real PostgreSQL streaming standby. Start one first:
# `eval "$$(.ci/standby.sh start)"` sets DATABASE_URL (its primary) and DATABASE_REPLICA_URLS.
test-replicas: install
	$(BIN)/python -m villageaffairs.i18n_compile
	REPLICA_TESTS_REQUIRED=true $(BIN)/python -m pytest --integration --create-db \
		tests/replicas tests/core/test_replicas.py $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

# Refresh the catalogues from the code (needs GNU gettext); each app keeps its own.
messages: install
	env -u DJANGO_SETTINGS_MODULE $(BIN)/django-admin makemessages -l zh_Hans --no-location \
		-i .venv -i tests -i staticfiles -i media

messages-compile: install
	env -u DJANGO_SETTINGS_MODULE $(BIN)/django-admin compilemessages -i .venv

demo: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo

# Benchmarks on PostgreSQL: prints one table per area (see tests/bench/common.py).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/villageaffairs_bench
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m tests.bench.run $(BENCH_ARGS)

# Load on PostgreSQL + Redis, against gunicorn on 127.0.0.1 (see tests/load/run.py, README "Load").
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/va_load_bench
load: install
	$(BIN)/python -m villageaffairs.i18n_compile
	DATABASE_URL=$(LOAD_DATABASE_URL) $(BIN)/python -m tests.load.run $(LOAD_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
	find . -name '*.mo' -not -path './.venv/*' -delete
