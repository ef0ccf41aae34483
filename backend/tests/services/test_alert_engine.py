"""The alert engine: condition matching, cooldown (also under concurrency),
disabled rules, and what a firing rule writes."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.models.alert_rule import AlertRule
from app.models.camera import Camera
from app.models.notification import Notification
from app.models.webhook import WebhookDelivery
from app.schemas.alert_rule import AlertConditions, AlertRuleCreate
from app.schemas.event import EventCreate
from app.services import event_service
from app.services.alerts import rules
from app.services.alerts.engine import compile_conditions, in_window, matches
from tests.conftest import run_in_threads

UTC2 = timezone(timedelta(hours=2))


def _match(conditions: dict, **event) -> bool:
    values = {
        "camera_id": 1,
        "objects": ["person"],
        "confidence": 80,
        "description": "A person at the front door",
        "when": datetime(2026, 6, 1, 12, 0),  # a Monday
    }
    values.update(event)
    return matches(compile_conditions(AlertConditions.model_validate(conditions)), **values)


def test_empty_conditions_match_everything() -> None:
    assert _match({})
    assert _match({"object_types": [], "cameras": [], "keywords": []})


def test_object_types_any_of_case_insensitive() -> None:
    assert _match({"object_types": ["car", "Person"]}, objects=["PERSON"])
    assert not _match({"object_types": ["car", "dog"]}, objects=["person", "cat"])
    assert not _match({"object_types": ["person"]}, objects=[])


def test_cameras_any_of() -> None:
    assert _match({"cameras": [1, 3]}, camera_id=3)
    assert not _match({"cameras": [1, 3]}, camera_id=2)


def test_min_confidence_is_inclusive() -> None:
    assert _match({"min_confidence": 70}, confidence=70)
    assert not _match({"min_confidence": 70}, confidence=69)


@pytest.mark.parametrize(
    ("start", "end", "hhmm", "expected"),
    [
        ("08:00", "17:00", "08:00", True),  # start included
        ("08:00", "17:00", "16:59", True),
        ("08:00", "17:00", "17:00", False),  # end excluded
        ("08:00", "17:00", "07:59", False),
        ("22:00", "06:00", "22:00", True),  # wraps midnight
        ("22:00", "06:00", "23:59", True),
        ("22:00", "06:00", "00:00", True),
        ("22:00", "06:00", "05:59", True),
        ("22:00", "06:00", "06:00", False),
        ("22:00", "06:00", "12:00", False),
        ("22:00", "06:00", "21:59", False),
    ],
)
def test_time_window(start: str, end: str, hhmm: str, expected: bool) -> None:
    hour, minute = map(int, hhmm.split(":"))
    when = datetime(2026, 6, 1, hour, minute)
    assert _match({"time_window": {"start": start, "end": end}}, when=when) is expected
    assert in_window(hour * 60 + minute, (int(start[:2]) * 60 + int(start[3:]), int(end[:2]) * 60 + int(end[3:]))) is (
        expected
    )


def test_days_of_week_zero_is_monday() -> None:
    monday = datetime(2026, 6, 1, 12, 0)
    sunday = datetime(2026, 6, 7, 12, 0)
    assert monday.weekday() == 0
    assert _match({"days_of_week": [0]}, when=monday)
    assert not _match({"days_of_week": [0]}, when=sunday)
    assert _match({"days_of_week": [5, 6]}, when=sunday)


def test_keywords_any_of_in_description_case_insensitive() -> None:
    assert _match({"keywords": ["garage", "DOOR"]}, description="Someone at the front door")
    assert not _match({"keywords": ["garage"]}, description="Someone at the front door")
    assert not _match({"keywords": ["door"]}, description="")


def test_all_conditions_must_hold() -> None:
    conditions = {"object_types": ["person"], "cameras": [1], "min_confidence": 50, "keywords": ["door"]}
    assert _match(conditions)
    assert not _match(conditions, camera_id=2)
    assert not _match(conditions, confidence=10)
    assert not _match(conditions, description="a person in the garden")


# -- with the database ---------------------------------------------------------


@pytest.fixture
def camera(db_session) -> Camera:
    cam = Camera(name="Front door", type="rtsp")
    db_session.add(cam)
    db_session.commit()
    return cam


def _rule(session, **values) -> AlertRule:
    data = {"name": "Person", "cooldown_minutes": 0, "conditions": {"object_types": ["person"]}}
    data.update(values)
    rule = rules.create_rule(session, data=AlertRuleCreate.model_validate(data))
    session.commit()
    return rule


def _ingest(session, camera_id: int, **values):
    data = {"camera_id": camera_id, "objects_detected": ["person"], "confidence": 90, "description": "a person"}
    data.update(values)
    tz = data.pop("tz", None)
    now = data.pop("now", None)
    result = event_service.ingest_event(session, data=EventCreate.model_validate(data), tz=tz, now=now)
    session.commit()
    return result


def _count(session, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return int(session.execute(query).scalar_one())


def test_match_creates_notification_and_queues_webhook(db_session, camera) -> None:
    rule = _rule(
        db_session,
        actions={"dashboard_notification": True, "webhook": {"url": "http://127.0.0.1:9/hook/abcdefgh"}},
    )
    result = _ingest(db_session, camera.id)
    assert result.engine.triggered_rules == [rule.id]
    notification = db_session.scalars(select(Notification)).one()
    assert (notification.rule_id, notification.event_id, notification.title) == (rule.id, result.event.id, "Person")
    assert "Front door" in notification.message
    delivery = db_session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.rule_id) == ("pending", 0, rule.id)
    payload = json.loads(delivery.payload)
    assert payload["rule_name"] == "Person"
    assert payload["event"]["id"] == result.event.id
    assert payload["event"]["objects_detected"] == ["person"]
    assert payload["event"]["camera_name"] == "Front door"
    assert "hook" not in delivery.payload  # the URL is never copied into the queue


def test_no_match_writes_nothing(db_session, camera) -> None:
    _rule(db_session, actions={"dashboard_notification": True, "webhook": {"url": "http://127.0.0.1:9/x"}})
    result = _ingest(db_session, camera.id, objects_detected=["car"])
    assert result.engine.triggered_rules == []
    assert _count(db_session, Notification) == 0
    assert _count(db_session, WebhookDelivery) == 0
    assert db_session.get(AlertRule, 1).last_triggered_at is None


def test_disabled_rule_never_fires(db_session, camera) -> None:
    _rule(db_session, is_enabled=False)
    assert _ingest(db_session, camera.id).engine.triggered_rules == []
    assert _count(db_session, Notification) == 0


def test_notification_only_rule_queues_no_webhook(db_session, camera) -> None:
    rule = _rule(db_session)
    assert _ingest(db_session, camera.id).engine.triggered_rules == [rule.id]
    assert _count(db_session, WebhookDelivery) == 0
    assert _count(db_session, Notification) == 1


def test_cooldown(db_session, camera) -> None:
    rule = _rule(db_session, cooldown_minutes=5)
    start = datetime(2026, 6, 1, 12, 0)
    assert _ingest(db_session, camera.id, now=start).engine.triggered_rules == [rule.id]
    assert _ingest(db_session, camera.id, now=start + timedelta(minutes=4, seconds=59)).engine.triggered_rules == []
    assert _ingest(db_session, camera.id, now=start + timedelta(minutes=5)).engine.triggered_rules == [rule.id]
    assert _count(db_session, Notification) == 2
    db_session.expire_all()
    assert db_session.get(AlertRule, rule.id).last_triggered_at == start + timedelta(minutes=5)


def test_cooldown_zero_fires_every_time(db_session, camera) -> None:
    rule = _rule(db_session, cooldown_minutes=0)
    now = datetime(2026, 6, 1, 12, 0)
    for _ in range(3):
        assert _ingest(db_session, camera.id, now=now).engine.triggered_rules == [rule.id]
    assert _count(db_session, Notification) == 3


def test_a_burst_does_not_rewrite_the_rule_for_every_event(db_session, camera) -> None:
    """Without a cooldown, last_triggered_at is written at most once a second:
    a burst of events does not queue every ingest on the rule's row lock."""
    rule = _rule(db_session, cooldown_minutes=0)
    start = datetime(2026, 6, 1, 12, 0)

    def fired_at() -> datetime:
        db_session.expire_all()
        return db_session.get(AlertRule, rule.id).last_triggered_at

    for offset in (0, 300, 999):
        assert _ingest(db_session, camera.id, now=start + timedelta(milliseconds=offset)).engine.triggered_rules == [
            rule.id
        ]
    assert fired_at() == start
    later = start + timedelta(seconds=1)
    assert _ingest(db_session, camera.id, now=later).engine.triggered_rules == [rule.id]
    assert fired_at() == later
    assert _count(db_session, Notification) == 4


def test_cooldown_is_per_rule(db_session, camera) -> None:
    first = _rule(db_session, name="A", cooldown_minutes=10)
    second = _rule(db_session, name="B", cooldown_minutes=10, conditions={})
    now = datetime(2026, 6, 1, 12, 0)
    assert _ingest(db_session, camera.id, now=now).engine.triggered_rules == [first.id, second.id]
    # "B" matches a car, "A" does not; A's cooldown does not hold B back and vice versa
    assert _ingest(db_session, camera.id, now=now, objects_detected=["car"]).engine.triggered_rules == []
    third = _rule(db_session, name="C", cooldown_minutes=10)
    assert _ingest(db_session, camera.id, now=now + timedelta(minutes=1)).engine.triggered_rules == [third.id]


def test_firing_does_not_change_updated_at(db_session, camera) -> None:
    rule = _rule(db_session)
    before = rule.updated_at
    _ingest(db_session, camera.id)
    db_session.expire_all()
    assert db_session.get(AlertRule, rule.id).updated_at == before


def test_time_window_uses_local_time_of_the_event(db_session, camera) -> None:
    rule = _rule(db_session, conditions={"time_window": {"start": "22:00", "end": "06:00"}, "days_of_week": [0]})
    # 21:30 UTC on Monday 1 June 2026 is 23:30 in UTC+2: inside the window, still Monday
    inside = _ingest(db_session, camera.id, timestamp="2026-06-01T21:30:00Z", tz=UTC2)
    assert inside.engine.triggered_rules == [rule.id]
    # 19:30 UTC is 21:30 in UTC+2: before the window
    before = _ingest(db_session, camera.id, timestamp="2026-06-01T19:30:00Z", tz=UTC2)
    assert before.engine.triggered_rules == []
    # 22:30 UTC Monday is 00:30 Tuesday in UTC+2: in the window but not on Monday
    tuesday = _ingest(db_session, camera.id, timestamp="2026-06-01T22:30:00Z", tz=UTC2)
    assert tuesday.engine.triggered_rules == []
    # the same instant written with an offset is the same event time
    offset = _ingest(db_session, camera.id, timestamp="2026-06-01T23:30:00+02:00", tz=UTC2)
    assert offset.engine.triggered_rules == [rule.id]


def test_unreadable_stored_conditions_never_match(db_session, camera) -> None:
    db_session.add(AlertRule(name="legacy", conditions='{"object_types": "not-a-list"}', actions="{}"))
    db_session.commit()
    assert _ingest(db_session, camera.id).engine.triggered_rules == []


def test_cooldown_is_safe_under_concurrent_events(app, camera) -> None:
    """Eight events processed at the same moment in eight transactions: a rule
    with a cooldown fires exactly once."""
    session = app.state.session_factory()
    rule = _rule(session, cooldown_minutes=10)
    session.close()
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def ingest() -> None:
        s = app.state.session_factory()
        try:
            barrier.wait()
            results.append(_ingest(s, camera.id).engine.triggered_rules)
        except BaseException as exc:
            errors.append(exc)
        finally:
            s.close()

    run_in_threads(ingest, workers)
    assert not errors
    assert sorted(results, key=len) == [[]] * (workers - 1) + [[rule.id]]
    check = app.state.session_factory()
    assert _count(check, Notification) == 1
    check.close()
