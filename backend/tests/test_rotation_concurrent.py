"""The API keeps serving while ``rotate-key`` runs: its writes are neither lost
nor left under the old key.

The API here is the real app, restarted (as SETUP.md says) with the new key as
ENCRYPTION_KEY and the old one in ENCRYPTION_KEYS_PREVIOUS.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core import encryption
from app.core.db import make_engine
from app.core.secret_fields import camera_password_context, setting_context, webhook_header_context
from app.main import create_app
from app.secrets import rotation as key_rotation
from tests.conftest import assert_no_leak, make_settings, signed_in
from tests.migration.helpers import (
    SECRET_HEADER,
    assert_all_under,
    cli_env,
    key_check_state,
    new_key,
    start_cli,
    stored_secrets,
    wait_for_line,
)
from tests.test_rotation import encrypted_database


def _api(url: str, new: str, old: str) -> Any:
    return create_app(make_settings(url, encryption_key=new, encryption_keys_previous=[old]))


def _put_rule_header(client: TestClient, rule_id: int, value: str) -> None:
    rule = client.get(f"/api/v1/alert-rules/{rule_id}").json()
    webhook = rule["actions"]["webhook"]
    webhook["headers"][SECRET_HEADER] = value
    body = {"actions": {"dashboard_notification": rule["actions"]["dashboard_notification"], "webhook": webhook}}
    response = client.put(f"/api/v1/alert-rules/{rule_id}", json=body)
    assert response.status_code == 200, response.text


def _resume(proc) -> tuple[str, str]:
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=120)
    return out, err


def test_writes_made_while_a_batch_is_in_flight_win(tmp_path: Path, canary):
    """Paused after reading the settings batch and re-encrypting it in memory: the
    API replaces a key meanwhile. The compare-and-swap write sees the change, reads
    the row again and keeps the API's value."""
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    env = cli_env(tmp_path, url, new, [old], APP_TEST_ROTATION_HOOK="pause@before-write:4")
    proc = start_cli(["rotate-key", "--batch-size", "2"], env)
    written = {}
    try:
        wait_for_line(proc, "test hook paused at before-write 4")
        with signed_in(_api(url, new, old)) as client:
            # A row in the batch being written, one already rotated, one not reached yet.
            written[setting_context("ai_api_key_openai")] = canary("api-openai")
            response = client.put(
                "/api/v1/settings", json={"ai_api_key_openai": written[setting_context("ai_api_key_openai")]}
            )
            assert response.status_code == 200, response.text
            camera = seeded.camera_ids[0]
            written[camera_password_context(camera)] = canary("api-camera")
            response = client.put(
                f"/api/v1/cameras/{camera}", json={"password": written[camera_password_context(camera)]}
            )
            assert response.status_code == 200, response.text
            rule = seeded.rule_ids[0]
            written[webhook_header_context(rule, SECRET_HEADER)] = "Bearer " + canary("api-token")
            _put_rule_header(client, rule, written[webhook_header_context(rule, SECRET_HEADER)])
        out, err = _resume(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)

    assert proc.returncode == 0, err
    assert "concurrent writes detected and re-read: 1" in out
    seeded.plaintexts.update(written)
    assert_all_under(url, seeded, new)
    assert key_check_state(url, new) == "primary"
    for secret in seeded.secrets():
        assert_no_leak(secret, out, err)


def test_a_stale_write_of_old_tokens_is_caught_before_the_key_check(tmp_path: Path, canary):
    """The API read a rule before the rotation reached it and saved it (keeping its
    stored tokens, still under the old key) after: the catch-up pass re-encrypts
    them, so the key check is only rewritten when nothing is left under the old key."""
    url = f"sqlite:///{tmp_path / 'stale.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old)
    rule = seeded.rule_ids[0]
    engine = make_engine(url)
    with engine.connect() as conn:
        stale = conn.execute(sa.text("SELECT actions FROM alert_rules WHERE id = :id"), {"id": rule}).scalar()
    env = cli_env(tmp_path, url, new, [old], APP_TEST_ROTATION_HOOK="pause@after-commit:5")
    proc = start_cli(["rotate-key", "--batch-size", "2"], env)
    try:
        wait_for_line(proc, "test hook paused at after-commit 5")
        edited = json.loads(stale)
        edited["dashboard_notification"] = False  # the user's change, saved with the old tokens
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE alert_rules SET actions = :a WHERE id = :id"), {"a": json.dumps(edited), "id": rule}
            )
        out, err = _resume(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
        engine.dispose()

    assert proc.returncode == 0, err
    assert "passes: 3" in out  # main pass, a catch-up pass that re-encrypted rule 1, a pass finding nothing
    assert_all_under(url, seeded, new)
    engine = make_engine(url)
    with engine.connect() as conn:
        actions = json.loads(
            conn.execute(sa.text("SELECT actions FROM alert_rules WHERE id = :id"), {"id": rule}).scalar()
        )
    engine.dispose()
    assert actions["dashboard_notification"] is False  # the user's change survived
    assert key_check_state(url, new) == "primary"


def test_api_writes_in_a_concurrent_thread(tmp_path: Path, canary):
    """Free-running: the rotation (one row per commit) in one thread while the API
    keeps replacing secrets in another; at the end every value is the last one
    written (or the original), all under the new key."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    old, new = new_key(), new_key()
    seeded = encrypted_database(url, canary, old, cameras=24)
    app = _api(url, new, old)  # loads new + old into this process, as the restarted API has them
    engine = make_engine(url)
    outcome: dict[str, Any] = {}

    api_wrote = threading.Event()

    class InterleavingProgress(key_rotation.SilentProgress):
        """After each committed batch, let the API write once before going on, so the
        two really interleave however fast the rotation is (bounded wait: never hangs)."""

        def advance(self, info: Any) -> None:
            api_wrote.wait(timeout=2)
            api_wrote.clear()

    def rotate() -> None:
        try:
            outcome["summary"] = key_rotation.rotate_all(engine, url, batch_size=1, progress=InterleavingProgress())
        except BaseException as exc:  # reported by the main thread
            outcome["error"] = exc

    latest: dict[str, str] = {}
    rotation = threading.Thread(target=rotate)
    with signed_in(app) as client:
        rotation.start()
        round_number = 0
        while rotation.is_alive() or round_number < 3:
            round_number += 1
            app.state.limiter.reset()  # this loop changes secrets faster than the per-minute limit allows
            camera = seeded.camera_ids[round_number % len(seeded.camera_ids)]
            value = canary(f"race-camera-{round_number}")
            response = client.put(f"/api/v1/cameras/{camera}", json={"password": value})
            assert response.status_code == 200, response.text
            latest[camera_password_context(camera)] = value
            value = canary(f"race-openai-{round_number}")
            assert client.put("/api/v1/settings", json={"ai_api_key_openai": value}).status_code == 200
            latest[setting_context("ai_api_key_openai")] = value
            if round_number % 3 == 0:
                value = "Bearer " + canary(f"race-token-{round_number}")
                _put_rule_header(client, seeded.rule_ids[0], value)
                latest[webhook_header_context(seeded.rule_ids[0], SECRET_HEADER)] = value
            api_wrote.set()
        rotation.join(timeout=120)
    engine.dispose()

    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    assert summary.complete
    assert round_number > 3  # the API really wrote during the rotation
    seeded.plaintexts.update(latest)
    encryption.reset_keys()
    assert_all_under(url, seeded, new)
    assert key_check_state(url, new) == "primary"
    assert set(stored_secrets(url)) == set(seeded.plaintexts)
