#!/bin/sh
# Before the API serves: check the encryption key against the database and apply
# pending migrations (`python -m app.cli init`; on a first run with no key at all
# it writes one to the .env file). Workers and replicas that start at once take
# turns (a database lock), so it is safe to run in every container.
#
# Used by `make setup` (and so `make run`) and as the backend image's ENTRYPOINT:
# given a command (the image's CMD, uvicorn), it runs it in its place once set-up
# has succeeded, and exits 1 with one line on stderr when it has not.
set -eu
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then
  python=.venv/bin/python
else
  python=python
fi
"$python" -m app.cli init
if [ "$#" -gt 0 ]; then
  exec "$@"
fi
