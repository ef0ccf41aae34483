"""The life of the encryption key: find it, generate it on first run, check it
against the database before anything else touches the data.

Every failure here is a :class:`StartupError` whose message is one line that
names the problem and the fix, and never contains a key or a secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

from app.core import encryption
from app.core.config import Settings, env_file_path, load_settings
from app.core.secret_fields import camera_password_context, setting_context


class StartupError(Exception):
    """The app must not start; ``str(exc)`` is the one line to show."""


KEY_MISMATCH = (
    "The key does not match this database: its stored secrets do not open with this ENCRYPTION_KEY. "
    "Set ENCRYPTION_KEY to the key the data was encrypted with "
    "(during a rotation, put the old key in ENCRYPTION_KEYS_PREVIOUS)."
)

_ENV_KEY_LINE = re.compile(r"^\s*(?:export\s+)?ENCRYPTION_KEY\s*=\s*(.*?)\s*$")

# Columns whose whole value may be an encrypted token: (table, column).
_ENCRYPTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cameras", "password"),
    ("system_settings", "value"),
    ("app_meta", "value"),
)


_DB_REASONS: tuple[tuple[str, str], ...] = (
    ("connection refused", "the connection was refused (is the database server running, on that host and port?)"),
    ("timeout expired", "the connection timed out"),
    ("timed out", "the connection timed out"),
    ("could not translate host name", "the host name does not resolve"),
    ("name or service not known", "the host name does not resolve"),
    ("password authentication failed", "the server refused the user name or password"),
    ("no password supplied", "the server asks for a password and DATABASE_URL has none"),
    ("does not exist", "the database or role does not exist"),
    ("unable to open database file", "the SQLite file cannot be opened (check the folder and its permissions)"),
    ("readonly database", "the SQLite file is read-only"),
    ("ssl", "the TLS (sslmode) negotiation failed"),
)


def database_error_message(exc: BaseException, url_display: str) -> str:
    """One line for a database that cannot be reached at start: where (the URL
    with its password masked), why (a known reason, never the driver's text,
    which may quote the connection string), and what to do."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    reason = next((why for needle, why in _DB_REASONS if needle in text), None)
    if reason is None:
        orig = getattr(exc, "orig", None)
        reason = f"{type(orig or exc).__name__}"
    return (
        f"Cannot use the database at {url_display}: {reason}. "
        "Start the database server or fix DATABASE_URL, then start again."
    )


# -- one process at a time through start-up ------------------------------------------

# pg_try_advisory_lock(classid, objid): classid names this app ("LOAC"), objid the schema.
_PG_LOCK_CLASS = 0x4C4F4143
STARTUP_LOCK_TIMEOUT = 300.0


def _sqlite_lock_path(engine: Engine) -> Path | None:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + ".startup-lock")


@contextmanager
def startup_lock(engine: Engine, *, timeout: float = STARTUP_LOCK_TIMEOUT) -> Iterator[None]:
    """Let one process at a time through start-up (first-run key, migrations, key check).

    Several workers or replicas sharing a database start at once; without this
    two of them could each generate a key, or run the same migration. PostgreSQL:
    a session-level advisory lock (per database and schema) held on its own
    connection, released when the block ends or the process dies. SQLite: an
    exclusive ``flock`` on a file beside the database file. Waits ``timeout``
    seconds at most, then raises :class:`StartupError`.
    """
    deadline = time.monotonic() + timeout
    waited = f"Another process has been starting up on this database for {int(timeout)} seconds"
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            key = {"c": _PG_LOCK_CLASS}
            lock = text("SELECT pg_try_advisory_lock(:c, hashtext(coalesce(current_schema(), '')))")
            while not conn.execute(lock, key).scalar():
                if time.monotonic() > deadline:
                    raise StartupError(f"{waited}; stop it or wait for it, then start again.")
                time.sleep(0.1)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:c, hashtext(coalesce(current_schema(), '')))"), key)
        return
    path = _sqlite_lock_path(engine) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StartupError(f"{waited} (lock file {path}); stop it or wait for it.") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- the key ---------------------------------------------------------------------------


def _alert_rule_actions_hold_encrypted(conn: Connection) -> bool:
    """The one look into the ``alert_rules.actions`` JSON here: a LIKE on its text
    for the token prefix (start-up needs no parse, only whether any token exists)."""
    query = text("SELECT 1 FROM alert_rules WHERE actions LIKE :pattern LIMIT 1")
    return conn.execute(query, {"pattern": f"%{encryption.PREFIX}%"}).first() is not None


def database_has_encrypted_data(engine: Engine) -> bool:
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table, column in _ENCRYPTED_COLUMNS:
            if table not in tables:
                continue
            # Fixed table and column names from _ENCRYPTED_COLUMNS, never input; the pattern is bound.
            query = text(f"SELECT 1 FROM {table} WHERE {column} LIKE :pattern LIMIT 1")  # noqa: S608  # nosec B608
            if conn.execute(query, {"pattern": f"%{encryption.PREFIX}%"}).first() is not None:
                return True
        return "alert_rules" in tables and _alert_rule_actions_hold_encrypted(conn)


@dataclass
class KeyWritten:
    path: Path
    created: bool  # False when an existing key in the file was kept


def _env_file_key(path: Path) -> str | None:
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ENV_KEY_LINE.match(line)
        if match and match.group(1).strip("'\""):
            return match.group(1).strip("'\"")
    return None


def write_key_to_env_file(path: Path, key: str) -> KeyWritten:
    """Put ``ENCRYPTION_KEY=key`` into ``path`` with mode 0600.

    An existing non-empty key in the file is never overwritten; an empty
    ``ENCRYPTION_KEY=`` line is filled in; otherwise the line is appended.
    A symlink is refused (the key would land in whatever file it points to);
    the new content is written to a 0600 temporary file beside it, then
    renamed over it, so the file is never seen half-written or readable by others.
    """
    if path.is_symlink():
        raise StartupError(
            f"{path} is a symbolic link: refusing to write the encryption key through it. "
            "Replace it with a regular file (or set ENCRYPTION_KEY / ENCRYPTION_KEY_FILE yourself)."
        )
    if _env_file_key(path):
        os.chmod(path, 0o600)
        return KeyWritten(path=path, created=False)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    replaced = False
    for index, line in enumerate(lines):
        if _ENV_KEY_LINE.match(line):
            lines[index] = f"ENCRYPTION_KEY={key}"
            replaced = True
            break
    if not replaced:
        if not lines:
            lines.append("# Written by `python -m app.cli init`. Back this key up, apart from the database.")
        lines.append(f"ENCRYPTION_KEY={key}")
    content = "\n".join(lines) + "\n"
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # replaces a symlink made meanwhile, never writes through it
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return KeyWritten(path=path, created=True)


def resolve_key(settings: Settings, engine: Engine, *, generate: bool) -> tuple[Settings, KeyWritten | None]:
    """Validate the configured key; on first run (no key, no encrypted data)
    generate one into the ``.env`` file when ``generate`` is true.

    Returns the settings to use (reloaded when a key was generated).
    """
    try:
        primary = encryption.configured_primary_key(settings)
        encryption.previous_keys(settings)
    except encryption.KeyConfigError as exc:
        raise StartupError(str(exc)) from None
    if primary is not None:
        return settings, None
    path = env_file_path()
    if generate and _env_file_key(path):
        # Another process (a second worker) generated the key since these settings were read.
        return _reload_with_env_file_key(path), KeyWritten(path=path, created=False)
    if database_has_encrypted_data(engine):
        raise StartupError(
            "No encryption key is configured, but the database already holds encrypted values. "
            "Set ENCRYPTION_KEY (or ENCRYPTION_KEY_FILE) to the key this database was created with; "
            "a new key would not open them."
        )
    if not generate:
        raise StartupError(
            "No encryption key is configured. Run `python -m app.cli init` to generate one, "
            "or set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE."
        )
    try:
        written = write_key_to_env_file(path, encryption.generate_key())
    except OSError as exc:
        raise StartupError(
            f"No encryption key is configured and {path} cannot be written ({type(exc).__name__}). "
            "Set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE."
        ) from None
    return _reload_with_env_file_key(path), written


def _reload_with_env_file_key(path: Path) -> Settings:
    os.environ.pop("ENCRYPTION_KEY", None)  # an empty variable must not hide the file's key
    new_settings = load_settings()
    if encryption.configured_primary_key(new_settings) is None:
        raise StartupError(
            f"A key was written to {path}, but the configuration does not read it. Set ENCRYPTION_KEY explicitly."
        )
    return new_settings


@dataclass(frozen=True)
class KeySource:
    """Where the primary key comes from: never the key itself."""

    kind: str  # "environment", "env_file" or "key_file"
    location: str | None  # the file's path, for the two file kinds


def key_source(settings: Settings) -> KeySource:
    if settings.encryption_key_file is not None and not os.environ.get("ENCRYPTION_KEY"):
        return KeySource("key_file", str(settings.encryption_key_file))
    if os.environ.get("ENCRYPTION_KEY"):
        return KeySource("environment", None)
    path = env_file_path()
    if _env_file_key(path):
        return KeySource("env_file", str(path.resolve()))
    return KeySource("environment", None)


def verify_existing_key_check(engine: Engine) -> None:
    """Before migrating: when the database already has a key check, the key must open it
    (so no migration ever writes data under a wrong key)."""
    if "app_meta" not in set(inspect(engine).get_table_names()):
        return
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT value FROM app_meta WHERE key = :k"), {"k": encryption.KEY_CHECK}).scalar()
    if stored is not None and encryption.verify_key_check(stored) not in ("primary", "previous"):
        raise StartupError(KEY_MISMATCH)


def verify_key_against_database(engine: Engine) -> str:
    """Check the configured keys against the database's key check.

    Writes the key check when the database has none yet (and its encrypted
    values, if any, open with the configured keys). Returns ``"primary"`` or
    ``"previous"`` (which key opened the key check).
    """
    tables = set(inspect(engine).get_table_names())
    if "app_meta" not in tables:
        raise StartupError(
            "The database schema is not up to date. Run: alembic upgrade head (or set AUTO_MIGRATE=true)"
        )
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT value FROM app_meta WHERE key = :k"), {"k": encryption.KEY_CHECK}).scalar()
        if stored is not None:
            status = encryption.verify_key_check(stored)
            if status not in ("primary", "previous"):
                raise StartupError(KEY_MISMATCH)
            return status
        _check_sample_values(conn, tables)
        # The first writer wins; a process that lost the race checks its key against the winner's.
        conn.execute(
            text("INSERT INTO app_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING"),
            {"k": encryption.KEY_CHECK, "v": encryption.make_key_check()},
        )
        winner = conn.execute(text("SELECT value FROM app_meta WHERE key = :k"), {"k": encryption.KEY_CHECK}).scalar()
        opened_by = encryption.verify_key_check(winner) if winner is not None else "undecryptable"
        if opened_by not in ("primary", "previous"):
            raise StartupError(KEY_MISMATCH)
        return opened_by


def _check_sample_values(conn: Connection, tables: set[str]) -> None:
    """Without a key check, make sure the key opens an existing encrypted value."""
    samples: list[tuple[str, str]] = []
    if "cameras" in tables:
        row = conn.execute(text("SELECT id, password FROM cameras WHERE password LIKE 'encrypted:%' LIMIT 1")).first()
        if row is not None:
            samples.append((row[1], camera_password_context(row[0])))
    if "system_settings" in tables:
        row = conn.execute(
            text("SELECT key, value FROM system_settings WHERE value LIKE 'encrypted:%' LIMIT 1")
        ).first()
        if row is not None:
            samples.append((row[1], setting_context(row[0])))
    for value, context in samples:
        if encryption.key_status(value, context=context) == "undecryptable":
            raise StartupError(KEY_MISMATCH)
