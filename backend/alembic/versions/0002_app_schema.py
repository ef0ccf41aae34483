"""Events, notifications, webhook queue and logs, app metadata (key check).

Revision ID: 0002_app_schema
Revises: 0001_initial
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002_app_schema"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # -- cameras ---------------------------------------------------------
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(
            sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp())
        )

    # -- system_settings -------------------------------------------------
    with op.batch_alter_table("system_settings") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))

    # -- alert rules, events, notifications, webhooks --------------------
    with op.batch_alter_table("alert_rules") as batch:
        batch.add_column(sa.Column("last_triggered_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp())
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "camera_id",
            sa.Integer(),
            sa.ForeignKey("cameras.id", ondelete="SET NULL", name="fk_events_camera_id_cameras"),
            nullable=True,
        ),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("objects_detected", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("ai_provider", sa.String(20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("ix_events_camera_id", "events", ["camera_id"])
    op.create_index("ix_events_timestamp", "events", ["timestamp"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "rule_id",
            sa.Integer(),
            sa.ForeignKey("alert_rules.id", ondelete="SET NULL", name="fk_notifications_rule_id_alert_rules"),
            nullable=True,
        ),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE", name="fk_notifications_event_id_events"),
            nullable=True,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False, server_default=""),
        sa.Column("is_read", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("ix_notifications_rule_id", "notifications", ["rule_id"])
    op.create_index("ix_notifications_event_id", "notifications", ["event_id"])
    op.create_index("ix_notifications_is_read", "notifications", ["is_read"])
    op.create_index("ix_notifications_created_at", "notifications", ["created_at"])

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "rule_id",
            sa.Integer(),
            sa.ForeignKey("alert_rules.id", ondelete="CASCADE", name="fk_webhook_deliveries_rule_id_alert_rules"),
            nullable=False,
        ),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="SET NULL", name="fk_webhook_deliveries_event_id_events"),
            nullable=True,
        ),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("ix_webhook_deliveries_rule_id", "webhook_deliveries", ["rule_id"])
    op.create_index("ix_webhook_deliveries_status", "webhook_deliveries", ["status"])
    op.create_index("ix_webhook_deliveries_next_attempt_at", "webhook_deliveries", ["next_attempt_at"])

    op.create_table(
        "webhook_logs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey(
                "webhook_deliveries.id", ondelete="SET NULL", name="fk_webhook_logs_delivery_id_webhook_deliveries"
            ),
            nullable=True,
        ),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False, server_default=""),
        sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("duration_ms", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("response_body", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_index("ix_webhook_logs_delivery_id", "webhook_logs", ["delivery_id"])
    op.create_index("ix_webhook_logs_rule_id", "webhook_logs", ["rule_id"])
    op.create_index("ix_webhook_logs_success", "webhook_logs", ["success"])
    op.create_index("ix_webhook_logs_created_at", "webhook_logs", ["created_at"])

    # -- app metadata (encryption key check) ------------------------------
    op.create_table(
        "app_meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_meta")
    op.drop_table("webhook_logs")
    op.drop_table("webhook_deliveries")
    op.drop_table("notifications")
    op.drop_table("events")
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("last_triggered_at")
    with op.batch_alter_table("system_settings") as batch:
        batch.drop_column("updated_at")
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("updated_at")
