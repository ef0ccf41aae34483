"""The pinned outbound transport: resolve a host once, keep the addresses the
policy (:mod:`.policy`) allows, and connect to the address that was checked, so
there is no second DNS lookup between the check and the connection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable
from select import POLLIN, poll
from typing import Any

import httpcore
import httpx

from app.integrations.outbound.policy import BlockedDestination, ResolutionFailed, blocked_reason, literal_address

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver; addresses in its order, unique."""
    literal = literal_address(host)
    if literal is not None:
        return [str(literal)]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionFailed(f"could not resolve {host}") from exc
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


async def allowed_addresses(host: str, port: int, *, resolver: Resolver, block_private: bool) -> list[str]:
    """Resolve ``host`` and keep the addresses the policy allows.

    Raises :class:`BlockedDestination` when none is allowed.
    """
    addresses = await resolver(host, port)
    if not addresses:
        raise ResolutionFailed(f"could not resolve {host}")
    allowed: list[str] = []
    refused: list[tuple[str, str]] = []
    for address in addresses:
        try:
            reason = blocked_reason(address, block_private=block_private)
        except ValueError:
            reason = "not an IP address"
        if reason is None:
            allowed.append(address)
        else:
            refused.append((address, reason))
    if not allowed:
        address, reason = refused[0]
        raise BlockedDestination(f"{host} resolves to {address}, {reason}: not sent")
    return allowed


def socket_readable(sock: socket.socket | None) -> bool:
    """Whether ``sock`` has data (or EOF) waiting, without reading it. A
    closed or missing socket counts as readable: its next read ends."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poller = poll()
    poller.register(fd, POLLIN)
    return bool(poller.poll(0))


class PinnedStream(httpcore.AsyncNetworkStream):
    """A connected stream from :class:`PinnedNetworkBackend`.

    Everything goes to the backend's own stream, except one question: before
    reusing an idle keep-alive connection, and on every request start and
    end, httpcore's pool asks each idle connection whether the server closed
    it (``is_readable``). The anyio stream answers through a generic
    attribute lookup that costs more than the check itself; this stream keeps
    the socket and polls it directly (a webhook burst spends a fifth of its
    time on that lookup otherwise; ``bench/bench_webhooks.py``).
    """

    __slots__ = ("_inner", "_socket")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return PinnedStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return socket_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to checked addresses.

    ``connect_tcp`` receives the URL's host name; it resolves it once, filters
    the addresses through the policy and connects to an allowed address
    itself. The host name is still used for TLS (SNI and certificate check)
    and the ``Host`` header, because httpcore passes it to ``start_tls``.
    """

    def __init__(self, *, resolver: Resolver, block_private: Callable[[], bool]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver = resolver
        self._block_private = block_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await allowed_addresses(host, port, resolver=self._resolver, block_private=self._block_private())
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
                return PinnedStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        if last_error is None:  # allowed_addresses never returns an empty list
            raise BlockedDestination(f"{host}: no address to connect to")
        raise last_error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with :class:`PinnedNetworkBackend` under its pool.

    httpx does not expose ``network_backend``; the pool is rebuilt with the
    same settings httpx would use (no proxy: a webhook never goes through
    ``HTTP_PROXY``, so the checked address is really the one contacted).
    """

    def __init__(self, *, backend: PinnedNetworkBackend, limits: httpx.Limits) -> None:
        # The parent's __init__ only builds ``self._pool``: it is built here instead.
        ssl_context = httpx.create_ssl_context(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )
