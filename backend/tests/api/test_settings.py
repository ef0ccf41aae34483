"""GET/PUT /api/v1/settings: encrypted keys, masking, write-back, removal, the
undecryptable case, and the non-secret settings."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app.core import encryption
from app.core.secret_fields import SECRET_SETTINGS_KEYS, setting_context
from app.models.system_setting import SystemSetting
from app.schemas.settings import DEFAULT_MAX_TOKENS, DEFAULT_MODELS, DEFAULT_PROMPT
from app.services import settings_service
from tests.conftest import assert_no_leak, captured_logs

PROVIDERS = ["openai", "anthropic", "google", "grok"]


def _stored(db_session, key: str) -> str | None:
    db_session.expire_all()
    row = db_session.get(SystemSetting, key)
    return row.value if row is not None else None


def _raw_value(db_path, key: str) -> str | None:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT value FROM system_settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def test_defaults(client):
    r = client.get("/api/v1/settings")
    assert r.status_code == 200
    body = r.json()
    for key in SECRET_SETTINGS_KEYS:
        assert body[key] is None
        assert body["secret_status"][key] == "unset"
    assert body["ai_primary_provider"] is None
    assert body["ai_fallback_order"] == []
    for provider in PROVIDERS:
        assert body[f"ai_model_{provider}"] == DEFAULT_MODELS[provider]
    assert body["ai_description_prompt"] == DEFAULT_PROMPT
    assert body["ai_max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["webhook_block_private_networks"] is False


def test_keys_are_encrypted_masked_and_never_returned(client, db_path, db_session, canary):
    secrets = {p: canary(f"key-{p}") for p in PROVIDERS}
    r = client.put("/api/v1/settings", json={f"ai_api_key_{p}": s for p, s in secrets.items()})
    assert r.status_code == 200, r.text
    got = client.get("/api/v1/settings")
    for provider, secret in secrets.items():
        key = f"ai_api_key_{provider}"
        for response in (r, got):
            assert response.json()[key] == "****" + secret[-4:]
            assert response.json()["secret_status"][key] == "set"
        raw = _raw_value(db_path, key)
        assert raw is not None and raw.startswith("encrypted:") and encryption.is_encrypted(raw)
        assert encryption.decrypt(raw, context=setting_context(key)) == secret
        assert_no_leak(secret, r, got, db_path, captured_logs())


def test_masked_write_back_keeps_the_stored_key(client, db_path, db_session, canary):
    secret = canary("keep")
    client.put("/api/v1/settings", json={"ai_api_key_openai": secret})
    before = _stored(db_session, "ai_api_key_openai")
    masked = client.get("/api/v1/settings").json()["ai_api_key_openai"]
    for value in (masked, "****"):
        r = client.put("/api/v1/settings", json={"ai_api_key_openai": value, "ai_max_tokens": 500})
        assert r.status_code == 200
        assert r.json()["ai_api_key_openai"] == masked
        assert r.json()["ai_max_tokens"] == 500
        assert _stored(db_session, "ai_api_key_openai") == before  # not even re-encrypted
    # a full GET body sent back (secret_status included) keeps everything too
    full = client.get("/api/v1/settings").json()
    assert client.put("/api/v1/settings", json=full).status_code == 200
    assert _stored(db_session, "ai_api_key_openai") == before
    assert_no_leak(secret, db_path)


@pytest.mark.parametrize("removal", [None, ""])
def test_null_or_empty_removes_the_key(client, db_session, canary, removal):
    secret = canary("remove")
    client.put("/api/v1/settings", json={"ai_api_key_google": secret, "ai_api_key_grok": canary("other")})
    r = client.put("/api/v1/settings", json={"ai_api_key_google": removal})
    assert r.status_code == 200
    assert r.json()["ai_api_key_google"] is None
    assert r.json()["secret_status"]["ai_api_key_google"] == "unset"
    assert r.json()["secret_status"]["ai_api_key_grok"] == "set"  # the others are untouched
    assert _stored(db_session, "ai_api_key_google") is None


def test_a_new_key_replaces_the_old_one(client, db_path, db_session, canary):
    old, new = canary("old"), canary("new")
    client.put("/api/v1/settings", json={"ai_api_key_anthropic": old})
    r = client.put("/api/v1/settings", json={"ai_api_key_anthropic": f"  {new}  "})
    assert r.json()["ai_api_key_anthropic"] == "****" + new[-4:]
    raw = _stored(db_session, "ai_api_key_anthropic")
    assert encryption.decrypt(raw, context=setting_context("ai_api_key_anthropic")) == new
    assert_no_leak(new, r, db_path)


def test_undecryptable_keys_show_as_needing_re_entry(client, db_path, db_session, canary):
    good, moved = canary("good"), canary("moved")
    client.put(
        "/api/v1/settings",
        json={"ai_api_key_openai": good, "ai_api_key_google": moved, "ai_primary_provider": "openai"},
    )
    # 1. a token copied from another place does not open here
    google_token = _stored(db_session, "ai_api_key_google")
    # 2. a token made under a key that is no longer configured
    foreign = "encrypted:" + Fernet(Fernet.generate_key()).encrypt(b"\x01" + b"\x00" * 16 + b"x" * 20).decode()
    db_session.execute(
        text("INSERT INTO system_settings (key, value) VALUES ('ai_api_key_anthropic', :v)"), {"v": google_token}
    )
    db_session.execute(text("INSERT INTO system_settings (key, value) VALUES ('ai_api_key_grok', :v)"), {"v": foreign})
    db_session.execute(
        text("UPDATE system_settings SET value = :v WHERE key = 'ai_api_key_google'"),
        {"v": google_token[:-8] + "AAAAAAA="},  # tampered
    )
    db_session.commit()
    r = client.get("/api/v1/settings")
    assert r.status_code == 200
    body = r.json()
    for key in ("ai_api_key_anthropic", "ai_api_key_grok", "ai_api_key_google"):
        assert body[key] == "****"
        assert body["secret_status"][key] == "undecryptable"
    assert body["ai_api_key_openai"] == "****" + good[-4:]
    assert body["secret_status"]["ai_api_key_openai"] == "set"
    assert body["ai_primary_provider"] == "openai"
    # the rest of the page still works, and the key can be entered again
    fresh = canary("fresh")
    r = client.put("/api/v1/settings", json={"ai_api_key_grok": fresh, "ai_max_tokens": 64})
    assert r.status_code == 200
    assert r.json()["secret_status"]["ai_api_key_grok"] == "set"
    assert r.json()["secret_status"]["ai_api_key_google"] == "undecryptable"
    # a masked write-back of an undecryptable key keeps it (still undecryptable)
    r = client.put("/api/v1/settings", json={"ai_api_key_google": "****"})
    assert r.json()["secret_status"]["ai_api_key_google"] == "undecryptable"
    assert_no_leak(good, r, db_path)
    assert_no_leak(moved, r, db_path)


def test_non_secret_settings_round_trip_as_json(client, db_path, db_session):
    update = {
        "ai_primary_provider": "anthropic",
        "ai_fallback_order": ["google", "openai"],
        "ai_model_openai": "gpt-4.1-mini",
        "ai_model_google": "models/gemini-2.5-flash",
        "ai_description_prompt": "Say what the camera sees.",
        "ai_max_tokens": 1024,
        "webhook_block_private_networks": True,
    }
    r = client.put("/api/v1/settings", json=update)
    assert r.status_code == 200, r.text
    got = client.get("/api/v1/settings").json()
    for key, value in update.items():
        assert got[key] == value
        assert json.loads(_raw_value(db_path, key)) == value
    # the typed reader other services use
    db_session.expire_all()
    assert settings_service.get_setting(db_session, "webhook_block_private_networks") is True
    assert settings_service.get_setting(db_session, "ai_fallback_order") == ["google", "openai"]
    assert settings_service.get_setting(db_session, "ai_max_tokens") == 1024
    # null resets to the default
    r = client.put("/api/v1/settings", json={"ai_max_tokens": None, "webhook_block_private_networks": None})
    assert r.json()["ai_max_tokens"] == DEFAULT_MAX_TOKENS
    assert r.json()["webhook_block_private_networks"] is False
    assert r.json()["ai_primary_provider"] == "anthropic"
    db_session.expire_all()
    assert settings_service.get_setting(db_session, "webhook_block_private_networks") is False


def test_get_setting_defaults_and_refuses_secrets(db_session):
    assert settings_service.get_setting(db_session, "webhook_block_private_networks") is False
    assert settings_service.get_setting(db_session, "ai_model_grok") == DEFAULT_MODELS["grok"]
    with pytest.raises(KeyError):
        settings_service.get_setting(db_session, "ai_api_key_openai")
    with pytest.raises(KeyError):
        settings_service.get_setting(db_session, "no_such_setting")


def test_unusable_stored_values_fall_back_to_defaults(client, db_session):
    db_session.execute(
        text(
            "INSERT INTO system_settings (key, value) VALUES "
            "('ai_max_tokens', '\"lots\"'), ('ai_primary_provider', 'google'), ('ai_fallback_order', '{bad')"
        )
    )
    db_session.commit()
    body = client.get("/api/v1/settings").json()
    assert body["ai_max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["ai_primary_provider"] == "google"  # a bare string from before values were JSON
    assert body["ai_fallback_order"] == []


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"ai_primary_provider": "skynet"}, "ai_primary_provider"),
        ({"ai_fallback_order": ["openai", "openai"]}, "ai_fallback_order"),
        ({"ai_fallback_order": ["openai", "mistral"]}, "ai_fallback_order"),
        ({"ai_model_google": "../../v1/files"}, "ai_model_google"),
        ({"ai_model_openai": ""}, "ai_model_openai"),
        ({"ai_model_openai": "gpt 4"}, "ai_model_openai"),
        ({"ai_max_tokens": 5}, "ai_max_tokens"),
        ({"ai_max_tokens": "300"}, "ai_max_tokens"),
        ({"ai_max_tokens": 100000}, "ai_max_tokens"),
        ({"ai_description_prompt": ""}, "ai_description_prompt"),
        ({"ai_description_prompt": "x" * 2001}, "ai_description_prompt"),
        ({"webhook_block_private_networks": "yes"}, "webhook_block_private_networks"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_values_are_422_and_change_nothing(client, db_session, update, field):
    before = client.put("/api/v1/settings", json={"ai_max_tokens": 77, "ai_primary_provider": "grok"}).json()
    r = client.put("/api/v1/settings", json={"ai_model_grok": "grok-other", "ai_api_key_grok": "****", **update})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid"
    assert field in body["detail"]
    assert client.get("/api/v1/settings").json() == before


@pytest.mark.parametrize(
    ("make_key", "words"),
    [
        (lambda c: c("long") + "x" * 600, "too long"),
        (lambda c: c("space") + " inner", "spaces"),
        (lambda c: c("newline") + "\nX-Injected: 1", "spaces"),
        (lambda c: c("uni") + "\u00e9", "spaces"),
    ],
)
def test_bad_keys_are_422_never_echoed_and_nothing_is_lost(client, db_path, db_session, canary, make_key, words):
    kept = canary("kept")
    client.put("/api/v1/settings", json={"ai_api_key_openai": kept})
    stored = _stored(db_session, "ai_api_key_openai")
    bad = make_key(canary)
    r = client.put("/api/v1/settings", json={"ai_api_key_openai": bad, "ai_max_tokens": 50})
    assert r.status_code == 422
    assert "ai_api_key_openai" in r.json()["detail"] and words in r.json()["detail"]
    assert_no_leak(bad, r, db_path, captured_logs())
    assert_no_leak(bad[:40], r)
    assert _stored(db_session, "ai_api_key_openai") == stored
    assert client.get("/api/v1/settings").json()["ai_max_tokens"] == DEFAULT_MAX_TOKENS


def test_every_secret_row_is_encrypted_under_its_own_context(client, db_session, canary):
    client.put("/api/v1/settings", json={f"ai_api_key_{p}": canary(p) for p in PROVIDERS})
    rows = db_session.scalars(select(SystemSetting).where(SystemSetting.key.in_(SECRET_SETTINGS_KEYS))).all()
    assert len(rows) == 4
    for row in rows:
        assert encryption.key_status(row.value, context=setting_context(row.key)) == "primary"
        other = next(k for k in SECRET_SETTINGS_KEYS if k != row.key)
        assert encryption.key_status(row.value, context=setting_context(other)) == "undecryptable"
    assert "***" in repr(rows[0]) and rows[0].value not in repr(rows[0])
