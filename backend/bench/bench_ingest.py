"""Event ingest latency: with a matching webhook rule vs with no rule.

The API runs as deployed: ``uvicorn app.main:app`` in its own process on
127.0.0.1 (an ephemeral port), with the delivery worker inside it. This
process posts events one after another and times each ``POST /api/v1/events``.

"With": one enabled rule matches every event and queues a webhook (encrypted
URL and Authorization header) that the worker delivers to a local receiver
*while* the next events come in. "Without": the same server and database, the
rule disabled. Blocks alternate; the queue is drained before every block
without a rule, so those measure ingest alone. Prints the ratio of the median
latencies (target <= 1.3x) and of the 95th percentiles.

    cd backend && .venv/bin/python bench/bench_ingest.py
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select

BACKEND = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BACKEND))

from app.core.db import make_engine, make_session_factory  # noqa: E402
from app.models.camera import Camera  # noqa: E402
from app.models.webhook import WebhookDelivery  # noqa: E402
from bench.accounts import BENCH_ADMIN, BENCH_PASSWORD, login_headers  # noqa: E402
from bench.bench_webhooks import AUTH, start_receiver  # noqa: E402
from bench.results import Row, record  # noqa: E402

BLOCK = 100
ROUNDS = 4
WARMUP = 30


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.95) - 1]


def start_api(tmp: str, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    # A free ephemeral port for uvicorn to bind (uvicorn's --fd would treat
    # the socket as a Unix socket and leave Nagle on: +40 ms per response).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "APP_ENV_FILE": f"{tmp}/none.env",
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
        "ADMIN_USERNAME": BENCH_ADMIN,
        "ADMIN_PASSWORD": BENCH_PASSWORD,
    }
    env.pop("ENCRYPTION_KEY_FILE", None)
    env.pop("ENCRYPTION_KEYS_PREVIOUS", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--no-proxy-headers",
        ],
        cwd=BACKEND,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the API did not start")


def main() -> int:
    receiver, hook_base = start_receiver()
    api: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            database_url = f"sqlite:///{tmp}/bench.db"
            api, base = start_api(tmp, database_url)
            engine = make_engine(database_url)
            factory = make_session_factory(engine)
            with factory() as session:
                session.add(Camera(name="bench", type="rtsp"))
                session.commit()

            def pending() -> int:
                with factory() as session:
                    query = select(func.count()).select_from(WebhookDelivery)
                    return int(session.execute(query.where(WebhookDelivery.status == "pending")).scalar_one())

            def drain() -> None:
                deadline = time.monotonic() + 30
                while pending() and time.monotonic() < deadline:
                    time.sleep(0.02)

            body = {"camera_id": 1, "objects_detected": ["person"], "confidence": 90, "description": "a person"}
            # TCP_NODELAY: httpx writes headers and body separately; without it
            # Nagle and delayed ACKs add 40 ms to every request.
            nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
            with httpx.Client(base_url=base, timeout=10, trust_env=False, transport=nodelay) as client:
                client.headers.update(login_headers(client))
                created = client.post(
                    "/api/v1/alert-rules",
                    json={
                        "name": "bench",
                        "cooldown_minutes": 0,
                        "conditions": {"object_types": ["person"]},
                        "actions": {
                            "dashboard_notification": False,
                            "webhook": {
                                "url": f"{hook_base}/api/webhook/bench-1234567890",
                                "headers": {"Authorization": AUTH},
                            },
                        },
                    },
                )
                assert created.status_code == 201, created.text
                rule_url = f"/api/v1/alert-rules/{created.json()['id']}"

                def block(count: int) -> list[float]:
                    latencies = []
                    for _ in range(count):
                        started = time.perf_counter()
                        response = client.post("/api/v1/events", json=body)
                        latencies.append(time.perf_counter() - started)
                        assert response.status_code == 201
                    return latencies

                block(WARMUP)
                without: list[float] = []
                with_rule: list[float] = []
                for _ in range(ROUNDS):
                    assert client.put(rule_url, json={"is_enabled": False}).status_code == 200
                    drain()
                    without += block(BLOCK)
                    assert client.put(rule_url, json={"is_enabled": True}).status_code == 200
                    with_rule += block(BLOCK)
                drain()
                delivered = len(client.get("/api/v1/webhooks/logs", params={"success": True}).json()["items"])
            engine.dispose()
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=15)
        receiver.terminate()
        receiver.wait(timeout=10)

    med_without, med_with = statistics.median(without), statistics.median(with_rule)
    ratio = med_with / med_without
    tail_ratio = p95(with_rule) / p95(without)
    print(f"event ingest latency (uvicorn, SQLite): {len(without)} events without a rule, {len(with_rule)} with one")
    print(f"  without rule: median {med_without * 1000:6.2f} ms   p95 {p95(without) * 1000:6.2f} ms")
    print(f"  webhook rule: median {med_with * 1000:6.2f} ms   p95 {p95(with_rule) * 1000:6.2f} ms")
    print(f"  (the worker delivered the webhooks meanwhile: {delivered}+ logged successes)")
    print(f"latency ratio (webhook rule / no rule), median: {ratio:.2f}x   (target <= 1.30x); p95: {tail_ratio:.2f}x")
    record(
        "ingest",
        [
            Row(
                f"ingest latency, webhook rule vs none ({ROUNDS} x {BLOCK} events, median)",
                f"{ratio:.2f}x (p95 {tail_ratio:.2f}x)",
                "<= 1.3x",
                ratio <= 1.3,
            )
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
