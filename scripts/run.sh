#!/usr/bin/env bash
# Start the API (http://127.0.0.1:$API_PORT, default 8000) and the dashboard
# (http://127.0.0.1:$WEB_PORT, default 3000), and print one summary once both
# answer. A taken port stops it before anything starts. The dashboard is rebuilt
# only when something under frontend/ changed since the last build.
# Ctrl-C stops both.
set -euo pipefail
set -m # each server in its own process group: stopping one stops its children too
cd "$(dirname "$0")/.."
API_PORT="${API_PORT:-8000}"
WEB_PORT="${WEB_PORT:-3000}"
export BACKEND_URL="${BACKEND_URL:-http://127.0.0.1:${API_PORT}}"
export NEXT_TELEMETRY_DISABLED=1

with_web=false
[ -f frontend/package.json ] && with_web=true

ports=("API_PORT=${API_PORT}")
if $with_web; then ports+=("WEB_PORT=${WEB_PORT}"); fi
(cd backend && exec .venv/bin/python -m app.launch ports "${ports[@]}") || exit 1

if command -v sha256sum >/dev/null; then sha256=(sha256sum); else sha256=(shasum -a 256); fi

# What `next build` reads (sources, config, lock file, and BACKEND_URL, which the
# rewrites fix at build time), not what builds and test runs write.
frontend_hash() {
  {
    printf 'BACKEND_URL=%s\n' "$BACKEND_URL"
    find . \( -name node_modules -o -path './.next*' -o -path ./out -o -path ./build -o -path ./coverage \
      -o -path ./test-results -o -path ./playwright-report -o -path ./blob-report -o -path ./playwright \) -prune \
      -o -type f ! -name '*.tsbuildinfo' ! -name next-env.d.ts ! -name 'npm-debug.log*' -print0 |
      LC_ALL=C sort -z | xargs -0 -r "${sha256[@]}"
  } | "${sha256[@]}" | cut -d' ' -f1
}

start_dashboard() {
  cd frontend
  local hash stamp=.next/.source-hash log
  hash="$(frontend_hash)"
  if [ ! -f .next/BUILD_ID ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$hash" ]; then
    echo "Building the dashboard (frontend/ changed since the last build; this takes a minute)..."
    log="$(mktemp)"
    if ! npm run build >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      echo "error: the dashboard did not build (its output is above)" >&2
      exit 1
    fi
    rm -f "$log"
    printf '%s\n' "$hash" >"$stamp"
  fi
  exec npx next start -H 127.0.0.1 -p "$WEB_PORT"
}

servers=()
helpers=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${helpers[@]}" "${servers[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Proxy headers off: the app itself believes X-Forwarded-For only from TRUSTED_PROXIES.
# Keep-alive longer than the dashboard's proxy keeps idle connections (no reuse of a closed one).
(cd backend && exec .venv/bin/uvicorn app.main:app --host 127.0.0.1 --port "$API_PORT" --no-proxy-headers \
  --timeout-keep-alive 75) &
servers+=($!)

summary=(--api "http://127.0.0.1:${API_PORT}")
if $with_web; then
  start_dashboard &
  servers+=($!)
  summary+=(--web "http://127.0.0.1:${WEB_PORT}")
fi
(cd backend && exec .venv/bin/python -m app.launch summary "${summary[@]}") &
helpers+=($!)

wait -n "${servers[@]}"
