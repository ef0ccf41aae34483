from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class AppMeta(Base):
    """Internal key/value facts about the database (e.g. the encryption key check,
    under the key ``app.core.encryption.KEY_CHECK``)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
