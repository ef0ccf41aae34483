"""Encryption overhead: app.core.encryption encrypt+decrypt vs bare Fernet on the same input.

Run: cd backend && .venv/bin/python bench/bench_encryption.py
Prints the time per round trip of each and the ratio (target <= 1.3x).
Both loops run interleaved (ABBA) in 41 short blocks each and the medians are
compared, so machine noise hits both sides alike. The target is read on this
thread's CPU time (time.thread_time), which other processes on a busy machine
do not inflate; the wall-clock ratio is printed beside it.
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

N = 2_000  # round trips per block
ROUNDS = 41  # blocks per side, interleaved ABBA
TARGET = 1.3
PLAINTEXT = "camera-password-fake-" + "x" * 24
CONTEXT = "cameras.password:12345"


def main() -> None:
    key = Fernet.generate_key()
    os.environ.pop("ENCRYPTION_KEY_FILE", None)
    encryption.load_keys(Settings(_env_file=None, encryption_key=key.decode()))  # type: ignore[call-arg]
    bare = Fernet(key)
    data = PLAINTEXT.encode()

    def run_bare() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.thread_time()
        for _ in range(N):
            bare.decrypt(bare.encrypt(data)).decode()
        return time.perf_counter() - wall, time.thread_time() - cpu

    def run_app() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.thread_time()
        for _ in range(N):
            encryption.decrypt(encryption.encrypt(PLAINTEXT, context=CONTEXT), context=CONTEXT)
        return time.perf_counter() - wall, time.thread_time() - cpu

    for _ in range(3):  # warm up
        run_bare(), run_app()
    bare_times, app_times = [], []
    for index in range(ROUNDS):
        if index % 2:
            app_times.append(run_app())
            bare_times.append(run_bare())
        else:
            bare_times.append(run_bare())
            app_times.append(run_app())
    rows = []
    print(f"encrypt+decrypt round trip, {ROUNDS} blocks of {N} per side (ABBA), medians:")
    for which, label in ((1, "CPU"), (0, "wall")):
        b = statistics.median(t[which] for t in bare_times)
        a = statistics.median(t[which] for t in app_times)
        runs = [round(x[which] / y[which], 3) for x, y in zip(app_times, bare_times, strict=True)]
        print(f"  {label:>4}: bare Fernet {b / N * 1e6:6.2f} us, app {a / N * 1e6:6.2f} us (context-bound, prefixed)")
        print(f"  {label:>4}: encryption overhead ratio {a / b:.3f}x (target <= {TARGET}x)")
        if which == 1:  # the process's own time: what the code costs, whatever else the machine runs
            rows.append(
                Row("encryption round trip vs bare Fernet (CPU)", ratio(a / b), f"<= {TARGET}x", a / b <= TARGET, runs)
            )
        else:  # wall clock: the same plus the neighbours' load, for comparison
            rows.append(Row("encryption round trip vs bare Fernet (wall)", ratio(a / b), "none (reported)", True, runs))
    record("encryption", rows)


if __name__ == "__main__":
    main()
