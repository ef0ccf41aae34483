"""The app starts, answers /health, and keeps its key check in the database."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from app.core.keys import StartupError
from app.main import create_app
from tests.conftest import make_settings, signed_in


def test_health(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] == "ok"
    assert r.headers["x-request-id"]


def test_unknown_route_is_json_404(client) -> None:
    r = client.get("/api/v1/does-not-exist")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def _key_check(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT value FROM app_meta WHERE key = 'encryption_key_check'")).scalar()
    finally:
        engine.dispose()


def test_key_check_written_once_and_enforced(settings) -> None:
    create_app(settings)
    first = _key_check(settings.database_url)
    assert first is not None and first.startswith("encrypted:")
    create_app(settings)
    assert _key_check(settings.database_url) == first, "the key check is written with the first key only"
    wrong = make_settings(settings.database_url, encryption_key=Fernet.generate_key().decode())
    with pytest.raises(StartupError, match="does not match this database"):
        create_app(wrong)


def test_postgresql_start_and_key_check(pg_url) -> None:
    app = create_app(make_settings(pg_url))
    with signed_in(app) as c:
        assert c.get("/health").json()["database"] == "ok"
    assert (_key_check(pg_url) or "").startswith("encrypted:")
    with pytest.raises(StartupError, match="does not match this database"):
        create_app(make_settings(pg_url, encryption_key=Fernet.generate_key().decode()))
