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
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
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


# -- parallel runs (pytest-xdist, ``make pytest`` runs ``-n``) ---------------------
# PostgreSQL needs nothing per worker: ``pg_url`` gives every test a schema of its
# own, and the app's advisory locks are per schema. Redis has no such namespace
# (the app's key prefix is fixed), so each worker counts in a database number of
# its own: a test's rate-limit counters (e.g. five failed sign-ins of one
# username) never meet another worker's test.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... (unset without xdist)


def _worker_redis_url(url: str, worker: str) -> str:
    """``redis://host:port/15`` for gw0, ``.../14`` for gw1, ... (down from the configured number)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.lstrip("/") or 0)
    index = int(worker.removeprefix("gw"))
    if index > base:
        raise RuntimeError(f"TEST_REDIS_URL {url}: no Redis database left for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{base - index}"))


if WORKER and os.environ.get("TEST_REDIS_URL"):
    os.environ["TEST_REDIS_URL"] = _worker_redis_url(os.environ["TEST_REDIS_URL"], WORKER)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a run whose workers could not start, before any starts: a worker that
    fails in this file's import is only a "node down" line, and the run can end
    "no tests ran" with exit status 0."""
    workers = getattr(config.option, "numprocesses", None)
    url = os.environ.get("TEST_REDIS_URL")
    if WORKER or not url or not isinstance(workers, int) or workers < 1:
        return
    try:
        _worker_redis_url(url, f"gw{workers - 1}")
    except RuntimeError as exc:
        raise pytest.UsageError(f"{exc}: use a database number of at least {workers - 1} (e.g. /15)") from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under xdist, files with a test marked ``slow`` start first (each file runs in one worker,
    in order: the slowest must not begin last and run alone at the end). Every worker sorts the
    same way, as xdist requires; the order inside a file is kept."""
    if not WORKER:
        return
    slow_files = {item.nodeid.split("::", 1)[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in slow_files)


from app.core import encryption  # noqa: E402
from app.core.config import Settings, reset_settings_cache  # noqa: E402
from app.core.logging import install_redaction  # noqa: E402
from tests.fakes.fake_provider import FakeProviderServer, running  # noqa: E402

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


# -- ports and threads ---------------------------------------------------------


def free_port() -> int:
    """A local TCP port that nothing listens on now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_in_threads(target: Callable[[], None], count: int) -> None:
    """Run ``target`` in ``count`` threads at once and wait (60 s at most each)."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)


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


# -- accounts -----------------------------------------------------------------------

ADMIN_NAME = "test-admin"
ADMIN_PASSWORD = f"fake-admin-password-{uuid.uuid4().hex}"
_CANARIES.append(ADMIN_PASSWORD)
_HASHES: dict[str, str] = {}


def _password_hash(password: str) -> str:
    """argon2 costs ~50 ms: hash each test password once per run."""
    if password not in _HASHES:
        from app.core.passwords import hash_password

        _HASHES[password] = hash_password(password)
    return _HASHES[password]


def make_user(app: Any, *, username: str = ADMIN_NAME, role: str = "admin", password: str = ADMIN_PASSWORD) -> int:
    """A user straight in the app's database (no API call); returns its id."""
    from app.models.user import User
    from app.services.auth_service import find_user, username_key

    with app.state.session_factory() as session:
        existing = find_user(session, username)
        if existing is not None:
            return int(existing.id)
        user = User(
            username=username,
            username_key=username_key(username),
            password_hash=_password_hash(password),
            role=role,
            is_active=True,
        )
        session.add(user)
        session.commit()
        return int(user.id)


def bearer_for(app: Any, *, username: str = ADMIN_NAME, role: str = "admin") -> dict[str, str]:
    """``Authorization`` headers of a fresh session for ``username`` (created if needed)."""
    from app.models.user import User
    from app.services.auth_service import issue_session

    user_id = make_user(app, username=username, role=role)
    with app.state.session_factory() as session:
        user = session.get(User, user_id)
        assert user is not None
        issued = issue_session(session, user=user, settings=app.state.settings, address="127.0.0.1", user_agent="t")
        session.commit()
    _CANARIES.append(issued.token)
    return {"Authorization": f"Bearer {issued.token}"}


def signed_in(app: Any, *, username: str = ADMIN_NAME, role: str = "admin", **kwargs: Any) -> Any:
    """A TestClient that calls the API as ``username`` (an admin by default), by bearer token."""
    from fastapi.testclient import TestClient

    return TestClient(app, headers=bearer_for(app, username=username, role=role), **kwargs)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    """The API as a signed-in admin."""
    with signed_in(app) as test_client:
        yield test_client


@pytest.fixture
def anon_client(app: Any) -> Iterator[Any]:
    """The API with no credentials at all."""
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


# -- the fake AI provider --------------------------------------------------------


@pytest.fixture(scope="module")
def _fake_provider_server() -> Iterator[FakeProviderServer]:
    with running() as server:
        yield server


@pytest.fixture
def fake(_fake_provider_server: FakeProviderServer) -> FakeProviderServer:
    """The fake AI provider (one server a test module), reset for each test."""
    _fake_provider_server.reset()
    return _fake_provider_server


@pytest.fixture
def ai_settings(db_path: Path, fake: FakeProviderServer) -> Settings:
    """Settings whose provider base URLs point at the fake AI provider."""
    return make_settings(f"sqlite:///{db_path}", **fake.base_urls())


@pytest.fixture
def ai_app(ai_settings: Settings) -> Any:
    """The app on ``ai_settings``, with short AI timeouts."""
    from app.main import create_app
    from app.services.ai_providers import AITimeouts

    app = create_app(ai_settings)
    app.state.ai_timeouts = AITimeouts(connect=2.0, key_test=1.0, describe=1.5)
    return app


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
