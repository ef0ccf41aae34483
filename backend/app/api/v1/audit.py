"""The audit trail, for admins: ``GET /api/v1/audit``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.schemas.auth import AuditPage, AuditRead
from app.services import audit_service

router = APIRouter(prefix="/audit", tags=["audit"])


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@router.get("", response_model=AuditPage)
def list_audit(
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    outcome: Literal["ok", "failed", "refused"] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    items, total = audit_service.list_entries(
        session,
        actor=actor,
        action=action,
        outcome=outcome,
        since=_naive_utc(since),
        until=_naive_utc(until),
        limit=limit,
        offset=offset,
    )
    return AuditPage(items=[AuditRead.model_validate(e) for e in items], total=total, limit=limit, offset=offset)
