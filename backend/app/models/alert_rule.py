from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class AlertRule(Base):
    """An alert rule. ``conditions`` and ``actions`` are JSON text.

    Stored ``actions``::

        {"dashboard_notification": bool,
         "webhook": {"url": "encrypted:...",                      # alert_rules.webhook_url:<id>
                     "headers": {"Authorization": "encrypted:...", # alert_rules.webhook_header.<name lower>:<id>
                                 "Content-Type": "application/json"},
                     "secret_headers": ["X-Custom"],                # optional: secret whatever the name
                     "plain_headers": ["X-Title"],                  # optional: marked plain by the user
                     "origin": "https://hooks.example.com",          # optional, plain: scheme://host[:port]
                     "signing_secret": "encrypted:..."} | null}      # optional; alert_rules.webhook_signing_secret:<id>

    ``origin`` is not secret (responses show it); rows without it (e.g. from the
    encrypting migration) still work. ``signing_secret`` is a Standard Webhooks
    ``whsec_...`` secret, context ``secret_fields.webhook_signing_secret_context``.
    """

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[str] = mapped_column(Text, default="{}")
    actions: Mapped[str] = mapped_column(Text, default="{}")
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=5)
    last_triggered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"AlertRule(id={self.id!r}, name={self.name!r}, actions=***)"
