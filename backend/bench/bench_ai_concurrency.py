"""Key tests do not block each other: 10 concurrent vs 10 serial POST /api/v1/ai/test-key.

Run: cd backend && .venv/bin/python bench/bench_ai_concurrency.py [--latency 0.3] [--rounds 3]

The real app is served by uvicorn on 127.0.0.1 (ephemeral port) with a fresh
SQLite database, its provider base URLs pointing at the fake provider
(tests/fakes/fake_provider.py), whose ``-slow`` keys answer after ``latency``
seconds. Each round times ten key tests one after the other, then ten at once,
over real HTTP; the rate limiter is reset between batches. Prints both wall
times and their ratio per round and the medians (ideal ratio: ~10x; the issue
asks that ten concurrent tests finish well under 1.5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_TMP = Path(tempfile.mkdtemp(prefix="bench-ai-"))
os.environ["APP_ENV_FILE"] = str(_TMP / "bench.env")  # never touch the repo's .env
for _name in ("ENCRYPTION_KEY_FILE", "ENCRYPTION_KEYS_PREVIOUS"):
    os.environ.pop(_name, None)

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.accounts import admin_headers  # noqa: E402
from bench.results import Row, record  # noqa: E402
from tests.fakes.fake_provider import running  # noqa: E402

N = 10
CONCURRENT_TARGET_S = 1.5  # ten concurrent tests well under 1.5 s (serial: ten latencies, 3 s)


class _Server:
    def __init__(self, app: object) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, access_log=False, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: self.server.run(sockets=[self.sock]), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


async def _one(client: httpx.AsyncClient, index: int) -> str:
    key = f"bench-fake-key-{index}-slow"
    response = await client.post("/api/v1/ai/test-key", json={"provider": "openai", "api_key": key})
    response.raise_for_status()
    return str(response.json()["outcome"])


async def _round(base_url: str, reset: object, headers: dict[str, str]) -> tuple[float, float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers) as client:
        started = time.perf_counter()
        serial = [await _one(client, i) for i in range(N)]
        serial_time = time.perf_counter() - started
        reset()  # type: ignore[operator]
        started = time.perf_counter()
        concurrent = await asyncio.gather(*(_one(client, i) for i in range(N)))
        concurrent_time = time.perf_counter() - started
        reset()  # type: ignore[operator]
    if set(serial) != {"valid"} or set(concurrent) != {"valid"}:
        raise RuntimeError(f"unexpected outcomes: {serial} / {concurrent}")
    return serial_time, concurrent_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="fake provider latency in seconds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with running(latency=args.latency) as fake:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=f"sqlite:///{_TMP / 'bench.db'}",
            encryption_key=Fernet.generate_key().decode(),
            log_level="WARNING",
            rate_limit_storage_url="memory://",
            **fake.base_urls(),
        )
        app = create_app(settings)
        headers = admin_headers(app)
        with _Server(app) as base_url:
            print(f"{N} key tests, fake provider latency {args.latency * 1000:.0f} ms, real HTTP via uvicorn")
            print(f"{'round':>5}  {'serial':>9}  {'concurrent':>10}  {'ratio':>6}")
            serials, concurrents = [], []
            for index in range(1, args.rounds + 1):
                serial_time, concurrent_time = asyncio.run(_round(base_url, app.state.limiter.reset, headers))
                serials.append(serial_time)
                concurrents.append(concurrent_time)
                ratio = serial_time / concurrent_time
                print(f"{index:>5}  {serial_time:>8.3f}s  {concurrent_time:>9.3f}s  {ratio:>5.1f}x")
            serial_med, concurrent_med = statistics.median(serials), statistics.median(concurrents)
            print(
                f"median: serial {serial_med:.3f} s, concurrent {concurrent_med:.3f} s, "
                f"concurrent/serial = {concurrent_med / serial_med:.3f} (speed-up {serial_med / concurrent_med:.1f}x)"
            )
            record(
                "ai_concurrency",
                [
                    Row(
                        f"{N} concurrent key tests, wall time ({args.latency * 1000:.0f} ms provider)",
                        f"{concurrent_med:.2f} s (serial {serial_med:.2f} s)",
                        f"< {CONCURRENT_TARGET_S} s",
                        concurrent_med < CONCURRENT_TARGET_S,
                        [round(t, 3) for t in concurrents],
                    ),
                ],
            )


if __name__ == "__main__":
    main()
