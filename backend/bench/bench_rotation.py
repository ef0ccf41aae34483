"""Key rotation and the encryption migration at 100,000 secrets.

Run: cd backend && .venv/bin/python bench/bench_rotation.py      (BENCH_ROTATION_N=... to resize)

Measured side by side in one run, on temporary SQLite databases:

1. ``python -m app.cli rotate-key`` in a child process, in alternating rounds (the real command: the
   pre-check of every value, batched compare-and-swap re-encryption with a
   commit per 2,000 rows, the catch-up pass, the key check) over N secrets,
   against a bare ``MultiFernet.rotate`` loop over the very same tokens in
   memory; medians of each. The command runs as it does by default (the
   pre-check in one helper process per CPU) and with ``--workers 1`` (one
   process). The child's start-up is measured on an empty database and
   subtracted. Target: >= 0.5x.
2. Peak memory growth of that command: the peak PSS of the command and its
   helper processes minus that of the same command on an empty database.
   Target: <= 100 MB.
3. The 0003 migration (``alembic upgrade`` from 0002) encrypting N plaintext
   secrets, against a bare ``Fernet.encrypt`` loop over the same plaintexts.

N secrets = 90% camera passwords (one per row) + 10% in alert rules (a
webhook URL and an Authorization header per rule: JSON rewritten per row).
Nothing here is asserted by the tests; it prints the ratios. On a shared
machine the ratios move with the load: both sides are timed close together.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet

from app.core import encryption, migrations
from app.core import logging as app_logging
from app.core.config import Settings
from app.core.db import make_engine
from app.core.secret_fields import camera_password_context, webhook_header_context, webhook_url_context
from app.secrets.inventory import DEFAULT_BATCH_SIZE
from bench.results import Row, ratio, record

BACKEND_DIR = Path(__file__).resolve().parents[1]
N = int(os.environ.get("BENCH_ROTATION_N", "100000"))
BATCH = DEFAULT_BATCH_SIZE  # the command's own default


def use_keys(primary: bytes, previous: list[bytes] | None = None) -> None:
    os.environ.pop("ENCRYPTION_KEY_FILE", None)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        encryption_key=primary.decode(),
        encryption_keys_previous=[k.decode() for k in previous or []],
    )
    encryption.load_keys(settings)


def layout(n: int) -> tuple[int, int]:
    """(camera rows, rule rows): 90% cameras, the rest 2 secrets per rule."""
    rules = n // 20
    return n - 2 * rules, rules


def plaintexts(n: int) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    cameras, rules = layout(n)
    cams = [(i, f"fake-camera-password-{i:08d}") for i in range(1, cameras + 1)]
    rls = [(i, f"https://hooks.example.test/fake/{i:08d}", f"Bearer fake-token-{i:08d}") for i in range(1, rules + 1)]
    return cams, rls


def fill(url: str, n: int, *, encrypt: bool) -> list[bytes]:
    """Insert N secrets (encrypted with the loaded primary key, or plaintext); returns the tokens."""
    cams, rls = plaintexts(n)
    tokens: list[bytes] = []

    def protect(value: str, context: str) -> str:
        if not encrypt:
            return value
        stored = encryption.encrypt(value, context=context)
        tokens.append(stored[len(encryption.PREFIX) :].encode())
        return stored

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO cameras (id, name, type, password) VALUES (:id, :name, 'rtsp', :pw)"),
            [{"id": i, "name": f"cam {i}", "pw": protect(pw, camera_password_context(i))} for i, pw in cams],
        )
        rows = []
        for i, hook, token in rls:
            webhook = {
                "url": protect(hook, webhook_url_context(i)),
                "headers": {"Authorization": protect(token, webhook_header_context(i, "Authorization"))},
            }
            actions = {"dashboard_notification": True, "webhook": webhook}
            rows.append({"id": i, "name": f"rule {i}", "actions": json.dumps(actions, separators=(",", ":"))})
        conn.execute(sa.text("INSERT INTO alert_rules (id, name, actions) VALUES (:id, :name, :actions)"), rows)
    engine.dispose()
    return tokens


def time_loop(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def tree_pss(pid: int) -> int:
    """Proportional set size (bytes) of ``pid`` and its descendants (the
    rotation's helper processes). PSS shares a page among the processes that
    map it, so forked helpers are not counted twice for what they share."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_rotate_key(
    tmp: str, url: str, new: bytes, old: bytes, workers: int | None = None, *, sample_memory: bool = False
) -> tuple[float, int, str]:
    """Wall seconds, peak memory (bytes: PSS of the command and its helper
    processes, sampled every 10 ms, when ``sample_memory``; else 0) and output
    of ``python -m app.cli rotate-key``.

    The memory is read from /proc while it runs: the child's ``ru_maxrss``
    would count this (large) parent's pages from before the exec, and not its
    helpers. Reading PSS makes the kernel walk the processes' page tables,
    which slows them: timed runs do not sample.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tmp,
        "DATABASE_URL": url,
        "APP_ENV_FILE": str(Path(tmp) / "bench.env"),
        "ENCRYPTION_KEY": new.decode(),
        "ENCRYPTION_KEYS_PREVIOUS": old.decode(),
    }
    command = [sys.executable, "-m", "app.cli", "rotate-key", "--batch-size", str(BATCH)]
    if workers is not None:
        command += ["--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=BACKEND_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, tree_pss(proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    if sample_memory:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"rotate-key failed ({proc.returncode}):\n{output[-2000:]}")
    return seconds, peak, output


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_during(work: Callable[[], object]) -> tuple[float, int]:
    """(seconds, peak RSS growth in bytes) of ``work``."""
    gc.collect()
    start_rss = rss_bytes()
    peak = start_rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    peak = max(peak, rss_bytes())
    return elapsed, peak - start_rss


def registry_slowdown() -> float:
    """How much slower registering a secret for log redaction gets as secrets accumulate.

    Every decrypted plaintext is registered with app.core.logging; if each
    registration rebuilds the whole pattern, N decryptions cost O(N^2).
    """
    samples = [f"fake-probe-{i:06d}-{os.getpid()}" for i in range(250)]
    start = time.perf_counter()
    for value in samples[:50]:
        app_logging.register_secret(value)
    first = time.perf_counter() - start
    for value in samples[50:200]:
        app_logging.register_secret(value)
    start = time.perf_counter()
    for value in samples[200:]:
        app_logging.register_secret(value)
    last = time.perf_counter() - start
    return last / max(first, 1e-9)


def main() -> int:
    cameras, rules = layout(N)
    print(f"{N:,} secrets: {cameras:,} camera passwords + {rules:,} alert rules x 2 (URL, Authorization)")
    with tempfile.TemporaryDirectory(prefix="bench-rotation-") as tmp:
        slowdown = registry_slowdown()
        if slowdown > 3:
            print(
                f"rotation: BLOCKED. app.core.logging.register_secret gets {slowdown:.0f}x slower after 200 "
                "secrets: it re-sorts and recompiles one pattern of every registered secret on each new one, and "
                "every decryption registers its plaintext, so rotating N distinct secrets costs O(N^2) (about "
                f"23 s per 1,000 at N=1,000 here). {N:,} cannot be measured until it compiles lazily "
                "(see the issue 6 note)."
            )
        else:
            bench_rotation(tmp, cameras + rules)
        bench_migration(tmp)
    return 0


ROUNDS = int(os.environ.get("BENCH_ROTATION_ROUNDS", "3"))


def bench_rotation(tmp: str, rows: int) -> None:
    """rotate-key, as the command a user runs, against a bare MultiFernet.rotate loop.

    ``ROUNDS`` alternating rounds (bare loop, the command as it runs by default,
    the command with ``--workers 1``, each on a fresh copy of the same database);
    medians of each side, so a noisy neighbour moment hits one round, not the result.
    By default the pre-check opens and re-encrypts the values in one helper
    process per CPU while the command reads the rows; ``--workers 1`` does
    everything in the one process.
    """
    from app.secrets.pool import choose_workers

    old, new = Fernet.generate_key(), Fernet.generate_key()
    use_keys(old)
    empty_url = f"sqlite:///{Path(tmp) / 'empty.db'}"
    migrations.upgrade(empty_url)
    pristine = Path(tmp) / "pristine.db"
    migrations.upgrade(f"sqlite:///{pristine}")
    tokens = fill(f"sqlite:///{pristine}", N, encrypt=True)
    encryption.reset_keys()
    work_db = Path(tmp) / "rotation.db"
    url = f"sqlite:///{work_db}"

    def fresh_copy() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work_db) + suffix).unlink(missing_ok=True)
        shutil.copyfile(pristine, work_db)

    base_seconds = statistics.median(run_rotate_key(tmp, empty_url, new, old)[0] for _ in range(3))
    bare = MultiFernet([Fernet(new), Fernet(old)])
    bare_times: list[float] = []
    times: dict[int | None, list[float]] = {None: [], 1: []}
    for _ in range(ROUNDS):
        bare_times.append(time_loop(lambda: [bare.rotate(token) for token in tokens]))
        for workers in (None, 1):
            fresh_copy()
            seconds, _mem, output = run_rotate_key(tmp, url, new, old, workers)
            assert f"rows rewritten: {rows}" in output, output[-2000:]
            times[workers].append(max(seconds - base_seconds, 1e-9))
    tokens.clear()
    base_mem = run_rotate_key(tmp, empty_url, new, old, sample_memory=True)[1]
    peaks: dict[int | None, int] = {}
    for workers in (None, 1):
        fresh_copy()
        peaks[workers] = run_rotate_key(tmp, url, new, old, workers, sample_memory=True)[1]
    bare_seconds = statistics.median(bare_times)
    default_workers = choose_workers(None, rows)

    print(
        f"bare MultiFernet.rotate loop:  {N / bare_seconds:>9,.0f} secrets/s "
        f"(median of {ROUNDS}: {', '.join(f'{t:.2f}' for t in bare_times)} s)"
    )
    for workers, label in ((None, f"default ({default_workers} helper processes)"), (1, "--workers 1")):
        work = statistics.median(times[workers])
        print(
            f"rotate-key, {label}:  {N / work:>9,.0f} secrets/s (median of {ROUNDS}: "
            f"{', '.join(f'{t:.2f}' for t in times[workers])} s, start-up {base_seconds:.2f} s subtracted)"
        )
        print(f"  throughput ratio:            {bare_seconds / work:.2f}x of bare (target >= 0.5x)")
        print(
            f"  peak memory growth:          {(peaks[workers] - base_mem) / 1e6:.1f} MB (target <= 100 MB; peak PSS "
            f"{peaks[workers] / 1e6:.0f} MB with helpers vs {base_mem / 1e6:.0f} MB on an empty database)"
        )
    rows = []
    for workers, label in ((None, f"default, {default_workers} helpers"), (1, "--workers 1")):
        work = statistics.median(times[workers])
        growth = (peaks[workers] - base_mem) / 1e6
        runs = [round(bare_seconds / t, 3) for t in times[workers]]
        rows.append(
            Row(
                f"rotate-key {N:,} ({label}) vs bare MultiFernet.rotate",
                ratio(bare_seconds / work),
                ">= 0.5x",
                bare_seconds / work >= 0.5,
                runs,
            )
        )
        rows.append(
            Row(f"rotate-key {N:,} ({label}): peak memory growth", f"{growth:.0f} MB", "<= 100 MB", growth <= 100)
        )
    record("rotation", rows)


def bench_migration(tmp: str) -> None:
    """alembic upgrade (0003) over N plaintext secrets, against a bare Fernet.encrypt loop."""
    key = Fernet.generate_key()
    url = f"sqlite:///{Path(tmp) / 'migration.db'}"
    use_keys(key)
    migrations.upgrade(url, "0002_app_schema")
    fill(url, N, encrypt=False)
    cams, rls = plaintexts(N)
    values = [pw.encode() for _, pw in cams] + [v.encode() for _, hook, token in rls for v in (hook, token)]
    fernet = Fernet(key)
    bare_before = time_loop(lambda: [fernet.encrypt(value) for value in values])
    seconds, growth = peak_rss_during(lambda: migrations.upgrade(url))
    bare_after = time_loop(lambda: [fernet.encrypt(value) for value in values])
    bare_encrypt = (bare_before + bare_after) / 2
    print(
        f"bare Fernet.encrypt loop:      {N / bare_encrypt:>9,.0f} secrets/s ({bare_before:.2f} s, {bare_after:.2f} s)"
    )
    print(
        f"alembic upgrade (0003):        {N / seconds:>9,.0f} secrets/s ({seconds:.2f} s: pre-check, batched "
        "writes, VACUUM)"
    )
    print(
        f"migration throughput ratio:    {bare_encrypt / seconds:.2f}x of bare; "
        f"RSS growth {growth / 1e6:.1f} MB (sampled)"
    )
    runs = [round(bare_before / seconds, 3), round(bare_after / seconds, 3)]
    record(
        "migration",
        [
            Row(
                f"migration 0003, {N:,} plaintext secrets vs bare Fernet.encrypt",
                ratio(bare_encrypt / seconds),
                "none set (reported)",
                True,
                runs,
            ),
            Row(
                f"migration 0003, {N:,} secrets: RSS growth",
                f"{growth / 1e6:.0f} MB",
                "<= 100 MB (batched)",
                growth / 1e6 <= 100,
            ),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
