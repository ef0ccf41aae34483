"""The delivery log (``webhook_logs``): one row per attempt, written in the
transaction that moves the delivery on, read by ``GET /api/v1/webhooks/logs``.
What a receiver answered is stored redacted and cut short.

A rule's health (``last_delivery`` in alert rule responses) is its newest
attempt here, test sends included: :func:`last_deliveries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.core.db import core_table
from app.models.alert_rule import AlertRule
from app.models.webhook import WebhookDelivery, WebhookLog
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
                "test": r.job.test,
                "created_at": now,
            }
            for r in results
        ],
    )


def outcome_message(*, success: bool, status_code: int | None, error: str | None) -> str:
    """What an attempt's outcome says to the user: the logged reason of a
    failure (already redacted, URLs masked), or that it was delivered."""
    if success:
        return f"Delivered (HTTP {status_code})." if status_code is not None else "Delivered."
    return error or "The delivery failed."


@dataclass(frozen=True)
class LastDelivery:
    """A rule's newest finished attempt."""

    success: bool
    status_code: int | None
    message: str
    at: datetime


def last_deliveries(session: Session, rule_ids: Sequence[int]) -> dict[int, LastDelivery]:
    """Each rule's newest attempt, for any number of rules in two queries: the
    newest log id of each rule (a correlated ``max(id)``, one seek each in
    ``ix_webhook_logs_rule_id_id``), then those rows by primary key. (Joined
    in one statement, PostgreSQL hashes the whole log instead.)"""
    if not rule_ids:
        return {}
    rules = AlertRule.__table__
    newest = select(func.max(WebhookLog.id)).where(WebhookLog.rule_id == rules.c.id).correlate(rules).scalar_subquery()
    ids = [i for i in session.scalars(select(newest).where(rules.c.id.in_(list(rule_ids)))) if i is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(
            WebhookLog.rule_id, WebhookLog.success, WebhookLog.status_code, WebhookLog.error, WebhookLog.created_at
        ).where(WebhookLog.id.in_(ids))
    ).all()
    return {
        row.rule_id: LastDelivery(
            success=row.success,
            status_code=row.status_code,
            message=outcome_message(success=row.success, status_code=row.status_code, error=row.error),
            at=row.created_at,
        )
        for row in rows
    }


def list_logs(
    session: Session,
    *,
    rule_id: int | None,
    event_id: int | None,
    delivery_id: int | None,
    success: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[WebhookLog, str | None]], int]:
    """One page of the log, newest first, each attempt with its delivery's
    status now (``None`` for a test send or a delivery since deleted), and
    the number of matching rows."""
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
    rows = session.execute(
        select(WebhookLog, WebhookDelivery.status)
        .outerjoin(WebhookDelivery, WebhookDelivery.id == WebhookLog.delivery_id)
        .where(*conditions)
        .order_by(WebhookLog.created_at.desc(), WebhookLog.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [(row[0], row[1]) for row in rows], int(total)
