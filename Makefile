# KAP Clinic — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# `make run PORT=8010` serves on another port; reminder links follow it (SITE_URL below).
PORT ?= 8000

.PHONY: run test e2e lint bench bench-reminders format migrate demo clean help

help:
	@echo "make run   - install, migrate, load the demo clinic, serve http://127.0.0.1:$(PORT) with Celery"
	@echo "make test  - install test dependencies and run the whole test suite"
	@echo "make e2e   - run only the browser journeys (needs Chromium at /usr/bin/chromium)"
	@echo "make lint  - ruff, import layers (import-linter), bandit, migrations check"
	@echo "make bench - key pages under load against the ceiling, on PostgreSQL (installs wrk if missing)"
	@echo "make bench-reminders - 10,000 reminders through two Celery workers (Redis, PostgreSQL)"

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# The local demo: DEBUG on, SQLite, filesystem broker, e-mail to var/mail/, no MFA.
run: export DEBUG := true
run: export MFA_REQUIRED_ROLES := none
run: export PORT := $(PORT)
# Links in the reminders the worker sends point at this server, unless SITE_URL is set.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.runtime
	mkdir -p var/mail var/broker
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "  KAP Clinic is starting at http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server and Celery)"
	@echo "  Sent reminders appear as files in var/mail/"
	@echo
	exec $(VENV)/bin/honcho start -f Procfile --port $(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest

e2e: export KAP_E2E_REQUIRED := 1
e2e: $(VENV)/.dev
	$(PY) -m pytest -m e2e

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -q -c pyproject.toml -r kap_clinic patients sessions scheduling --severity-level high
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# Key pages under load (wrk) against the stack's ceiling, on PostgreSQL at 10,000 patients and
# 100,000 appointments; BENCH_ARGS="--history" adds 1M appointments (see README, "Benchmark").
# wrk is the load tool; a fresh machine lacks it, so install it as .ci/run installs Chromium.
bench: $(VENV)/.dev
	command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py $(BENCH_ARGS)

# 10,000 due reminders sent by two Celery workers on Redis (db 9) and PostgreSQL: rate, and a
# count of duplicates and lost ones.
bench-reminders: $(VENV)/.dev
	$(PY) bench/reminders.py $(BENCH_ARGS)

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var
