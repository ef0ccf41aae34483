"""Webhook health: test deliveries are marked in the delivery log, and a
rule's last attempt is found with one index seek.

``webhook_logs.test`` is true for an attempt made by "Send test"
(``POST /api/v1/alert-rules/{id}/test``). The index on ``rule_id`` becomes
one on ``(rule_id, id)``: it still serves the log filtered by rule, and finds
each rule's newest attempt (``last_delivery`` in alert rule responses) with
one index seek on SQLite and PostgreSQL alike.

Revision ID: 0007_webhook_health
Revises: 0006_health
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007_webhook_health"
down_revision: str | None = "0006_health"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_logs") as batch:
        batch.add_column(sa.Column("test", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_index("ix_webhook_logs_rule_id", table_name="webhook_logs")
    op.create_index("ix_webhook_logs_rule_id_id", "webhook_logs", ["rule_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_logs_rule_id_id", table_name="webhook_logs")
    op.create_index("ix_webhook_logs_rule_id", "webhook_logs", ["rule_id"])
    with op.batch_alter_table("webhook_logs") as batch:
        batch.drop_column("test")
