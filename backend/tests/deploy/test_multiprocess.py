"""Two API processes (two replicas, or two workers) on one PostgreSQL and one Redis,
as real uvicorn subprocesses: an alert rule's cooldown fires once, each webhook
is delivered once, and the rate limits are shared."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from tests.conftest import free_port, make_canary
from tests.deploy.processes import Proc, clean_env, sign_in, start, uvicorn_argv, wait_healthy
from tests.fakes.webhook_receiver import WebhookReceiver, run_receiver

# In order, in one process (``make pytest`` runs ``--dist loadfile``): the last test leaves ADMIN's
# failed-sign-in counter full for a minute, and the fixture of every test signs in as ADMIN.
ADMIN = "deploy-admin"
EVENTS_AT_ONCE = 12


class Cluster:
    def __init__(self, bases: list[str], procs: list[Proc], headers: dict[str, str], db_url: str) -> None:
        self.bases = bases
        self.procs = procs
        self.headers = headers
        self.db_url = db_url
        self.camera_id = 0

    def add_camera(self) -> int:
        body = {"name": "front door", "type": "rtsp", "rtsp_url": f"rtsp://127.0.0.1:{free_port()}/stream"}
        response = httpx.post(f"{self.bases[1]}/api/v1/cameras", json=body, headers=self.headers, timeout=30)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).scalar()
        finally:
            engine.dispose()


@pytest.fixture
def cluster(pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Two uvicorn processes started at the same moment on a fresh database (they take turns to migrate)."""
    password = make_canary("admin-password")
    env = clean_env(
        APP_ENV_FILE=str(tmp_path / ".env"),
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
        DATABASE_URL=pg_url,
        RATE_LIMIT_STORAGE_URL=redis_url,
        ADMIN_USERNAME=ADMIN,
        ADMIN_PASSWORD=password,
    )
    ports = [free_port(), free_port()]
    procs = [start(uvicorn_argv(port), env=env) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for proc, base in zip(procs, bases, strict=True):
            wait_healthy(proc, f"{base}/health")
        cluster = Cluster(bases, procs, sign_in(bases[0], ADMIN, password), pg_url)
        cluster.camera_id = cluster.add_camera()
        yield cluster
    finally:
        for proc in procs:
            proc.stop()
    for proc in procs:
        assert password not in proc.log()


def _fire_together(cluster: Cluster, count: int, body: dict[str, Any]) -> list[int]:
    """POST ``count`` events at once, alternating between the processes."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def post(index: int) -> None:
        base = cluster.bases[index % len(cluster.bases)]
        with httpx.Client(timeout=30, headers=cluster.headers) as client:
            barrier.wait(timeout=30)
            statuses.append(client.post(f"{base}/api/v1/events", json=body).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


def _rule(cluster: Cluster, rx: WebhookReceiver, *, path: str, cooldown: int, token: str, label: str) -> int:
    body = {
        "name": f"deploy {path}",
        "is_enabled": True,
        "cooldown_minutes": cooldown,
        "conditions": {"object_types": [label]},
        "actions": {
            "dashboard_notification": True,
            "webhook": {"url": f"{rx.url}{path}", "headers": {"X-Token": token}},
        },
    }
    response = httpx.post(f"{cluster.bases[0]}/api/v1/alert-rules", json=body, headers=cluster.headers, timeout=30)
    assert response.status_code == 201, response.text
    assert token not in response.text
    return int(response.json()["id"])


@pytest.mark.postgres
def test_cooldown_fires_once_across_processes(cluster: Cluster) -> None:
    token = make_canary("webhook-token")
    with run_receiver() as rx:
        rule_id = _rule(cluster, rx, path="/cooldown", cooldown=10, token=token, label="person")
        event = {
            "camera_id": cluster.camera_id,
            "description": "someone",
            "objects_detected": ["person"],
            "confidence": 90,
        }
        statuses = _fire_together(cluster, EVENTS_AT_ONCE, event)
        assert statuses == [201] * EVENTS_AT_ONCE
        rx.wait_for(1, timeout=20)
        time.sleep(2.0)  # time for a second (wrong) delivery to arrive
        hits = [r for r in rx.requests if r.path == "/cooldown"]
    assert cluster.scalar("SELECT count(*) FROM events") == EVENTS_AT_ONCE
    assert cluster.scalar("SELECT count(*) FROM notifications WHERE rule_id = :r", r=rule_id) == 1
    assert cluster.scalar("SELECT count(*) FROM webhook_deliveries WHERE rule_id = :r", r=rule_id) == 1
    assert len(hits) == 1, [h.json()["event"]["id"] for h in hits]
    assert hits[0].headers["x-token"] == token
    assert cluster.scalar("SELECT last_triggered_at FROM alert_rules WHERE id = :r", r=rule_id) is not None


@pytest.mark.postgres
def test_each_webhook_is_delivered_once_across_processes(cluster: Cluster) -> None:
    token = make_canary("webhook-token")
    with run_receiver() as rx:
        rx.delay = 0.05  # deliveries overlap: both workers lease while others are in flight
        rule_id = _rule(cluster, rx, path="/each", cooldown=0, token=token, label="car")
        event = {"camera_id": cluster.camera_id, "description": "a car", "objects_detected": ["car"], "confidence": 80}
        statuses = _fire_together(cluster, EVENTS_AT_ONCE, event)
        assert statuses == [201] * EVENTS_AT_ONCE
        rx.wait_for(EVENTS_AT_ONCE, timeout=30)
        time.sleep(2.0)
        ids = [r.json()["event"]["id"] for r in rx.requests if r.path == "/each"]
    assert len(ids) == EVENTS_AT_ONCE and len(set(ids)) == EVENTS_AT_ONCE, sorted(ids)
    assert cluster.scalar("SELECT count(*) FROM webhook_logs WHERE rule_id = :r", r=rule_id) == EVENTS_AT_ONCE
    # both processes delivered (each worker leases what it can; neither sends what the other holds)
    assert cluster.scalar("SELECT count(*) FROM webhook_deliveries WHERE rule_id = :r", r=rule_id) == EVENTS_AT_ONCE


def _from(address: str) -> httpx.Client:
    """A client whose requests come from ``address`` (a loopback address of its own: its own counters)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _loopback() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@pytest.mark.postgres
def test_key_test_limit_is_shared_across_processes(cluster: Cluster) -> None:
    a, b = cluster.bases
    with _from(_loopback()) as client:
        url = "/api/v1/ai/test-key"
        body = {"provider": "openai"}
        statuses = [client.post(f"{a}{url}", json=body, headers=cluster.headers).status_code for _ in range(5)]
        statuses += [client.post(f"{b}{url}", json=body, headers=cluster.headers).status_code for _ in range(5)]
        assert statuses == [200] * 10
        refused = client.post(f"{a}{url}", json=body, headers=cluster.headers)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert client.post(f"{b}{url}", json=body, headers=cluster.headers).status_code == 429
    with _from(_loopback()) as other:  # another client still has its own ten
        assert other.post(f"{b}{url}", json=body, headers=cluster.headers).status_code == 200


@pytest.mark.postgres
def test_sign_in_limit_is_shared_across_processes(cluster: Cluster) -> None:
    a, b = cluster.bases
    wrong = make_canary("wrong-password")
    with _from(_loopback()) as client:
        url = "/api/v1/auth/login"
        statuses = []
        for index in range(5):
            base = (a, b)[index % 2]
            statuses.append(client.post(f"{base}{url}", json={"username": ADMIN, "password": wrong}).status_code)
        assert statuses == [401] * 5
        refused = client.post(f"{b}{url}", json={"username": ADMIN, "password": wrong})
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        assert wrong not in refused.text
