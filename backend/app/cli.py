"""Command line: ``python -m app.cli COMMAND``.

generate-key       print a new Fernet key
init               first-run set-up: a key into .env if none, then migrations
check-key          validate the configured key against the database (exit 0 or 1)
encryption-status  count stored secrets per place and key
rotate-key         re-encrypt every stored secret under the primary key
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from app.core import encryption, keys, migrations
from app.core.config import load_settings
from app.core.db import make_engine
from app.core.logging import redact, setup_logging

Command = Callable[[argparse.Namespace], int]


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def cmd_generate_key(args: argparse.Namespace) -> int:
    print(encryption.generate_key())
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with keys.startup_lock(engine):  # one worker or replica at a time
            settings, written = keys.resolve_key(settings, engine, generate=True)
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
            encryption.load_keys(settings)
            keys.verify_existing_key_check(engine)
            migrations.upgrade(settings.database_url)
            keys.verify_key_against_database(engine)
            print(f"Database is up to date ({migrations.current_revision(engine)}).")
    except keys.StartupError as exc:
        return _fail(str(exc))
    except encryption.EncryptionError as exc:
        return _fail(f"database migration stopped: {exc}")
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
            return _fail(str(exc))
        if primary is None:
            return _fail(
                "No encryption key is configured. Set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, "
                "or run: python -m app.cli init"
            )
        encryption.load_keys(settings)
        try:
            status = keys.verify_key_against_database(engine)
        except keys.StartupError as exc:
            return _fail(str(exc))
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


COMMANDS: dict[str, tuple[str, Command]] = {
    "generate-key": ("print a new Fernet key", cmd_generate_key),
    "init": ("first-run set-up: key into .env if none, migrations", cmd_init),
    "check-key": ("validate the configured key against the database", cmd_check_key),
}


def _register_extra_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands that live with their services (key rotation, status)."""
    import importlib

    try:
        key_rotation = importlib.import_module("app.services.key_rotation")
    except ModuleNotFoundError:
        return
    register = getattr(key_rotation, "register_cli", None)
    if callable(register):
        register(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="Live Object AI Classifier administration")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, func) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
    _register_extra_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings_level = load_settings().log_level
    except ValueError:  # a bad LOG_LEVEL must not stop generate-key
        settings_level = "WARNING"
    setup_logging("WARNING" if settings_level == "INFO" else settings_level)
    try:
        return int(args.func(args))
    except keys.StartupError as exc:
        return _fail(str(exc))
    except encryption.KeyConfigError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as exc:  # one line, no traceback; the details go to the (redacted) debug log
        logging.getLogger("app.cli").debug("command failed", exc_info=exc)
        return _fail(f"{args.command} failed: {type(exc).__name__}: {redact(str(exc))[:300]}")


if __name__ == "__main__":
    sys.exit(main())
