"""The rate limiter: client identification, shared Redis counters, storage outages."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from starlette.requests import Request

from app.core.rate_limit import ClientIdentifier, _parse_networks
from tests.conftest import free_port, make_settings, signed_in

URL = "/api/v1/ai/test-key"


def _request(peer: str, forwarded: list[str] | None = None) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 1234)})


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], "198.51.100.1", ["203.0.113.9"], "198.51.100.1"),  # no proxies: header ignored
        (["10.0.0.1"], "198.51.100.1", ["203.0.113.9"], "198.51.100.1"),  # not from the proxy
        (["10.0.0.1"], "10.0.0.1", ["203.0.113.9"], "203.0.113.9"),
        (["10.0.0.0/8"], "10.0.0.1", ["1.2.3.4, 203.0.113.9, 10.0.0.2"], "203.0.113.9"),  # right-most untrusted
        (["10.0.0.0/8"], "10.0.0.1", ["1.2.3.4", "203.0.113.9"], "203.0.113.9"),  # several header lines
        (["10.0.0.1"], "10.0.0.1", [], "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", ["not-an-ip"], "10.0.0.1"),
        (["::1"], "::1", ["2001:db8::5"], "2001:db8::5"),
        (["10.0.0.0/8"], "10.0.0.1", ["10.0.0.7"], "10.0.0.7"),  # only proxies: the furthest one
    ],
)
def test_client_identification(trusted, peer, forwarded, expected):
    identify = ClientIdentifier(trusted_proxies=_parse_networks(trusted))
    assert identify(_request(peer, forwarded)) == expected


def test_bad_trusted_proxy_entries_are_ignored():
    assert [str(n) for n in _parse_networks(["10.0.0.0/8", "nonsense", "192.0.2.1"])] == ["10.0.0.0/8", "192.0.2.1/32"]


def _app(db_path, storage_url: str):
    from app.main import create_app

    return create_app(make_settings(f"sqlite:///{db_path}", rate_limit_storage_url=storage_url))


@pytest.fixture
def client_address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def test_redis_counters_are_shared_between_workers(db_path, redis_url, client_address):
    """Two apps (two workers) on one Redis: together they allow ten tests, not twenty."""
    worker_a, worker_b = _app(db_path, redis_url), _app(db_path, redis_url)
    with (
        signed_in(worker_a, client=(client_address, 1)) as a,
        signed_in(worker_b, client=(client_address, 2)) as b,
    ):
        statuses = [a.post(URL, json={"provider": "openai"}).status_code for _ in range(6)]
        statuses += [b.post(URL, json={"provider": "openai"}).status_code for _ in range(4)]
        assert statuses == [200] * 10
        r = b.post(URL, json={"provider": "openai"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert a.post(URL, json={"provider": "openai"}).status_code == 429


@pytest.fixture
def closed_port() -> Iterator[int]:
    yield free_port()


def test_unreachable_storage_falls_back_to_memory(db_path, closed_port, client_address):
    app = _app(db_path, f"redis://127.0.0.1:{closed_port}/0")
    with signed_in(app, client=(client_address, 1)) as client:
        statuses = [client.post(URL, json={"provider": "openai"}).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
