"""Encryption overhead: app.core.encryption encrypt+decrypt vs bare Fernet on the same input.

Run: cd backend && .venv/bin/python bench/bench_encryption.py
Prints the time per round trip of each and the ratio (target <= 1.3x).
Both loops run interleaved in several rounds and the medians are compared, so
machine noise hits both sides alike.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet

from app.core import encryption
from app.core.config import Settings
from bench.results import Row, ratio, record

N = 20_000
ROUNDS = 7
PLAINTEXT = "camera-password-fake-" + "x" * 24
CONTEXT = "cameras.password:12345"


def main() -> None:
    key = Fernet.generate_key()
    os.environ.pop("ENCRYPTION_KEY_FILE", None)
    encryption.load_keys(Settings(_env_file=None, encryption_key=key.decode()))  # type: ignore[call-arg]
    bare = Fernet(key)
    data = PLAINTEXT.encode()

    def run_bare() -> float:
        start = time.perf_counter()
        for _ in range(N):
            bare.decrypt(bare.encrypt(data)).decode()
        return time.perf_counter() - start

    def run_app() -> float:
        start = time.perf_counter()
        for _ in range(N):
            encryption.decrypt(encryption.encrypt(PLAINTEXT, context=CONTEXT), context=CONTEXT)
        return time.perf_counter() - start

    run_bare(), run_app()  # warm up
    bare_times, app_times = [], []
    for _ in range(ROUNDS):
        bare_times.append(run_bare())
        app_times.append(run_app())
    b, a = statistics.median(bare_times), statistics.median(app_times)
    print(f"bare Fernet encrypt+decrypt: {b / N * 1e6:8.2f} us per round trip ({N} x {ROUNDS} rounds, median)")
    print(f"app encrypt+decrypt:         {a / N * 1e6:8.2f} us per round trip (context-bound, prefixed)")
    print(f"encryption overhead ratio:   {a / b:.3f}x (target <= 1.3x)")
    runs = [round(x / y, 3) for x, y in zip(app_times, bare_times, strict=True)]
    record("encryption", [Row("encryption round trip vs bare Fernet", ratio(a / b), "<= 1.3x", a / b <= 1.3, runs)])


if __name__ == "__main__":
    main()
