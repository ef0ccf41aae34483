"""Where a camera test may connect (the outbound policy applied to cameras),
and failure messages that do not tell one closed or foreign port from another.

Every connection attempt the process makes is observed through the
interpreter's ``socket.connect`` audit event (:func:`watch_connects`), so
"refused before any connect" is checked on the real socket layer, not on a
stand-in.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator

import pytest

from app.integrations.rtsp import url as rtsp_url
from app.integrations.rtsp.client import NOTHING_ANSWERING, probe
from app.integrations.rtsp.url import RtspUrl, parse_rtsp_url
from tests.conftest import free_port
from tests.fakes.fake_rtsp import start_http_server, start_in_thread

# -- watching every connect() of the process ---------------------------------------

_WATCHERS: list[list[object]] = []
_HOOKED = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect" and _WATCHERS:
        for watcher in _WATCHERS:
            watcher.append(args[1])


@contextlib.contextmanager
def watch_connects() -> Iterator[list[object]]:
    """Every address any socket of this process tries to connect to meanwhile."""
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: it stays, idle
        _HOOKED = True
    seen: list[object] = []
    _WATCHERS.append(seen)
    try:
        yield seen
    finally:
        _WATCHERS.remove(seen)


BLOCKED_LITERALS = [
    "169.254.169.254",  # cloud metadata
    "2852039166",  # the same, as one decimal number
    "0xa9fea9fe",  # the same, in hex
    "0251.0376.0251.0376",  # the same, in octal
    "169.254.43518",  # the same, a.b.c form
    "[::ffff:169.254.169.254]",  # IPv4-mapped
    "[fd00:ec2::254]",  # AWS IPv6 metadata
    "0.0.0.0",
    "0",
    "[::]",
    "[fe80::1]",
    "[fe80::1%25eth0]",
    "224.0.0.1",
    "239.255.255.250",  # SSDP multicast
    "[ff02::1]",
    "255.255.255.255",
]


@pytest.mark.parametrize("host", BLOCKED_LITERALS)
def test_blocked_literals_are_refused_when_parsed(host: str) -> None:
    with pytest.raises(rtsp_url.BlockedAddressError, match="cameras are never contacted there"):
        parse_rtsp_url(f"rtsp://{host}:554/stream1")


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "192.168.1.20", "10.0.0.5", "172.16.3.4", "100.64.0.9", "[fd12::5]", "[::1]"]
)
def test_lan_and_loopback_cameras_are_allowed(host: str) -> None:
    assert parse_rtsp_url(f"rtsp://{host}:554/s").public_url().startswith("rtsp://")


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "0.0.0.0", "::", "fe80::1", "224.0.0.251", "ff02::fb"]
)
async def test_a_name_resolving_to_a_blocked_address_is_never_connected(address: str) -> None:
    """Host names are checked after resolution, before any connect."""
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return [address]

    with watch_connects() as connects:
        result = await probe("rtsp://camera.example.lan:8554/stream1", resolver=resolver, timeout=2)
    assert asked == ["camera.example.lan"]
    assert connects == []
    assert not result.success and result.error_code == "address_not_allowed"
    assert address in result.message and "camera.example.lan" in result.message


async def test_a_url_built_around_the_parser_is_still_refused() -> None:
    """A stored row from before the policy: the probe checks it again."""
    legacy = RtspUrl(scheme="rtsp", host="2852039166", port=554, path="/s")
    with watch_connects() as connects:
        result = await probe(legacy, timeout=2)
    assert connects == []
    assert result.error_code == "address_not_allowed" and "169.254.169.254" in result.message


async def test_the_checked_address_is_the_one_connected_to() -> None:
    """Resolved once: a second answer (DNS rebinding) is never asked for."""
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    calls = 0

    async def resolver(host: str, port: int) -> list[str]:
        nonlocal calls
        calls += 1
        return next(answers)

    with start_in_thread(auth="none") as camera, watch_connects() as connects:
        port = camera.rtsp_url.split(":")[2].split("/")[0]
        result = await probe(f"rtsp://camera.example.lan:{port}/stream1", resolver=resolver, timeout=3)
    assert result.success, result.message
    assert calls == 1
    assert connects == [("127.0.0.1", int(port))]
    assert camera.connections == 1


async def test_a_blocked_address_among_allowed_ones_is_skipped() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["169.254.169.254", "127.0.0.1"]

    with start_in_thread(auth="none") as camera, watch_connects() as connects:
        port = int(camera.rtsp_url.split(":")[2].split("/")[0])
        result = await probe(f"rtsp://camera.example.lan:{port}/stream1", resolver=resolver, timeout=3)
    assert result.success, result.message
    assert connects == [("127.0.0.1", port)]


# -- one message for "no RTSP camera here" ------------------------------------------


@contextlib.contextmanager
def _raw_server(behaviour: str) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that greets with a banner, or hangs up at once."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                if behaviour == "banner":
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
                    with contextlib.suppress(OSError):
                        conn.recv(1024)
                elif behaviour == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(2)


async def test_closed_http_foreign_and_hanging_up_ports_look_the_same() -> None:
    results = {}
    port = free_port()
    results["closed"] = await probe(f"rtsp://127.0.0.1:{port}/s", username="admin", password="fake-x-pw")
    with start_http_server() as http_port:
        results["http"] = await probe(f"rtsp://127.0.0.1:{http_port}/s", username="admin", password="fake-x-pw")
        results["tls to http"] = await probe(f"rtsps://127.0.0.1:{http_port}/s", timeout=2)
    for behaviour in ("banner", "close", "reset"):
        with _raw_server(behaviour) as raw_port:
            results[behaviour] = await probe(f"rtsp://127.0.0.1:{raw_port}/s", timeout=2)
    kinds = {(r.error_code, r.message.split(" at ")[0]) for r in results.values()}
    assert kinds == {("unreachable", "Nothing is answering as an RTSP camera")}, {
        k: (r.error_code, r.message) for k, r in results.items()
    }
    for result in results.values():
        assert not result.success and result.status_code is None
        assert result.message.startswith(NOTHING_ANSWERING.split("{where}")[0])


async def test_a_real_rtsp_peer_still_gets_specific_messages(canary: object) -> None:
    password = canary("cam")  # type: ignore[operator]
    with start_in_thread(password=password) as camera:
        wrong = await probe(camera.rtsp_url, username="admin", password=password + "-wrong")
        missing = await probe(camera.rtsp_url + "-missing", username="admin", password=password)
    assert wrong.error_code == "auth_failed"
    assert missing.error_code == "rtsp_error" and "404" in missing.message
