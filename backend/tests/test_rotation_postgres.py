"""rotate-key and encryption-status on PostgreSQL (``TEST_DATABASE_URL``; a
fresh schema per test): end to end, killed and rerun, an API write in flight."""

from __future__ import annotations

import signal

import pytest

from app.core.secret_fields import setting_context
from app.main import create_app
from tests.conftest import make_settings, signed_in
from tests.migration.helpers import (
    assert_all_under,
    cli_env,
    key_check_state,
    new_key,
    run_cli,
    start_cli,
    wait_for_line,
)
from tests.test_rotation import encrypted_database

pytestmark = pytest.mark.postgres


def test_rotation_end_to_end_killed_and_rerun(tmp_path, pg_url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(pg_url, canary, old)
    env = cli_env(tmp_path, pg_url, new, [old])

    killed = run_cli(["rotate-key", "--batch-size", "2"], {**env, "APP_TEST_ROTATION_HOOK": "kill@before-commit:3"})
    assert killed.returncode == -signal.SIGKILL
    assert key_check_state(pg_url, new, [old]) == "previous"

    rerun = run_cli(["rotate-key", "--batch-size", "2"], env)
    assert rerun.returncode == 0, rerun.stderr
    assert_all_under(pg_url, seeded, new)
    assert key_check_state(pg_url, new) == "primary"
    status = run_cli(["encryption-status"], cli_env(tmp_path, pg_url, new))
    assert status.returncode == 0, status.stdout
    assert run_cli(["check-key"], cli_env(tmp_path, pg_url, new)).returncode == 0


def test_an_api_write_during_the_rotation_wins(tmp_path, pg_url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(pg_url, canary, old)
    env = cli_env(tmp_path, pg_url, new, [old], APP_TEST_ROTATION_HOOK="pause@before-write:4")
    proc = start_cli(["rotate-key", "--batch-size", "2"], env)
    try:
        wait_for_line(proc, "test hook paused at before-write 4")
        value = canary("pg-api-openai")
        app = create_app(make_settings(pg_url, encryption_key=new, encryption_keys_previous=[old]))
        with signed_in(app) as client:
            assert client.put("/api/v1/settings", json={"ai_api_key_openai": value}).status_code == 200
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "concurrent writes detected and re-read: 1" in out
    seeded.plaintexts[setting_context("ai_api_key_openai")] = value
    assert_all_under(pg_url, seeded, new)
