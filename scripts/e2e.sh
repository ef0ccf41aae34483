#!/usr/bin/env bash
# Browser end-to-end tests (Playwright in Debian's Chromium).
#   scripts/e2e.sh         build the dashboard for this run, then run the tests (`npm run e2e`)
#   scripts/e2e.sh build   only build it, into frontend/.next-e2e, for a backend port kept there
#   scripts/e2e.sh run     run the tests against that build (`make test` builds while the other
#                          checks run, then runs the browser tests beside pytest)
# Skipped with a clear message when no Chromium is found, unless REQUIRE_E2E=1.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
case "$mode" in all | build | run) ;; *) echo "usage: scripts/e2e.sh [build|run]" >&2; exit 2 ;; esac
if [ ! -f frontend/package.json ]; then
  echo "e2e: frontend/ not present yet: skipped"; exit 0
fi

# A free port below the kernel's ephemeral range: no test that asks the kernel for a free port
# (bind to port 0) can be handed it while the browser tests run beside pytest.
low_port() {
  python3 - <<'PY'
import random
import socket
from pathlib import Path

ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
low = int(ranges.read_text().split()[0]) if ranges.exists() else 32768
for candidate in random.sample(range(20000, max(low, 20200)), 200):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
    print(candidate)
    break
else:
    raise SystemExit("e2e: no free port below the ephemeral range")
PY
}

# The build's rewrites name the backend's address (fixed at `next build`): its port is chosen with
# the build and kept beside it.
port_file="frontend/.next-e2e/e2e-backend-port"
if [ "$mode" = build ]; then
  port="$(low_port)"
  echo "e2e: building the dashboard into frontend/.next-e2e for a backend on 127.0.0.1:$port"
  log="$(mktemp)"
  if ! (cd frontend && BACKEND_URL="http://127.0.0.1:$port" NEXT_DIST_DIR=.next-e2e node_modules/.bin/next build) >"$log" 2>&1; then
    cat "$log"; rm -f "$log"; echo "e2e: the dashboard build failed" >&2; exit 1
  fi
  rm -f "$log"
  echo "$port" >"$port_file"
  exit 0
fi

CHROMIUM="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ]; then
  if [ "${REQUIRE_E2E:-0}" = "1" ]; then
    echo "e2e: no Chromium found and REQUIRE_E2E=1: failing (install with: apt-get install -y chromium)" >&2
    exit 1
  fi
  echo "e2e: SKIPPED: no Chromium found (apt-get install -y chromium); set REQUIRE_E2E=1 to make this an error"
  exit 0
fi
export CHROMIUM_PATH="$CHROMIUM"

if [ "$mode" = run ]; then
  if [ ! -f "$port_file" ]; then
    echo "e2e: no build in frontend/.next-e2e: run scripts/e2e.sh build first" >&2
    exit 1
  fi
  port="$(cat "$port_file")"
  if ! python3 -c "import socket, sys; socket.socket().bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
    echo "e2e: port $port, which the build in frontend/.next-e2e was made for, is taken: run scripts/e2e.sh build again" >&2
    exit 1
  fi
  export E2E_SKIP_BUILD=1 E2E_BACKEND_PORT="$port" E2E_WEB_PORT="${E2E_WEB_PORT:-$(low_port)}"
  echo "e2e: serving the build in frontend/.next-e2e (backend on 127.0.0.1:$E2E_BACKEND_PORT)"
fi
cd frontend
npm run e2e
