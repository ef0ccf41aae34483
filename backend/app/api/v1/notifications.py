"""Dashboard notifications: ``/api/v1/notifications``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.auth import viewer_allowed
from app.core.db import SessionDep
from app.schemas.notification import MarkAllReadResult, NotificationPage, NotificationRead, NotificationUpdate
from app.services import notification_service

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage)
@viewer_allowed
def list_notifications(
    session: SessionDep,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> NotificationPage:
    items, total, unread = notification_service.list_notifications(
        session, unread_only=unread_only, limit=limit, offset=offset
    )
    return NotificationPage(
        items=[NotificationRead.model_validate(n) for n in items],
        total=total,
        unread_count=unread,
        limit=limit,
        offset=offset,
    )


@router.post("/mark-all-read", response_model=MarkAllReadResult)
@viewer_allowed
def mark_all_read(session: SessionDep) -> MarkAllReadResult:
    return MarkAllReadResult(updated=notification_service.mark_all_read(session))


@router.patch("/{notification_id}", response_model=NotificationRead)
@viewer_allowed
def update_notification(notification_id: int, data: NotificationUpdate, session: SessionDep) -> NotificationRead:
    notification = notification_service.set_read(session, notification_id=notification_id, is_read=data.is_read)
    return NotificationRead.model_validate(notification)
