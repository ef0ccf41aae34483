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
from app.secrets import migration as secret_migration

revision: str = "0003_encrypt_secrets"
down_revision: str | None = "0002_app_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    secret_migration.refuse_offline(revision, context.is_offline_mode())
    secret_migration.encrypt_in_migration(op.get_bind(), op.get_context().autocommit_block)


def downgrade() -> None:
    secret_migration.refuse_offline(revision, context.is_offline_mode())
    secret_migration.decrypt_all_secrets(op.get_bind())
