# Every target sets itself up: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet
# One stamp per target's extras: `make run` installs only what serving needs, and `make test`,
# `make lint` and `make bench` each add their own extras on top, once. A changed setup.cfg or
# pyproject.toml reinstalls.
STAMP := $(VENV)/.installed
STAMP_TEST := $(VENV)/.installed-test
STAMP_LINT := $(VENV)/.installed-lint
STAMP_BENCH := $(VENV)/.installed-bench
# What `make run` serves the sample project with: the package, DRF, uvloop and the chat's
# channel layer (the websocket extra).
RUN_EXTRAS := drf,uvloop,websocket
# Django 4.2 LTS keeps working: its own virtualenv runs the core tests.
VENV42 ?= .venv-django42
STAMP42 := $(VENV42)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench soak clean venv

$(STAMP): setup.cfg pyproject.toml
	@echo "==> Creating virtualenv in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing async_handler with what serving needs ($(RUN_EXTRAS) extras)"
	@$(PIP) --upgrade pip
	@$(PIP) -e '.[$(RUN_EXTRAS)]'
	@touch $@

# Each adds its extras to the same virtualenv; pip skips what is already installed.
$(STAMP_TEST): $(STAMP)
	@echo "==> Installing the test extra (pytest, psycopg, adrf)"
	@$(PIP) -e '.[$(RUN_EXTRAS),test]'
	@touch $@

$(STAMP_LINT): $(STAMP)
	@echo "==> Installing the lint extra (ruff, mypy, django-stubs)"
	@$(PIP) -e '.[$(RUN_EXTRAS),lint]'
	@touch $@

$(STAMP_BENCH): $(STAMP)
	@echo "==> Installing the bench extra (matplotlib, uvicorn, adrf)"
	@$(PIP) -e '.[$(RUN_EXTRAS),bench]'
	@touch $@

venv: $(STAMP)

run: $(STAMP)
	@echo "==> [1/3] Migrating sample_project's SQLite database ($${SAMPLE_PROJECT_DB:-sample_project/db.sqlite3})"
	@cd sample_project && ../$(BIN)/python manage.py migrate --noinput
	@echo "==> [2/3] Collecting static files into $${SAMPLE_PROJECT_STATIC_ROOT:-sample_project/staticfiles}"
	@cd sample_project && ../$(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "==> [3/3] Starting gunicorn: 2 async_handler workers on http://$(HOST):$(PORT)/"
	@echo "    Then open http://$(HOST):$(PORT)/ (admin: /admin/, user admin, password async-demo)."
	@echo "    Ctrl-C stops it. Port in use? Try: make run PORT=8001"
	@cd sample_project && rpid= && dir= && \
	if [ -z "$$SAMPLE_PROJECT_REDIS_URL" ] && command -v redis-server >/dev/null 2>&1; then \
		dir=$$(mktemp -d); \
		redis-server --port 0 --unixsocket "$$dir/redis.sock" --unixsocketperm 700 --save "" \
			--appendonly no --dir "$$dir" --logfile "$$dir/redis.log" & rpid=$$!; \
		export SAMPLE_PROJECT_REDIS_URL="unix://$$dir/redis.sock"; \
		echo "    The chat's rooms reach both workers through a throwaway redis-server in $$dir"; \
	fi; \
	trap '[ -n "$$rpid" ] && kill $$rpid 2>/dev/null; [ -n "$$dir" ] && rm -rf "$$dir"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	../$(BIN)/gunicorn sample_project.wsgi \
		-k async_handler.worker.AiohttpWorker --bind $(HOST):$(PORT) \
		--workers 2 --no-control-socket --access-logfile -

test: $(STAMP_TEST) $(STAMP42)
	@echo "==> Starting the test services"
	@bash tests/services/ensure.sh
	@echo "==> Running the test suite (Django 5.2)"
	@$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)
	@echo "==> Running the core and DRF tests on Django 4.2 LTS"
	@$(VENV42)/bin/python -m pytest -n 2 --dist loadfile $(CORE_TESTS)

CORE_TESTS := tests/core tests/aiohttp/test_environ.py tests/aiohttp/test_disconnect.py \
	tests/asgi tests/test_checks.py tests/test_layout.py tests/threads tests/test_drf.py \
	tests/test_drf_viewsets.py tests/test_drf_crossings.py

$(STAMP42): setup.cfg pyproject.toml
	@echo "==> Creating the Django 4.2 virtualenv in $(VENV42)"
	@test -x $(VENV42)/bin/python || $(PYTHON) -m venv $(VENV42)
	@$(VENV42)/bin/python -m pip install --quiet --upgrade pip
	@$(VENV42)/bin/python -m pip install --quiet -e '.[drf]' 'Django>=4.2,<5.0' \
		'djangorestframework<3.18' pytest pytest-asyncio pytest-timeout pytest-xdist \
		'psycopg[binary,pool]>=3.2' 'channels>=4'
	@touch $(STAMP42)

lint: $(STAMP_LINT)
	$(BIN)/ruff check async_handler tests
	$(BIN)/mypy async_handler

# The bench's peers: adrf for the DRF row on -k asgi, uvicorn as a second ASGI server;
# matplotlib draws its charts.
bench: $(STAMP_BENCH)
	@bash tests/services/ensure.sh
	@$(BIN)/python bench/run.py $(BENCH_ARGS)

soak: $(STAMP)
	@$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) $(VENV42) build dist *.egg-info
