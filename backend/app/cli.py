"""Command line: ``python -m app.cli COMMAND``.

generate-key       print a new Fernet key
init               first-run set-up: a key into .env if none, then migrations
check-key          validate the configured key against the database (exit 0 or 1)
encryption-status  count stored secrets per place and key
rotate-key         re-encrypt every stored secret under the primary key
create-admin       create or reset an admin account (password from a prompt or stdin)
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from app.core import encryption, keys, migrations
from app.core.config import load_settings
from app.core.db import make_engine
from app.core.logging import redact, setup_logging
from app.schemas.auth import USERNAME_PATTERN

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


def _read_new_password() -> str | None:
    """From a prompt (typed twice) on a terminal, else the first line of stdin. Never from argv."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            print("error: the two passwords differ", file=sys.stderr)
            return None
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n") or None


def cmd_create_admin(args: argparse.Namespace) -> int:
    from app.core import passwords
    from app.core.db import make_session_factory
    from app.services import audit_service, auth_service

    settings = load_settings()
    username = (args.username or settings.admin_username).strip()
    if not re.fullmatch(USERNAME_PATTERN, username):
        return _fail("the username may hold 1-64 letters, digits and . _ - @")
    password = _read_new_password()
    if not password:
        return _fail("no password given (type it at the prompt, or pipe it on stdin)")
    problem = passwords.password_problem(password, username=username)
    if problem:
        return _fail(f"password refused: {problem}")
    engine = make_engine(settings.database_url)
    try:
        encryption.load_keys(settings)
        keys.verify_key_against_database(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            user = auth_service.find_user(session, username)
            if user is None:
                created = auth_service.create_user_row(session, username=username, password=password, role="admin")
                action, message = "user_create", f"Created the admin account {created.username!r}."
                target = f"user {created.id} ({created.username}, admin)"
            else:
                user.password_hash = passwords.hash_password(password)
                user.role, user.is_active = "admin", True
                auth_service.end_user_sessions(session, user_id=user.id)
                action, message = (
                    "user_update",
                    f"Reset {user.username!r}: admin, enabled, new password; its sessions ended.",
                )
                target = f"user {user.id} ({user.username}): password, role admin"
            audit_service.record(session, actor="cli", address=None, action=action, target=target)
            session.commit()
    finally:
        engine.dispose()
    print(message)
    return 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "generate-key": ("print a new Fernet key", cmd_generate_key),
    "init": ("first-run set-up: key into .env if none, migrations", cmd_init),
    "check-key": ("validate the configured key against the database", cmd_check_key),
    "create-admin": ("create or reset an admin account (password from a prompt or stdin)", cmd_create_admin),
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
        if name == "create-admin":
            p.add_argument("--username", help="the account's name (default: ADMIN_USERNAME, else 'admin')")
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
    except SQLAlchemyError as exc:  # e.g. PostgreSQL down: one line naming it, no password
        return _fail(keys.database_error_message(exc, str(load_settings().database_url_secret)))
    except Exception as exc:  # one line, no traceback; the details go to the (redacted) debug log
        logging.getLogger("app.cli").debug("command failed", exc_info=exc)
        return _fail(f"{args.command} failed: {type(exc).__name__}: {redact(str(exc))[:300]}")


if __name__ == "__main__":
    sys.exit(main())
