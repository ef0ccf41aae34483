from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class SystemSetting(Base):
    """Key/value settings. Secret keys (see app.core.secret_fields) hold
    ``encrypted:`` values bound to ``system_settings:<key>``; the others hold JSON."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"SystemSetting(key={self.key!r}, value=***)"
