"""Webhook delivery log schemas. A log row never holds a secret: the URL is
masked, no header is kept, the response body is redacted and cut to 200
characters."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.types import UtcDatetime

DeliveryStatus = Literal["pending", "delivered", "failed"]


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
    test: bool = Field(description='An attempt made by "Send test" (it has no delivery: nothing to resend).')
    delivery_status: DeliveryStatus | None = Field(
        description="The status of this attempt's delivery now (null for a test send or a deleted delivery)."
    )
    can_resend: bool = Field(
        description="Whether POST /api/v1/webhooks/deliveries/{delivery_id}/resend would queue the delivery again "
        "(its delivery failed)."
    )
    created_at: UtcDatetime


class WebhookLogPage(BaseModel):
    items: list[WebhookLogRead]
    total: int
    limit: int
    offset: int


class DeliveryResent(BaseModel):
    """A failed delivery queued again."""

    delivery_id: int
    status: Literal["pending"]
