"""Events: store an incoming camera event and run the alert engine on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.models.camera import Camera
from app.models.event import Event
from app.schemas.event import EventCreate
from app.services.alerts.engine import EngineResult, run_engine


@dataclass(frozen=True)
class IngestResult:
    event: Event
    engine: EngineResult


def ingest_event(
    session: Session,
    *,
    data: EventCreate,
    description: str | None = None,
    ai_provider: str | None = None,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> IngestResult:
    """Store the event and evaluate the rules in the caller's transaction.

    ``description``/``ai_provider`` override the posted ones (an AI-written
    description). Webhooks are only queued: sending happens in the worker.
    """
    camera = session.execute(select(Camera.id, Camera.name).where(Camera.id == data.camera_id)).first()
    if camera is None:
        message = f"Camera {data.camera_id} does not exist."
        raise ValidationFailed(message, code="unknown_camera", errors=[{"field": "camera_id", "message": message}])
    now = now or utcnow()
    event = Event(
        camera_id=data.camera_id,
        description=(description if description is not None else data.description) or "",
        objects_detected=list(data.objects_detected),
        confidence=data.confidence,
        timestamp=data.timestamp or now,
        ai_provider=ai_provider,
        created_at=now,
    )
    session.add(event)
    session.flush()
    engine = run_engine(session, event=event, now=now, tz=tz, camera_name=camera.name)
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
