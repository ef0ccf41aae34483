"""rotate-key with helper processes (``--workers``): the pre-check and the
re-encryption run in other processes, and the result is the same as in one
process; a helper that fails or dies costs nothing; killed, the command leaves
no helper behind.

The database is the same small layout as the kill tests (13 secrets in 10
rows); ``--workers 2`` forces helpers at that size (automatically they start
from ``PARALLEL_MIN_ROWS`` rows).
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from app.core import encryption
from app.core.db import make_engine
from app.secrets import pool, rotation
from app.secrets.pool import Helpers, choose_workers, helper_pool, in_process
from tests.conftest import assert_no_leak
from tests.migration.helpers import (
    assert_all_under,
    cli_env,
    dump_rows,
    key_check_state,
    keys,
    new_key,
    paused_rotation,
    run_cli,
    stored_secrets,
)
from tests.test_rotation import encrypted_database

TOTAL_ROWS = 10


def test_rotate_key_with_helper_processes(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'helpers.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    before = stored_secrets(url)

    result = run_cli(["rotate-key", "--batch-size", "2", "--workers", "2"], cli_env(tmp_path, url, new, [old]))

    assert result.returncode == 0, result.stderr
    assert f"rows rewritten: {TOTAL_ROWS}" in result.stdout
    assert_all_under(url, seeded, new)
    after = stored_secrets(url)
    assert all(after[context] != before[context] for context in before)
    assert key_check_state(url, new) == "primary"
    for secret in seeded.secrets():
        assert_no_leak(secret, result.stdout, result.stderr, Path(url.removeprefix("sqlite:///")).read_bytes())

    # A rerun finds everything under the new key and rewrites nothing.
    again = run_cli(["rotate-key", "--workers", "2"], cli_env(tmp_path, url, new, [old]))
    assert again.returncode == 0, again.stderr
    assert "rows rewritten: 0" in again.stdout
    assert stored_secrets(url) == after


def test_helpers_in_process_match_one_process(tmp_path, canary):
    """rotate_all with helpers (started from this multi-threaded test process:
    ``spawn``) counts and rewrites exactly what one process does."""
    one = tmp_path / "one.db"
    seeded = encrypted_database(f"sqlite:///{one}", canary, old := new_key())
    two = tmp_path / "two.db"
    shutil.copyfile(one, two)
    new = new_key()
    summaries = {}
    for workers, path in ((1, one), (2, two)):
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            with keys(url, new, [old]):
                summaries[workers] = rotation.rotate_all(engine, url, batch_size=3, workers=workers)
        finally:
            engine.dispose()
        assert_all_under(url, seeded, new)

    assert summaries[2].complete and summaries[1].complete
    assert summaries[2].before.counts == summaries[1].before.counts
    assert summaries[2].result.outcomes == summaries[1].result.outcomes
    assert summaries[2].result.rows_changed == summaries[1].result.rows_changed == TOTAL_ROWS


def test_dry_run_with_helpers_writes_nothing(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'dry.db'}"
    old, new = new_key(), new_key()
    encrypted_database(url, canary, old)
    rows = dump_rows(url)

    result = run_cli(["rotate-key", "--dry-run", "--workers", "2"], cli_env(tmp_path, url, new, [old]))

    assert result.returncode == 0, result.stderr
    assert "nothing was changed" in result.stdout
    assert dump_rows(url) == rows


def test_a_tampered_value_is_refused_with_helpers(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'tampered.db'}"
    old, new = new_key(), new_key()
    encrypted_database(url, canary, old)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cameras SET password = 'encrypted:gAAAAAnot-a-real-token' WHERE id = 2")
    engine.dispose()
    rows = dump_rows(url)

    result = run_cli(["rotate-key", "--batch-size", "2", "--workers", "2"], cli_env(tmp_path, url, new, [old]))

    assert result.returncode == 1
    assert "cameras id=2 field password" in result.stderr
    assert dump_rows(url) == rows


def _helper_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"  # a zombie is gone, only not reaped
    except FileNotFoundError:
        return False


def test_helpers_exit_when_the_command_is_killed(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'orphans.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    env = cli_env(tmp_path, url, new, [old])
    args = ["rotate-key", "--batch-size", "2", "--workers", "2"]
    with paused_rotation(args, env, "before-write:2") as proc:
        helpers = _helper_pids(proc.pid)
        assert len(helpers) == 2

    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in helpers), "a helper outlived the killed command"

    # One batch was committed; a rerun (helpers again) finishes the job.
    rerun = run_cli(["rotate-key", "--batch-size", "2", "--workers", "2"], env)
    assert rerun.returncode == 0, rerun.stderr
    assert_all_under(url, seeded, new)


def _square(x: int) -> int:
    return x * x


def _fails_in_helpers(x: int) -> int:
    if os.getpid() != _PARENT:
        raise RuntimeError("a helper failed")
    return x + 1


_PARENT = os.getpid()


def test_helpers_give_results_in_order_and_fall_back_here():
    jobs = [(i, (i,)) for i in range(20)]
    with helper_pool(2) as helpers:
        assert helpers is not None
        assert list(helpers.map(_square, jobs)) == [(i, i * i) for i in range(20)]
        # A job that fails in a helper is done again here (where it succeeds, or raises for real).
        assert list(helpers.map(_fails_in_helpers, jobs[:5])) == [(i, i + 1) for i in range(5)]

    # The helpers gone (shut down): everything runs here.
    pool = ProcessPoolExecutor(max_workers=1)
    pool.shutdown()
    gone = Helpers(pool, ahead=2)
    assert list(gone.map(_square, jobs[:4])) == list(in_process(_square, jobs[:4]))


def test_how_many_helpers():
    assert choose_workers(None, pool.PARALLEL_MIN_ROWS - 1) == 1
    automatic = choose_workers(None, pool.PARALLEL_MIN_ROWS)
    assert 1 <= automatic <= pool.MAX_WORKERS
    cpus = pool.available_cpus()
    assert automatic == (min(pool.MAX_WORKERS, cpus) if cpus >= pool.MIN_CPUS_FOR_HELPERS else 1)
    assert choose_workers(3, 10) == 3
    with helper_pool(1) as none:
        assert none is None


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_workers_must_be_a_positive_number(tmp_path, value):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = run_cli(["rotate-key", "--workers", value], cli_env(tmp_path, url, encryption.generate_key()))
    assert result.returncode == 2
    assert "--workers" in result.stderr
    assert "Traceback" not in result.stderr
