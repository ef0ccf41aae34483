from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.models.types import EncryptedText


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(10))
    rtsp_url: Mapped[str | None] = mapped_column(Text, default=None)
    username: Mapped[str | None] = mapped_column(String(255), default=None)
    # encrypted:<token> bound to "cameras.password:<id>"
    password: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    device_index: Mapped[int | None] = mapped_column(Integer, default=None)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # The last connection test: {"success", "error_code", "message", "at", "codecs", "resolution"}.
    last_test: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # When the stored snapshot (camera_snapshots) was taken; None when there is none.
    snapshot_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    def __repr__(self) -> str:
        return f"Camera(id={self.id!r}, name={self.name!r}, type={self.type!r}, password=***)"


class CameraSnapshot(Base):
    """The frame grabbed by the last successful test, encrypted like an event
    image: AES-GCM ``data``, its key ``encrypted:`` in ``data_key`` bound to
    ``camera_snapshots.data_key:<camera_id>``."""

    __tablename__ = "camera_snapshots"

    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    data_key: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"CameraSnapshot(camera_id={self.camera_id!r}, data=***)"
