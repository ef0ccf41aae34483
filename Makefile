# Live Object AI Classifier: `make run` and `make test` on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := backend/.venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FRONT_STAMP := frontend/node_modules/.installed
export NEXT_TELEMETRY_DISABLED := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# `make run` on a taken port: one line naming API_PORT / WEB_PORT, before any set-up.
ifneq ($(and $(filter run,$(MAKECMDGOALS)),$(PYTHON)),)
PORT_PROBLEM := $(shell cd backend && $(PYTHON) -m app.launch ports API_PORT=$(or $(API_PORT),8000) WEB_PORT=$(or $(WEB_PORT),3000) 2>&1)
$(if $(PORT_PROBLEM),$(error $(PORT_PROBLEM)))
endif

.PHONY: help run setup backend-setup frontend-setup test backend-test backend-lint pytest \
        compose-smoke pytest-rest frontend-test e2e audit bench clean secrets

help:
	@echo "make run    set everything up (venv, npm, key, migrations) and start API :8000 + dashboard :3000"
	@echo "make test   every test: backend (ruff, mypy, import-linter, bandit, pytest), frontend (eslint, tsc, vitest), end-to-end"
	@echo "make bench  every benchmark (both sides interleaved, medians compared), then one table of targets met"
	@echo "make secrets  create the Docker secrets under secrets/ for docker-compose.yml (kept if present)"

$(STAMP): backend/requirements.txt backend/requirements-dev.txt
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r backend/requirements-dev.txt
	@touch $@

backend-setup: $(STAMP)

$(FRONT_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend-setup:
	@if [ -f frontend/package.json ]; then $(MAKE) --no-print-directory $(FRONT_STAMP); fi

setup: backend-setup frontend-setup
	backend/scripts/prestart.sh

run: setup
	@bash scripts/run.sh

# -- tests ---------------------------------------------------------------------

# `make test` in four steps. Within a step the jobs run side by side, and each job's output is
# printed whole when it ends. Steps 2 and 3 keep every core busy (on 2 cores they take about as
# long as their jobs one after the other; the installs of step 1 wait on the network).
#  1. the backend's venv and the frontend's npm ci;
#  2. backend lint; frontend checks and unit tests; the compose smoke test, which builds the
#     dashboard image into DASHBOARD_IMAGE_DIR;
#  3. pytest (all but the compose smoke test) beside the browser tests, which serve that image
#     (scripts/e2e.sh): the dashboard is built once. No screenshots (`make e2e` takes them);
#  4. the dependency audit.
TEST_STEP = $(MAKE) --no-print-directory --output-sync=target
test:
	@image="$$(mktemp -d -t loac-dashboard-image.XXXXXX)"; trap 'rm -rf "$$image"' EXIT; set -e; \
	  echo "== make test 1/4 ($$(date +%T)): installs"; \
	  $(TEST_STEP) -j2 backend-setup frontend-setup; \
	  echo "== make test 2/4 ($$(date +%T)): lint, frontend checks and unit tests, compose smoke test"; \
	  DASHBOARD_IMAGE_DIR="$$image" $(TEST_STEP) -j3 backend-lint frontend-test compose-smoke; \
	  echo "== make test 3/4 ($$(date +%T)): pytest beside the browser tests"; \
	  DASHBOARD_IMAGE_DIR="$$image" E2E_SCREENSHOTS=0 $(TEST_STEP) -j2 pytest-rest e2e; \
	  echo "== make test 4/4 ($$(date +%T)): dependency audit"; \
	  $(MAKE) --no-print-directory audit; \
	  echo "== make test done ($$(date +%T))"

audit: backend-setup
	@bash scripts/audit-deps.sh

backend-lint: backend-setup
	cd backend && .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy \
	  && .venv/bin/lint-imports && .venv/bin/bandit -q -c pyproject.toml -r app

# pytest-xdist: PYTEST_WORKERS processes (most tests wait on subprocesses and sockets, so more
# than the 2 cores). --dist loadfile: a test file's tests run in one worker, in order (files that
# share state between their tests rely on it); xdist 3.8's loadgroup does not group on pytest 9.2.
PYTEST_WORKERS ?= 3
PYTEST := cd backend && .venv/bin/python -m pytest -q -p no:cacheprovider
COMPOSE_SMOKE := tests/deploy/test_compose_smoke.py
pytest: backend-setup
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# `make test` runs the compose smoke test (two deployments one after the other, in one process)
# in step 2 and the rest in step 3.
compose-smoke: backend-setup frontend-setup
	$(PYTEST) $(COMPOSE_SMOKE)

pytest-rest: backend-setup
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadfile --ignore=$(COMPOSE_SMOKE) $(PYTEST_ARGS)

backend-test: backend-lint pytest

frontend-test: frontend-setup
	@if [ -f frontend/package.json ]; then \
	  cd frontend && npm run api:check && npm run lint && npm run typecheck && npm run test; \
	else echo "frontend/ not present yet: frontend tests skipped"; fi

e2e: backend-setup frontend-setup
	@bash scripts/e2e.sh

secrets: backend-setup
	@bash scripts/make-secrets.sh $(SECRETS_DIR)

# Every benchmark in backend/bench/, then one table (bench/summary.py) and "N of M targets met".
# A benchmark that fails is reported as not met; the others still run. BENCH_LOAD_EVENTS=10000 by default.
bench: backend-setup
	@cd backend && rm -rf bench/results && for b in bench/bench_*.py; do \
	  echo "== $$b"; .venv/bin/python $$b || echo "== $$b failed (exit $$?)"; \
	done; echo; echo "== benchmark table"; .venv/bin/python bench/summary.py

clean:
	rm -rf backend/.venv frontend/node_modules frontend/.next frontend/.next-e2e frontend/test-results frontend/playwright-report
