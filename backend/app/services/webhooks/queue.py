"""The delivery queue (``webhook_deliveries``), a transactional outbox.

Delivery guarantee: **at least once**. A matching event writes a
``webhook_deliveries`` row in the same transaction as the event (:func:`enqueue`),
so a queued delivery survives a restart or crash. The worker leases due rows
(:func:`lease_due`: ``locked_until``; PostgreSQL also ``FOR UPDATE SKIP
LOCKED``), sends, then records the attempt (:func:`record_attempts`). After a
crash, a leased row is sent again when its lease expires. A request the
receiver got but whose outcome was not recorded is therefore sent again:
receivers should de-duplicate on the ``webhook-id`` header (stable across
retries).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.core.db import core_table
from app.core.jsontext import dumps_compact
from app.core.logging import redact
from app.models.alert_rule import AlertRule, RuleActions, StoredWebhook
from app.models.webhook import WebhookDelivery
from app.services import outbound_policy

MAX_ERROR = 200
_DELIVERIES = core_table(WebhookDelivery)
_INSERT_DELIVERY = insert(_DELIVERIES)


@dataclass(frozen=True)
class Job:
    """A leased delivery, with its rule's (still encrypted) webhook settings."""

    delivery_id: int
    rule_id: int
    event_id: int | None
    payload: str
    attempt: int  # the number of the attempt about to be made (1-based)
    webhook: StoredWebhook | None = field(repr=False)
    block_private: bool


@dataclass(frozen=True)
class AttemptResult:
    """One finished attempt, as the queue and the delivery log record it."""

    job: Job
    url: str  # masked
    success: bool
    retryable: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str | None
    retry_after: float | None = None


def clip(text: str | None, limit: int = MAX_ERROR) -> str | None:
    """``text`` redacted and cut to ``limit`` characters, for storing."""
    if text is None:
        return None
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def enqueue(session: Session, *, rule_id: int, event_id: int | None, payload: dict[str, Any], now: datetime) -> None:
    """Queue a delivery in the caller's transaction (sent by the worker)."""
    session.connection().execute(
        _INSERT_DELIVERY,
        {
            "rule_id": rule_id,
            "event_id": event_id,
            "payload": dumps_compact(payload),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        },
    )


def _unleased(now: datetime) -> Any:
    return or_(_DELIVERIES.c.locked_until.is_(None), _DELIVERIES.c.locked_until < now)


def lease_due(session: Session, *, limit: int, now: datetime, lease_seconds: float) -> list[Any]:
    """Lease up to ``limit`` due deliveries; returns their rows. The caller commits.

    One ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``: atomic under
    SQLite's single writer; on PostgreSQL the inner select also takes
    ``FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on or share a row.
    """
    if limit <= 0:
        return []
    table = _DELIVERIES
    due = (
        select(table.c.id)
        .where(table.c.status == "pending", table.c.next_attempt_at <= now, _unleased(now))
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(locked_until=now + timedelta(seconds=lease_seconds), updated_at=now)
        .returning(table.c.id, table.c.rule_id, table.c.event_id, table.c.payload, table.c.attempts)
    )
    return sorted(session.execute(stmt).all(), key=lambda row: row.id)


def jobs_for(session: Session, rows: Sequence[Any]) -> list[Job]:
    """Leased rows with their rules' current (encrypted) webhook settings."""
    if not rows:
        return []
    block_private = outbound_policy.block_private_networks(session)
    rule_ids = sorted({row.rule_id for row in rows})
    stored = session.execute(select(AlertRule.id, AlertRule.actions).where(AlertRule.id.in_(rule_ids)))
    webhooks = {rule_id: RuleActions.from_json(actions).sendable_webhook for rule_id, actions in stored}
    return [
        Job(
            delivery_id=row.id,
            rule_id=row.rule_id,
            event_id=row.event_id,
            payload=row.payload,
            attempt=row.attempts + 1,
            webhook=webhooks.get(row.rule_id),
            block_private=block_private,
        )
        for row in rows
    ]


def next_due_at(session: Session, *, now: datetime) -> datetime | None:
    """When the next pending, unleased delivery is due."""
    return session.execute(
        select(func.min(_DELIVERIES.c.next_attempt_at)).where(_DELIVERIES.c.status == "pending", _unleased(now))
    ).scalar_one_or_none()


def _next_state(
    result: AttemptResult, *, now: datetime, max_attempts: int, backoff: Callable[[int], float]
) -> tuple[str, datetime]:
    """The delivery's status and next attempt time after ``result``."""
    if result.success:
        return "delivered", now
    if result.retryable and result.job.attempt < max_attempts:
        delay = max(0.0, backoff(result.job.attempt))
        if result.retry_after is not None:
            delay = max(delay, min(result.retry_after, 300.0))
        return "pending", now + timedelta(seconds=delay)
    return "failed", now


_RECORD = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_next"),
        last_error=bindparam("b_error"),
        locked_until=None,
        updated_at=bindparam("b_now"),
    )
)


def record_attempts(
    session: Session,
    results: Sequence[AttemptResult],
    *,
    now: datetime,
    max_attempts: int,
    backoff: Callable[[int], float],
) -> None:
    """Move each attempted delivery on: delivered, pending a retry, or failed."""
    if not results:
        return
    updates = []
    for r in results:
        status, next_at = _next_state(r, now=now, max_attempts=max_attempts, backoff=backoff)
        updates.append(
            {
                "b_id": r.job.delivery_id,
                "b_status": status,
                "b_attempts": r.job.attempt,
                "b_next": next_at,
                "b_error": None if r.success else clip(r.error),
                "b_now": now,
            }
        )
    session.execute(_RECORD, updates)


def release_leases(session: Session, delivery_ids: Sequence[int]) -> None:
    """Give back leased rows that were not sent (graceful stop)."""
    if not delivery_ids:
        return
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id.in_(list(delivery_ids)), _DELIVERIES.c.status == "pending")
        .values(locked_until=None)
    )


def default_backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt``: ~2 s, then ~8 s (±20 %)."""
    jitter = random.uniform(0.8, 1.2)  # nosec B311 # jitter only spreads retries over time; no secret or token comes from it
    return float(2 * 4 ** (attempt - 1)) * jitter
