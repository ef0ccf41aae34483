"""app.secrets (inventory, columns, census) on its own: every place found, batches by
primary key (integer and text keys), compare-and-swap writes that never
overwrite a concurrent change, and row shapes it refuses to guess about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.core import encryption, migrations
from app.core.db import make_engine
from app.core.secret_fields import setting_context, webhook_header_context
from app.secrets import columns, errors, inventory
from app.secrets.census import take_census
from tests.conftest import SESSION_KEY
from tests.migration.helpers import seed_plaintext_database, use_keys


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'inventory.db'}"


def _column(name: str) -> columns.SecretColumn:
    return next(c for c in columns.SECRET_COLUMNS if c.table_name == name)


def test_batches_cover_every_row_once_for_integer_and_text_keys(url, canary):
    seed_plaintext_database(url, canary, cameras=7, revision="0002_app_schema")
    engine = make_engine(url)
    with engine.connect() as conn:
        for batch_size in (1, 2, 3, 100):
            cameras = [pk for batch in inventory.iter_batches(conn, _column("cameras"), batch_size) for pk, _ in batch]
            assert cameras == list(range(1, 8))  # the NULL and '' passwords are not secrets
            assert all(len(b) <= batch_size for b in inventory.iter_batches(conn, _column("cameras"), batch_size))
            keys = [
                pk for batch in inventory.iter_batches(conn, _column("system_settings"), batch_size) for pk, _ in batch
            ]
            assert keys == ["ai_api_key_anthropic", "ai_api_key_openai"]  # not ai_primary_provider
    engine.dispose()


def test_every_place_is_found(url, canary):
    seeded = seed_plaintext_database(url, canary, revision="0002_app_schema")
    engine = make_engine(url)
    with engine.connect() as conn:
        census = take_census(conn)
        found = {
            s.context: s.value
            for column in columns.existing_columns(conn)
            for batch in inventory.iter_batches(conn, column, 10)
            for pk, raw in batch
            for s in column.secrets(pk, raw)
        }
    engine.dispose()
    assert found == seeded.plaintexts
    assert census.total("plaintext") == len(seeded.plaintexts)
    assert set(census.counts) == set(columns.PLACES)


def test_compare_and_swap_keeps_a_concurrent_write(url, canary, monkeypatch):
    """A row changed between the read and the write is read again and transformed
    afresh: the concurrent value wins (here it is then encrypted), never the stale one."""
    seeded = seed_plaintext_database(url, canary, cameras=4, revision="0002_app_schema")
    use_keys(url, SESSION_KEY)
    concurrent = canary("written-meanwhile")
    engine = make_engine(url)
    other = make_engine(url)
    write_batch = inventory.write_batch_if_unchanged
    writes = 0

    def meanwhile_then_write(*args, **kwargs):
        # Another writer changes row 2 after the first batch was read, before it is written.
        nonlocal writes
        writes += 1
        if writes == 1:
            with other.begin() as conn:
                conn.execute(sa.text("UPDATE cameras SET password = :p WHERE id = 2"), {"p": concurrent})
        return write_batch(*args, **kwargs)

    monkeypatch.setattr(inventory, "write_batch_if_unchanged", meanwhile_then_write)

    def encrypt(secret: columns.Secret) -> columns.Outcome:
        return "encrypted", encryption.encrypt(secret.value, context=secret.context)

    with engine.begin() as conn:
        result = inventory.rewrite_column(conn, _column("cameras"), encrypt, batch_size=2)
    engine.dispose()
    other.dispose()

    assert result.conflicts == 1
    assert result.rows_changed == 4
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT id, password FROM cameras WHERE id <= 4")).all())
    engine.dispose()
    assert encryption.decrypt(stored[2], context="cameras.password:2") == concurrent
    assert encryption.decrypt(stored[1], context="cameras.password:1") == seeded.plaintexts["cameras.password:1"]


def test_a_deleted_row_is_skipped(url, canary):
    seed_plaintext_database(url, canary, cameras=3, revision="0002_app_schema")
    engine = make_engine(url)
    with engine.connect() as conn:
        batches = list(inventory.iter_batches(conn, _column("cameras"), 10))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM cameras WHERE id = 2"))
        failed = inventory.write_batch_if_unchanged(
            conn, _column("cameras"), [(pk, raw, "encrypted:replacement") for pk, raw in batches[0]]
        )
    engine.dispose()
    assert failed == {2}


def test_an_encrypted_header_is_a_secret_whatever_its_name(url):
    column = columns.WebhookActionsColumn()
    use_keys(url, SESSION_KEY)
    token = encryption.encrypt("fake-trace-value", context=webhook_header_context(7, "X-Trace"))
    actions = {"webhook": {"url": "https://example.test/x", "headers": {"X-Trace": token, "Accept": "text/plain"}}}
    secrets = column.secrets(7, json.dumps(actions))
    assert [s.location for s in secrets] == [
        "alert_rules id=7 field actions.webhook.url",
        "alert_rules id=7 field actions.webhook.headers.X-Trace",
    ]


@pytest.mark.parametrize(
    ("actions", "where"),
    [
        ("[1, 2]", "alert_rules id=3 field actions (is not a JSON object)"),
        ('{"webhook": "https://x"}', "alert_rules id=3 field actions.webhook (is not a JSON object)"),
        ('{"webhook": {"url": 5}}', "alert_rules id=3 field actions.webhook.url (is not a string)"),
        (
            '{"webhook": {"url": "u", "headers": {"Authorization": 12345}}}',
            "alert_rules id=3 field actions.webhook.headers.Authorization (is not a string)",
        ),
        (
            '{"webhook": {"url": "u", "headers": []}}',
            "alert_rules id=3 field actions.webhook.headers (is not a JSON object)",
        ),
    ],
)
def test_shapes_it_cannot_read_are_named_not_guessed(actions, where):
    with pytest.raises(errors.MalformedRowError) as caught:
        columns.WebhookActionsColumn().secrets(3, actions)
    assert f"{caught.value.location} ({caught.value.reason})" == where


def test_rewritten_actions_use_the_apps_json_form(url, canary):
    seed_plaintext_database(url, canary, revision="0002_app_schema")
    migrations.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT actions FROM alert_rules WHERE id = 1")).scalar()
    engine.dispose()
    assert raw == json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False)


def test_a_secret_never_shows_its_value_in_repr(canary):
    value = canary("repr")
    secret = columns.Secret("system_settings.value", "system_settings key=k field value", setting_context("k"), value)
    assert value not in repr(secret)
