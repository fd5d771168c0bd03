# nanodeck: `make run` sets up and runs the demo; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
APT_PACKAGES := fonts-noto-cjk tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim
# The review site's keyboard test drives Debian's Chromium through Playwright (no browser download).
TEST_APT_PACKAGES := chromium
SAMPLE := generation/samples/ai-classroom-zh.md
DECK_DIR := media/exports

.PHONY: setup run test lint system-packages test-packages apt-install

setup: system-packages $(STAMP)
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py load_starter_templates
	@$(PY) manage.py collectstatic --noinput -v 0

# Debian packages the renderer (CJK fonts) and the OCR check need; installed only when missing.
system-packages:
	@$(MAKE) -s apt-install PACKAGES="$(APT_PACKAGES)"

test-packages:
	@$(MAKE) -s apt-install PACKAGES="$(TEST_APT_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

run: setup
	@mkdir -p $(DECK_DIR)
	$(PY) manage.py generate_deck $(SAMPLE) --template education --out $(DECK_DIR)/sample-deck.pptx \
	  --editable $(DECK_DIR)/sample-deck-editable.pptx --pdf $(DECK_DIR)/sample-deck.pdf --images $(DECK_DIR)/sample-deck
	@echo "sample deck: $(CURDIR)/$(DECK_DIR)/sample-deck.pptx (also -editable.pptx, .pdf and PNGs in $(DECK_DIR)/sample-deck/)"
	@$(PY) manage.py demo_admin
	@echo "web app: http://127.0.0.1:$(PORT)/  admin: http://127.0.0.1:$(PORT)/admin/  review: http://127.0.0.1:$(PORT)/review/  (Ctrl-C stops the site and the worker)"
	@trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runworkers & worker=$$!; \
	  DEBUG=1 $(PY) -m uvicorn config.asgi:application --host 127.0.0.1 --port $(PORT) --timeout-graceful-shutdown 5

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The suite runs on SQLite (the embedded default); beside it (one pass per core), the worker,
# locking, API and admin tests run again on the production stack (PostgreSQL + Redis cache and
# broker) when a server answers at POSTGRES_TEST_URL. The tests that start real clusters
# (tests/stacks.py) start them on SQLite in the first pass and on PostgreSQL + Redis in the
# second (TEST_STACKS); without a server, the first pass tries both and skips the second.
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/nanodeck
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
PG_TESTS := tests/generation/test_engine.py tests/generation/test_pipeline.py tests/generation/test_workers.py \
  tests/generation/test_admin.py tests/generation/test_gate.py tests/templates_app tests/review \
  tests/generation/test_progress_counters.py tests/generation/test_broker_outage.py tests/config/test_health.py \
  tests/generation/providers tests/generation/test_retention.py tests/generation/test_limits.py \
  tests/generation/test_models.py tests/generation/test_schema.py \
  tests/generation/test_uploads.py tests/generation/test_admin_images.py \
  tests/generation/test_credits.py tests/generation/test_admin_credits.py tests/generation/test_events.py \
  tests/generation/test_queue.py tests/webapp \
  tests/generation/test_crash.py tests/generation/test_races.py tests/generation/test_shutdown.py \
  tests/generation/test_events_stream.py \
  $(wildcard tests/generation/test_api_*.py tests/config/test_api*.py)

test: setup test-packages lint
	@pg_log=$$(mktemp); pg_pid=""; \
	if $(PY) -c "import psycopg; psycopg.connect('$(POSTGRES_TEST_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== the worker, locking, API and admin tests run on PostgreSQL + Redis ($(POSTGRES_TEST_URL), $(REDIS_TEST_URL)) beside the SQLite pass; their output follows it =="; \
	  DATABASE_URL=$(POSTGRES_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) TEST_STACKS=postgres+redis $(PY) -m pytest -p no:cacheprovider $(PG_TESTS) >$$pg_log 2>&1 & pg_pid=$$!; \
	  trap 'kill $$pg_pid 2>/dev/null' INT TERM; stacks=sqlite; \
	else \
	  echo "SKIPPED the PostgreSQL pass: no server answers at $(POSTGRES_TEST_URL)"; \
	fi; \
	TEST_STACKS=$${stacks:-sqlite,postgres+redis} $(PY) -m pytest; sqlite_rc=$$?; pg_rc=0; \
	if [ -n "$$pg_pid" ]; then \
	  wait $$pg_pid; pg_rc=$$?; \
	  echo "== PostgreSQL + Redis pass (exit $$pg_rc) =="; cat $$pg_log; \
	fi; \
	rm -f $$pg_log; [ $$sqlite_rc -eq 0 ] && [ $$pg_rc -eq 0 ]
