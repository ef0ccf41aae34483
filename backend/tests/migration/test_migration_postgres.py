"""Revision 0003_encrypt_secrets on PostgreSQL (``TEST_DATABASE_URL``; a fresh
schema per test): encrypt, again unchanged, downgrade, a damaged value."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from alembic import command
from app.core import encryption, migrations
from app.core.db import make_engine
from app.core.secret_fields import camera_password_context
from app.secrets import errors as secret_errors
from tests.conftest import SESSION_KEY, captured_logs
from tests.migration.helpers import (
    assert_all_under,
    dump_rows,
    key_check_state,
    new_key,
    seed_plaintext_database,
    stored_secrets,
    use_keys,
)

pytestmark = pytest.mark.postgres


def test_upgrade_again_and_downgrade(pg_url, canary):
    seeded = seed_plaintext_database(pg_url, canary, cameras=30)
    migrations.upgrade(pg_url)
    assert_all_under(pg_url, seeded, SESSION_KEY)
    assert key_check_state(pg_url, SESSION_KEY) == "primary"
    once = dump_rows(pg_url)

    # Make the encrypting revision itself run again over the encrypted data.
    command.stamp(migrations.alembic_config(pg_url), "0002_app_schema")
    migrations.upgrade(pg_url, "0003_encrypt_secrets")
    command.stamp(migrations.alembic_config(pg_url), "head")
    migrations.upgrade(pg_url)
    assert dump_rows(pg_url) == once

    migrations.downgrade(pg_url, "0002_app_schema")
    assert stored_secrets(pg_url) == seeded.plaintexts
    for secret in seeded.secrets():
        assert secret not in captured_logs()


def test_a_damaged_value_stops_it_and_nothing_changes(pg_url, canary):
    seeded = seed_plaintext_database(pg_url, canary)
    use_keys(pg_url, new_key())
    camera = seeded.camera_ids[3]
    foreign = encryption.encrypt("fake-foreign", context=camera_password_context(camera))
    encryption.reset_keys()
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE cameras SET password = :v WHERE id = :id"), {"v": foreign, "id": camera})
    engine.dispose()
    before = dump_rows(pg_url)

    with pytest.raises(secret_errors.MigrationStopped) as caught:
        migrations.upgrade(pg_url)

    assert f"cameras id={camera} field password" in str(caught.value)
    assert foreign not in str(caught.value)
    # PostgreSQL rolls the whole upgrade back: still the plaintext-era schema and rows.
    engine = make_engine(pg_url)
    assert migrations.current_revision(engine) == "0001_initial"
    engine.dispose()
    assert dump_rows(pg_url) == before
