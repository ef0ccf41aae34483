"""Webhook delivery log schemas. A log row never holds a secret: the URL is
masked, no header is kept, the response body is redacted and cut to 200
characters."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.schemas.types import UtcDatetime


class WebhookLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int | None
    event_id: int | None
    delivery_id: int | None
    url: str
    attempt: int
    status_code: int | None
    success: bool
    duration_ms: int
    error: str | None
    response_body: str | None
    created_at: UtcDatetime


class WebhookLogPage(BaseModel):
    items: list[WebhookLogRead]
    total: int
    limit: int
    offset: int
