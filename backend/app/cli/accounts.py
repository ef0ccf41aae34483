"""``create-admin``: create or reset an admin account (password from a prompt or stdin)."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli.output import fail
from app.core import encryption, keys, passwords
from app.core.config import load_settings
from app.core.db import make_engine, make_session_factory
from app.schemas.auth import username_problem
from app.services import audit_service, auth_service


def _read_new_password() -> str | None:
    """From a prompt (typed twice) on a terminal, else the first line of stdin. Never from argv."""
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            print("error: the two passwords differ", file=sys.stderr)
            return None
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n") or None


def cmd_create_admin(args: argparse.Namespace) -> int:
    settings = load_settings()
    username = (args.username or settings.admin_username).strip()
    problem = username_problem(username)
    if problem:
        return fail(f"username refused: {problem}")
    password = _read_new_password()
    if not password:
        return fail("no password given (type it at the prompt, or pipe it on stdin)")
    problem = passwords.password_problem(password, username=username)
    if problem:
        return fail(f"password refused: {problem}")
    engine = make_engine(settings.database_url)
    try:
        encryption.load_keys(settings)
        keys.verify_key_against_database(engine)
        with make_session_factory(engine)() as session:
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
