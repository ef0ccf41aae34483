"""Event schemas: what a camera pipeline posts and what the API answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas.types import Id, InputModel, InputTimestamp, UtcDatetime, as_utc

__all__ = ["UtcDatetime", "as_utc"]

MAX_DESCRIPTION = 5000
MAX_OBJECTS = 50
MAX_OBJECT_LENGTH = 64


def to_naive_utc(value: datetime) -> datetime:
    """Incoming datetimes: aware ones are converted to UTC, naive ones are taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def normalize_labels(values: list[str], *, what: str) -> list[str]:
    """Strip, lower-case and de-duplicate object labels, keeping their order."""
    seen: list[str] = []
    for raw in values:
        label = raw.strip().lower()
        if not label:
            raise ValueError(f"{what} must not contain empty names")
        if len(label) > MAX_OBJECT_LENGTH:
            raise ValueError(f"{what} entries are at most {MAX_OBJECT_LENGTH} characters")
        if label not in seen:
            seen.append(label)
    return seen


class EventBase(BaseModel):
    camera_id: Id
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    objects_detected: list[str] = Field(default_factory=list, max_length=MAX_OBJECTS)
    confidence: int = Field(ge=0, le=100)
    timestamp: InputTimestamp | None = None


class EventCreate(EventBase, InputModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("objects_detected")
    @classmethod
    def _objects(cls, value: list[str]) -> list[str]:
        return normalize_labels(value, what="objects_detected")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None

    @field_validator("timestamp")
    @classmethod
    def _timestamp(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_naive_utc(value)


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    camera_id: int | None
    description: str
    objects_detected: list[str]
    confidence: int
    timestamp: UtcDatetime
    ai_provider: str | None
    created_at: UtcDatetime
    # Set when an image came without a description and no AI provider could
    # describe it: the event is stored (and rules evaluated) without one.
    description_error: str | None = None
    # Set when the event fired no rule on purpose (its camera is disabled).
    rules_skipped: str | None = None


class EventCreated(EventRead):
    """The answer to ``POST /api/v1/events``."""

    triggered_rules: list[int]


class AIAttemptRead(BaseModel):
    provider: str
    outcome: str
    message: str


class FiredRuleRead(BaseModel):
    id: int
    name: str | None = Field(description="null when the rule was deleted since")


class DeliveryAttemptRead(BaseModel):
    success: bool
    status_code: int | None
    error: str | None
    at: UtcDatetime


class EventDeliveryRead(BaseModel):
    id: int
    rule_id: int
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_error: str | None
    next_attempt_at: UtcDatetime | None = Field(description="when it is tried again (pending only)")
    last_attempt: DeliveryAttemptRead | None


class EventDetailRead(EventRead):
    """``GET /api/v1/events/{id}``: the event and what it led to."""

    camera_name: str | None
    has_image: bool
    image_url: str | None = Field(description="the image, for signed-in users (GET)")
    ai_attempts: list[AIAttemptRead]
    rules: list[FiredRuleRead]
    deliveries: list[EventDeliveryRead]

    @classmethod
    def of(cls, detail: Any) -> EventDetailRead:
        """From ``event_service.EventDetail``."""
        event = detail.event
        deliveries = []
        for delivery in detail.deliveries:
            log = detail.last_attempts.get(delivery.id)
            last = (
                DeliveryAttemptRead(
                    success=log.success, status_code=log.status_code, error=log.error, at=log.created_at
                )
                if log is not None
                else None
            )
            deliveries.append(
                EventDeliveryRead(
                    id=delivery.id,
                    rule_id=delivery.rule_id,
                    status=delivery.status,
                    attempts=delivery.attempts,
                    last_error=delivery.last_error,
                    next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
                    last_attempt=last,
                )
            )
        return cls(
            **EventRead.model_validate(event).model_dump(),
            camera_name=detail.camera_name,
            has_image=detail.has_image,
            image_url=f"/api/v1/events/{event.id}/image" if detail.has_image else None,
            ai_attempts=[AIAttemptRead.model_validate(a) for a in event.ai_attempts or []],
            rules=[FiredRuleRead(id=rule_id, name=name) for rule_id, name in detail.rules],
            deliveries=deliveries,
        )


class EventPage(BaseModel):
    items: list[EventRead]
    total: int
    limit: int
    offset: int
