"""The delivery queue and the cooldown on PostgreSQL (needs TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.core import migrations
from app.core.db import make_engine, make_session_factory, utcnow
from app.models.alert_rule import AlertRule
from app.models.camera import Camera
from app.models.notification import Notification
from app.models.webhook import WebhookDelivery
from app.schemas.event import EventCreate
from app.services import event_service
from app.services.webhooks.queue import Job, jobs_for, lease_due
from tests.conftest import make_settings, run_in_threads, signed_in
from tests.fakes.webhook_receiver import run_receiver

pytestmark = pytest.mark.postgres


def claim_due(session: Session, *, limit: int, now: datetime, lease_seconds: float) -> list[Job]:
    """Lease due deliveries and load what sending them needs (the caller commits)."""
    return jobs_for(session, lease_due(session, limit=limit, now=now, lease_seconds=lease_seconds))


@pytest.fixture
def pg_db(pg_url: str) -> str:
    """A migrated PostgreSQL database (a schema of this test alone, see conftest)."""
    migrations.upgrade(pg_url)
    return pg_url


def _seed_deliveries(session: Session, count: int) -> list[int]:
    rule = AlertRule(name="r", conditions="{}", actions='{"dashboard_notification": false, "webhook": null}')
    session.add(rule)
    session.flush()
    now = utcnow() - timedelta(seconds=1)
    rows = [WebhookDelivery(rule_id=rule.id, payload="{}", status="pending", next_attempt_at=now) for _ in range(count)]
    session.add_all(rows)
    session.commit()
    return [r.id for r in rows]


def test_claim_skips_rows_another_worker_holds(pg_db: str) -> None:
    engine = make_engine(pg_db)
    factory = make_session_factory(engine)
    with factory() as setup:
        ids = _seed_deliveries(setup, 10)
    first = factory()
    second = factory()
    try:
        claimed_a = claim_due(first, limit=5, now=utcnow(), lease_seconds=60)  # not committed: rows locked
        second.execute(text("SET LOCAL lock_timeout = '2s'"))  # a blocking claim would fail here
        started = time.monotonic()
        claimed_b = claim_due(second, limit=10, now=utcnow(), lease_seconds=60)
        assert time.monotonic() - started < 1.5
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    a = {j.delivery_id for j in claimed_a}
    b = {j.delivery_id for j in claimed_b}
    assert len(a) == 5 and len(b) == 5
    assert a.isdisjoint(b)
    assert a | b == set(ids)
    # leased rows are not claimed again until the lease expires
    with factory() as again:
        assert claim_due(again, limit=10, now=utcnow(), lease_seconds=60) == []
        later = claim_due(again, limit=10, now=utcnow() + timedelta(seconds=61), lease_seconds=60)
        assert {j.delivery_id for j in later} == set(ids)
    engine.dispose()


def test_concurrent_claimers_never_share_a_row(pg_db: str) -> None:
    engine = make_engine(pg_db)
    factory = make_session_factory(engine)
    with factory() as setup:
        ids = _seed_deliveries(setup, 200)
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        while True:
            with factory() as session, session.begin():
                jobs = claim_due(session, limit=7, now=utcnow(), lease_seconds=60)
            if not jobs:
                return
            with lock:
                claimed.extend(j.delivery_id for j in jobs)

    run_in_threads(worker, 4)
    assert sorted(claimed) == sorted(ids)  # every row exactly once
    engine.dispose()


def test_cooldown_under_concurrency_on_postgres(pg_db: str) -> None:
    engine = make_engine(pg_db)
    factory = make_session_factory(engine)
    with factory() as session:
        session.add(Camera(name="c", type="rtsp"))
        session.add(
            AlertRule(name="r", cooldown_minutes=10, conditions="{}", actions='{"dashboard_notification": true}')
        )
        session.commit()
    workers = 8
    barrier = threading.Barrier(workers)
    fired: list[list[int]] = []
    errors: list[BaseException] = []

    def ingest() -> None:
        with factory() as session:
            try:
                barrier.wait()
                data = EventCreate(camera_id=1, objects_detected=["person"], confidence=90)
                fired.append(event_service.ingest_event(session, data=data).engine.triggered_rules)
                session.commit()
            except BaseException as exc:
                errors.append(exc)

    run_in_threads(ingest, workers)
    assert not errors
    assert sorted(fired, key=len) == [[]] * (workers - 1) + [[1]]
    with factory() as session:
        assert len(session.scalars(select(Notification)).all()) == 1
    engine.dispose()


def test_delivery_end_to_end_on_postgres(pg_db: str, canary) -> None:
    from app.main import create_app

    auth = f"Bearer {canary('pg-auth')}"
    app = create_app(make_settings(pg_db))
    app.state.webhook_worker.backoff = lambda attempt: 0.0
    app.state.webhook_worker.poll_interval = 0.05
    with run_receiver() as rx, signed_in(app) as client:
        with app.state.session_factory() as session:
            session.add(Camera(name="c", type="rtsp"))
            session.commit()
        rule = client.post(
            "/api/v1/alert-rules",
            json={
                "name": "pg",
                "cooldown_minutes": 0,
                "actions": {"webhook": {"url": rx.url + "/hook", "headers": {"Authorization": auth}}},
            },
        )
        assert rule.status_code == 201, rule.text
        rx.fail_next(2)
        assert client.post("/api/v1/events", json={"camera_id": 1, "confidence": 50}).status_code == 201
        requests = rx.wait_for(3)
        assert [r.headers["authorization"] for r in requests] == [auth] * 3
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            logs = client.get("/api/v1/webhooks/logs").json()
            if logs["total"] == 3:
                break
            time.sleep(0.05)
        assert [e["success"] for e in reversed(logs["items"])] == [False, False, True]
