"""``python -m app.cli encryption-status``: per place, how many secrets are under
the primary key, a previous key, in plaintext, undecryptable; exit 1 when any is
plaintext or undecryptable (for monitoring). Never a value."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from app.core import encryption
from app.core.db import make_engine
from app.core.secret_fields import camera_password_context, setting_context, webhook_url_context
from tests.conftest import assert_no_leak
from tests.migration.helpers import (
    cli_env,
    new_key,
    run_cli,
    seed_plaintext_database,
    stored_secrets,
    use_keys,
)
from tests.test_rotation import encrypted_database


def _status(tmp_path: Path, url: str, key: str | None, previous=(), *args: str):
    result = run_cli(["encryption-status", *args], cli_env(tmp_path, url, key, previous))
    return result


def _set(url: str, statement: str, **params) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def test_counts_every_state_per_place(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'status.db'}"
    old, new, stranger = new_key(), new_key(), new_key()
    seeded = encrypted_database(url, canary, old)  # 6 cameras, 2 keys, 4 + 1 rule secrets, all under `old`
    cameras = seeded.camera_ids
    # camera 1 under the new key, camera 2 plaintext, camera 3 under a key nobody has, setting copied elsewhere
    use_keys(url, new)
    under_new = encryption.encrypt(
        seeded.plaintexts[camera_password_context(cameras[0])], context=camera_password_context(cameras[0])
    )
    use_keys(url, stranger)
    under_stranger = encryption.encrypt("fake-stranger-secret", context=camera_password_context(cameras[2]))
    encryption.reset_keys()
    copied = stored_secrets(url)[webhook_url_context(seeded.rule_ids[2])]
    _set(url, "UPDATE cameras SET password = :v WHERE id = :id", v=under_new, id=cameras[0])
    _set(
        url,
        "UPDATE cameras SET password = :v WHERE id = :id",
        v=seeded.plaintexts[camera_password_context(cameras[1])],
        id=cameras[1],
    )
    _set(url, "UPDATE cameras SET password = :v WHERE id = :id", v=under_stranger, id=cameras[2])
    _set(url, "UPDATE system_settings SET value = :v WHERE key = 'ai_api_key_anthropic'", v=copied)

    result = _status(tmp_path, url, new, [old], "--json")

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["places"]["cameras.password"] == {"primary": 1, "previous": 3, "plaintext": 1, "undecryptable": 1}
    assert report["places"]["system_settings.value"] == {
        "primary": 0,
        "previous": 1,
        "plaintext": 0,
        "undecryptable": 1,
    }
    assert report["places"]["alert_rules.actions.webhook.url"] == {
        "primary": 0,
        "previous": 2,
        "plaintext": 0,
        "undecryptable": 0,
    }
    assert report["places"]["alert_rules.actions.webhook.headers"]["previous"] == 2
    assert report["places"]["alert_rules.actions.webhook.signing_secret"]["previous"] == 1
    assert report["totals"] == {"primary": 1, "previous": 9, "plaintext": 1, "undecryptable": 2}
    assert report["key_check"] == "previous"
    assert report["unreadable_places"] == [
        f"cameras id={cameras[2]} field password",
        "system_settings key=ai_api_key_anthropic field value",
    ]

    text = _status(tmp_path, url, new, [old])
    assert text.returncode == 1
    assert f"cannot be read: cameras id={cameras[2]} field password" in text.stdout
    assert "PLAINTEXT secrets found" in text.stdout
    for value in [*seeded.secrets(), under_stranger, copied, under_new]:
        assert_no_leak(value, result.stdout, result.stderr, text.stdout, text.stderr)


def test_all_under_the_primary_key_is_healthy(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'healthy.db'}"
    key = new_key()
    seeded = encrypted_database(url, canary, key)
    result = _status(tmp_path, url, key)
    assert result.returncode == 0, result.stdout
    assert "OK: every stored secret is encrypted with the primary key." in result.stdout
    assert "key check: opens with the primary key" in result.stdout
    total = next(line for line in result.stdout.splitlines() if line.startswith("total")).split()
    assert total[1:] == [str(len(seeded.plaintexts)), "0", "0", "0"]


def test_mid_rotation_is_not_an_error_but_says_so(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'mid.db'}"
    old, new = new_key(), new_key()
    encrypted_database(url, canary, old)
    result = _status(tmp_path, url, new, [old])
    assert result.returncode == 0, result.stdout
    assert "run `python -m app.cli rotate-key` to finish the rotation" in result.stdout


def test_a_plaintext_era_database_shows_its_plaintext(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    seeded = seed_plaintext_database(url, canary)
    result = _status(tmp_path, url, new_key(), (), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["totals"]["plaintext"] == len(seeded.plaintexts)
    assert report["key_check"] == "absent"
    assert report["places"]["system_settings.value"]["plaintext"] == 2
    assert setting_context("ai_api_key_openai") in seeded.plaintexts
    for value in seeded.secrets():
        assert_no_leak(value, result.stdout, result.stderr)


def test_without_a_key_it_says_how_to_configure_one(tmp_path, canary):
    url = f"sqlite:///{tmp_path / 'nokey.db'}"
    encrypted_database(url, canary, new_key())
    result = _status(tmp_path, url, None)
    assert result.returncode == 1
    assert "No encryption key is configured" in result.stderr
    assert "Traceback" not in result.stderr
