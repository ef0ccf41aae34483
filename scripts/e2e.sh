#!/usr/bin/env bash
# Browser end-to-end tests (Playwright in Debian's Chromium).
# Skipped with a clear message when no Chromium is found, unless REQUIRE_E2E=1.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
if [ ! -f frontend/package.json ]; then
  echo "e2e: frontend/ not present yet: skipped"; exit 0
fi
if [ -z "$CHROMIUM" ]; then
  if [ "${REQUIRE_E2E:-0}" = "1" ]; then
    echo "e2e: no Chromium found and REQUIRE_E2E=1: failing (install with: apt-get install -y chromium)" >&2
    exit 1
  fi
  echo "e2e: SKIPPED: no Chromium found (apt-get install -y chromium); set REQUIRE_E2E=1 to make this an error"
  exit 0
fi
export CHROMIUM_PATH="$CHROMIUM"

# `make test` builds the dashboard once: the compose smoke test (backend/tests/deploy, step 2)
# builds it as its image into DASHBOARD_IMAGE_DIR, for an API on 127.0.0.1 at the port in
# `backend-port`. Serve that build (with the e2e backend on that port) when its rewrites name that
# port and the port is free; otherwise build here as usual. That port and the dashboard's are below
# the kernel's ephemeral range (tests/deploy/ports.py): pytest runs beside this (step 3), and none
# of its tests can be handed them.
image="${DASHBOARD_IMAGE_DIR:-}"
if [ -n "$image" ] && [ -z "${E2E_DASHBOARD_DIR:-}" ]; then
  final="$image/frontend/final"
  if [ -f "$image/backend-port" ] && [ -f "$final/.next/routes-manifest.json" ]; then
    port="$(cat "$image/backend-port")"
    if grep -q "\"http://127.0.0.1:$port/api/v1/" "$final/.next/routes-manifest.json" \
      && python3 -c "import socket, sys; socket.socket().bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
      E2E_WEB_PORT="${E2E_WEB_PORT:-$(cd backend && .venv/bin/python -m tests.deploy.ports)}"
      export E2E_DASHBOARD_DIR="$final" E2E_BACKEND_PORT="$port" E2E_WEB_PORT
      echo "e2e: serving the dashboard image built by the compose smoke test ($final)"
    else
      echo "e2e: the compose smoke test's dashboard is not usable (built for another port, or port $port is taken): building"
    fi
  else
    echo "e2e: no dashboard image from the compose smoke test in $image: building"
  fi
fi
cd frontend
npm run e2e
