"""The alert engine: :func:`run_engine` evaluates every enabled rule against a
stored event. A rule matches when every condition it sets holds:

* ``object_types``: any of them was detected (case-insensitive);
* ``cameras``: the event's camera is one of them;
* ``min_confidence``: the event's confidence is at least this;
* ``time_window``: the event's local time of day is in ``[start, end)``; a
  window whose end is before its start wraps midnight;
* ``days_of_week``: the event's local weekday (0 = Monday) is one of them;
* ``keywords``: any of them occurs in the description (case-insensitive).

"Local" is the server's time zone (``TZ``), unless a ``tz`` is passed.

Cooldown: a matching rule fires only if it did not fire in the last
``cooldown_minutes`` (0: every time). The check and the new
``last_triggered_at`` are one conditional ``UPDATE``, so two events processed
at the same time cannot both pass it (SQLite serialises writers; PostgreSQL
re-checks the condition after waiting on the row lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from app.core.db import core_table, utcnow
from app.models.alert_rule import AlertRule, RuleActions
from app.models.camera import Camera
from app.models.event import Event
from app.models.notification import Notification
from app.schemas.alert_rule import AlertConditions
from app.services.alerts.rules import load_conditions
from app.services.webhooks import queue

# -- matching ----------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledConditions:
    object_types: frozenset[str] | None
    cameras: frozenset[int] | None
    min_confidence: int | None
    window: tuple[int, int] | None  # minutes since midnight: [start, end)
    days: frozenset[int] | None
    keywords: tuple[str, ...] | None


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def compile_conditions(conditions: AlertConditions) -> CompiledConditions:
    window = None
    if conditions.time_window is not None:
        window = (_minutes(conditions.time_window.start), _minutes(conditions.time_window.end))
    return CompiledConditions(
        object_types=frozenset(conditions.object_types) if conditions.object_types else None,
        cameras=frozenset(conditions.cameras) if conditions.cameras else None,
        min_confidence=conditions.min_confidence,
        window=window,
        days=frozenset(conditions.days_of_week) if conditions.days_of_week else None,
        keywords=tuple(k.lower() for k in conditions.keywords) if conditions.keywords else None,
    )


@lru_cache(maxsize=1024)
def _compiled_from_json(text: str) -> CompiledConditions | None:
    try:
        return compile_conditions(load_conditions(text))
    except ValueError:
        return None


def in_window(minute_of_day: int, window: tuple[int, int]) -> bool:
    start, end = window
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end  # wraps midnight


def local_time(timestamp: datetime, tz: tzinfo | None = None) -> datetime:
    """A stored (naive UTC) timestamp in ``tz``, or in the server's time zone."""
    aware = timestamp.replace(tzinfo=UTC) if timestamp.tzinfo is None else timestamp
    return aware.astimezone(tz)


def matches(
    conditions: CompiledConditions,
    *,
    camera_id: int | None,
    objects: list[str],
    confidence: int,
    description: str,
    when: datetime,
) -> bool:
    """Whether an event matches. ``when`` is the event's local time."""
    if conditions.object_types is not None:
        if not conditions.object_types.intersection(o.lower() for o in objects):
            return False
    if conditions.cameras is not None and camera_id not in conditions.cameras:
        return False
    if conditions.min_confidence is not None and confidence < conditions.min_confidence:
        return False
    if conditions.days is not None and when.weekday() not in conditions.days:
        return False
    if conditions.window is not None and not in_window(when.hour * 60 + when.minute, conditions.window):
        return False
    if conditions.keywords is not None:
        text = (description or "").lower()
        if not any(keyword in text for keyword in conditions.keywords):
            return False
    return True


# -- the engine --------------------------------------------------------------------


@dataclass(frozen=True)
class EngineResult:
    triggered_rules: list[int]
    webhooks_queued: int
    notifications: int


# Built once: ingest runs these for every event.
_T = core_table(AlertRule)
_SELECT_ENABLED = (
    select(_T.c.id, _T.c.name, _T.c.conditions, _T.c.actions, _T.c.cooldown_minutes, _T.c.last_triggered_at)
    .where(_T.c.is_enabled.is_(True))
    .order_by(_T.c.id)
)
# updated_at is set to itself so that firing does not count as editing the rule
_FIRE = (
    update(_T)
    .where(_T.c.id == bindparam("rule_id"), _T.c.is_enabled.is_(True))
    .values(last_triggered_at=bindparam("fired_at"), updated_at=_T.c.updated_at)
)
_FIRE_AFTER_COOLDOWN = _FIRE.where(or_(_T.c.last_triggered_at.is_(None), _T.c.last_triggered_at <= bindparam("cutoff")))
_INSERT_NOTIFICATION = insert(core_table(Notification))


# A rule without a cooldown that fired this recently is not written again: under
# a burst of events every ingest would otherwise wait on the same row's lock.
LAST_TRIGGERED_RESOLUTION = timedelta(seconds=1)


def _claim_cooldown(
    session: Session, *, rule_id: int, cooldown_minutes: int, last_triggered_at: datetime | None, now: datetime
) -> bool:
    """Set ``last_triggered_at`` if the rule is past its cooldown, atomically:
    the check is the ``WHERE`` of the ``UPDATE`` that marks the rule fired.

    ``last_triggered_at`` as read with the rule spares the ``UPDATE`` (and its
    row lock) when the answer is already known: still inside the cooldown, or
    no cooldown and marked fired less than a second ago."""
    if last_triggered_at is not None:
        if cooldown_minutes > 0 and last_triggered_at > now - timedelta(minutes=cooldown_minutes):
            return False
        if cooldown_minutes <= 0 and now - last_triggered_at < LAST_TRIGGERED_RESOLUTION:
            return True
    conn = session.connection()  # plain Core statements: no ORM bookkeeping needed
    if cooldown_minutes > 0:
        cutoff = now - timedelta(minutes=cooldown_minutes)
        result = conn.execute(_FIRE_AFTER_COOLDOWN, {"rule_id": rule_id, "fired_at": now, "cutoff": cutoff})
    else:
        result = conn.execute(_FIRE, {"rule_id": rule_id, "fired_at": now})
    return bool(getattr(result, "rowcount", 0) == 1)


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def build_payload(
    *, event: Event, rule_id: int, rule_name: str, camera_name: str | None, now: datetime
) -> dict[str, Any]:
    """The webhook body: the event and the rule's name. Holds no secret."""
    return {
        "type": "alert.triggered",
        "rule_id": rule_id,
        "rule_name": rule_name,
        "triggered_at": _iso(now),
        "event": {
            "id": event.id,
            "camera_id": event.camera_id,
            "camera_name": camera_name,
            "description": event.description,
            "objects_detected": list(event.objects_detected or []),
            "confidence": event.confidence,
            "timestamp": _iso(event.timestamp),
            "ai_provider": event.ai_provider,
        },
    }


def _notification_text(event: Event, rule_name: str, camera_name: str | None) -> tuple[str, str]:
    where = camera_name or (f"camera {event.camera_id}" if event.camera_id else "a camera")
    if event.description:
        message = f"{where}: {event.description}"
    else:
        objects = ", ".join(event.objects_detected or []) or "activity"
        message = f"{objects.capitalize()} detected on {where}."
    return rule_name[:200], message[:2000]


_NO_CAMERA = object()


def _camera_name(session: Session, event: Event) -> str | None:
    if event.camera_id is None:
        return None
    return session.execute(select(Camera.name).where(Camera.id == event.camera_id)).scalar()


def _fire(session: Session, rule: Any, *, event: Event, camera_name: str | None, now: datetime) -> tuple[int, int]:
    """Run a fired rule's actions in the caller's transaction: (notifications, webhooks queued)."""
    actions = RuleActions.from_json(rule.actions)
    notified = queued = 0
    if actions.dashboard_notification:
        title, message = _notification_text(event, rule.name, camera_name)
        session.connection().execute(
            _INSERT_NOTIFICATION,
            {
                "rule_id": rule.id,
                "event_id": event.id,
                "title": title,
                "message": message,
                "is_read": False,
                "created_at": now,
            },
        )
        notified = 1
    if actions.sendable_webhook is not None:
        payload = build_payload(event=event, rule_id=rule.id, rule_name=rule.name, camera_name=camera_name, now=now)
        queue.enqueue(session, rule_id=rule.id, event_id=event.id, payload=payload, now=now)
        queued = 1
    return notified, queued


def run_engine(
    session: Session,
    *,
    event: Event,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    camera_name: str | object | None = _NO_CAMERA,
) -> EngineResult:
    """Evaluate every enabled rule against ``event`` (already flushed).

    Creates notifications and queues webhook deliveries in the caller's
    transaction; sends nothing. ``camera_name`` saves a query when the caller
    already has it.
    """
    now = now or utcnow()
    rules = session.connection().execute(_SELECT_ENABLED).all()
    if not rules:
        return EngineResult(triggered_rules=[], webhooks_queued=0, notifications=0)
    when = local_time(event.timestamp, tz)
    objects = list(event.objects_detected or [])
    triggered: list[int] = []
    queued = 0
    notified = 0
    for rule in rules:
        compiled = _compiled_from_json(rule.conditions or "{}")
        if compiled is None:
            continue
        if not matches(
            compiled,
            camera_id=event.camera_id,
            objects=objects,
            confidence=event.confidence,
            description=event.description,
            when=when,
        ):
            continue
        if not _claim_cooldown(
            session,
            rule_id=rule.id,
            cooldown_minutes=rule.cooldown_minutes,
            last_triggered_at=rule.last_triggered_at,
            now=now,
        ):
            continue
        triggered.append(rule.id)
        if camera_name is _NO_CAMERA:
            camera_name = _camera_name(session, event)
        name = camera_name if isinstance(camera_name, str) else None
        rule_notified, rule_queued = _fire(session, rule, event=event, camera_name=name, now=now)
        notified += rule_notified
        queued += rule_queued
    return EngineResult(triggered_rules=triggered, webhooks_queued=queued, notifications=notified)
