"""Outbound address policy: where a webhook (or a camera connection) may go.

Pure: no I/O, no database; errors are ``ValueError`` subclasses (the services turn
them into HTTP answers). The connection side is :mod:`.transport`.

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

* at save, :func:`check_webhook_url` refuses a URL whose host is a literal
  blocked address (also in the odd forms ``getaddrinfo`` accepts, such as
  ``2852039166`` or ``0x7f.1``);
* at send, :class:`~app.integrations.outbound.transport.PinnedNetworkBackend` resolves the host name, keeps only
  allowed addresses and opens the TCP connection to the address it checked:
  there is no second DNS lookup between the check and the connection, so no
  DNS-rebinding window. TLS still verifies the certificate against the host
  name from the URL.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

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


WEBHOOK_URL_FIELD = "actions.webhook.url"


class WebhookUrlRefused(ValueError):
    """A webhook URL that may not be saved. ``str(exc)`` is the message for the
    owner, ``field_message`` the one for the field, ``code`` a machine code
    (``None``: a plain validation error). None of them contains the URL."""

    def __init__(self, message: str, *, code: str | None = None, field_message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field_message = field_message or message


def check_webhook_url(url: str, *, block_private: bool) -> WebhookUrl:
    """Validate a webhook URL for saving; raises :class:`WebhookUrlRefused`."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRefused(f"The webhook URL must be 1 to {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise WebhookUrlRefused("The webhook URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlRefused("The webhook URL is not a valid URL (check the host and port).") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise WebhookUrlRefused("The webhook URL must start with http:// or https://.")
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookUrlRefused("The webhook URL has no host.")
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise WebhookUrlRefused("The webhook URL is not a valid URL.") from None
    literal = literal_address(host)
    if literal is not None:
        reason = blocked_reason(literal, block_private=block_private)
        if reason is not None:
            raise WebhookUrlRefused(
                f"Webhooks may not be sent to {literal}: it is {reason}.",
                code="address_not_allowed",
                field_message=f"{literal} is {reason}",
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
