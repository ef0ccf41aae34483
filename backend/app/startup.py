"""The start-up sequence, one place for ``create_app()`` and ``python -m app.cli init``.

In order, holding the start-up lock (workers and replicas sharing the database
take turns, :func:`app.core.keys.startup_lock`):

1. the key configuration, and on a first run a generated key in ``.env``;
2. the configured keys loaded;
3. an existing key check must open with them (no migration writes data under a wrong key);
4. the migrations (the app: when ``AUTO_MIGRATE``; ``init``: always);
5. the key check against the data (written when the database has none yet);
6. the app only: the first admin from ``ADMIN_USERNAME`` / ``ADMIN_PASSWORD(_FILE)``.

Every failure is a :class:`~app.core.keys.StartupError` whose message is one
line without a key or a secret.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from sqlalchemy import Engine

from app.core import encryption, keys, migrations
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from app.services import auth_service


class MigrationStopped(keys.StartupError):
    """A migration refused to change the data (``reason``: the migration's own message)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Database migration stopped: {reason}")


KeyAnnouncer = Callable[[keys.KeyWritten | None], None]


def run_startup(
    settings: Settings,
    engine: Engine,
    *,
    generate_key: bool,
    migrate: bool,
    bootstrap_admin: bool,
    announce_key: KeyAnnouncer | None = None,
) -> Settings:
    """Steps 1-6 on ``engine`` (the caller holds the start-up lock). Returns the
    settings to use (reloaded when a key was generated); ``announce_key`` hears
    what became of the key file right after step 1."""
    settings, written = keys.resolve_key(settings, engine, generate=generate_key)
    if announce_key is not None:
        announce_key(written)
    try:
        encryption.load_keys(settings)
    except encryption.KeyConfigError as exc:
        raise keys.StartupError(str(exc)) from None
    keys.verify_existing_key_check(engine)
    if migrate:
        try:
            migrations.upgrade(settings.database_url)
        except encryption.EncryptionError as exc:
            raise MigrationStopped(str(exc)) from None
    keys.verify_key_against_database(engine)
    if bootstrap_admin:
        _bootstrap_admin(settings, engine)
    return settings


def _announce_generated_key(written: keys.KeyWritten | None) -> None:
    if written is not None and written.created:
        print(
            f"Generated a new encryption key and saved it in {written.path} (mode 0600). "
            "Back it up, apart from the database: without it the stored secrets cannot be recovered.",
            file=sys.stderr,
        )


def prepare_database(settings: Settings, *, generate_key: bool = True) -> Settings:
    """The app's start-up checks (see the module docstring), under the start-up lock."""
    engine = make_engine(settings.database_url)
    try:
        with keys.startup_lock(engine):
            return run_startup(
                settings,
                engine,
                generate_key=generate_key,
                migrate=settings.auto_migrate,
                bootstrap_admin=True,
                announce_key=_announce_generated_key,
            )
    finally:
        engine.dispose()


def _bootstrap_admin(settings: Settings, engine: Engine) -> None:
    """``ADMIN_USERNAME`` / ``ADMIN_PASSWORD(_FILE)``: the first admin of a headless install."""
    if settings.admin_password is None and settings.admin_password_file is None:
        return
    try:
        created = auth_service.bootstrap_admin(make_session_factory(engine), settings)
    except ValueError as exc:
        raise keys.StartupError(str(exc)) from None
    if created:
        print(f"Created the admin account {created!r} from ADMIN_USERNAME / ADMIN_PASSWORD.", file=sys.stderr)
