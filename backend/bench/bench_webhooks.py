"""Webhook delivery throughput: the app's worker vs plain httpx.

1,000 matching events each queue a webhook (with an encrypted URL and an
encrypted Authorization header) for a local receiver. Timed: from starting
the delivery worker until all 1,000 are delivered *and recorded* (a
webhook_logs row each, the queue row updated). Baseline: a plain
``httpx.AsyncClient`` posting the same 1,000 payloads with the same headers
at the same concurrency, recording nothing. Rounds alternate and the median
ratio is printed (target: >= 0.7x the baseline's throughput).

    cd backend && .venv/bin/python bench/bench_webhooks.py
"""

from __future__ import annotations

import asyncio
import logging
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

from app.core.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models.camera import Camera  # noqa: E402
from app.models.webhook import WebhookDelivery  # noqa: E402
from app.schemas.alert_rule import AlertRuleCreate  # noqa: E402
from app.schemas.event import EventCreate  # noqa: E402
from app.services import event_service  # noqa: E402
from app.services.alerts import rules  # noqa: E402
from app.services.webhooks.worker import WebhookWorker  # noqa: E402
from bench.results import Row, record  # noqa: E402

EVENTS = 1000
CONCURRENCY = 10
ROUNDS = 5
AUTH = "Bearer bench-fake-token-0000000000000000"


def start_receiver() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.webhook_receiver", "--port", "0", "--no-bodies"],
        cwd=BACKEND,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.terminate()
        raise RuntimeError(f"receiver did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def queue_events(factory, count: int) -> list[str]:
    """Ingest ``count`` matching events (the worker is not running); return the payloads queued."""
    with factory() as session:
        first = session.execute(select(func.coalesce(func.max(WebhookDelivery.id), 0))).scalar_one()
        for i in range(count):
            data = EventCreate(camera_id=1, objects_detected=["person"], confidence=90, description=f"person {i}")
            event_service.ingest_event(session, data=data)
        session.commit()
        return list(session.scalars(select(WebhookDelivery.payload).where(WebhookDelivery.id > first)).all())


def delivered(factory) -> int:
    with factory() as session:
        return int(
            session.execute(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status != "pending")
            ).scalar_one()
        )


async def run_worker(factory, target: int) -> float:
    worker = WebhookWorker(session_factory=factory, concurrency=CONCURRENCY)
    started = time.perf_counter()
    await worker.start()
    while await asyncio.to_thread(delivered, factory) < target:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    await worker.stop()
    return elapsed


async def run_plain(url: str, payloads: list[str]) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    headers = {"Content-Type": "application/json", "Authorization": AUTH}
    async with httpx.AsyncClient(limits=limits, timeout=5, trust_env=False) as client:

        async def post(body: str) -> None:
            async with semaphore:
                response = await client.post(url, content=body.encode(), headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(p) for p in payloads))
        return time.perf_counter() - started


def main() -> int:
    receiver, base = start_receiver()
    url = f"{base}/api/webhook/bench-hook-id-1234567890"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=f"sqlite:///{tmp}/bench.db",
                encryption_key=Fernet.generate_key().decode(),
                log_level="WARNING",
            )
            app = create_app(settings)
            logging.getLogger("app.webhooks").setLevel(logging.WARNING)
            factory = app.state.session_factory
            with factory() as session:
                session.add(Camera(name="bench", type="rtsp"))
                session.commit()
                rule = AlertRuleCreate.model_validate(
                    {
                        "name": "bench",
                        "cooldown_minutes": 0,
                        "conditions": {"object_types": ["person"]},
                        "actions": {
                            "dashboard_notification": False,
                            "webhook": {"url": url, "headers": {"Authorization": AUTH}},
                        },
                    }
                )
                rules.create_rule(session, data=rule)
                session.commit()

            ours: list[float] = []
            plain: list[float] = []
            done = 0
            for round_number in range(ROUNDS):
                payloads = queue_events(factory, EVENTS)
                done += len(payloads)
                if round_number % 2:  # alternate which side goes first (ABBA), against drift
                    plain.append(asyncio.run(run_plain(url, payloads)))
                    ours.append(asyncio.run(run_worker(factory, done)))
                else:
                    ours.append(asyncio.run(run_worker(factory, done)))
                    plain.append(asyncio.run(run_plain(url, payloads)))
            app.state.engine.dispose()
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)

    ratios = [p / o for o, p in zip(ours, plain, strict=True)]
    ratio = statistics.median(ratios)
    print(f"webhook delivery: {EVENTS} webhooks per round, concurrency {CONCURRENCY}, {ROUNDS} rounds")
    for i, (o, p) in enumerate(zip(ours, plain, strict=True), 1):
        print(
            f"  round {i}: worker {EVENTS / o:7.0f}/s ({o:.2f} s)   plain httpx {EVENTS / p:7.0f}/s ({p:.2f} s)"
            f"   ratio {p / o:.2f}x"
        )
    print(f"throughput ratio (worker / plain httpx), median: {ratio:.2f}x   (target >= 0.70x)")
    runs = [round(r, 3) for r in ratios]
    record(
        "webhooks",
        [Row(f"webhook throughput, {EVENTS} per round, vs bare httpx", f"{ratio:.2f}x", ">= 0.7x", ratio >= 0.7, runs)],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
