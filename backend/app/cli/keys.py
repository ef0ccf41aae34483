"""``generate-key``, ``init`` and ``check-key``."""

from __future__ import annotations

import argparse

from app import startup
from app.cli.output import fail
from app.core import encryption, keys, migrations
from app.core.config import load_settings
from app.core.db import make_engine


def cmd_generate_key(args: argparse.Namespace) -> int:
    print(encryption.generate_key())
    return 0


def _announce_key(written: keys.KeyWritten | None) -> None:
    if written is None:
        print("An encryption key is already configured; keeping it.")
    elif written.created:
        print(f"Generated a new encryption key and saved it in {written.path} (file mode 0600).")
        print(
            "BACK IT UP NOW, and keep it apart from the database: without this key "
            "the stored camera passwords, API keys and webhook secrets cannot be recovered."
        )
    else:
        print(f"Keeping the encryption key already in {written.path}.")


def cmd_init(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with keys.startup_lock(engine):  # one worker or replica at a time
            startup.run_startup(
                settings, engine, generate_key=True, migrate=True, bootstrap_admin=False, announce_key=_announce_key
            )
            print(f"Database is up to date ({migrations.current_revision(engine)}).")
    except startup.MigrationStopped as exc:
        return fail(f"database migration stopped: {exc.reason}")
    except keys.StartupError as exc:
        return fail(str(exc))
    finally:
        engine.dispose()
    return 0


def cmd_check_key(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        try:
            primary = encryption.configured_primary_key(settings)
            encryption.previous_keys(settings)
        except encryption.KeyConfigError as exc:
            return fail(str(exc))
        if primary is None:
            return fail(
                "No encryption key is configured. Set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, "
                "or run: python -m app.cli init"
            )
        encryption.load_keys(settings)
        try:
            status = keys.verify_key_against_database(engine)
        except keys.StartupError as exc:
            return fail(str(exc))
        print(f"Key fingerprint: {encryption.fingerprint(primary)}")
        if status == "previous":
            print(
                "OK: the key check opens with a previous key (ENCRYPTION_KEYS_PREVIOUS); "
                "finish the rotation with rotate-key."
            )
        else:
            print("OK: the encryption key matches this database.")
        return 0
    finally:
        engine.dispose()
