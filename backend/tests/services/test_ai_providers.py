"""Every adapter against the fake provider: outcomes, headers, URLs, request shapes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable

import pytest

from app.services import ai_service
from app.services.ai_providers import AITimeouts, ImageInput, Outcome, ProviderHttp
from app.services.ai_providers.anthropic import ANTHROPIC_VERSION
from tests.conftest import assert_no_leak, captured_logs, free_port, make_settings

PROVIDERS = ["openai", "anthropic", "google", "grok"]

EXPECTED = {
    "ok": Outcome.VALID,
    "slow": Outcome.VALID,
    "bad": Outcome.INVALID_KEY,
    "noperm": Outcome.PERMISSION_DENIED,
    "noquota": Outcome.NO_QUOTA,
    "ratelimit": Outcome.RATE_LIMITED,
    "error": Outcome.PROVIDER_ERROR,
    "nonjson": Outcome.PROVIDER_ERROR,
    "hang": Outcome.UNREACHABLE,
    "redirect": Outcome.PROVIDER_ERROR,
}

# Fragments of the fake's own error texts: none may reach a message of ours.
PROVIDER_TEXTS = [
    "Incorrect API key",
    "invalid x-api-key",
    "API key not valid",
    "Missing scopes",
    "credit balance is too low",
    "exceeded your current quota",
    "Resource has been exhausted",
    "Overloaded",
    "upstream said no",
    "spending limit",
    "Rate limit reached",
    "Rate limit exceeded for",
    "Number of requests",
    "is blocked",
    "does not have permission",
    "internal error",
    "Service error",
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
async def http() -> AsyncIterator[ProviderHttp]:
    """Deadlines no answer of the fake misses, even on a loaded machine (a 1 s key-test deadline
    once turned a rate-limit answer into "unreachable" while the machine ran three test suites)."""
    client = ProviderHttp(AITimeouts(connect=10.0, key_test=10.0, describe=10.0))
    yield client
    await client.aclose()


@pytest.fixture
async def http_for(http: ProviderHttp) -> AsyncIterator[Callable[[str], ProviderHttp]]:
    """The client for a key suffix: a 1 s key-test deadline for the fake's ``-hang`` keys (which
    never get an answer), ``http`` for every other."""
    short = ProviderHttp(AITimeouts(connect=2.0, key_test=1.0, describe=2.0))
    yield lambda suffix: short if suffix == "hang" else http
    await short.aclose()


def _key(canary, provider: str, suffix: str) -> str:
    return f"{canary(provider)}-{suffix}"


@pytest.mark.parametrize("suffix", list(EXPECTED))
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_every_outcome_for_every_provider(provider, suffix, fake, ai_settings, http_for, canary):
    key = _key(canary, provider, suffix)
    started = time.monotonic()
    result = await ai_service.check_key(ai_settings, provider=provider, api_key=key, http=http_for(suffix))
    elapsed = time.monotonic() - started

    assert result.outcome is EXPECTED[suffix]
    assert result.valid is (EXPECTED[suffix] is Outcome.VALID)
    assert result.provider == provider
    # the fake really received this key
    assert any(key in " ".join(r.headers.values()) for r in fake.requests)
    # our words only: never the key, never a part of it, never the provider's text
    assert_no_leak(key, result.message, repr(result))
    assert key[-12:] not in result.message
    for text in PROVIDER_TEXTS:
        assert text.lower() not in result.message.lower()
    if suffix == "hang":
        assert elapsed < 3.0, "the key-test deadline did not apply"
    if suffix == "redirect":
        assert fake.state.redirect_followed == 0
    assert_no_leak(key, captured_logs())


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_each_outcome_has_its_own_message(provider, ai_settings, http_for, canary):
    messages: dict[Outcome, set[str]] = {}
    for suffix in ("ok", "bad", "noperm", "noquota", "ratelimit", "error", "hang"):
        result = await ai_service.check_key(
            ai_settings, provider=provider, api_key=_key(canary, provider, suffix), http=http_for(suffix)
        )
        messages.setdefault(result.outcome, set()).add(result.message)
    assert len(messages) == 7
    all_messages = [m for group in messages.values() for m in group]
    assert len(set(all_messages)) == len(all_messages)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_exact_auth_headers_and_no_key_in_url(provider, fake, ai_settings, http, canary):
    key = _key(canary, provider, "ok")
    result = await ai_service.check_key(ai_settings, provider=provider, api_key=key, http=http)
    assert result.valid
    (request,) = fake.requests
    assert request.method == "GET"
    assert request.path == f"{fake.base_url(provider).removeprefix(fake.url)}/models"
    assert key not in request.url and key not in request.query
    headers = request.headers
    if provider in ("openai", "grok"):
        assert headers["authorization"] == f"Bearer {key}"
        assert "x-api-key" not in headers and "x-goog-api-key" not in headers
        assert request.query == ""
    elif provider == "anthropic":
        assert headers["x-api-key"] == key
        assert headers["anthropic-version"] == ANTHROPIC_VERSION == "2023-06-01"
        assert "authorization" not in headers
        assert request.query == "limit=1"
    else:
        assert headers["x-goog-api-key"] == key
        assert "authorization" not in headers and "x-api-key" not in headers
        assert request.query == "pageSize=1"
    assert "cookie" not in headers


async def test_unreachable_when_nothing_listens(db_path, http, canary):
    settings = make_settings(f"sqlite:///{db_path}", ai_openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    key = _key(canary, "openai", "ok")
    result = await ai_service.check_key(settings, provider="openai", api_key=key, http=http)
    assert result.outcome is Outcome.UNREACHABLE
    assert "not tested" in result.message


async def test_hang_uses_the_configured_total_deadline(ai_settings, canary):
    client = ProviderHttp(AITimeouts(connect=1.0, key_test=0.3, describe=1.0))
    try:
        started = time.monotonic()
        result = await ai_service.check_key(
            ai_settings, provider="anthropic", api_key=_key(canary, "anthropic", "hang"), http=client
        )
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    assert result.outcome is Outcome.UNREACHABLE
    assert 0.25 < elapsed < 1.5


async def test_the_app_client_does_not_follow_redirects_or_retry(fake, ai_settings, http, canary):
    key = _key(canary, "grok", "redirect")
    result = await ai_service.check_key(ai_settings, provider="grok", api_key=key, http=http)
    assert result.outcome is Outcome.PROVIDER_ERROR
    assert fake.state.redirect_followed == 0
    assert len(fake.requests) == 1


# -- describe request shapes ----------------------------------------------------------


@pytest.mark.parametrize("image", [PNG, JPEG], ids=["png", "jpeg"])
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_describe_sends_each_providers_image_shape(provider, image, fake, ai_settings, http, canary):
    from app.services.ai_providers import ADAPTERS, DescribeParams

    key = _key(canary, provider, "ok")
    image_input = ai_service.validate_image(image, "")
    adapter = ADAPTERS[provider]
    spec = adapter.describe(
        base_url=ai_settings.provider_base_url(provider),
        api_key=key,
        params=DescribeParams(model="fake-model-1", prompt="What is there?", max_tokens=123),
        image=image_input,
    )
    assert key not in repr(spec)
    response = await http.send(spec, deadline=2.0)
    assert response.status_code == 200, response.payload
    assert adapter.extract_description(response.payload) == (
        f"FAKE {provider} description: a person is standing at the front door."
    )
    (request,) = fake.requests
    assert request.method == "POST" and key not in request.url
    body = request.json
    media_type = "image/png" if image is PNG else "image/jpeg"
    encoded = base64.b64encode(image).decode()
    if provider in ("openai", "grok"):
        assert request.path.endswith("/chat/completions")
        assert request.headers["authorization"] == f"Bearer {key}"
        parts = body["messages"][0]["content"]
        assert {"type": "text", "text": "What is there?"} in parts
        image_part = next(p for p in parts if p["type"] == "image_url")
        assert image_part["image_url"]["url"] == f"data:{media_type};base64,{encoded}"
        assert body["model"] == "fake-model-1"
        token_field = "max_completion_tokens" if provider == "openai" else "max_tokens"
        assert body[token_field] == 123
    elif provider == "anthropic":
        assert request.path.endswith("/messages")
        assert request.headers["x-api-key"] == key and request.headers["anthropic-version"] == "2023-06-01"
        image_block = body["messages"][0]["content"][0]
        assert image_block == {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": encoded}}
        assert body["max_tokens"] == 123 and body["model"] == "fake-model-1"
    else:
        assert request.path.endswith("/models/fake-model-1:generateContent")
        assert request.headers["x-goog-api-key"] == key and "key=" not in request.url
        parts = body["contents"][0]["parts"]
        assert {"inline_data": {"mime_type": media_type, "data": encoded}} in parts
        assert body["generationConfig"]["maxOutputTokens"] == 123


def test_image_validation():
    from app.core.errors import AppError

    assert ai_service.validate_image(PNG, "image/png") == ImageInput("image/png", base64.b64encode(PNG).decode())
    assert ai_service.validate_image(JPEG, "image/jpeg; charset=binary").media_type == "image/jpeg"
    # the bytes decide, not the declared type
    assert ai_service.validate_image(PNG, "image/jpeg").media_type == "image/png"
    cases = [
        (b"", "", 422, "empty"),
        (b"GIF89a" + b"\x00" * 10, "", 422, "not a JPEG or PNG"),
        (b"hello world", "text/plain", 422, "Only JPEG and PNG"),
        (PNG, "image/gif", 422, "Only JPEG and PNG"),
        (PNG + b"\x00" * (10 * 1024 * 1024), "image/png", 413, "larger than 10 MB"),
    ]
    for data, content_type, status, words in cases:
        with pytest.raises(AppError) as info:
            ai_service.validate_image(data, content_type)
        assert info.value.status_code == status
        assert words in info.value.message


def test_provider_error_bodies_really_echo_the_key(fake, canary):
    """Guard for the tests above: the fake does echo keys, so 'no leak' means something."""
    import httpx

    key = _key(canary, "openai", "bad")
    response = httpx.get(fake.base_url("openai") + "/models", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401 and key in response.text
    body = json.loads(response.text)
    assert body["error"]["code"] == "invalid_api_key"
