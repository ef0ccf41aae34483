"""Log redaction cost against the number of secrets the process holds, and the
denial of service it used to allow.

Run: cd backend && .venv/bin/python bench/bench_redaction.py

1. Redacting a 1 KB log line with 10,000 held secrets vs with 10: both sets
   are built once, then the same line is redacted with each in interleaved
   rounds; the medians are compared (target <= 3x: the Aho-Corasick automaton
   makes one pass over the line whatever the number of secrets).
2. Another client's ``GET /health`` before and after 500 rejected
   ``PUT /api/v1/settings`` calls carrying unique 500-character keys (the
   attack of issue 12, item 4): medians of interleaved samples, the number of
   secrets the redactor knows before and after, and the growth of the
   process's peak memory.
"""

from __future__ import annotations

import os
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet

from app.core import logging as app_logging
from bench.results import Row, record

N_LINES = 500
ROUNDS = 9
TARGET = 3.0


def _held_with(count: int) -> app_logging._Held:
    held = app_logging._Held()
    for index in range(count):
        held.hold(f"bench.place:{index}", (app_logging.fold_case(f"fake-secret-{secrets.token_urlsafe(24)}"),))
    held.hold("bench.line", (app_logging.fold_case("fake-secret-in-the-line-0123456789"),))
    with held.lock:
        held._rebuild()
    return held


def _log_line() -> str:
    line = (
        "2026-12-01 10:00:00 INFO app.webhooks: Webhook delivery 1234 (rule 7) attempt 2 failed: HTTP 500 "
        "from https://hooks.example.test/**** after 812 ms; receiver said: upstream timeout while calling "
        "fake-secret-in-the-line-0123456789 on the bridge, retrying in 8 s; "
    )
    while len(line) < 1024:
        line += "camera Driveway saw a person at the gate, confidence 91, description ok; "
    return line[:1024]


def _time(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench_lines() -> float:
    line = _log_line()
    small, large = _held_with(10), _held_with(10_000)
    original = app_logging._held

    def redact_with(held: app_logging._Held) -> Callable[[], None]:
        def run() -> None:
            app_logging._held = held
            for _ in range(N_LINES):
                app_logging.redact(line)

        return run

    def match_with(held: app_logging._Held) -> Callable[[], None]:
        def run() -> None:  # the held-secret matching alone, without the shape patterns
            app_logging._held = held
            for _ in range(N_LINES):
                app_logging._known_spans(line)

        return run

    try:
        app_logging._held = large
        assert "fake-secret-in-the-line" not in app_logging.redact(line)
        with_small, with_large = redact_with(small), redact_with(large)
        with_small(), with_large()  # warm up
        match_small, match_large = match_with(small), match_with(large)
        small_times, large_times, small_match, large_match = [], [], [], []
        for _ in range(ROUNDS):
            small_times.append(_time(with_small))
            large_times.append(_time(with_large))
            small_match.append(_time(match_small))
            large_match.append(_time(match_large))
    finally:
        app_logging._held = original
    s, big = statistics.median(small_times), statistics.median(large_times)
    ms, mbig = statistics.median(small_match), statistics.median(large_match)
    print(f"redact 1 KB line, 10 held secrets:     {s / N_LINES * 1e6:8.1f} us ({N_LINES} x {ROUNDS} rounds, median)")
    print(f"redact 1 KB line, 10,000 held secrets: {big / N_LINES * 1e6:8.1f} us")
    ratio = big / s
    print(f"ratio 10,000 vs 10:                    {ratio:8.2f}x (target <= {TARGET:g}x)")
    alone = f"{ms / N_LINES * 1e6:.1f} us vs {mbig / N_LINES * 1e6:.1f} us ({mbig / ms:.2f}x)"
    print(f"  held-secret matching alone: {alone}")
    runs = [round(b / a, 3) for a, b in zip(small_times, large_times, strict=True)]
    record(
        "redaction",
        [
            Row(
                "redaction, 1 KB line: 10,000 vs 10 held secrets",
                f"{ratio:.2f}x",
                f"<= {TARGET:g}x",
                ratio <= TARGET,
                runs,
            )
        ],
    )
    return ratio


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_rejected_puts() -> None:
    from fastapi.testclient import TestClient

    from app.core.config import Settings
    from app.main import create_app
    from bench.accounts import admin_headers

    with tempfile.TemporaryDirectory() as folder:
        os.environ.pop("ENCRYPTION_KEY_FILE", None)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            encryption_key=Fernet.generate_key().decode(),
            database_url=f"sqlite:///{folder}/bench.db",
            log_level="WARNING",
        )
        app = create_app(settings)
        with TestClient(app) as client:
            client.headers.update(admin_headers(app))  # PUT /settings needs an admin, like a real client

            def health_ms(samples: int = 40) -> float:
                times = []
                for _ in range(samples):
                    start = time.perf_counter()
                    assert client.get("/health").status_code == 200
                    times.append((time.perf_counter() - start) * 1000)
                return statistics.median(times)

            health_ms(10)  # warm up
            before_ms, known_before, peak_before = health_ms(), app_logging.registered_secret_count(), _peak_mb()
            for _ in range(500):
                key = "fake-" + secrets.token_urlsafe(400)[:494] + " x"  # 500 characters, refused (a space)
                response = client.put("/api/v1/settings", json={"ai_api_key_openai": key})
                assert response.status_code == 422, response.status_code
            after_ms, known_after, peak_after = health_ms(), app_logging.registered_secret_count(), _peak_mb()
    print(f"/health median before 500 rejected PUT /settings: {before_ms:7.2f} ms")
    print(f"/health median after:                             {after_ms:7.2f} ms ({after_ms / before_ms:.2f}x)")
    print(f"secrets known to the redactor before / after:     {known_before} / {known_after}")
    print(f"peak memory before / after:                       {peak_before:.0f} MB / {peak_after:.0f} MB")


def main() -> int:
    bench_lines()
    bench_rejected_puts()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
