#!/usr/bin/env bash
# Known-vulnerability audit of the pinned dependencies (called by `make audit`, part of `make test`).
#
#   backend:  pip-audit over backend/requirements.txt (the PyPI / OSV advisory data)
#   frontend: npm audit --omit=dev over frontend/package-lock.json (the npm registry's audit endpoint)
#
# Each part fails the run when its database answers and reports a vulnerability.
# When a database cannot be reached (offline, a mirror without the audit
# endpoint), or it knows none of the pinned versions, that part prints one
# "skipped: ..." line and does not fail.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/backend/.venv/bin/python"
AUDIT_TIMEOUT="${AUDIT_TIMEOUT:-180}"
status=0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# -- backend ---------------------------------------------------------------------------
if [ ! -x "$ROOT/backend/.venv/bin/pip-audit" ]; then
  echo "pip-audit: skipped: pip-audit is not installed in backend/.venv (pip install -r backend/requirements-dev.txt)"
else
  timeout "$AUDIT_TIMEOUT" "$ROOT/backend/.venv/bin/pip-audit" -r "$ROOT/backend/requirements.txt" \
    --no-deps --disable-pip --progress-spinner off --format json --output "$tmp/pip.json" \
    >"$tmp/pip.out" 2>&1
  rc=$?
  "$PY" - "$tmp/pip.json" "$tmp/pip.out" "$rc" <<'EOF' || status=1
import json, sys
from pathlib import Path

report, log, rc = Path(sys.argv[1]), Path(sys.argv[2]).read_text(errors="replace"), int(sys.argv[3])
if rc == 124:
    print("pip-audit: skipped: the vulnerability database did not answer in time")
    sys.exit(0)
try:
    deps = json.loads(report.read_text())["dependencies"]
except (OSError, ValueError, KeyError):
    last = [line for line in log.splitlines() if line.strip()][-1:] or ["no output"]
    print(f"pip-audit: skipped: the vulnerability database could not be reached ({last[0].strip()[:160]})")
    sys.exit(0)
audited = [d for d in deps if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
if vulnerable:
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep['version']}: {ids}")
    print(f"pip-audit: FAILED: {len(vulnerable)} pinned package(s) with known vulnerabilities")
    sys.exit(1)
if not audited:
    print(f"pip-audit: skipped: the vulnerability database knows none of the {len(deps)} pinned versions (a mirror?)")
    sys.exit(0)
note = f" ({len(deps) - len(audited)} not known to the database)" if len(audited) < len(deps) else ""
print(f"pip-audit: no known vulnerabilities in {len(audited)} pinned packages{note}")
EOF
fi

# -- frontend --------------------------------------------------------------------------
if [ ! -f "$ROOT/frontend/package-lock.json" ]; then
  echo "npm audit: skipped: frontend/package-lock.json not present"
elif ! command -v npm >/dev/null 2>&1; then
  echo "npm audit: skipped: npm is not installed"
else
  (cd "$ROOT/frontend" && timeout "$AUDIT_TIMEOUT" npm audit --omit=dev --json >"$tmp/npm.json" 2>"$tmp/npm.err")
  rc=$?
  "$PY" - "$tmp/npm.json" "$tmp/npm.err" "$rc" <<'EOF' || status=1
import json, sys
from pathlib import Path

text, err, rc = Path(sys.argv[1]).read_text(errors="replace"), Path(sys.argv[2]).read_text(errors="replace"), int(sys.argv[3])
if rc == 124:
    print("npm audit: skipped: the registry's audit endpoint did not answer in time")
    sys.exit(0)
try:
    body = json.loads(text)
except ValueError:
    body = {}
counts = (body.get("metadata") or {}).get("vulnerabilities")
if "error" in body or not isinstance(counts, dict):
    error = body.get("error") or {}
    reason = body.get("message") or error.get("summary") or (err.strip().splitlines() or ["no answer"])[-1]
    print(f"npm audit: skipped: the registry's audit endpoint could not be used ({str(reason).strip()[:160]})")
    sys.exit(0)
found = {level: n for level, n in counts.items() if level != "total" and n}
if found:
    for name, item in sorted((body.get("vulnerabilities") or {}).items()):
        print(f"npm audit: {name}: {item.get('severity')} ({item.get('range', '')})")
    print("npm audit: FAILED: " + ", ".join(f"{n} {level}" for level, n in found.items()))
    sys.exit(1)
print("npm audit: no known vulnerabilities in the production dependencies")
EOF
fi

exit "$status"
