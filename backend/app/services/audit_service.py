"""The audit trail: record who did what, list it, forget what is older than the retention.

Entries name places ("camera 3 password", "OpenAI key"), never values.
A change's entry is written in the request's own transaction (it lands with the
change or not at all); :func:`record_now` writes in a transaction of its own,
for outcomes whose request fails (a refused sign-in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.core.db import core_table, utcnow
from app.models.audit import AuditEntry

logger = logging.getLogger("app.audit")

Outcome = Literal["ok", "failed", "refused"]

ACTIONS = (
    "login",
    "logout",
    "setup",
    "password_change",
    "user_create",
    "user_update",
    "user_delete",
    "token_create",
    "token_revoke",
    "credential_change",
    "key_test",
    "camera_test",
    "backup_confirmed",
    "rotation_start",
    "rotation_end",
)


def _values(actor: str, address: str | None, action: str, target: str | None, outcome: str) -> dict[str, object]:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return {
        "at": utcnow(),
        "actor": actor[:120],
        "address": (address or None) and str(address)[:64],
        "action": action,
        "target": target[:200] if target else None,
        "outcome": outcome,
    }


def record(
    session: Session,
    *,
    actor: str,
    address: str | None,
    action: str,
    target: str | None = None,
    outcome: Outcome = "ok",
) -> None:
    """Add an entry to the request's transaction."""
    session.execute(insert(core_table(AuditEntry)).values(**_values(actor, address, action, target, outcome)))


def record_now(
    session_factory: Callable[[], Session],
    *,
    actor: str,
    address: str | None,
    action: str,
    target: str | None = None,
    outcome: Outcome = "ok",
) -> None:
    """Write an entry in its own transaction (survives the request's rollback)."""
    with session_factory() as session:
        record(session, actor=actor, address=address, action=action, target=target, outcome=outcome)
        session.commit()


def prune(session: Session, *, retention_days: int, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = session.execute(delete(core_table(AuditEntry)).where(core_table(AuditEntry).c.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def list_entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at <= until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total)
