from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
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

    def __repr__(self) -> str:
        return f"Camera(id={self.id!r}, name={self.name!r}, type={self.type!r}, password=***)"
