"""The migrated secrets work through the app's own paths: a plaintext-era
database, opened by the app (which runs the migration at start), then the
camera test, the settings mask and a webhook delivery."""

from __future__ import annotations

from pathlib import Path

from app.main import create_app
from tests.conftest import SESSION_KEY, assert_no_leak, make_settings, signed_in
from tests.migration.app_paths import exercise, outside_world, seed_for_app
from tests.migration.helpers import assert_all_under


def _fast_webhooks(app) -> None:
    app.state.webhook_worker.poll_interval = 0.05


def test_plaintext_era_database_opened_by_the_app(tmp_path: Path, canary):
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    with outside_world(canary) as outside:
        seeded = seed_for_app(url, canary, outside)
        app = create_app(make_settings(url))  # runs the migrations at start
        assert_all_under(url, seeded, SESSION_KEY)
        _fast_webhooks(app)
        with signed_in(app) as client:
            exercise(client, seeded, outside)
    for secret in seeded.secrets():
        assert_no_leak(secret, tmp_path / "upgrade.db")


def test_plaintext_era_database_on_postgresql(pg_url: str, canary):
    with outside_world(canary) as outside:
        seeded = seed_for_app(pg_url, canary, outside)
        app = create_app(make_settings(pg_url))
        assert_all_under(pg_url, seeded, SESSION_KEY)
        _fast_webhooks(app)
        with signed_in(app) as client:
            exercise(client, seeded, outside)
