"""Outbound address policy: where a webhook may be sent.

Never allowed, whatever the settings:

* link-local, including the cloud metadata service: ``169.254.0.0/16``,
  ``fe80::/10`` and AWS's IPv6 metadata address ``fd00:ec2::254``;
* "this network" ``0.0.0.0/8`` and the unspecified ``::``;
* multicast (``224.0.0.0/4``, ``ff00::/8``), and the reserved ``240.0.0.0/4``
  (which holds the broadcast address);
* the same IPv4 addresses written as IPv6: IPv4-mapped (``::ffff:a.b.c.d``),
  IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::/96``), 6to4
  (``2002::/16``) and Teredo.

Private, loopback and other non-global ranges (home-LAN targets such as Home
Assistant) are allowed unless the ``webhook_block_private_networks`` system
setting is ``true``.

Two checks use this policy:

* at save, :func:`parse_webhook_url` refuses a URL whose host is a literal
  blocked address (also in the odd forms ``getaddrinfo`` accepts, such as
  ``2852039166`` or ``0x7f.1``);
* at send, :class:`PinnedNetworkBackend` resolves the host name, keeps only
  allowed addresses and opens the TCP connection to the address it checked:
  there is no second DNS lookup between the check and the connection, so no
  DNS-rebinding window. TLS still verifies the certificate against the host
  name from the URL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from select import POLLIN, poll
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore
import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import ValidationFailed
from app.models.system_setting import SystemSetting

BLOCK_PRIVATE_SETTING = "webhook_block_private_networks"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALWAYS_BLOCKED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.0.0/16"), "a link-local / cloud metadata address"),
    (ipaddress.ip_network("0.0.0.0/8"), "a 'this network' address (0.0.0.0/8)"),
    (ipaddress.ip_network("224.0.0.0/4"), "a multicast address"),
    (ipaddress.ip_network("240.0.0.0/4"), "a reserved or broadcast address"),
    (ipaddress.ip_network("fe80::/10"), "a link-local address"),
    (ipaddress.ip_network("fd00:ec2::254/128"), "a cloud metadata address"),
    (ipaddress.ip_network("ff00::/8"), "a multicast address"),
    (ipaddress.ip_network("::/128"), "the unspecified address"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048


class BlockedDestination(Exception):
    """The destination resolves only to addresses the policy refuses.

    The message names the host and the address, never a URL path or query.
    """


class ResolutionFailed(Exception):
    """The host name could not be resolved."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress | str, *, block_private: bool) -> str | None:
    """Why ``address`` may not be contacted, or ``None`` when it may."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = blocked_reason(embedded, block_private=block_private)
            if reason is not None:
                return reason
    for network, reason in _ALWAYS_BLOCKED:
        if ip.version == network.version and ip in network:
            return reason
    if block_private and not ip.is_global:
        return "a private or local network address (blocked by the webhook_block_private_networks setting)"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The IP address a URL host denotes literally, or ``None`` for a host name.

    Besides the canonical forms, accepts what ``inet_aton`` accepts (``127.1``,
    ``0x7f.0.0.1``, ``2130706433``): the resolver would connect to those too.
    """
    candidate = host.strip("[]")
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(candidate) and any(c.isdigit() for c in candidate):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class WebhookUrl:
    """A validated webhook URL's public parts (the origin is not a secret)."""

    scheme: str
    host: str
    port: int
    origin: str  # scheme://host[:port], as displayed

    @property
    def origin_key(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def masked(self) -> str:
        return mask_url_from_origin(self.origin)


def mask_url_from_origin(origin: str) -> str:
    return f"{origin}/****"


def origin_key(origin: str) -> tuple[str, str, int]:
    """Normalised (scheme, host, port) of a displayed origin ``scheme://host[:port]``."""
    parts = urlsplit(origin)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return (scheme, host, port)


def _fail(message: str, field: str = "actions.webhook.url") -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def parse_webhook_url(url: str, *, block_private: bool) -> WebhookUrl:
    """Validate a webhook URL for saving. Error messages never contain the URL."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise _fail(f"The webhook URL must be 1 to {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise _fail("The webhook URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _fail("The webhook URL is not a valid URL (check the host and port).") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _fail("The webhook URL must start with http:// or https://.")
    host = (parts.hostname or "").lower()
    if not host:
        raise _fail("The webhook URL has no host.")
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise _fail("The webhook URL is not a valid URL.") from None
    literal = literal_address(host)
    if literal is not None:
        reason = blocked_reason(literal, block_private=block_private)
        if reason is not None:
            raise ValidationFailed(
                f"Webhooks may not be sent to {literal}: it is {reason}.",
                code="address_not_allowed",
                errors=[{"field": "actions.webhook.url", "message": f"{literal} is {reason}"}],
            )
    display_host = f"[{host}]" if ":" in host else host
    origin = f"{scheme}://{display_host}" + (f":{port}" if port is not None else "")
    return WebhookUrl(scheme=scheme, host=host, port=port or _DEFAULT_PORTS[scheme], origin=origin)


def _looks_secret(part: str) -> bool:
    if len(part) >= 16:
        return True
    return len(part) >= 8 and any(c.isdigit() for c in part) and any(c.isalpha() for c in part)


def url_secret_parts(url: str) -> list[str]:
    """The pieces of a webhook URL to mask in logs and recorded bodies.

    The URL itself, its path and query, the password, and every path segment
    or query value that looks like a token (16+ characters, or 8+ mixing
    letters and digits), decoded and as written: services echo them back in
    either form.
    """
    parts = [url]
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    tail = split.path + (f"?{split.query}" if split.query else "")
    for candidate in (tail, split.path, split.query):
        if len(candidate) >= 8:
            parts.append(candidate)
    if split.password:
        parts.append(split.password)
    pieces = [p for p in split.path.split("/") if p]
    for pair in split.query.split("&"):
        pieces.append(pair.split("=", 1)[-1])
    for piece in pieces:
        for form in {piece, unquote(piece)}:
            if _looks_secret(form):
                parts.append(form)
    return parts


def block_private_networks(session: Session) -> bool:
    """The ``webhook_block_private_networks`` setting (JSON text ``true``/``false``)."""
    value = session.execute(
        select(SystemSetting.value).where(SystemSetting.key == BLOCK_PRIVATE_SETTING)
    ).scalar_one_or_none()
    if value is None:
        return False
    try:
        parsed: Any = json.loads(value)
    except (TypeError, ValueError):
        parsed = value
    if isinstance(parsed, str):
        return parsed.strip().lower() in {"true", "1", "yes", "on"}
    return parsed is True


# -- resolution and connection at send time ----------------------------------

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
        assert last_error is not None
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
