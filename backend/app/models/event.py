from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), index=True, default=None
    )
    description: Mapped[str] = mapped_column(Text, default="")
    objects_detected: Mapped[list[Any]] = mapped_column(JSON, default=list)
    confidence: Mapped[int] = mapped_column(Integer, default=0)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ai_provider: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Why an image came without a description (no provider could write one),
    # and each provider's attempt: [{"provider", "outcome", "message"}].
    description_error: Mapped[str | None] = mapped_column(Text, default=None)
    ai_attempts: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    # The ids of the rules the event fired when it came in, or why it fired none.
    triggered_rules: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    rules_skipped: Mapped[str | None] = mapped_column(Text, default=None)


class EventImage(Base):
    """The image an event came with, encrypted (see ``encryption.seal_blob``):
    ``data`` is AES-GCM ciphertext, ``data_key`` its key as an ``encrypted:``
    value bound to ``event_images.data_key:<event_id>``."""

    __tablename__ = "event_images"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(20))
    data_key: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"EventImage(event_id={self.event_id!r}, media_type={self.media_type!r}, data=***)"
