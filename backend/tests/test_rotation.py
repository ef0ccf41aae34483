"""``python -m app.cli rotate-key``, end to end in a real subprocess: every
secret under the new key, skipped when already there, refused (naming the
places) when a value opens with no configured key, --dry-run, progress."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import encryption, migrations
from app.core.config import BACKEND_DIR
from app.core.db import make_engine
from app.core.secret_fields import camera_password_context, webhook_header_context
from tests.conftest import assert_no_leak, make_settings, signed_in
from tests.migration.helpers import (
    SECRET_HEADER,
    Seeded,
    assert_all_under,
    cli_env,
    dump_rows,
    key_check_state,
    new_key,
    run_cli,
    seed_plaintext_database,
    stored_secrets,
    use_keys,
)


def encrypted_database(url: str, canary, key: str, **kwargs) -> Seeded:
    """A database at head whose secrets are all encrypted under ``key``."""
    seeded = seed_plaintext_database(url, canary, **kwargs)
    use_keys(url, key)
    migrations.upgrade(url)
    encryption.reset_keys()
    return seeded


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rotate.db'}"


def _no_leak(seeded: Seeded, *places) -> None:
    for secret in seeded.secrets():
        assert_no_leak(secret, *places)


def test_rotation_end_to_end(tmp_path, url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    before = stored_secrets(url)

    result = run_cli(["rotate-key", "--batch-size", "2"], cli_env(tmp_path, url, new, [old]))

    assert result.returncode == 0, result.stderr
    assert_all_under(url, seeded, new)
    after = stored_secrets(url)
    assert all(after[context] != before[context] for context in before)
    assert key_check_state(url, new) == "primary"
    # Plain progress lines (stdout is a pipe) and a summary.
    assert "batch 1 committed" in result.stdout
    assert "Key check rewritten under the primary key" in result.stdout
    assert "cameras.password" in result.stdout
    _no_leak(seeded, result.stdout, result.stderr, Path(url.removeprefix("sqlite:///")))
    for token in before.values():  # the old tokens are gone from the file too
        assert_no_leak(token, result.stdout, Path(url.removeprefix("sqlite:///")))

    # The app now starts with the new key alone.
    env_new_only = cli_env(tmp_path, url, new)
    check = run_cli(["check-key"], env_new_only)
    assert check.returncode == 0, check.stderr
    status = run_cli(["encryption-status"], env_new_only)
    assert status.returncode == 0, status.stdout
    assert "OK: every stored secret is encrypted with the primary key." in status.stdout


def test_the_app_serves_with_only_the_new_key_after_rotation(tmp_path, url, canary):

    from app.main import create_app

    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    assert run_cli(["rotate-key"], cli_env(tmp_path, url, new, [old])).returncode == 0

    app = create_app(make_settings(url, encryption_key=new))
    with signed_in(app) as client:
        response = client.get("/api/v1/settings")
    assert response.status_code == 200
    body = response.json()
    plaintext = seeded.plaintexts["system_settings:ai_api_key_openai"]
    assert body["ai_api_key_openai"] == "****" + plaintext[-4:]
    assert body["secret_status"]["ai_api_key_openai"] == "set"
    _no_leak(seeded, response)


def test_a_second_run_rewrites_nothing(tmp_path, url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    env = cli_env(tmp_path, url, new, [old])
    assert run_cli(["rotate-key"], env).returncode == 0
    once = dump_rows(url)

    again = run_cli(["rotate-key"], env)

    assert again.returncode == 0, again.stderr
    assert dump_rows(url) == once
    assert "rows rewritten: 0" in again.stdout
    assert "Key check already under the primary key" in again.stdout
    assert_all_under(url, seeded, new)


def test_dry_run_reports_per_place_and_changes_nothing(tmp_path, url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    before = dump_rows(url)

    result = run_cli(["rotate-key", "--dry-run"], cli_env(tmp_path, url, new, [old]))

    assert result.returncode == 0, result.stderr
    assert dump_rows(url) == before
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith(("cameras", "system_settings"))]
    lines = {row[0]: row[1:] for row in rows}
    cameras = len(seeded.camera_ids)
    assert lines["cameras.password"] == [str(cameras), "0", "0", "0"]
    assert lines["system_settings.value"] == ["2", "0", "0", "0"]
    assert "would be rewritten under the primary key" in result.stdout
    _no_leak(seeded, result.stdout, result.stderr)


def test_refuses_to_begin_when_a_value_opens_with_no_configured_key(tmp_path, url, canary):
    old, new, stranger = new_key(), new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    camera = seeded.camera_ids[2]
    rule = seeded.rule_ids[0]
    # One value under a key that is not configured, one copied from another place.
    use_keys(url, stranger)
    foreign = encryption.encrypt("fake-unknown-key-secret", context=camera_password_context(camera))
    encryption.reset_keys()
    copied = stored_secrets(url)[camera_password_context(seeded.camera_ids[0])]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE cameras SET password = :v WHERE id = :id"), {"v": foreign, "id": camera})
        actions = conn.execute(sa.text("SELECT actions FROM alert_rules WHERE id = :id"), {"id": rule}).scalar()
        header_token = stored_secrets(url)[webhook_header_context(rule, SECRET_HEADER)]
        conn.execute(
            sa.text("UPDATE alert_rules SET actions = :a WHERE id = :id"),
            {"a": actions.replace(header_token, copied), "id": rule},
        )
    engine.dispose()
    before = dump_rows(url)

    for args in (["rotate-key"], ["rotate-key", "--dry-run"]):
        result = run_cli(args, cli_env(tmp_path, url, new, [old]))
        assert result.returncode == 1
        assert "rotate-key refused to begin" in result.stderr
        assert f"cameras id={camera} field password" in result.stderr
        assert f"alert_rules id={rule} field actions.webhook.headers.{SECRET_HEADER}" in result.stderr
        for value in (foreign, copied):
            assert value not in result.stderr + result.stdout
        _no_leak(seeded, result.stdout, result.stderr)
        assert dump_rows(url) == before


def test_refuses_when_the_keys_do_not_belong_to_the_database(tmp_path, url, canary):
    old = new_key()
    encrypted_database(url, canary, old)
    before = dump_rows(url)
    result = run_cli(["rotate-key"], cli_env(tmp_path, url, new_key(), [new_key()]))
    assert result.returncode == 1
    assert "None of the configured keys opens this database's key check" in result.stderr
    assert dump_rows(url) == before


def test_refuses_on_a_database_that_is_not_migrated(tmp_path, url, canary):
    seed_plaintext_database(url, canary, revision="0002_app_schema")
    result = run_cli(["rotate-key"], cli_env(tmp_path, url, new_key()))
    assert result.returncode == 1
    assert "The database schema is not up to date" in result.stderr


def test_plaintext_left_by_a_bug_is_encrypted_by_the_rotation(tmp_path, url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    camera = seeded.camera_ids[0]
    plaintext = seeded.plaintexts[camera_password_context(camera)]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE cameras SET password = :v WHERE id = :id"), {"v": plaintext, "id": camera})
    engine.dispose()

    result = run_cli(["rotate-key"], cli_env(tmp_path, url, new, [old]))

    assert result.returncode == 0, result.stderr
    assert_all_under(url, seeded, new)


def test_bad_batch_size_is_refused(tmp_path, url):
    result = run_cli(["rotate-key", "--batch-size", "0"], cli_env(tmp_path, url, new_key()))
    assert result.returncode == 2
    assert "must be at least 1" in result.stderr


def test_progress_bar_on_a_terminal(tmp_path, url, canary):
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    leader, follower = pty.openpty()
    env = cli_env(tmp_path, url, new, [old], COLUMNS="100", TERM="xterm")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "rotate-key", "--batch-size", "1"],
        cwd=BACKEND_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    text = output.decode("utf-8", "replace")
    assert "━" in text  # rich's bar
    assert "batch 1 committed" not in text  # not the plain lines
    assert "Key check rewritten" in text
    assert_all_under(url, seeded, new)
    _no_leak(seeded, text)


def test_rotated_secrets_work_through_the_app_with_the_new_key_alone(tmp_path, canary):

    from app.main import create_app
    from tests.migration.app_paths import exercise, outside_world, seed_for_app

    url = f"sqlite:///{tmp_path / 'through-app.db'}"
    old, new = new_key(), new_key()
    with outside_world(canary) as outside:
        seeded = seed_for_app(url, canary, outside)
        use_keys(url, old)
        migrations.upgrade(url)
        encryption.reset_keys()

        result = run_cli(["rotate-key", "--batch-size", "3"], cli_env(tmp_path, url, new, [old]))
        assert result.returncode == 0, result.stderr

        app = create_app(make_settings(url, encryption_key=new))
        app.state.webhook_worker.poll_interval = 0.05
        with signed_in(app) as client:
            exercise(client, seeded, outside)
