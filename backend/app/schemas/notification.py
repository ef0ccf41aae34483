"""Dashboard notification schemas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.schemas.types import InputModel, UtcDatetime


class NotificationBase(BaseModel):
    title: str
    message: str


class NotificationRead(NotificationBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int | None
    event_id: int | None
    is_read: bool
    created_at: UtcDatetime


class NotificationUpdate(InputModel):
    model_config = ConfigDict(extra="forbid")

    is_read: bool


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    total: int
    unread_count: int
    limit: int
    offset: int


class MarkAllReadResult(BaseModel):
    updated: int
