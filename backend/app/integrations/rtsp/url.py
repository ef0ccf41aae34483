"""RTSP URLs: parse and validate a camera URL (credentials out of the URL, no
credential in the query, no literal address cameras are never contacted at)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from app.core.logging import register_secret
from app.core.redaction import ExchangeSecrets
from app.integrations.outbound.policy import blocked_reason, literal_address

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}
MAX_URL_LENGTH = 2048


_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_\-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_\-]{0,62}))*\.?$")
_BAD_PATH_CHARS = re.compile(r"[\x00-\x20\x7f]")
# A query parameter is refused when its name says it carries a credential (any
# of these inside the name, or one of the short words, or a word ending in
# "key", as a whole word of it),
# or when its value looks like one (a long random token), whatever its name.
_CREDENTIAL_NAME_PARTS = ("pass", "token", "secret", "auth", "signature", "hmac", "cred", "session", "jwt")
_CREDENTIAL_NAME_WORDS = frozenset({"pw", "pwd", "pin", "otp", "sig", "sid", "code", "nonce", "ticket"})
_NAME_WORD_SPLIT = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])")
_TOKEN_VALUE = re.compile(r"^[A-Za-z0-9+/=_\-.~%]{16,}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_USERINFO_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://([^/?#]*)@")


@dataclass(frozen=True)
class RtspUrl:
    """A parsed ``rtsp://`` / ``rtsps://`` URL. ``repr`` never shows the password."""

    scheme: Literal["rtsp", "rtsps"]
    host: str  # lower case; IPv6 without brackets
    port: int | None
    path: str  # path and query, at least "/"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    @property
    def endpoint(self) -> tuple[str, str, int]:
        """Where a password is sent: scheme, host and port (the default port made explicit)."""
        return (self.scheme, self.host, self.effective_port)

    def public_url(self) -> str:
        """The URL without credentials: what is stored, shown and put in requests."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}{self.path}"

    def __repr__(self) -> str:
        user = "***" if self.username else None
        return f"RtspUrl({self.public_url()!r}, username={user}, password={'***' if self.password else None})"


def register_url_credentials(raw: str) -> None:
    """Register the password part of ``scheme://user:password@`` with the log
    redactor, even when the rest of the URL is invalid."""
    match = _USERINFO_RE.match(raw.strip())
    if match:
        userinfo = match.group(1)
        if ":" in userinfo:
            secret = userinfo.split(":", 1)[1]
            register_secret(secret)
            register_secret(unquote(secret))


def exchange_secrets(url: RtspUrl, username: str | None, password: str | None) -> ExchangeSecrets:
    """Every form the credentials of a camera exchange travel in: the password,
    Basic's base64 of ``user:password``, and the URL's query values."""
    forms = ExchangeSecrets().add_basic(username, password)
    query = url.path.partition("?")[2]
    for pair in query.split("&") if query else ():
        forms.add(pair.partition("=")[2])
    return forms


def parse_rtsp_url(raw: str) -> RtspUrl:
    """Parse and validate an RTSP URL. Raises ``ValueError`` with a message that
    never contains the URL or any part of it."""
    if len(raw) > MAX_URL_LENGTH:
        raise ValueError(f"is too long (at most {MAX_URL_LENGTH} characters)")
    register_url_credentials(raw)
    try:
        parts = urlsplit(raw)
    except ValueError:
        raise ValueError("is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("must start with rtsp:// or rtsps://")
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if not host:
        raise ValueError("must name a host, e.g. rtsp://192.168.1.20:554/stream1")
    host = _check_host(host)
    _check_allowed(host)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number between 1 and 65535") from None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("has a port that is not a number between 1 and 65535")
    netloc_host = parts.netloc.rsplit("@", 1)[-1]
    if netloc_host.endswith(":"):
        raise ValueError("has an empty port")
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    if parts.query:
        path = f"{path}?{parts.query}"
    if _BAD_PATH_CHARS.search(path):
        raise ValueError("contains spaces or control characters in its path")
    if parts.query:
        _refuse_query_credentials(parts.query)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if password:
        register_secret(password)
    if any(value and _CONTROL_CHARS.search(value) for value in (username, password)):
        raise ValueError("contains control characters in its credentials")
    return RtspUrl(scheme=scheme, host=host, port=port, path=path, username=username, password=password)  # type: ignore[arg-type]


def is_credential_parameter(name: str, value: str) -> bool:
    """Whether an RTSP URL query parameter (decoded) may carry a credential."""
    lowered = name.strip().lower()
    if any(part in lowered for part in _CREDENTIAL_NAME_PARTS):
        return True
    words = _NAME_WORD_SPLIT.split(lowered)
    if any(word in _CREDENTIAL_NAME_WORDS or word.endswith("key") for word in words):  # key, apikey, x-api-key
        return True
    token = value.strip()
    return bool(_TOKEN_VALUE.match(token)) and any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _refuse_query_credentials(query: str) -> None:
    """The query of an RTSP URL is stored and shown in clear and goes in every
    request line: a parameter that may carry a credential is refused (422),
    naming the parameter, never its value."""
    for pair in query.split("&"):
        raw_name, _, raw_value = pair.partition("=")
        name, value = unquote(raw_name), unquote(raw_value)
        if is_credential_parameter(name, value):
            register_secret(value)
            register_secret(raw_value)
            shown = name if re.fullmatch(r"[A-Za-z0-9_.\-]{1,40}", name) else "a parameter"
            raise ValueError(
                f"carries what looks like a credential in its query string ({shown}): "
                "the URL is stored and shown in clear, so put the camera's credential in the username and "
                "password fields (stored encrypted) and leave only stream options (channel, subtype, profile...) "
                "in the URL"
            )


class BlockedAddressError(ValueError):
    """The URL's host is a literal address cameras are never contacted at."""


def _check_allowed(host: str) -> None:
    literal = literal_address(host)
    if literal is None:
        return
    reason = blocked_reason(literal, block_private=False)
    if reason is not None:
        raise BlockedAddressError(f"names {literal}, {reason}: cameras are never contacted there")


def _check_host(host: str) -> str:
    host = host.lower()
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host.split("%", 1)[0]))
        except ValueError:
            raise ValueError("has an invalid IPv6 address") from None
    if not _HOSTNAME_RE.match(host):
        raise ValueError("has an invalid host name")
    return host
