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
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from app.cli import accounts, rotation
from app.cli import keys as key_commands
from app.cli.output import fail
from app.core import encryption, keys
from app.core.config import load_settings
from app.core.logging import redact, setup_logging

Command = Callable[[argparse.Namespace], int]

COMMANDS: dict[str, tuple[str, Command]] = {
    "generate-key": ("print a new Fernet key", key_commands.cmd_generate_key),
    "init": ("first-run set-up: key into .env if none, migrations", key_commands.cmd_init),
    "check-key": ("validate the configured key against the database", key_commands.cmd_check_key),
    "create-admin": ("create or reset an admin account (password from a prompt or stdin)", accounts.cmd_create_admin),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="Live Object AI Classifier administration")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, func) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        if name == "create-admin":
            p.add_argument("--username", help="the account's name (default: ADMIN_USERNAME, else 'admin')")
    rotation.register(sub)
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
    except (keys.StartupError, encryption.KeyConfigError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted")
    except SQLAlchemyError as exc:  # e.g. PostgreSQL down: one line naming it, no password
        return fail(keys.database_error_message(exc, str(load_settings().database_url_secret)))
    except Exception as exc:  # one line, no traceback; the details go to the (redacted) debug log
        logging.getLogger("app.cli").debug("command failed", exc_info=exc)
        return fail(f"{args.command} failed: {type(exc).__name__}: {redact(str(exc))[:300]}")
