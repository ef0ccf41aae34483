#!/usr/bin/env bash
# Start the API (http://127.0.0.1:8000) and the dashboard (http://127.0.0.1:3000).
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
API_PORT="${API_PORT:-8000}"
WEB_PORT="${WEB_PORT:-3000}"
export BACKEND_URL="${BACKEND_URL:-http://127.0.0.1:${API_PORT}}"
export NEXT_TELEMETRY_DISABLED=1

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Proxy headers off: the app itself believes X-Forwarded-For only from TRUSTED_PROXIES.
# Keep-alive longer than the dashboard's proxy keeps idle connections (no reuse of a closed one).
(cd backend && exec .venv/bin/uvicorn app.main:app --host 127.0.0.1 --port "$API_PORT" --no-proxy-headers --timeout-keep-alive 75) &
pids+=($!)

if [ -f frontend/package.json ]; then
  (cd frontend && npm run build && exec npx next start -H 127.0.0.1 -p "$WEB_PORT") &
  pids+=($!)
  echo "API:       http://127.0.0.1:${API_PORT}  (docs at /api/docs)"
  echo "Dashboard: http://127.0.0.1:${WEB_PORT}  (ready once the build finishes)"
else
  echo "API: http://127.0.0.1:${API_PORT}"
fi
wait -n "${pids[@]}"
