"""What an event's detail view shows: why it has no description, each AI
attempt, the rules it fired (or why none: a disabled camera), and its image
(encrypted).

Schema only. ``event_images.data`` is AES-GCM ciphertext under a per-image
key; ``event_images.data_key`` holds that key as an ``encrypted:`` value bound
to its row, so it is a secret place like any other (counted and rotated).

Revision ID: 0006_event_detail
Revises: 0005_encrypt_secret_headers
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006_event_detail"
down_revision: str | None = "0005_encrypt_secret_headers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("description_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ai_attempts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("triggered_rules", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("rules_skipped", sa.Text(), nullable=True))
    op.create_table(
        "event_images",
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE", name="fk_event_images_event_id_events"),
            primary_key=True,
        ),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("data_key", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("event_images")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("rules_skipped")
        batch.drop_column("triggered_rules")
        batch.drop_column("ai_attempts")
        batch.drop_column("description_error")
