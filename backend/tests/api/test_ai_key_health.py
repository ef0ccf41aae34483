"""Issue 14, item 2: each stored AI key's health (its last test or use), the
"Save & test" flow, and the first key becoming the primary provider."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.models.camera import Camera
from tests.conftest import assert_no_leak, captured_logs

SETTINGS = "/api/v1/settings"
TEST_KEY = "/api/v1/ai/test-key"
EVENTS = "/api/v1/events"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 50


@pytest.fixture
def settings(ai_settings):
    return ai_settings


@pytest.fixture
def app(ai_app):
    return ai_app


def _health(client, provider: str):
    return client.get(SETTINGS).json()["key_health"][provider]


def _settings_rows(db_session) -> list[tuple[str, str]]:
    return [tuple(row) for row in db_session.execute(text("SELECT key, value FROM system_settings ORDER BY key"))]


def test_a_saved_key_is_untested_until_its_test_then_shows_each_outcome(client, fake, db_path, canary):
    key = canary("openai") + "-ok"
    saved = client.put(SETTINGS, json={"ai_api_key_openai": key})
    assert saved.status_code == 200, saved.text
    assert saved.json()["key_health"] == {"openai": None, "anthropic": None, "google": None, "grok": None}

    tested = client.post(TEST_KEY, json={"provider": "openai"})
    assert tested.json()["valid"] is True
    health = _health(client, "openai")
    assert health["outcome"] == "valid"
    assert health["message"] == tested.json()["message"]
    assert health["at"].endswith("Z")

    fake.revoke(key)
    failed = client.post(TEST_KEY, json={"provider": "openai", "api_key": saved.json()["ai_api_key_openai"]})
    assert failed.json()["outcome"] == "invalid_key"
    health = _health(client, "openai")
    assert (health["outcome"], health["message"]) == ("invalid_key", failed.json()["message"])
    assert_no_leak(key, saved, tested, failed, client.get(SETTINGS), db_path, captured_logs())


def test_save_and_test_carries_the_test_of_that_same_key_and_stores_nothing_before(
    client, fake, db_session, db_path, canary
):
    good, other = canary("anthropic") + "-ok", canary("anthropic2") + "-ok"
    before = _settings_rows(db_session)
    tested = client.post(TEST_KEY, json={"provider": "anthropic", "api_key": good})
    assert tested.json()["valid"] is True
    db_session.expire_all()
    assert _settings_rows(db_session) == before  # a key test stores nothing

    assert client.put(SETTINGS, json={"ai_api_key_anthropic": good}).status_code == 200
    assert _health(client, "anthropic")["outcome"] == "valid"

    # A key that was not the one tested starts untested, even right after a test.
    client.post(TEST_KEY, json={"provider": "anthropic", "api_key": good})
    assert client.put(SETTINGS, json={"ai_api_key_anthropic": other}).status_code == 200
    assert _health(client, "anthropic") is None
    rows = json.dumps(_settings_rows(db_session))
    for key in (good, other):
        assert_no_leak(key, tested, rows, db_path, captured_logs())


def test_a_failed_test_before_saving_shows_red_once_saved(client, fake):
    bad = "fake-health-key-bad"
    assert client.post(TEST_KEY, json={"provider": "google", "api_key": bad}).json()["outcome"] == "invalid_key"
    client.put(SETTINGS, json={"ai_api_key_google": bad})
    assert _health(client, "google")["outcome"] == "invalid_key"


def test_removing_or_replacing_a_key_forgets_its_health(client, fake, canary):
    key = canary("grok") + "-ok"
    client.put(SETTINGS, json={"ai_api_key_grok": key})
    client.post(TEST_KEY, json={"provider": "grok"})
    assert _health(client, "grok")["outcome"] == "valid"
    client.put(SETTINGS, json={"ai_api_key_grok": None})
    assert _health(client, "grok") is None
    client.put(SETTINGS, json={"ai_api_key_grok": key})
    assert _health(client, "grok") is None  # a key saved again is untested until it is tested again


def test_a_key_revoked_at_the_provider_shows_red_after_the_next_event(client, fake, app, db_path, canary):
    key = canary("openai") + "-ok"
    client.put(SETTINGS, json={"ai_api_key_openai": key})
    client.post(TEST_KEY, json={"provider": "openai"})
    assert _health(client, "openai")["outcome"] == "valid"
    with app.state.session_factory() as session:
        session.add(Camera(name="Porch", type="rtsp"))
        session.commit()

    fake.revoke(key)
    event = client.post(
        EVENTS,
        data={"camera_id": "1", "objects_detected": '["person"]', "confidence": "80"},
        files={"image": ("snap.png", PNG, "image/png")},
    )
    assert event.status_code == 201, event.text
    assert event.json()["description_error"]
    health = _health(client, "openai")
    assert health["outcome"] == "invalid_key"
    assert "rejected the stored key" in health["message"]
    assert_no_leak(key, event, client.get(SETTINGS), db_path, captured_logs())


def test_a_describe_that_no_provider_could_answer_still_records_health(client, fake):
    client.put(SETTINGS, json={"ai_api_key_openai": "fake-health-describe-error"})
    r = client.post("/api/v1/ai/describe", files={"image": ("s.png", PNG, "image/png")})
    assert r.status_code == 503
    assert _health(client, "openai")["outcome"] == "provider_error"


def test_a_successful_description_makes_a_key_green(client, fake):
    client.put(SETTINGS, json={"ai_api_key_grok": "fake-health-describe-ok"})
    assert _health(client, "grok") is None
    assert client.post("/api/v1/ai/describe", files={"image": ("s.png", PNG, "image/png")}).status_code == 200
    assert _health(client, "grok")["outcome"] == "valid"


def test_the_first_key_becomes_the_primary_provider(client, fake):
    first = client.put(SETTINGS, json={"ai_api_key_google": "fake-primary-google-ok"})
    assert first.json()["ai_primary_provider"] == "google"
    second = client.put(SETTINGS, json={"ai_api_key_openai": "fake-primary-openai-ok"})
    assert second.json()["ai_primary_provider"] == "google"  # a second key changes nothing


def test_no_primary_is_chosen_when_the_user_says_so_or_saves_several_keys(client, fake):
    chosen = client.put(SETTINGS, json={"ai_api_key_google": "fake-choice-google-ok", "ai_primary_provider": None})
    assert chosen.json()["ai_primary_provider"] is None
    client.put(SETTINGS, json={"ai_api_key_google": None})
    both = client.put(SETTINGS, json={"ai_api_key_openai": "fake-two-openai-ok", "ai_api_key_grok": "fake-two-grok-ok"})
    assert both.json()["ai_primary_provider"] is None


def test_the_get_body_goes_back_on_put_with_its_health(client, fake):
    client.put(SETTINGS, json={"ai_api_key_openai": "fake-roundtrip-openai-ok"})
    client.post(TEST_KEY, json={"provider": "openai"})
    body = client.get(SETTINGS).json()
    assert body["key_health"]["openai"]["outcome"] == "valid"
    again = client.put(SETTINGS, json=body)
    assert again.status_code == 200, again.text
    assert again.json()["key_health"] == body["key_health"]
    assert again.json()["ai_api_key_openai"] == body["ai_api_key_openai"]
