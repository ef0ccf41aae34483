"""The outbound address policy: what is refused at save and at send, and that
the connection goes to the address that was checked."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from app.core.errors import ValidationFailed
from app.integrations.outbound.policy import BlockedDestination, blocked_reason, literal_address, origin_key
from app.integrations.outbound.transport import PinnedNetworkBackend, PinnedTransport, allowed_addresses
from app.models.system_setting import SystemSetting
from app.services.outbound_policy import block_private_networks, parse_webhook_url
from app.services.settings_service import get_settings_values
from tests.fakes.webhook_receiver import run_receiver

ALWAYS_BLOCKED = [
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "255.255.255.255",  # broadcast
    "fe80::1",
    "fe80::1%eth0",
    "fd00:ec2::254",  # AWS IPv6 metadata
    "ff02::1",  # multicast
    "::",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:0.0.0.0",
    "::ffff:224.0.0.1",
    "::169.254.169.254",  # IPv4-compatible
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
]
PRIVATE = [
    "127.0.0.1",
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.10",
    "100.64.0.1",
    "::1",
    "fd12:3456::1",
    "::ffff:10.0.0.1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", ALWAYS_BLOCKED)
@pytest.mark.parametrize("block_private", [False, True])
def test_always_blocked(address: str, block_private: bool) -> None:
    assert blocked_reason(address, block_private=block_private) is not None


@pytest.mark.parametrize("address", PRIVATE)
def test_private_allowed_unless_the_setting_blocks_them(address: str) -> None:
    assert blocked_reason(address, block_private=False) is None
    assert "private" in (blocked_reason(address, block_private=True) or "")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_always_allowed(address: str) -> None:
    assert blocked_reason(address, block_private=False) is None
    assert blocked_reason(address, block_private=True) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("169.254.169.254", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),  # decimal form getaddrinfo accepts
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("hooks.example.com", None),
        ("deadbeef.example", None),
    ],
)
def test_literal_address_forms(host: str, expected: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found is not None else None) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest",
        "http://0xa9.0xfe.0xa9.0xfe/latest",
        "http://[fe80::1]/x",
        "http://[fd00:ec2::254]/x",
        "http://[::ffff:169.254.169.254]/x",
        "http://0.0.0.0:8123/api/webhook/x",
        "http://224.0.0.1/x",
    ],
)
def test_literal_blocked_address_refused_at_save(url: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_webhook_url(url, block_private=False)
    assert info.value.code == "address_not_allowed"


def test_private_literal_refused_only_when_the_setting_is_on() -> None:
    assert parse_webhook_url("http://192.168.1.20:8123/api/webhook/x", block_private=False).port == 8123
    with pytest.raises(ValidationFailed):
        parse_webhook_url("http://192.168.1.20:8123/api/webhook/x", block_private=True)
    with pytest.raises(ValidationFailed):
        parse_webhook_url("http://127.0.0.1/x", block_private=True)
    # a host name is only checked when it is resolved, at send time
    assert parse_webhook_url("http://homeassistant.local:8123/x", block_private=True).host == "homeassistant.local"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "example.com/x", "http:///x", "http://exa mple.com/x", "http://example.com:99999/x", ""],
)
def test_malformed_urls_refused_without_echo(url: str, canary) -> None:
    secret = canary("path")
    with pytest.raises(ValidationFailed) as info:
        parse_webhook_url(url + secret if url else url, block_private=False)
    assert secret not in info.value.message
    assert secret not in json.dumps(info.value.extra)


def test_origin_shows_scheme_host_port_only() -> None:
    parsed = parse_webhook_url("https://user:pw@Hooks.Example.com:8443/services/T0/B0/abc?x=1", block_private=False)
    assert parsed.origin == "https://hooks.example.com:8443"
    assert parsed.masked == "https://hooks.example.com:8443/****"
    v6 = parse_webhook_url("http://[2606:4700::1]:8080/x", block_private=False)
    assert v6.masked == "http://[2606:4700::1]:8080/****"
    assert origin_key("https://hooks.example.com") == origin_key("https://HOOKS.example.com:443")
    assert origin_key("http://hooks.example.com") != origin_key("https://hooks.example.com")


def test_allowed_addresses_filters_and_refuses() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"mixed.test": ["169.254.169.254", "127.0.0.1"], "meta.test": ["169.254.169.254", "fe80::1"]}[host]

    async def run() -> None:
        assert await allowed_addresses("mixed.test", 80, resolver=resolver, block_private=False) == ["127.0.0.1"]
        with pytest.raises(BlockedDestination) as info:
            await allowed_addresses("meta.test", 80, resolver=resolver, block_private=False)
        assert "169.254.169.254" in str(info.value)
        with pytest.raises(BlockedDestination):
            await allowed_addresses("mixed.test", 80, resolver=resolver, block_private=True)

    asyncio.run(run())


def _client(resolver, *, block_private: bool = False) -> httpx.AsyncClient:
    backend = PinnedNetworkBackend(resolver=resolver, block_private=lambda: block_private)
    transport = PinnedTransport(backend=backend, limits=httpx.Limits(max_connections=4))
    return httpx.AsyncClient(transport=transport, trust_env=False, timeout=5)


def test_connection_goes_to_the_checked_address() -> None:
    """``pinned.test`` exists only in our resolver: if the request arrives, the
    connection used the address the policy checked, and the URL's host name
    went out unchanged in the Host header."""
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        # a rebinding DNS: the first answer is harmless, later ones are not
        return ["127.0.0.1"] if len(calls) == 1 else ["169.254.169.254"]

    with run_receiver() as rx:

        async def run() -> int:
            async with _client(resolver) as client:
                response = await client.post(f"http://pinned.test:{rx.port}/hook", json={"a": 1})
                return response.status_code

        assert asyncio.run(run()) == 200
        (request,) = rx.wait_for(1)
    assert request.headers["host"] == f"pinned.test:{rx.port}"
    assert calls == ["pinned.test"]  # resolved once, for the one connection


def test_hostname_resolving_to_metadata_is_never_contacted() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    async def run() -> None:
        async with _client(resolver) as client:
            with pytest.raises(BlockedDestination):
                await client.post("http://metadata.test/latest/meta-data/", json={})

    asyncio.run(run())


def test_private_target_refused_at_send_when_blocked() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with run_receiver() as rx:

        async def run() -> None:
            async with _client(resolver, block_private=True) as client:
                with pytest.raises(BlockedDestination):
                    await client.post(f"http://lan.test:{rx.port}/hook", json={})

        asyncio.run(run())
        assert rx.requests == []


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(None, False), ("true", True), ("false", False), ('"true"', False), ("yes", False), ("garbage", False)],
)
def test_block_private_setting_read_from_system_settings(db_session, stored: str | None, expected: bool) -> None:
    """The sender reads the setting exactly as the settings page shows it (one reader: a
    stored value the page cannot show as true never blocks silently, and the reverse)."""
    if stored is not None:
        db_session.add(SystemSetting(key="webhook_block_private_networks", value=stored))
        db_session.flush()
    assert block_private_networks(db_session) is expected
    assert get_settings_values(db_session).webhook_block_private_networks is expected


def test_socket_readable() -> None:
    import socket

    from app.integrations.outbound.transport import socket_readable

    ours, theirs = socket.socketpair()
    try:
        assert socket_readable(ours) is False  # idle: nothing waiting
        theirs.sendall(b"x")
        assert socket_readable(ours) is True  # data waiting
        ours.recv(1)
        theirs.close()
        assert socket_readable(ours) is True  # the peer closed: the next read ends
    finally:
        ours.close()
    assert socket_readable(ours) is True  # closed here
    assert socket_readable(None) is True


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    """A receiver that closes keep-alive connections silently once idle: the
    pool must see it (the pinned stream's readability answer) and open a new
    connection for the next request instead of writing into a dead one."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            0,
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()  # idle keep-alive connection dropped without a word

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async def run() -> list[int]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        statuses = []
        async with server, _client(resolver) as client:
            for _ in range(3):
                response = await client.post(f"http://closing.test:{port}/hook", json={"n": 1})
                statuses.append(response.status_code)
                await asyncio.sleep(0.3)  # the server has closed the idle connection by now
        return statuses

    assert asyncio.run(run()) == [200, 200, 200]
    assert len(connections) == 3
