"""Dashboard notifications: list (unread first, newest first), mark read."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.errors import NotFoundError
from app.models.notification import Notification


def list_notifications(
    session: Session, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[Notification], int, int]:
    """``(items, total, unread_count)``; ``total`` counts what the filter selects."""
    conditions = [Notification.is_read.is_(False)] if unread_only else []
    total = session.execute(select(func.count(Notification.id)).where(*conditions)).scalar_one()
    unread = session.execute(select(func.count(Notification.id)).where(Notification.is_read.is_(False))).scalar_one()
    items = session.scalars(
        select(Notification)
        .where(*conditions)
        .order_by(Notification.is_read.asc(), Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), int(total), int(unread)


def set_read(session: Session, *, notification_id: int, is_read: bool) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None:
        raise NotFoundError(f"Notification {notification_id} not found.")
    notification.is_read = is_read
    session.flush()
    return notification


def mark_all_read(session: Session) -> int:
    result = session.execute(update(Notification).where(Notification.is_read.is_(False)).values(is_read=True))
    return int(getattr(result, "rowcount", 0) or 0)
