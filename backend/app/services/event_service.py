"""Events: store an incoming camera event (with its image, encrypted) and run
the alert engine on it; open one event with what it led to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.encryption import open_blob, seal_blob
from app.core.errors import NotFoundError, ValidationFailed
from app.core.secret_fields import event_image_key_context
from app.models.alert_rule import AlertRule
from app.models.camera import Camera
from app.models.event import Event, EventImage
from app.models.webhook import WebhookDelivery, WebhookLog
from app.schemas.event import EventCreate
from app.services.alerts.engine import EngineResult, run_engine


@dataclass(frozen=True)
class IngestResult:
    event: Event
    engine: EngineResult


DISABLED_CAMERA = "The camera is disabled: the event is stored but fires no rule."


@dataclass(frozen=True)
class AIOutcome:
    """What the AI service made of an event's image."""

    description: str | None = None
    provider: str | None = None
    error: str | None = None
    attempts: list[dict[str, str]] | None = None


@dataclass(frozen=True)
class IncomingImage:
    data: bytes
    media_type: str


def ingest_event(
    session: Session,
    *,
    data: EventCreate,
    ai: AIOutcome | None = None,
    image: IncomingImage | None = None,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> IngestResult:
    """Store the event (and its image, encrypted) and evaluate the rules in the
    caller's transaction.

    ``ai`` carries an AI-written description (it overrides the posted one), or
    why there is none. Webhooks are only queued: sending happens in the worker.
    """
    ai = ai or AIOutcome()
    camera = session.execute(
        select(Camera.id, Camera.name, Camera.is_enabled).where(Camera.id == data.camera_id)
    ).first()
    if camera is None:
        message = f"Camera {data.camera_id} does not exist."
        raise ValidationFailed(message, code="unknown_camera", errors=[{"field": "camera_id", "message": message}])
    now = now or utcnow()
    event = Event(
        camera_id=data.camera_id,
        description=(ai.description if ai.description is not None else data.description) or "",
        objects_detected=list(data.objects_detected),
        confidence=data.confidence,
        timestamp=data.timestamp or now,
        ai_provider=ai.provider,
        created_at=now,
        description_error=ai.error,
        ai_attempts=ai.attempts,
    )
    session.add(event)
    session.flush()
    if image is not None:
        data_key, sealed = seal_blob(image.data, context=event_image_key_context(event.id))
        session.add(EventImage(event_id=event.id, media_type=image.media_type, data_key=data_key, data=sealed))
    if camera.is_enabled:
        engine = run_engine(session, event=event, now=now, tz=tz, camera_name=camera.name)
    else:
        engine = EngineResult(triggered_rules=[], webhooks_queued=0, notifications=0)
        event.rules_skipped = DISABLED_CAMERA
    event.triggered_rules = list(engine.triggered_rules)
    return IngestResult(event=event, engine=engine)


def list_events(
    session: Session,
    *,
    camera_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Event], int]:
    """Newest first (by event time). ``since`` inclusive, ``until`` exclusive."""
    conditions = []
    if camera_id is not None:
        conditions.append(Event.camera_id == camera_id)
    if since is not None:
        conditions.append(Event.timestamp >= since)
    if until is not None:
        conditions.append(Event.timestamp < until)
    total = session.execute(select(func.count(Event.id)).where(*conditions)).scalar_one()
    items = session.scalars(
        select(Event).where(*conditions).order_by(Event.timestamp.desc(), Event.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(items), int(total)


# -- one event, opened ------------------------------------------------------------------


@dataclass(frozen=True)
class EventDetail:
    event: Event
    camera_name: str | None
    has_image: bool
    rules: list[tuple[int, str | None]]  # (id, name): name None when the rule was deleted since
    deliveries: list[WebhookDelivery]
    last_attempts: dict[int, WebhookLog]  # delivery id -> its latest attempt


def get_event(session: Session, event_id: int) -> EventDetail:
    """The event with what the detail view shows. Raises :class:`NotFoundError`."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"Event {event_id} does not exist.")
    camera_name = session.scalar(select(Camera.name).where(Camera.id == event.camera_id)) if event.camera_id else None
    has_image = session.scalar(select(func.count()).where(EventImage.event_id == event_id)) == 1
    rule_ids = [int(i) for i in event.triggered_rules or []]
    names = {
        row.id: row.name
        for row in session.execute(select(AlertRule.id, AlertRule.name).where(AlertRule.id.in_(rule_ids)))
    }
    deliveries = list(
        session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event_id).order_by(WebhookDelivery.id)
        )
    )
    last_attempts: dict[int, WebhookLog] = {}
    if deliveries:
        logs = session.scalars(
            select(WebhookLog)
            .where(WebhookLog.delivery_id.in_([d.id for d in deliveries]))
            .order_by(WebhookLog.delivery_id, WebhookLog.id)
        )
        for log in logs:
            if log.delivery_id is not None:
                last_attempts[log.delivery_id] = log
    return EventDetail(
        event=event,
        camera_name=camera_name,
        has_image=has_image,
        rules=[(rule_id, names.get(rule_id)) for rule_id in rule_ids],
        deliveries=deliveries,
        last_attempts=last_attempts,
    )


def get_event_image(session: Session, event_id: int) -> IncomingImage:
    """The event's image, decrypted for this answer. Raises :class:`NotFoundError`
    when the event has none, and ``DecryptionError`` when it cannot be opened."""
    row = session.get(EventImage, event_id)
    if row is None:
        raise NotFoundError(f"Event {event_id} has no image.")
    return IncomingImage(open_blob(row.data_key, row.data, context=event_image_key_context(event_id)), row.media_type)
