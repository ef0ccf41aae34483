"""Encrypt webhook header values that the inverted header rule now treats as secret.

Data only. Since this version every header value is secret unless its name is
known-plain (``Content-Type``, ``Accept``, ...) or the user marked it plain;
rules saved under the old rule may still hold values such as ``X-Pin`` in
clear. This runs the same idempotent pass as 0003 (values already encrypted
are left byte for byte). The downgrade keeps them encrypted: the previous
version reads encrypted header values as well.

Revision ID: 0005_encrypt_secret_headers
Revises: 0004_accounts
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import context, op
from app.secrets import migration as secret_migration

revision: str = "0005_encrypt_secret_headers"
down_revision: str | None = "0004_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    secret_migration.refuse_offline(revision, context.is_offline_mode())
    secret_migration.encrypt_in_migration(op.get_bind(), op.get_context().autocommit_block)


def downgrade() -> None:
    """Nothing to undo: the values stay encrypted, which every earlier version reads."""
