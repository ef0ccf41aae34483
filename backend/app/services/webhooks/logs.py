"""The delivery log (``webhook_logs``): one row per attempt, written in the
transaction that moves the delivery on, read by ``GET /api/v1/webhooks/logs``.
What a receiver answered is stored redacted and cut short."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.core.db import core_table
from app.models.webhook import WebhookLog
from app.services.webhooks.queue import AttemptResult, clip

MAX_LOGGED_BODY = 200
_INSERT_LOG = insert(core_table(WebhookLog))  # Core executemany: the ORM's bulk path costs more than the rows


def log_attempts(session: Session, results: Sequence[AttemptResult], *, now: datetime) -> None:
    """Write one ``webhook_logs`` row per attempt."""
    if not results:
        return
    session.execute(
        _INSERT_LOG,
        [
            {
                "delivery_id": r.job.delivery_id,
                "rule_id": r.job.rule_id,
                "event_id": r.job.event_id,
                "url": r.url,
                "attempt": r.job.attempt,
                "status_code": r.status_code,
                "success": r.success,
                "duration_ms": r.duration_ms,
                "error": clip(r.error),
                "response_body": clip(r.response_body, MAX_LOGGED_BODY),
                "created_at": now,
            }
            for r in results
        ],
    )


def list_logs(
    session: Session,
    *,
    rule_id: int | None,
    event_id: int | None,
    delivery_id: int | None,
    success: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookLog], int]:
    """One page of the log, newest first, and the number of matching rows."""
    conditions = []
    if rule_id is not None:
        conditions.append(WebhookLog.rule_id == rule_id)
    if event_id is not None:
        conditions.append(WebhookLog.event_id == event_id)
    if delivery_id is not None:
        conditions.append(WebhookLog.delivery_id == delivery_id)
    if success is not None:
        conditions.append(WebhookLog.success.is_(success))
    total = session.execute(select(func.count(WebhookLog.id)).where(*conditions)).scalar_one()
    items = session.scalars(
        select(WebhookLog)
        .where(*conditions)
        .order_by(WebhookLog.created_at.desc(), WebhookLog.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), int(total)
