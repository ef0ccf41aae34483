"""The one-time data migrations (``alembic/versions/0003_encrypt_secrets.py``,
``0005_encrypt_secret_headers.py``): encrypt every plaintext secret, and the way
back. No Alembic import: the revision passes in what it needs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from app.core import encryption
from app.secrets.census import Census, take_census
from app.secrets.columns import Outcome, Secret, existing_columns, looks_encrypted
from app.secrets.errors import MigrationKeyMissing, MigrationStopped, UnreadableSecretsError
from app.secrets.inventory import (
    DEFAULT_BATCH_SIZE,
    RewriteResult,
    has_table,
    key_check_state,
    rewrite_column,
    scrub_free_space,
    write_key_check,
    zero_replaced_values,
)

logger = logging.getLogger(__name__)


_MIGRATION_HINT = (
    "Nothing was changed. Set ENCRYPTION_KEY to the key these values were encrypted with "
    "(older keys go in ENCRYPTION_KEYS_PREVIOUS), or clear the damaged values and enter them again."
)


def _require_key() -> None:
    try:
        encryption.get_encryption_key()
    except encryption.KeyConfigError as exc:
        raise MigrationKeyMissing(str(exc)) from None


def _migration_census(conn: Connection, batch_size: int, action: str) -> Census:
    try:
        census = take_census(conn, batch_size=batch_size)
    except encryption.KeyConfigError as exc:  # an encrypted value, and no key to read it
        raise MigrationKeyMissing(str(exc)) from None
    if census.problem_total:
        raise MigrationStopped(
            str(UnreadableSecretsError(census.problems, census.problem_total, action=action, hint=_MIGRATION_HINT))
        )
    return census


def _encrypt_plaintext(secret: Secret) -> Outcome:
    if looks_encrypted(secret.value):  # the census made sure a configured key opens it
        return "unchanged", None
    return "encrypted", encryption.encrypt(secret.value, context=secret.context)


def _decrypt_to_plaintext(secret: Secret) -> Outcome:
    if not looks_encrypted(secret.value):
        return "unchanged", None
    return "decrypted", encryption.decrypt(secret.value, context=secret.context)


def refuse_offline(revision: str, offline: bool) -> None:
    """A data revision cannot be rendered as SQL (``alembic upgrade --sql``)."""
    if offline:
        raise MigrationStopped(
            f"Revision {revision} encrypts stored data and cannot be rendered as SQL (--sql); "
            "run it against the database."
        )


def encrypt_in_migration(conn: Connection, autocommit_block: Callable[[], AbstractContextManager[object]]) -> None:
    """The data revisions' upgrade: encrypt every plaintext secret; on SQLite,
    when any was replaced, leave no old copy in the file's free pages."""
    result = encrypt_plaintext_secrets(conn)
    if result.count("encrypted") and conn.dialect.name == "sqlite":
        with autocommit_block():
            scrub_free_space(conn)


def encrypt_plaintext_secrets(conn: Connection, *, batch_size: int = DEFAULT_BATCH_SIZE) -> RewriteResult:
    """Encrypt every plaintext secret in place, bound to its place. Idempotent.

    First every secret is read: a value that looks encrypted but no configured
    key opens stops everything before a single write (:class:`MigrationStopped`,
    naming the places). Values already encrypted are left byte for byte. The key
    is needed only when there is a secret: without one, :class:`MigrationKeyMissing`.
    Writes a key check when the database has none, so the app recognises the key.
    """
    census = _migration_census(conn, batch_size, "The encryption migration stopped")
    result = RewriteResult()
    if census.secrets == 0:
        return result
    _require_key()
    state = key_check_state(conn) if has_table(conn, "app_meta") else None
    if state == "undecryptable":
        raise MigrationStopped(
            "The encryption migration stopped: the encryption key does not match this database's key check. "
            "Set ENCRYPTION_KEY to the key this database was created with (older keys go in ENCRYPTION_KEYS_PREVIOUS)."
        )
    with zero_replaced_values(conn):
        for column in existing_columns(conn):
            result.merge(rewrite_column(conn, column, _encrypt_plaintext, batch_size=batch_size))
    if state is None and has_table(conn, "app_meta"):
        write_key_check(conn)
    logger.info(
        "Encryption migration: %d secret(s) encrypted, %d already encrypted",
        result.count("encrypted"),
        result.count("unchanged"),
    )
    return result


def decrypt_all_secrets(conn: Connection, *, batch_size: int = DEFAULT_BATCH_SIZE) -> RewriteResult:
    """The way back: decrypt every secret to plaintext (the downgrade of the migration)."""
    census = _migration_census(conn, batch_size, "The decryption (downgrade) stopped")
    result = RewriteResult()
    if census.total("primary") + census.total("previous") == 0:
        return result
    for column in existing_columns(conn):
        result.merge(rewrite_column(conn, column, _decrypt_to_plaintext, batch_size=batch_size))
    logger.info("Encryption migration downgrade: %d secret(s) decrypted", result.count("decrypted"))
    return result
