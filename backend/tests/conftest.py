"""Shared fixtures.

* A Fernet key generated for the test session; the real repo-root ``.env`` is
  never read or written (``APP_ENV_FILE`` points into a temp folder).
* ``settings`` / ``app`` / ``client``: a fresh SQLite database per test, made by
  copying a template migrated once with Alembic.
* The canary: ``canary("label")`` returns a unique, obviously fake secret and
  registers it; every log record of the whole run is captured at DEBUG, and the
  run fails if any registered canary appears in one. ``assert_no_leak`` checks
  responses, error bodies and the database file.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="loac-tests-"))
SESSION_KEY = Fernet.generate_key().decode()

# Set before any app module reads the environment.
os.environ["APP_ENV_FILE"] = str(_SESSION_DIR / "test.env")
os.environ["ENCRYPTION_KEY"] = SESSION_KEY
os.environ.pop("ENCRYPTION_KEY_FILE", None)
os.environ.pop("ENCRYPTION_KEYS_PREVIOUS", None)
os.environ["DATABASE_URL"] = f"sqlite:///{_SESSION_DIR / 'default.db'}"
os.environ["LOG_LEVEL"] = "DEBUG"
os.environ["RATE_LIMIT_STORAGE_URL"] = "memory://"

from app.core import encryption  # noqa: E402
from app.core.config import Settings, reset_settings_cache  # noqa: E402
from app.core.logging import install_redaction  # noqa: E402

# -- the canary ---------------------------------------------------------------

_CANARIES: list[str] = []
_CAPTURED: list[str] = []


class _CaptureAll(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _CAPTURED.append(self.format(record))
        except Exception:  # pragma: no cover - a broken record is itself reported by logging
            _CAPTURED.append(f"<unformattable record from {record.name}>")


def make_canary(label: str = "secret") -> str:
    """A unique fake secret, registered so the session checks the logs for it."""
    value = f"fake-{label}-{uuid.uuid4().hex}"
    _CANARIES.append(value)
    return value


def register_canary(value: str) -> str:
    _CANARIES.append(value)
    return value


def captured_logs() -> str:
    return "\n".join(_CAPTURED)


def _bytes_of(item: Any) -> bytes:
    if item is None:
        return b""
    if isinstance(item, bytes):
        return item
    if isinstance(item, Path):
        data = b""
        for path in [item, Path(str(item) + "-wal"), Path(str(item) + "-journal")]:
            if path.exists():
                data += path.read_bytes()
        return data
    content = getattr(item, "content", None)  # an httpx / TestClient response
    if isinstance(content, bytes):
        headers = getattr(item, "headers", {})
        return content + str(dict(headers)).encode()
    return str(item).encode()


def assert_no_leak(secret: str, *places: Any) -> None:
    """Fail if ``secret`` appears in any of ``places`` (responses, texts, files)."""
    needle = secret.encode()
    for place in places:
        assert needle not in _bytes_of(place), f"secret leaked into {type(place).__name__}"


@pytest.fixture(scope="session", autouse=True)
def _canary_log_capture() -> Iterator[None]:
    handler = _CaptureAll()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_redaction()
    yield
    root.removeHandler(handler)
    text = captured_logs()
    leaked = [c for c in _CANARIES if c in text]
    assert not leaked, f"{len(leaked)} test secret(s) appeared in captured log records"


@pytest.fixture
def canary() -> Any:
    return make_canary


# -- database and app -----------------------------------------------------------


@pytest.fixture(scope="session")
def _template_db() -> Path:
    from app.core import migrations

    path = _SESSION_DIR / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_path(tmp_path: Path, _template_db: Path) -> Path:
    path = tmp_path / "app.db"
    shutil.copyfile(_template_db, path)
    return path


def make_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "encryption_key": SESSION_KEY,
        "encryption_key_file": None,
        "encryption_keys_previous": [],
        "log_level": "DEBUG",
        "rate_limit_storage_url": "memory://",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return make_settings(f"sqlite:///{db_path}")


@pytest.fixture(autouse=True)
def _reset_keys() -> Iterator[None]:
    reset_settings_cache()
    encryption.reset_keys()
    yield
    encryption.reset_keys()
    reset_settings_cache()


@pytest.fixture
def app(settings: Settings) -> Any:
    from app.main import create_app

    return create_app(settings)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db_session(app: Any) -> Iterator[Any]:
    session = app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of this test alone.

    Tests can migrate, write and drop freely without meeting each other's rows,
    even when several runs share the database. The schema is dropped afterwards.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests skipped")
    return url
