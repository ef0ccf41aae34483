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

.PHONY: help run setup backend-setup frontend-setup test backend-test backend-lint pytest \
        frontend-test e2e bench clean secrets

help:
	@echo "make run    set everything up (venv, npm, key, migrations) and start API :8000 + dashboard :3000"
	@echo "make test   every test: backend (ruff, mypy, pytest), frontend (eslint, tsc, vitest), end-to-end"
	@echo "make bench  benchmarks (ratios measured side by side)"
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

test: backend-test frontend-test e2e

backend-lint: backend-setup
	cd backend && .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

pytest: backend-setup
	cd backend && .venv/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

backend-test: backend-lint pytest

frontend-test: frontend-setup
	@if [ -f frontend/package.json ]; then \
	  cd frontend && npm run api:check && npm run lint && npm run typecheck && npm run test; \
	else echo "frontend/ not present yet: frontend tests skipped"; fi

e2e: backend-setup frontend-setup
	@bash scripts/e2e.sh

secrets: backend-setup
	@bash scripts/make-secrets.sh $(SECRETS_DIR)

bench: backend-setup
	@cd backend && for b in bench/bench_*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done

clean:
	rm -rf backend/.venv frontend/node_modules frontend/.next frontend/.next-e2e frontend/test-results frontend/playwright-report
