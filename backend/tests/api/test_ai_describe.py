"""POST /api/v1/ai/describe and the AI service's fallback between providers."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.schemas.settings import SettingsUpdate
from app.services import ai_service, settings_service
from app.services.ai_providers import AITimeouts, ProviderHttp
from tests.conftest import assert_no_leak, captured_logs

URL = "/api/v1/ai/describe"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 50
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 50


@pytest.fixture
def settings(ai_settings):
    return ai_settings


@pytest.fixture
def app(ai_app):
    return ai_app


def _upload(client, data: bytes = PNG, content_type: str = "image/png"):
    return client.post(URL, files={"image": ("snapshot.png", data, content_type)})


def test_fallback_from_a_failing_primary_to_a_working_second(client, fake, db_path, canary):
    broken, working = f"{canary('primary')}-error", f"{canary('second')}-ok"
    client.put(
        "/api/v1/settings",
        json={
            "ai_api_key_openai": broken,
            "ai_api_key_anthropic": working,
            "ai_primary_provider": "openai",
            "ai_fallback_order": ["anthropic"],
            "ai_model_anthropic": "claude-fake-vision",
        },
    )
    r = _upload(client)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provider"] == "anthropic"
    assert body["model"] == "claude-fake-vision"
    assert body["description"] == "FAKE anthropic description: a person is standing at the front door."
    assert [(a["provider"], a["outcome"]) for a in body["attempts"]] == [
        ("openai", "provider_error"),
        ("anthropic", "success"),
    ]
    # each provider got its own key, in its own header, and only that one
    first, second = fake.requests
    assert first.provider == "openai" and first.headers["authorization"] == f"Bearer {broken}"
    assert second.provider == "anthropic" and second.headers["x-api-key"] == working
    assert working not in str(first.headers) and broken not in str(second.headers)
    for key in (broken, working):
        assert_no_leak(key, r, db_path, captured_logs())


def test_primary_answers_first_when_it_works(client, fake, canary):
    client.put(
        "/api/v1/settings",
        json={
            "ai_api_key_google": f"{canary('g')}-ok",
            "ai_api_key_grok": f"{canary('x')}-ok",
            "ai_primary_provider": "grok",
        },
    )
    body = _upload(client, JPEG, "image/jpeg").json()
    assert body["provider"] == "grok"
    assert [r.provider for r in fake.requests] == ["grok"]


def test_unnamed_providers_with_keys_are_tried_after_the_named_ones(client, fake, canary):
    client.put(
        "/api/v1/settings",
        json={
            "ai_api_key_openai": f"{canary('o')}-ratelimit",
            "ai_api_key_google": f"{canary('g')}-ok",
            "ai_primary_provider": "openai",
            "ai_fallback_order": ["anthropic"],  # named, but no key
        },
    )
    body = _upload(client).json()
    assert body["provider"] == "google"
    assert [(a["provider"], a["outcome"]) for a in body["attempts"]] == [
        ("openai", "rate_limited"),
        ("anthropic", "not_configured"),
        ("google", "success"),
    ]


def test_503_when_no_provider_could_describe(client, fake, db_path, canary):
    keys = {
        "openai": f"{canary('o')}-bad",
        "anthropic": f"{canary('a')}-error",
        "google": f"{canary('g')}-nonjson",
        "grok": f"{canary('x')}-hang",
    }
    client.put("/api/v1/settings", json={f"ai_api_key_{p}": k for p, k in keys.items()})
    r = _upload(client)
    assert r.status_code == 503
    body = r.json()
    assert body["code"] == "ai_unavailable"
    assert body["detail"] == "No AI provider could describe the image."
    assert [(a["provider"], a["outcome"]) for a in body["attempts"]] == [
        ("openai", "invalid_key"),
        ("anthropic", "provider_error"),
        ("google", "provider_error"),
        ("grok", "unreachable"),
    ]
    for key in keys.values():
        assert_no_leak(key, r, db_path, captured_logs())
        assert key[-12:] not in r.text
    for words in ("Incorrect API key", "Overloaded", "upstream said no"):
        assert words not in r.text


def test_503_when_no_provider_is_configured(client, fake):
    r = _upload(client)
    assert r.status_code == 503
    assert r.json()["code"] == "ai_not_configured"
    assert "add an API key in Settings" in r.json()["detail"]
    assert fake.requests == []


def test_an_undecryptable_key_falls_through(client, fake, db_session, canary):
    client.put(
        "/api/v1/settings",
        json={"ai_api_key_openai": f"{canary('o')}-ok", "ai_api_key_grok": f"{canary('x')}-ok"},
    )
    db_session.execute(text("UPDATE system_settings SET value = 'encrypted:' || 'A' WHERE key = 'ai_api_key_openai'"))
    db_session.commit()
    body = _upload(client).json()
    assert body["provider"] == "grok"
    assert body["attempts"][0]["outcome"] == "not_configured"
    assert "can no longer be decrypted" in body["attempts"][0]["message"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "words"),
    [
        (b"just text", "text/plain", 422, "Only JPEG and PNG"),
        (b"GIF89a" + b"\x00" * 20, "application/octet-stream", 422, "not a JPEG or PNG"),
        (b"", "image/png", 422, "empty"),
        (PNG + b"\x00" * (10 * 1024 * 1024), "image/png", 413, "larger than 10 MB"),
    ],
)
def test_bad_images_get_a_clear_4xx(client, fake, canary, data, content_type, status, words):
    client.put("/api/v1/settings", json={"ai_api_key_openai": f"{canary('o')}-ok"})
    r = _upload(client, data, content_type)
    assert r.status_code == status
    assert words in r.json()["detail"]
    assert fake.requests == []


def test_missing_image_field_is_422(client):
    r = client.post(URL, data={"nothing": "here"})
    assert r.status_code == 422
    assert "image" in r.json()["detail"]


async def test_describe_image_service_signature(app, db_session, fake, canary):
    """What event ingestion calls: describe_image(session, settings, *, image, content_type)."""
    settings_service.update_settings(
        db_session,
        changes=SettingsUpdate(ai_api_key_google=f"{canary('g')}-ok", ai_model_google="gemini-fake"),
    )
    db_session.commit()
    http = ProviderHttp(AITimeouts(connect=2.0, key_test=1.0, describe=1.5))
    try:
        result = await ai_service.describe_image(
            db_session, app.state.settings, image=JPEG, content_type="image/jpeg", http=http
        )
    finally:
        await http.aclose()
    assert result.provider == "google" and result.model == "gemini-fake"
    assert result.description.startswith("FAKE google")
    assert [a.outcome for a in result.attempts] == ["success"]
    assert fake.requests[0].path.endswith("/models/gemini-fake:generateContent")


async def test_describe_image_without_an_app_client(app, db_session, fake, canary):
    """Called outside a running app (no shared client), it uses a client of its own."""
    settings_service.update_settings(db_session, changes=SettingsUpdate(ai_api_key_openai=f"{canary('o')}-ok"))
    db_session.commit()
    result = await ai_service.describe_image(db_session, app.state.settings, image=PNG, content_type="image/png")
    assert result.provider == "openai"
    with pytest.raises(ai_service.AIUnavailable) as info:
        settings_service.update_settings(db_session, changes=SettingsUpdate(ai_api_key_openai=None))
        db_session.commit()
        await ai_service.describe_image(db_session, app.state.settings, image=PNG, content_type="image/png")
    assert info.value.status_code == 503
