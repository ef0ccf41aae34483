"""Revision 0005: header values that the inverted name rule makes secret are encrypted in place."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from app.core import encryption, migrations
from app.core.db import make_engine
from app.core.secret_fields import webhook_header_context, webhook_url_context
from tests.conftest import SESSION_KEY, assert_no_leak


def test_a_pin_header_stored_in_clear_is_encrypted_and_plain_ones_stay(tmp_path: Path, canary) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    encryption.install_keys([SESSION_KEY.encode()])
    migrations.upgrade(url, "0004_accounts")
    pin = canary("x-pin")
    actions = {
        "dashboard_notification": False,
        "webhook": {
            "url": encryption.encrypt("http://127.0.0.1:9/hook", context=webhook_url_context(1)),
            "headers": {"X-Pin": pin, "Content-Type": "application/json"},
        },
    }
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO alert_rules (id, name, is_enabled, cooldown_minutes, conditions, actions, created_at,"
                " updated_at) VALUES (1, 'r', 1, 0, '{}', :a, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"a": json.dumps(actions)},
        )
    migrations.upgrade(url)
    with engine.connect() as conn:
        stored = json.loads(conn.execute(sa.text("SELECT actions FROM alert_rules WHERE id = 1")).scalar_one())
    engine.dispose()
    headers = stored["webhook"]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert encryption.decrypt(headers["X-Pin"], context=webhook_header_context(1, "X-Pin")) == pin
    assert_no_leak(pin, tmp_path / "app.db")
