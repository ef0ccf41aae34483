from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.jsontext import dumps_compact, loads_object

logger = logging.getLogger("app.alerts")


class AlertRule(Base):
    """An alert rule. ``conditions`` and ``actions`` are JSON text; ``actions``
    is read and written only through :class:`RuleActions`."""

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


class StoredWebhook(BaseModel):
    """A rule's webhook as stored in ``alert_rules.actions``: secrets encrypted.

    Stored form::

        {"url": "encrypted:...",                      # alert_rules.webhook_url:<id>
         "origin": "https://hooks.example.com",       # plain: scheme://host[:port]
         "headers": {"Authorization": "encrypted:...", # alert_rules.webhook_header.<name lower>:<id>
                     "Content-Type": "application/json"},
         "secret_headers": ["X-Custom"],              # secret whatever the name
         "plain_headers": ["X-Title"],                # optional: marked plain by the user
         "signing_secret": "encrypted:..."}           # optional; alert_rules.webhook_signing_secret:<id>

    ``origin`` is not secret (responses show it); rows without it (e.g. from the
    encrypting migration) still work. ``signing_secret`` is a Standard Webhooks
    ``whsec_...`` secret. Contexts: ``app.core.secret_fields``. A header value is
    encrypted when its name is secret (see ``secret_fields.is_secret_header``);
    values stored before a name became secret may still be plain.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    url: str = Field(default="", repr=False)
    origin: str | None = None
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    secret_headers: list[str] = Field(default_factory=list)
    plain_headers: list[str] = Field(default_factory=list)
    signing_secret: str | None = Field(default=None, repr=False)

    @field_validator("headers", mode="before")
    @classmethod
    def _no_headers(cls, value: Any) -> Any:
        return value or {}

    @field_validator("secret_headers", "plain_headers", mode="before")
    @classmethod
    def _no_names(cls, value: Any) -> Any:
        return value or []

    @field_validator("origin", "signing_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None

    def to_stored(self) -> dict[str, Any]:
        """The JSON object stored under ``actions.webhook``."""
        stored: dict[str, Any] = {"url": self.url}
        if self.origin is not None:
            stored["origin"] = self.origin
        stored["headers"] = dict(self.headers)
        stored["secret_headers"] = list(self.secret_headers)
        if self.plain_headers:
            stored["plain_headers"] = list(self.plain_headers)
        if self.signing_secret:
            stored["signing_secret"] = self.signing_secret
        return stored


class RuleActions(BaseModel):
    """``alert_rules.actions``: ``{"dashboard_notification": bool, "webhook": {...} | null}``."""

    model_config = ConfigDict(frozen=True)

    dashboard_notification: bool = False
    webhook: StoredWebhook | None = None

    @classmethod
    def from_json(cls, text: str | None) -> RuleActions:
        """Read stored actions. Unreadable text holds no action; a webhook this
        version cannot read is logged and counts as none."""
        raw = loads_object(text)
        webhook = raw.get("webhook")
        parsed: StoredWebhook | None = None
        if isinstance(webhook, dict) and webhook:
            try:
                parsed = StoredWebhook.model_validate(webhook)
            except ValidationError:
                logger.warning("A rule's stored webhook cannot be read; it is ignored")
        return cls(dashboard_notification=bool(raw.get("dashboard_notification", False)), webhook=parsed)

    def to_json(self) -> str:
        """The stored text (compact JSON)."""
        webhook = self.webhook.to_stored() if self.webhook is not None else None
        return dumps_compact({"dashboard_notification": self.dashboard_notification, "webhook": webhook})

    @property
    def sendable_webhook(self) -> StoredWebhook | None:
        """The webhook, if it has a URL to send to."""
        return self.webhook if self.webhook is not None and self.webhook.url else None
