"""Print the API's OpenAPI schema as sorted JSON (the dashboard generates its
types from it: ``npm run api:generate`` in frontend/).

Builds the app the way the server does, against a throw-away SQLite database
and a fresh encryption key, so nothing on this machine is read or changed.

    backend/.venv/bin/python backend/scripts/openapi_json.py > openapi.json
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

BACKEND = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="openapi-") as tmp:
        for name in list(os.environ):
            if name.startswith(("ENCRYPTION_", "DATABASE_", "ADMIN_")):
                del os.environ[name]
        os.environ["ENCRYPTION_KEY"] = Fernet.generate_key().decode()
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'openapi.db'}"
        os.environ["LOG_LEVEL"] = "WARNING"
        sys.path.insert(0, str(BACKEND))
        from app.main import create_app

        schema = create_app().openapi()
    json.dump(schema, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
