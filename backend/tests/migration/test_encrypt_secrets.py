"""Revision 0003_encrypt_secrets: a plaintext-era (0001_initial) database comes
out with every secret encrypted, bound to its place; again changes nothing;
the downgrade gives the plaintext back; a damaged value stops it by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from alembic import command
from app.core import encryption, migrations
from app.core.db import make_engine
from app.core.secret_fields import camera_password_context, webhook_header_context
from app.secrets import errors as secret_errors
from tests.conftest import SESSION_KEY, assert_no_leak, captured_logs
from tests.migration.helpers import (
    PLAIN_HEADER,
    SECRET_HEADER,
    assert_all_under,
    cli_env,
    dump_rows,
    key_check_state,
    new_key,
    plain_header_values,
    run_alembic,
    seed_plaintext_database,
    stored_secrets,
    use_keys,
)

HEAD = "0006_event_detail"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'plaintext-era.db'}"


def _db_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrations.current_revision(engine)
    finally:
        engine.dispose()


def test_upgrade_encrypts_every_plaintext_secret_bound_to_its_place(url, canary):
    seeded = seed_plaintext_database(url, canary)
    before = dump_rows(url)

    migrations.upgrade(url)  # keys come from the environment, as under the plain `alembic` command

    assert _revision(url) == HEAD
    assert_all_under(url, seeded, SESSION_KEY)
    # Non-secrets are left exactly as they were.
    after = dump_rows(url)
    settings_after = dict((k, v) for k, v, *_ in after["system_settings"])
    assert settings_after[seeded.plain_setting[0]] == seeded.plain_setting[1]
    assert plain_header_values(url) == {seeded.rule_ids[0]: "application/json"}
    cameras_before = {row[0]: row[5] for row in before["cameras"]}
    cameras_after = {row[0]: row[5] for row in after["cameras"]}
    assert cameras_after[max(cameras_after)] == "" and cameras_before[max(cameras_before)] == ""
    assert cameras_after[max(cameras_after) - 1] is None
    # The key check is written with the key that encrypted the data.
    assert key_check_state(url, SESSION_KEY) == "primary"
    # No plaintext left in the database file, nor in the logs.
    for secret in seeded.secrets():
        assert_no_leak(secret, _db_file(url), captured_logs())


def test_a_token_is_bound_to_its_place(url, canary):
    seeded = seed_plaintext_database(url, canary)
    migrations.upgrade(url)
    stored = stored_secrets(url)
    first, second = seeded.camera_ids[:2]
    use_keys(url, SESSION_KEY)
    with pytest.raises(encryption.DecryptionError) as caught:
        encryption.decrypt(stored[camera_password_context(first)], context=camera_password_context(second))
    assert "belongs to another place" in str(caught.value)


@pytest.fixture
def sqlite_secure_delete_off():
    """Connections behave like an SQLite built without SQLITE_SECURE_DELETE
    (Debian's turns it on by default; python.org's and macOS's do not)."""

    def off(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA secure_delete = OFF")

    sa.event.listen(sa.Engine, "connect", off)
    yield
    sa.event.remove(sa.Engine, "connect", off)


def test_replaced_plaintext_is_zeroed_in_the_sqlite_file(tmp_path, canary, sqlite_secure_delete_off):
    # Enough rows that SQLite leaves replaced cells in the pages' free space
    # unless PRAGMA secure_delete is on.
    # Seeded at 0002, so that this revision (not 0002's table rebuilds) replaces them.
    for revision in ("0001_initial", "0002_app_schema"):
        url = f"sqlite:///{tmp_path / (revision + '.db')}"
        seeded = seed_plaintext_database(url, canary, cameras=40, revision=revision)
        migrations.upgrade(url)
        data = _db_file(url).read_bytes()
        left = [s for s in seeded.secrets() if s.encode() in data]
        assert left == [], f"{len(left)} plaintext secret(s) still readable in the database file ({revision})"


def test_upgrade_again_changes_nothing_byte_for_byte(url, canary):
    seeded = seed_plaintext_database(url, canary)
    migrations.upgrade(url)
    once = dump_rows(url)

    migrations.upgrade(url)  # already at head: nothing to do
    assert dump_rows(url) == once

    # Make the revision itself run again over the encrypted data.
    command.stamp(migrations.alembic_config(url), "0002_app_schema")
    migrations.upgrade(url, "0003_encrypt_secrets")
    command.stamp(migrations.alembic_config(url), HEAD)
    assert dump_rows(url) == once
    assert_all_under(url, seeded, SESSION_KEY)


def test_values_the_app_already_encrypted_are_left_alone(url, canary):
    # A database at 0002 where some secrets were written encrypted (by the new app)
    # and some are still plaintext: only the plaintext ones change; nothing is encrypted twice.
    seeded = seed_plaintext_database(url, canary, revision="0002_app_schema")
    camera = seeded.camera_ids[0]
    context = camera_password_context(camera)
    use_keys(url, SESSION_KEY)
    token = encryption.encrypt(seeded.plaintexts[context], context=context)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE cameras SET password = :t WHERE id = :id"), {"t": token, "id": camera})
    engine.dispose()

    migrations.upgrade(url)

    assert stored_secrets(url)[context] == token
    assert_all_under(url, seeded, SESSION_KEY)


def test_downgrade_decrypts_everything_back(url, canary):
    seeded = seed_plaintext_database(url, canary)
    before = dump_rows(url)
    migrations.upgrade(url)

    migrations.downgrade(url, "0002_app_schema")

    assert _revision(url) == "0002_app_schema"
    assert stored_secrets(url) == seeded.plaintexts
    # The rule JSON holds the same values (the app's compact JSON form).
    rules_before = {row[0]: json.loads(row[4]) for row in before["alert_rules"]}
    rules_after = {row[0]: json.loads(row[4]) for row in dump_rows(url)["alert_rules"]}
    assert rules_after == rules_before

    # And up again: encrypted again, decrypting to the same values.
    migrations.upgrade(url)
    assert_all_under(url, seeded, SESSION_KEY)


def _tamper(url: str, seeded) -> tuple[list[str], list[str]]:
    """Damage three values in three ways; returns (places, the stored damaged values)."""
    first, second = seeded.camera_ids[:2]
    rule = seeded.rule_ids[0]
    use_keys(url, SESSION_KEY)
    first_context = camera_password_context(first)
    copied = encryption.encrypt(seeded.plaintexts[first_context], context=first_context)
    use_keys(url, new_key())
    foreign = encryption.encrypt("fake-other-key-secret", context="system_settings:ai_api_key_openai")
    encryption.reset_keys()
    garbage = "encrypted:this-is-not-a-fernet-token"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE cameras SET password = :v WHERE id = :id"), {"v": copied, "id": second})
        conn.execute(sa.text("UPDATE system_settings SET value = :v WHERE key = 'ai_api_key_openai'"), {"v": foreign})
        raw = conn.execute(sa.text("SELECT actions FROM alert_rules WHERE id = :id"), {"id": rule}).scalar()
        actions = json.loads(raw)
        actions["webhook"]["headers"][SECRET_HEADER] = garbage
        conn.execute(
            sa.text("UPDATE alert_rules SET actions = :a WHERE id = :id"), {"a": json.dumps(actions), "id": rule}
        )
    engine.dispose()
    places = [
        f"cameras id={second} field password",
        "system_settings key=ai_api_key_openai field value",
        f"alert_rules id={rule} field actions.webhook.headers.{SECRET_HEADER}",
    ]
    return places, [copied, foreign, garbage]


def test_a_value_that_looks_encrypted_but_does_not_decrypt_stops_it_by_name(url, canary):
    seeded = seed_plaintext_database(url, canary, revision="0002_app_schema")
    places, damaged = _tamper(url, seeded)
    before = dump_rows(url)

    with pytest.raises(secret_errors.MigrationStopped) as caught:
        migrations.upgrade(url)

    message = str(caught.value)
    for place in places:
        assert place in message
    for value in [*damaged, *seeded.secrets()]:
        assert value not in message
    # Nothing was written: not one value encrypted, the revision not applied.
    assert dump_rows(url) == before
    assert _revision(url) == "0002_app_schema"


def test_the_app_reports_a_stopped_migration_in_one_line(url, canary):
    from app.core.keys import StartupError
    from app.main import create_app
    from tests.conftest import make_settings

    seeded = seed_plaintext_database(url, canary, revision="0002_app_schema")
    places, damaged = _tamper(url, seeded)
    with pytest.raises(StartupError) as caught:
        create_app(make_settings(url))
    message = str(caught.value)
    assert message.startswith("Database migration stopped:")
    assert places[0] in message
    assert "\n" not in message
    for value in [*damaged, *seeded.secrets()]:
        assert value not in message


def test_unreadable_actions_json_stops_it_naming_the_row(url, canary):
    seed_plaintext_database(url, canary)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alert_rules SET actions = '{not json' WHERE id = 2"))
    engine.dispose()
    with pytest.raises(secret_errors.MigrationStopped) as caught:
        migrations.upgrade(url)
    assert "alert_rules id=2 field actions (is not valid JSON)" in str(caught.value)
    assert _revision(url) == "0002_app_schema"


def test_without_a_key_it_stops_with_the_apps_message(url, canary, monkeypatch):
    seeded = seed_plaintext_database(url, canary)
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    from app.core.config import reset_settings_cache
    from tests.conftest import make_settings

    reset_settings_cache()
    encryption.reset_keys()
    with pytest.raises(encryption.KeyConfigError) as expected:
        encryption.load_keys(make_settings(url, encryption_key=None))
    encryption.reset_keys()

    with pytest.raises(secret_errors.MigrationKeyMissing) as caught:
        migrations.upgrade(url)

    assert str(caught.value) == str(expected.value)
    assert stored_secrets(url) == seeded.plaintexts  # nothing encrypted, nothing lost
    assert _revision(url) == "0002_app_schema"


def test_without_secrets_no_key_is_needed(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    from app.core.config import reset_settings_cache

    reset_settings_cache()
    encryption.reset_keys()
    migrations.upgrade(url)
    assert _revision(url) == HEAD


def test_alembic_command_without_a_key_prints_one_clear_line(tmp_path, url, canary):
    seeded = seed_plaintext_database(url, canary)
    env = cli_env(tmp_path, url, key=None)
    result = run_alembic(["upgrade", "head"], env)
    assert result.returncode != 0
    assert "No encryption key is configured. Set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE" in result.stderr
    assert "Traceback" not in result.stderr
    for secret in seeded.secrets():
        assert_no_leak(secret, result.stdout, result.stderr)
    assert stored_secrets(url) == seeded.plaintexts


def test_alembic_command_with_the_key_encrypts(tmp_path, url, canary):
    seeded = seed_plaintext_database(url, canary)
    key = new_key()
    env = cli_env(tmp_path, url, key=key)
    result = run_alembic(["upgrade", "head"], env)
    assert result.returncode == 0, result.stderr
    assert_all_under(url, seeded, key)
    for secret in seeded.secrets():
        assert_no_leak(secret, result.stdout, result.stderr, _db_file(url))


def test_first_run_init_generates_a_key_and_encrypts_the_plaintext(tmp_path, url, canary):
    # The upgrade path of a user coming from the plaintext version: no key yet.
    from tests.migration.helpers import run_cli

    seeded = seed_plaintext_database(url, canary)
    env = cli_env(tmp_path, url, key=None)
    result = run_cli(["init"], env)
    assert result.returncode == 0, result.stderr
    env_file = Path(env["APP_ENV_FILE"])
    lines = env_file.read_text().splitlines()
    key = next(line.split("=", 1)[1] for line in lines if line.startswith("ENCRYPTION_KEY="))
    assert_all_under(url, seeded, key)
    assert key_check_state(url, key) == "primary"
    for secret in seeded.secrets():
        assert_no_leak(secret, result.stdout, result.stderr, _db_file(url))


def test_sql_mode_is_refused(url):
    migrations.upgrade(url, "0002_app_schema")
    with pytest.raises(secret_errors.MigrationStopped):
        command.upgrade(migrations.alembic_config(url), "0002_app_schema:0003_encrypt_secrets", sql=True)


def test_key_check_row_name_is_the_stored_one():
    # One name for the row everywhere (migrations, CLI, start-up); stored databases hold it.
    assert encryption.KEY_CHECK == "encryption_key_check"


def test_header_context_is_case_insensitive_like_the_app(url, canary):
    # Header names are matched without case by the app: the migration binds the same way.
    seeded = seed_plaintext_database(url, canary)
    migrations.upgrade(url)
    rule = seeded.rule_ids[0]
    value = stored_secrets(url)[webhook_header_context(rule, SECRET_HEADER)]
    use_keys(url, SESSION_KEY)
    assert (
        encryption.decrypt(value, context=webhook_header_context(rule, SECRET_HEADER.upper()))
        == (seeded.plaintexts[webhook_header_context(rule, SECRET_HEADER)])
    )
    assert PLAIN_HEADER not in {c.rsplit(".", 1)[-1] for c in seeded.plaintexts}
