"""Sustained event ingest: the product against a bare FastAPI + SQLAlchemy endpoint.

The product runs as deployed and is driven from the outside only: the
database is prepared with ``python -m app.cli init`` and ``create-admin`` (child
processes), then ``uvicorn app.main:app`` serves on 127.0.0.1 (its webhook
delivery worker inside) and is set up over HTTP: one camera and two enabled
rules that match every event, one with a webhook (an encrypted URL and
Authorization header) to a local receiver (tests/fakes/webhook_receiver.py),
the other with a dashboard notification. The baseline (bench/load_bare_app.py)
runs under uvicorn with the same number of workers and inserts the same
``events`` row, nothing else.

The same load generator (``httpx.AsyncClient``, CONCURRENCY requests in
flight) posts the same JSON body to both. Rounds alternate (ABBA: the side
that goes first changes every round), each side posting EVENTS / ROUNDS
events per round; the throughputs' medians are compared. Then:

* no event lost: the rows in each ``events`` table equal the 201 answers, and
  every request was answered 201;
* every webhook delivered: the delivery queue drains (no row left pending or
  failed) and the receiver counted one request per event;
* memory flat: the RSS of the product's processes (uvicorn and its workers),
  sampled during its measured events, in the last quarter of them against the
  second quarter (the first is warm-up): growth <= MEMORY_BOUND_MB.

On SQLite with one worker (one process serves one home, as docker-compose.yml
runs it), and on PostgreSQL with two workers when TEST_DATABASE_URL is set
(its own databases, bench_load_app and bench_load_bare, made afresh).

    cd backend && .venv/bin/python bench/bench_load.py               # 10,000 events
    BENCH_LOAD_EVENTS=2000 .venv/bin/python bench/bench_load.py      # or --events 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet

BACKEND = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BACKEND))

from bench.accounts import BENCH_ADMIN, BENCH_PASSWORD  # noqa: E402
from bench.results import Row, ratio, record  # noqa: E402

ROUNDS = 5
CONCURRENCY = 16
WARMUP = 200
THROUGHPUT_TARGET = 0.5
MEMORY_BOUND_MB = 20.0
AUTH = "Bearer bench-load-fake-token-0000000000000000"
BODY = {"camera_id": 1, "objects_detected": ["person", "car"], "confidence": 90, "description": "a person by a car"}
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> list[int]:
    found = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in children:
        found += descendants(int(child))
    return found


def rss_bytes(pid: int) -> int:
    """RSS of ``pid`` and all its descendants (uvicorn's workers are its children)."""
    total = 0
    for each in descendants(pid):
        try:
            total += int(Path(f"/proc/{each}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


@contextmanager
def serve(app: str, env: dict[str, str], workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--no-proxy-headers", "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(command, cwd=BACKEND, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{app} exited with {proc.returncode} at start")
            try:
                if httpx.get(f"{url}/health", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not answer /health within 60 s")
            time.sleep(0.1)
        yield proc, url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def receiver() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.webhook_receiver", "--port", "0", "--no-bodies"],
        cwd=BACKEND,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the webhook receiver did not start: {line!r}")
        yield line.removeprefix("listening on ")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def received(base: str) -> int:
    return len(httpx.get(f"{base}/__receiver/requests", timeout=30, trust_env=False).json())


@dataclass
class Side:
    name: str
    url: str
    headers: dict[str, str]
    sent: int = 0
    created: int = 0
    failed: int = 0
    throughputs: list[float] = field(default_factory=list)


async def post_many(side: Side, count: int, progress: list[int] | None = None) -> float:
    """Post ``count`` events with CONCURRENCY in flight; returns events per second."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    remaining = count
    async with httpx.AsyncClient(
        base_url=side.url, headers=side.headers, limits=limits, timeout=60, trust_env=False
    ) as client:

        async def one_connection() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                side.sent += 1
                try:
                    response = await client.post("/api/v1/events", json=BODY)
                except httpx.HTTPError:
                    side.failed += 1
                    continue
                if response.status_code == 201:
                    side.created += 1
                else:
                    side.failed += 1
                if progress is not None:
                    progress[0] += 1

        await client.get("/health")  # connect before the clock starts
        started = time.perf_counter()
        await asyncio.gather(*(one_connection() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


def make_databases(kind: str, tmp: str) -> tuple[str, str]:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/app.db", f"sqlite:///{tmp}/bare.db"
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in ("bench_load_app", "bench_load_bare"):
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return (
        base.set(database="bench_load_app").render_as_string(hide_password=False),
        base.set(database="bench_load_bare").render_as_string(hide_password=False),
    )


def product_env(tmp: str, database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_ENV_FILE": f"{tmp}/none.env",
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
    }
    for name in ("ENCRYPTION_KEY_FILE", "ENCRYPTION_KEYS_PREVIOUS", "ADMIN_USERNAME", "ADMIN_PASSWORD"):
        env.pop(name, None)
    return env


def prepare_product(env: dict[str, str]) -> None:
    """Migrate and make the admin with the product's own CLI."""
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "init"], cwd=BACKEND, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*cli, "create-admin", "--username", BENCH_ADMIN],
        cwd=BACKEND,
        env=env,
        input=BENCH_PASSWORD + "\n",
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def set_up_over_http(url: str, hook_base: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
        login = client.post("/api/v1/auth/login", json={"username": BENCH_ADMIN, "password": BENCH_PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        client.headers.update(headers)
        camera = client.post(
            "/api/v1/cameras", json={"name": "bench load", "type": "usb", "device_index": 0, "is_enabled": False}
        )
        assert camera.status_code == 201 and camera.json()["id"] == 1, camera.text
        rules = [
            {
                "name": "bench load webhook",
                "cooldown_minutes": 0,
                "conditions": {"object_types": ["person"]},
                "actions": {
                    "dashboard_notification": False,
                    "webhook": {
                        "url": f"{hook_base}/api/webhook/bench-load-1234567890",
                        "headers": {"Authorization": AUTH},
                    },
                },
            },
            {
                "name": "bench load notification",
                "cooldown_minutes": 0,
                "conditions": {"object_types": ["car"]},
                "actions": {"dashboard_notification": True},
            },
        ]
        for rule in rules:
            created = client.post("/api/v1/alert-rules", json=rule)
            assert created.status_code == 201, created.text
        return headers


def count_rows(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(query)).scalar_one())
    finally:
        engine.dispose()


@dataclass
class Outcome:
    kind: str
    workers: int
    bare: Side
    app: Side
    bare_rows: int
    app_rows: int
    delivered: int
    received: int
    undelivered: int
    mem_q2: float
    mem_q4: float

    @property
    def ratio(self) -> float:
        return statistics.median(self.app.throughputs) / statistics.median(self.bare.throughputs)

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.app.throughputs, self.bare.throughputs, strict=True)]


def run(kind: str, workers: int, events: int) -> Outcome:
    per_round = events // ROUNDS
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, receiver() as hook_base:
        app_url, bare_url = make_databases(kind, tmp)
        env = product_env(tmp, app_url)
        prepare_product(env)
        bare_env = {**os.environ, "BARE_DATABASE_URL": bare_url}
        with (
            serve("app.main:app", env, workers) as (app_proc, app_base),
            serve("bench.load_bare_app:app", bare_env, workers) as (_bare_proc, bare_base),
        ):
            app = Side("product", app_base, set_up_over_http(app_base, hook_base))
            bare = Side("bare", bare_base, {})
            asyncio.run(post_many(bare, WARMUP))
            asyncio.run(post_many(app, WARMUP))

            progress = [0]
            samples: list[tuple[int, int]] = []  # (measured product events so far, RSS)
            sampling = threading.Event()
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    if sampling.is_set():
                        samples.append((progress[0], rss_bytes(app_proc.pid)))
                    time.sleep(0.2)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            for index in range(ROUNDS):
                order = [bare, app] if index % 2 == 0 else [app, bare]
                for side in order:
                    if side is app:
                        sampling.set()
                        side.throughputs.append(asyncio.run(post_many(side, per_round, progress)))
                        sampling.clear()
                    else:
                        side.throughputs.append(asyncio.run(post_many(side, per_round)))
                b, a = bare.throughputs[-1], app.throughputs[-1]
                print(f"  {kind} #{index + 1}: bare {b:7.1f} ev/s  product {a:7.1f} ev/s  {a / b:.2f}x", flush=True)
            stop.set()
            sampler.join()

            # Every webhook: wait for the queue to drain and the receiver to have them all.
            pending_sql = "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                if count_rows(app_url, pending_sql) == 0 and received(hook_base) >= app.created:
                    break
                time.sleep(0.5)
            got = received(hook_base)
            delivered = count_rows(app_url, "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")
            undelivered = count_rows(app_url, "SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'")
        app_rows = count_rows(app_url, "SELECT count(*) FROM events")
        bare_rows = count_rows(bare_url, "SELECT count(*) FROM events")

    def quarter(number: int) -> float:
        low, high = events * (number - 1) / 4, events * number / 4
        values = [rss for done, rss in samples if low <= done < high or (number == 4 and done >= high)]
        return statistics.median(values) / 1e6 if values else float("nan")

    return Outcome(kind, workers, bare, app, bare_rows, app_rows, delivered, got, undelivered, quarter(2), quarter(4))


def report(outcome: Outcome) -> list[Row]:
    o = outcome
    label = f"{o.kind}, {o.workers} worker{'s' if o.workers > 1 else ''}"
    print(f"load, {label}: {ROUNDS} rounds ABBA, concurrency {CONCURRENCY}")
    for side in (o.bare, o.app):
        runs = [round(t) for t in side.throughputs]
        print(f"  {side.name:<7} median {statistics.median(side.throughputs):7.1f} ev/s  runs {runs}")
    print(f"  throughput ratio (median product / median bare): {o.ratio:.2f}x (target >= {THROUGHPUT_TARGET}x)")
    print(f"  events: product sent {o.app.sent}, 201 {o.app.created}, rows {o.app_rows}")
    print(f"          bare sent {o.bare.sent}, 201 {o.bare.created}, rows {o.bare_rows}")
    print(f"  webhooks: {o.delivered} delivered rows, {o.undelivered} not delivered, {o.received} at the receiver")
    growth = o.mem_q4 - o.mem_q2
    print(f"  product RSS median: 2nd quarter {o.mem_q2:.1f} MB, last quarter {o.mem_q4:.1f} MB ({growth:+.1f} MB)")
    lost = (o.app.sent - o.app_rows) + (o.bare.sent - o.bare_rows)  # a request not answered 201 stored nothing
    return [
        Row(
            f"load {label}: throughput vs bare endpoint",
            ratio(o.ratio),
            f">= {THROUGHPUT_TARGET}x",
            o.ratio >= THROUGHPUT_TARGET,
            [round(r, 3) for r in o.ratios],
        ),
        Row(
            f"load {label}: events lost",
            f"{lost} of {o.app.sent} (rows {o.app_rows}, {o.app.failed} answered other than 201)",
            "0",
            lost == 0 and o.app.failed == 0 and o.bare.failed == 0,
        ),
        Row(
            f"load {label}: webhooks delivered",
            f"{o.received} received, {o.delivered} delivered of {o.app.created}",
            "all",
            o.received >= o.app.created and o.delivered == o.app.created and o.undelivered == 0,
        ),
        Row(
            f"load {label}: RSS growth, last vs 2nd quarter",
            f"{growth:+.1f} MB ({o.mem_q2:.0f} -> {o.mem_q4:.0f} MB)",
            f"<= {MEMORY_BOUND_MB:g} MB",
            growth <= MEMORY_BOUND_MB,
            [round(o.mem_q2, 1), round(o.mem_q4, 1)],
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("BENCH_LOAD_EVENTS", "10000"))
    parser.add_argument("--events", type=int, default=default, help="measured events per side (default 10000)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers started here on the way out
    if args.events < ROUNDS * CONCURRENCY:
        parser.error(f"--events must be at least {ROUNDS * CONCURRENCY}")
    rows: list[Row] = []
    print(f"sustained ingest, {args.events} measured events per side (+{WARMUP} warm-up), {ROUNDS} rounds ABBA")
    rows += report(run("sqlite", 1, args.events))
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        rows += report(run("postgresql", 2, args.events))
    else:
        print("PostgreSQL side skipped: TEST_DATABASE_URL is not set (postgresql+psycopg://...)")
    record("load", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
