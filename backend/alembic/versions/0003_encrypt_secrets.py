"""Encrypt every plaintext secret (camera passwords, AI keys, webhook URLs and secret headers).

Data only, no schema change. Each secret is bound to its place with the same
context the app uses (app.core.secret_fields). Idempotent: values already
encrypted are left byte for byte; a value that looks encrypted but does not
decrypt with the configured keys stops the migration, naming the place. The
key comes from the app (which loads it before migrating) or, under the plain
``alembic`` command, from the environment / ``.env`` (get_settings()).

On SQLite, replaced values are zeroed (``secure_delete``) and, when plaintext
was encrypted, the file is rebuilt (``VACUUM``) so no old copy survives in
free pages. On PostgreSQL old row versions remain until ``VACUUM FULL`` (SETUP.md).

The downgrade decrypts everything back to plaintext.

Revision ID: 0003_encrypt_secrets
Revises: 0002_app_schema
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import context, op
from app.services import secret_inventory

revision: str = "0003_encrypt_secrets"
down_revision: str | None = "0002_app_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _require_online() -> None:
    if context.is_offline_mode():
        raise secret_inventory.MigrationStopped(
            "Revision 0003_encrypt_secrets encrypts stored data and cannot be rendered as SQL (--sql); "
            "run it against the database."
        )


def upgrade() -> None:
    _require_online()
    bind = op.get_bind()
    result = secret_inventory.encrypt_plaintext_secrets(bind)
    if result.count("encrypted") and bind.dialect.name == "sqlite":
        # Plaintext was replaced: leave no old copy in the file's free pages.
        with op.get_context().autocommit_block():
            secret_inventory.scrub_free_space(bind)


def downgrade() -> None:
    _require_online()
    secret_inventory.decrypt_all_secrets(op.get_bind())
