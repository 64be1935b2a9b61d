# Every target sets itself up: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench soak clean venv

$(STAMP): setup.cfg pyproject.toml
	@echo "==> Creating virtualenv in $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing async_handler with its dev and drf extras"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev,drf]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@echo "==> Migrating the sample project's SQLite database"
	@cd sample_project && ../$(BIN)/python manage.py migrate --noinput
	@echo "==> Collecting static files"
	@cd sample_project && ../$(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "==> Serving sample_project on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@cd sample_project && exec ../$(BIN)/gunicorn sample_project.wsgi \
		-k async_handler.worker.AiohttpWorker --bind $(HOST):$(PORT) \
		--workers 2 --no-control-socket --access-logfile -

test: $(STAMP)
	@echo "==> Running the test suite"
	@$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check async_handler tests
	$(BIN)/mypy async_handler

bench: $(STAMP)
	@$(BIN)/python bench/run.py $(BENCH_ARGS)

soak: $(STAMP)
	@$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
