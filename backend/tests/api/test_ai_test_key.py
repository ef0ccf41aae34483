"""POST /api/v1/ai/test-key through the HTTP API, against the fake provider."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.conftest import assert_no_leak, captured_logs, make_settings, signed_in

PROVIDERS = ["openai", "anthropic", "google", "grok"]
OUTCOMES = {
    "ok": "valid",
    "bad": "invalid_key",
    "noperm": "permission_denied",
    "noquota": "no_quota",
    "ratelimit": "rate_limited",
    "error": "provider_error",
    "nonjson": "provider_error",
    "hang": "unreachable",
}
URL = "/api/v1/ai/test-key"


@pytest.fixture
def settings(ai_settings):
    return ai_settings


@pytest.fixture
def app(ai_app):
    return ai_app


@pytest.mark.parametrize("suffix", list(OUTCOMES))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_outcome_through_the_api(client, fake, db_path, canary, provider, suffix):
    key = f"{canary(provider)}-{suffix}"
    r = client.post(URL, json={"provider": provider, "api_key": key})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == OUTCOMES[suffix]
    assert body["valid"] is (suffix == "ok")
    assert body["provider"] == provider
    assert body["message"]
    assert any(key in " ".join(req.headers.values()) for req in fake.requests)  # really tested
    assert_no_leak(key, r, db_path, captured_logs())
    assert key[-16:] not in r.text


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"provider": "mistral", "api_key": "KEY"}, "provider"),
        ({"provider": "openai", "api_key": ""}, "api_key"),
        ({"provider": "openai", "api_key": "   "}, "api_key"),
        ({"provider": "openai", "api_key": "KEY" + "k" * 600}, "api_key"),
        ({"provider": "openai", "api_key": "KEY\r\nX-Evil: 1"}, "api_key"),
        ({"api_key": "KEY"}, "provider"),
    ],
)
def test_bad_requests_are_422_and_never_echo_the_key(client, fake, db_path, canary, payload, field):
    secret = canary("sent")
    if "api_key" in payload:
        payload = {**payload, "api_key": payload["api_key"].replace("KEY", secret)}
    r = client.post(URL, json=payload)
    assert r.status_code == 422
    assert field in r.json()["detail"]
    assert_no_leak(secret, r, db_path, captured_logs())
    assert fake.requests == []  # nothing was sent anywhere
    # nothing stored
    assert client.get("/api/v1/settings").json()["secret_status"]["ai_api_key_openai"] == "unset"


def test_nothing_is_stored_by_a_key_test(client, db_path, db_session, canary):
    key = f"{canary('transient')}-ok"
    assert client.post(URL, json={"provider": "google", "api_key": key}).json()["valid"] is True
    assert db_session.execute(text("SELECT count(*) FROM system_settings")).scalar() == 0
    assert_no_leak(key, db_path)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_stored_key_is_tested_when_no_key_is_sent(client, fake, db_path, canary, provider):
    key = f"{canary(provider)}-ok"
    client.put("/api/v1/settings", json={f"ai_api_key_{provider}": key})
    for payload in (
        {"provider": provider},
        {"provider": provider, "api_key": None},
        {"provider": provider, "api_key": "****" + key[-4:]},
    ):
        fake.reset()
        r = client.post(URL, json=payload)
        assert r.status_code == 200
        assert r.json()["outcome"] == "valid"
        (request,) = fake.requests
        assert key in request.headers.values() or f"Bearer {key}" in request.headers.values()
        assert_no_leak(key, r, db_path, captured_logs())


def test_stored_key_outcomes_are_reported_too(client, canary):
    client.put("/api/v1/settings", json={"ai_api_key_anthropic": f"{canary('a')}-noquota"})
    body = client.post(URL, json={"provider": "anthropic"}).json()
    assert body["outcome"] == "no_quota" and body["valid"] is False


def test_no_stored_key_is_not_configured(client, fake):
    r = client.post(URL, json={"provider": "grok"})
    assert r.status_code == 200
    assert r.json() == {
        "provider": "grok",
        "valid": False,
        "outcome": "not_configured",
        "message": r.json()["message"],
    }
    assert "No xAI Grok key is stored" in r.json()["message"]
    assert fake.requests == []


def test_an_undecryptable_stored_key_asks_for_re_entry(client, fake, db_session, canary):
    client.put("/api/v1/settings", json={"ai_api_key_openai": canary("o"), "ai_api_key_google": canary("g")})
    db_session.execute(
        text(
            "UPDATE system_settings SET value = (SELECT value FROM system_settings WHERE key = 'ai_api_key_openai') "
            "WHERE key = 'ai_api_key_google'"
        )
    )
    db_session.commit()
    r = client.post(URL, json={"provider": "google"})
    assert r.status_code == 200
    assert r.json()["outcome"] == "not_configured"
    assert "can no longer be decrypted" in r.json()["message"]
    assert fake.requests == []


def test_eleventh_test_in_a_minute_is_429_with_retry_after(client, fake):
    for _ in range(10):
        assert client.post(URL, json={"provider": "openai"}).status_code == 200
    r = client.post(URL, json={"provider": "openai"})
    assert r.status_code == 429
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    body = r.json()
    assert body["retry_after"] == retry_after
    unit = "second" if retry_after == 1 else "seconds"
    assert body["detail"] == f"Too many key tests. Try again in {retry_after} {unit}."
    # other endpoints are not limited by it
    assert client.get("/api/v1/settings").status_code == 200


def test_forwarded_for_is_only_trusted_from_configured_proxies(db_path, fake):
    from app.main import create_app

    settings = make_settings(f"sqlite:///{db_path}", trusted_proxies=["10.9.0.0/16"], **fake.base_urls())
    app = create_app(settings)
    with signed_in(app, client=("10.9.1.1", 40000)) as via_proxy:
        for _ in range(10):
            r = via_proxy.post(URL, json={"provider": "openai"}, headers={"X-Forwarded-For": "203.0.113.5"})
            assert r.status_code == 200
        limited = via_proxy.post(URL, json={"provider": "openai"}, headers={"X-Forwarded-For": "203.0.113.5"})
        assert limited.status_code == 429
        # another client behind the same proxy has its own budget
        other = via_proxy.post(URL, json={"provider": "openai"}, headers={"X-Forwarded-For": "203.0.113.6, 10.9.1.2"})
        assert other.status_code == 200
    # a client connecting directly cannot dodge the limit by inventing the header
    with signed_in(app, client=("198.51.100.7", 40000)) as direct:
        statuses = [
            direct.post(URL, json={"provider": "openai"}, headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
            for i in range(11)
        ]
    assert statuses == [200] * 10 + [429]


def test_ten_concurrent_tests_do_not_block_each_other(settings, fake, canary):
    """Ten tests against a provider answering in 300 ms: concurrent well under serial."""
    from app.main import create_app

    fake.latency = 0.3
    keys = [f"{canary(f'c{i}')}-slow" for i in range(10)]
    app = create_app(settings)  # default timeouts: a loaded machine must not turn 300 ms into a timeout

    with signed_in(app) as client:

        def one(key: str) -> str:
            return client.post(URL, json={"provider": "openai", "api_key": key}).json()["outcome"]

        started = time.perf_counter()
        serial = [one(k) for k in keys]
        serial_time = time.perf_counter() - started
        app.state.limiter.reset()

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=10) as pool:
            concurrent = list(pool.map(one, keys))
        concurrent_time = time.perf_counter() - started

    assert serial == ["valid"] * 10, serial
    assert concurrent == ["valid"] * 10, concurrent
    assert serial_time >= 10 * 0.3  # the latency really applied
    assert concurrent_time < 0.5 * serial_time, (concurrent_time, serial_time)
