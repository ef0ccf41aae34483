"""A small async RTSP client: the handshake an NVR does first, to test a camera.

:func:`probe` opens a TCP (``rtsp``) or TLS (``rtsps``) connection with asyncio
streams and sends ``OPTIONS`` then ``DESCRIBE`` (RFC 2326 / RFC 7826), answering
a ``401`` challenge with Digest (RFC 2617 / RFC 7616: ``qop=auth``, MD5,
SHA-256 and their ``-sess`` variants) or Basic (RFC 7617), whichever the camera
asks for (Digest preferred, the strongest algorithm first). The whole exchange
is bounded by one timeout (:data:`DEFAULT_TIMEOUT`, 5 s). The SDP answer is
parsed for the codecs (``a=rtpmap``, static payload types) and the resolution
(``a=framesize``, ``a=x-dimensions``, ``a=cliprect``, else the H.264 SPS in
``sprop-parameter-sets``).

Credentials never go into a URL: the request line and the Digest ``uri`` carry
the URL without userinfo, Basic credentials are sent only when the camera asks
for Basic, redirects are reported, not followed (a password is never carried
to another host), and no result message contains the password.

Where a camera may be: the outbound policy of webhooks
(:mod:`app.services.outbound_policy`) applies, without its private-network
switch. Cameras live on the home network, so private ranges (10/8, 172.16/12,
192.168/16, fc00::/7), CGNAT and loopback (a local RTSP relay such as
MediaMTX or go2rtc) are allowed; never allowed are link-local addresses and the
cloud metadata service (169.254.0.0/16, fe80::/10, fd00:ec2::254), "this
network" and the unspecified address (0.0.0.0/8, ``::``), multicast
(224.0.0.0/4, ff00::/8) and the reserved range holding the broadcast address
(240.0.0.0/4), also when written in another form (``2852039166``,
``0xa9fea9fe``, ``::ffff:169.254.169.254``). :func:`parse_rtsp_url` refuses
such a literal (so it is never saved), and :func:`probe` resolves the host
once, checks every address and connects to the address it checked: no second
lookup, no DNS-rebinding window.

Failure messages help the owner without mapping a network for anyone else:
every way of finding no RTSP camera on a port (connection refused or reset,
an HTTP or other non-RTSP server, a failed TLS handshake, a peer that hangs
up) gives one message, :data:`NOTHING_ANSWERING`, with the code
``unreachable``; only a peer that answered in RTSP gets specific messages
(authentication, stream path, redirects). No answer within the time limit is
``timeout`` (the elapsed time tells that anyway).

The pure helpers (:func:`parse_rtsp_url`, :func:`digest_response`,
:func:`parse_challenges`, :func:`parse_sdp`, :func:`parse_h264_sps`) have no I/O.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import logging
import re
import secrets
import ssl
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from app.core.logging import register_secret
from app.core.redaction import ExchangeSecrets
from app.services.outbound_policy import (
    BlockedDestination,
    ResolutionFailed,
    Resolver,
    allowed_addresses,
    blocked_reason,
    literal_address,
    system_resolver,
)

logger = logging.getLogger("app.rtsp")

DEFAULT_TIMEOUT = 5.0
USER_AGENT = "LiveObjectAIClassifier/0.1"
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}
MAX_URL_LENGTH = 2048
MAX_LINE_BYTES = 8192
MAX_HEADERS = 100
MAX_BODY_BYTES = 256 * 1024

ErrorCode = Literal["auth_failed", "unreachable", "timeout", "not_rtsp", "rtsp_error", "address_not_allowed"]

NOTHING_ANSWERING = (
    "Nothing is answering as an RTSP camera at {where}: check the address and the port "
    "(RTSP usually listens on 554, rtsps on 322) and that the camera is on."
)
AuthKind = Literal["digest", "basic", "none"]

# -- URLs -----------------------------------------------------------------------

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


def camera_address_reason(address: str) -> str | None:
    """Why a camera may not be contacted at ``address`` (an IP), or ``None``."""
    return blocked_reason(address, block_private=False)


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


# -- results --------------------------------------------------------------------


@dataclass
class ProbeResult:
    success: bool
    message: str
    error_code: ErrorCode | None = None
    codecs: list[str] = field(default_factory=list)
    resolution: str | None = None
    auth: AuthKind | None = None
    latency_ms: int = 0
    status_code: int | None = None


class ProbeFailure(Exception):
    """A failed handshake; ``message`` is safe to show (no credentials)."""

    def __init__(self, code: ErrorCode, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.status_code = status_code


# -- Digest and Basic -----------------------------------------------------------


@dataclass
class Challenge:
    scheme: str  # lower case: "digest", "basic", ...
    params: dict[str, str]


_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Parse ``WWW-Authenticate`` header values (RFC 7235), several challenges
    per value allowed: ``Digest realm="x", nonce="y", Basic realm="x"``."""
    challenges: list[Challenge] = []
    for value in values:
        pos, n = 0, len(value)
        current: Challenge | None = None
        while pos < n:
            while pos < n and value[pos] in " \t,":
                pos += 1
            match = _TOKEN_RE.match(value, pos)
            if not match:
                pos += 1
                continue
            token = match.group(0)
            after = match.end()
            while after < n and value[after] in " \t":
                after += 1
            if after < n and value[after] == "=" and current is not None and not _is_token68_end(value, after):
                name = token.lower()
                pos = after + 1
                while pos < n and value[pos] in " \t":
                    pos += 1
                if pos < n and value[pos] == '"':
                    text, pos = _read_quoted(value, pos)
                else:
                    end = pos
                    while end < n and value[end] not in ", \t":
                        end += 1
                    text, pos = value[pos:end], end
                current.params[name] = text
            else:
                current = Challenge(scheme=token.lower(), params={})
                challenges.append(current)
                pos = match.end()
    return challenges


def _is_token68_end(value: str, eq: int) -> bool:
    """``token68=`` padding (``Basic abc==``) rather than ``name=value``."""
    rest = value[eq:].lstrip("=").lstrip(" \t")
    return rest == "" or rest.startswith(",")


def _read_quoted(value: str, pos: int) -> tuple[str, int]:
    out: list[str] = []
    pos += 1
    while pos < len(value):
        char = value[pos]
        if char == "\\" and pos + 1 < len(value):
            out.append(value[pos + 1])
            pos += 2
            continue
        if char == '"':
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    return "".join(out), pos


_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def _hash(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    return _HASHES[base](text.encode("utf-8")).hexdigest()


def digest_response(
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    algorithm: str = "MD5",
    qop: str | None = None,
    nc: str = "00000001",
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The Digest ``response`` value (RFC 2617 section 3.2.2, RFC 7616 section 3.4.1)."""
    algorithm = algorithm.upper()
    if algorithm.removesuffix("-SESS") not in _HASHES:
        raise ValueError("unsupported Digest algorithm")
    ha1 = _hash(algorithm, f"{username}:{realm}:{password}")
    if algorithm.endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
    if qop == "auth-int":
        base = algorithm.removesuffix("-SESS")
        ha2 = _hash(algorithm, f"{method}:{uri}:{_HASHES[base](body).hexdigest()}")
    else:
        ha2 = _hash(algorithm, f"{method}:{uri}")
    if qop:
        return _hash(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _hash(algorithm, f"{ha1}:{nonce}:{ha2}")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_ALGORITHM_STRENGTH = {"SHA-256": 4, "SHA-256-SESS": 3, "MD5": 2, "MD5-SESS": 1}


def choose_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Digest before Basic; among Digest challenges the strongest algorithm we support."""
    digests = [
        c
        for c in challenges
        if c.scheme == "digest"
        and c.params.get("algorithm", "MD5").upper() in _ALGORITHM_STRENGTH
        and "nonce" in c.params
    ]
    if digests:
        return max(digests, key=lambda c: _ALGORITHM_STRENGTH[c.params.get("algorithm", "MD5").upper()])
    for challenge in challenges:
        if challenge.scheme == "basic":
            return challenge
    return None


class _Authenticator:
    """Builds the Authorization header for each request once challenged."""

    def __init__(self, username: str, password: str, challenge: Challenge) -> None:
        self.username = username
        self._password = password
        self.challenge = challenge
        self.kind: AuthKind = "digest" if challenge.scheme == "digest" else "basic"
        self._nc = 0
        qops = [q.strip().lower() for q in challenge.params.get("qop", "").split(",") if q.strip()]
        self.qop = "auth" if "auth" in qops else ("auth-int" if "auth-int" in qops else None)

    def __repr__(self) -> str:
        return f"_Authenticator(kind={self.kind!r}, username=***, password=***)"

    def header(self, method: str, uri: str, body: bytes = b"") -> str:
        if self.kind == "basic":
            token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode("ascii")
            return f"Basic {token}"
        params = self.challenge.params
        algorithm = params.get("algorithm", "MD5")
        self._nc += 1
        nc = f"{self._nc:08x}"
        cnonce = secrets.token_hex(8)
        response = digest_response(
            username=self.username,
            password=self._password,
            realm=params.get("realm", ""),
            nonce=params["nonce"],
            method=method,
            uri=uri,
            algorithm=algorithm,
            qop=self.qop,
            nc=nc,
            cnonce=cnonce,
            body=body,
        )
        parts = [
            f"username={_quote(self.username)}",
            f"realm={_quote(params.get('realm', ''))}",
            f"nonce={_quote(params['nonce'])}",
            f"uri={_quote(uri)}",
            f"response={_quote(response)}",
        ]
        if "algorithm" in params:
            parts.append(f"algorithm={algorithm}")
        if "opaque" in params:
            parts.append(f"opaque={_quote(params['opaque'])}")
        if self.qop:
            parts += [f"qop={self.qop}", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        return "Digest " + ", ".join(parts)


# -- SDP ------------------------------------------------------------------------

# RFC 3551 static payload types (those a camera may use without a=rtpmap).
STATIC_PAYLOAD_TYPES = {
    0: "PCMU",
    3: "GSM",
    4: "G723",
    5: "DVI4",
    6: "DVI4",
    7: "LPC",
    8: "PCMA",
    9: "G722",
    10: "L16",
    11: "L16",
    12: "QCELP",
    13: "CN",
    14: "MPA",
    15: "G728",
    16: "DVI4",
    17: "DVI4",
    18: "G729",
    25: "CELB",
    26: "JPEG",
    28: "NV",
    31: "H261",
    32: "MPV",
    33: "MP2T",
    34: "H263",
}


@dataclass
class SdpMedia:
    kind: str  # video, audio, application, ...
    formats: list[str]
    rtpmap: dict[str, str] = field(default_factory=dict)  # payload type -> encoding name
    fmtp: dict[str, str] = field(default_factory=dict)  # payload type -> parameters
    attributes: list[tuple[str, str]] = field(default_factory=list)

    def codecs(self) -> list[str]:
        names = []
        for fmt in self.formats:
            name = self.rtpmap.get(fmt)
            if name is None and fmt.isdigit():
                name = STATIC_PAYLOAD_TYPES.get(int(fmt))
            if name:
                names.append(name.upper())
        return names


@dataclass
class SdpInfo:
    media: list[SdpMedia]
    codecs: list[str]
    resolution: str | None


_DIM_RE = re.compile(r"^\s*(?:\S+\s+)?(\d{1,5})\s*[-x,]\s*(\d{1,5})\s*$")


def parse_sdp(text: str) -> SdpInfo:
    """Codecs of the audio and video streams, and the video resolution if any."""
    media: list[SdpMedia] = []
    session_attrs: list[tuple[str, str]] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "m":
            fields = value.split()
            if len(fields) >= 3:
                media.append(SdpMedia(kind=fields[0].lower(), formats=fields[3:]))
        elif kind == "a":
            name, _, attr_value = value.partition(":")
            target = media[-1].attributes if media else session_attrs
            target.append((name.lower(), attr_value))
            if media and name.lower() in ("rtpmap", "fmtp"):
                pt, _, rest = attr_value.strip().partition(" ")
                if name.lower() == "rtpmap":
                    media[-1].rtpmap[pt] = rest.split("/", 1)[0].strip()
                else:
                    media[-1].fmtp[pt] = rest.strip()
    codecs: list[str] = []
    for m in media:
        if m.kind in ("video", "audio"):
            for codec in m.codecs():
                if codec not in codecs:
                    codecs.append(codec)
    return SdpInfo(media=media, codecs=codecs, resolution=_resolution(media, session_attrs))


def _resolution(media: list[SdpMedia], session_attrs: list[tuple[str, str]]) -> str | None:
    videos = [m for m in media if m.kind == "video"]
    for attrs in [m.attributes for m in videos] + [session_attrs]:
        for name, value in attrs:
            size: tuple[int, int] | None = None
            if name in ("framesize", "x-dimensions"):
                match = _DIM_RE.match(value)
                if match:
                    size = (int(match.group(1)), int(match.group(2)))
            elif name == "cliprect":
                numbers = [p.strip() for p in value.split(",")]
                if len(numbers) == 4 and all(p.lstrip("-").isdigit() for p in numbers):
                    top, left, bottom, right = (int(p) for p in numbers)
                    size = (right - left, bottom - top)
            if size and size[0] > 0 and size[1] > 0:
                return f"{size[0]}x{size[1]}"
    for m in videos:
        for pt, name in m.rtpmap.items():
            if name.upper() != "H264":
                continue
            sps_size = _sps_from_fmtp(m.fmtp.get(pt, ""))
            if sps_size:
                return f"{sps_size[0]}x{sps_size[1]}"
    return None


def _sps_from_fmtp(fmtp: str) -> tuple[int, int] | None:
    for param in fmtp.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() != "sprop-parameter-sets":
            continue
        for encoded in value.split(","):
            try:
                nal = base64.b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4), validate=True)
            except ValueError:
                continue
            if nal and nal[0] & 0x1F == 7:
                try:
                    return parse_h264_sps(nal)
                except ValueError:
                    return None
    return None


class _BitReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def bit(self) -> int:
        if self.pos >= len(self.data) * 8:
            raise ValueError("SPS ends early")
        value = (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def bits(self, count: int) -> int:
        value = 0
        for _ in range(count):
            value = (value << 1) | self.bit()
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


def _unescape_rbsp(nal: bytes) -> bytes:
    """Remove emulation-prevention bytes (00 00 03 -> 00 00)."""
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


def parse_h264_sps(nal: bytes) -> tuple[int, int]:
    """Width and height from an H.264 sequence parameter set NAL unit (ITU-T H.264 7.3.2.1.1)."""
    if not nal or nal[0] & 0x1F != 7:
        raise ValueError("not an SPS NAL unit")
    r = _BitReader(_unescape_rbsp(nal[1:]))
    profile_idc = r.bits(8)
    r.bits(16)  # constraint flags, level_idc
    r.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    separate_colour_plane = 0
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc == 3:
            separate_colour_plane = r.bit()
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.bit()  # qpprime_y_zero_transform_bypass_flag
        if r.bit():  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if r.bit():
                    _skip_scaling_list(r, 16 if i < 6 else 64)
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()
    elif poc_type == 1:
        r.bit()
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.bit()  # gaps_in_frame_num_value_allowed_flag
    width_mbs = r.ue() + 1
    height_map_units = r.ue() + 1
    frame_mbs_only = r.bit()
    if not frame_mbs_only:
        r.bit()  # mb_adaptive_frame_field_flag
    r.bit()  # direct_8x8_inference_flag
    width = width_mbs * 16
    height = (2 - frame_mbs_only) * height_map_units * 16
    if r.bit():  # frame_cropping_flag
        left, right, top, bottom = r.ue(), r.ue(), r.ue(), r.ue()
        chroma_array_type = 0 if separate_colour_plane else chroma_format_idc
        if chroma_array_type == 0:
            unit_x, unit_y = 1, 2 - frame_mbs_only
        else:
            sub_width = 1 if chroma_format_idc == 3 else 2
            sub_height = 2 if chroma_format_idc == 1 else 1
            unit_x, unit_y = sub_width, sub_height * (2 - frame_mbs_only)
        width -= (left + right) * unit_x
        height -= (top + bottom) * unit_y
    if width <= 0 or height <= 0 or width > 16384 or height > 16384:
        raise ValueError("implausible SPS dimensions")
    return width, height


def _skip_scaling_list(r: _BitReader, size: int) -> None:
    last, next_scale = 8, 8
    for _ in range(size):
        if next_scale != 0:
            next_scale = (last + r.se() + 256) % 256
        last = last if next_scale == 0 else next_scale


# -- the connection ---------------------------------------------------------------


@dataclass
class RtspResponse:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]


_STATUS_RE = re.compile(r"^RTSP/(\d)\.(\d) (\d{3})(?: (.*))?$")


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, url: str, where: str) -> None:
        self.reader = reader
        self.writer = writer
        self.url = url  # without credentials
        self.cseq = 0
        self.where = where
        self.answered = False  # True once the peer sent an RTSP status line

    def failure(self, message: str) -> ProbeFailure:
        """A broken answer: specific once the peer spoke RTSP, else the one
        message that tells no port from another."""
        if not self.answered:
            return ProbeFailure("unreachable", NOTHING_ANSWERING.format(where=self.where))
        return ProbeFailure("not_rtsp", message)

    async def request(self, method: str, headers: dict[str, str] | None = None) -> RtspResponse:
        self.cseq += 1
        lines = [f"{method} {self.url} RTSP/1.0", f"CSeq: {self.cseq}", f"User-Agent: {USER_AGENT}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        await self.writer.drain()
        return await self._read_response()

    async def _readline(self) -> str:
        try:
            line = await self.reader.readline()
        except (asyncio.LimitOverrunError, ValueError):
            raise self.failure("The server sent an overlong line: it is not an RTSP camera.") from None
        if not line:
            raise self.failure("The server closed the connection without an RTSP answer.")
        if len(line) > MAX_LINE_BYTES:
            raise self.failure("The server sent an overlong line: it is not an RTSP camera.")
        return line.decode("utf-8", errors="replace").rstrip("\r\n")

    async def _read_response(self) -> RtspResponse:
        status_line = await self._readline()
        while status_line == "":  # tolerate stray blank lines between messages
            status_line = await self._readline()
        match = _STATUS_RE.match(status_line)
        if not match:
            raise self.failure("The server's answer is not RTSP: check the address and port.")
        self.answered = True
        headers: list[tuple[str, str]] = []
        while True:
            line = await self._readline()
            if line == "":
                break
            if len(headers) >= MAX_HEADERS:
                raise ProbeFailure("not_rtsp", "The server sent too many headers.")
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name.strip(), value.strip()))
        response = RtspResponse(
            version=f"{match.group(1)}.{match.group(2)}",
            status=int(match.group(3)),
            reason=(match.group(4) or "").strip(),
            headers=headers,
            body=b"",
        )
        length_text = response.header("Content-Length")
        if length_text:
            try:
                length = int(length_text)
            except ValueError:
                raise ProbeFailure("not_rtsp", "The server sent an invalid Content-Length.") from None
            if length < 0 or length > MAX_BODY_BYTES:
                raise ProbeFailure("not_rtsp", "The server's answer is too large for an SDP description.")
            try:
                response.body = await self.reader.readexactly(length)
            except asyncio.IncompleteReadError:
                raise ProbeFailure(
                    "not_rtsp", "The server closed the connection in the middle of its answer."
                ) from None
        return response

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 0.5)
        except (OSError, TimeoutError, ssl.SSLError):
            pass


def _reason(response: RtspResponse, forms: ExchangeSecrets) -> str:
    """The camera's status line, redacted against what was sent (before it is cut short)."""
    reason = forms.clean(re.sub(r"[^\x20-\x7e]", "", response.reason), 60) or ""
    return f"{response.status} {reason}".strip()


async def _authenticated(
    conn: _Connection,
    method: str,
    headers: dict[str, str],
    auth: _Authenticator | None,
    username: str | None,
    password: str | None,
) -> tuple[RtspResponse, _Authenticator | None]:
    """Send a request, answering a 401 challenge once (and once more when the
    camera says the nonce was merely stale). An authenticator from an earlier
    request is reused first; a fresh challenge to it is answered once."""
    answered = 0
    stale_retries = 0
    while True:
        sent = dict(headers)
        if auth is not None:
            sent["Authorization"] = auth.header(method, conn.url)
        response = await conn.request(method, sent)
        if response.status != 401:
            return response, auth
        challenges = parse_challenges(response.header_values("WWW-Authenticate"))
        challenge = choose_challenge(challenges)
        if challenge is None:
            if auth is not None:
                raise ProbeFailure("auth_failed", _AUTH_FAILED, status_code=401)
            offered = ", ".join(sorted({c.scheme for c in challenges})) or "none"
            raise ProbeFailure(
                "auth_failed",
                f"The camera asks for an authentication scheme this client does not support ({offered}).",
                status_code=401,
            )
        if answered:
            stale = challenge.params.get("stale", "").lower() == "true"
            if not (stale and stale_retries < 1):
                raise ProbeFailure("auth_failed", _AUTH_FAILED, status_code=401)
            stale_retries += 1
        if not username:
            raise ProbeFailure(
                "auth_failed", "The camera requires a username and password, and none are set.", status_code=401
            )
        auth = _Authenticator(username, password or "", challenge)
        answered += 1


_AUTH_FAILED = "Authentication failed: the camera rejected the username or password."


def _where(url: RtspUrl) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.effective_port}"


async def _open(url: RtspUrl, resolver: Resolver) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Resolve once, check every address, connect to a checked one."""
    where = _where(url)
    try:
        addresses = await allowed_addresses(url.host, url.effective_port, resolver=resolver, block_private=False)
    except ResolutionFailed:
        raise ProbeFailure("unreachable", f"The host name {url.host} could not be resolved.") from None
    except BlockedDestination as exc:
        raise ProbeFailure("address_not_allowed", f"Not connected: {exc}; cameras are never contacted there.") from None
    context: ssl.SSLContext | None = None
    if url.scheme == "rtsps":
        # Cameras almost always present self-signed certificates: encrypt, without verifying.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    for address in addresses:
        try:
            return await asyncio.open_connection(
                address,  # the checked address itself: no second lookup
                url.effective_port,
                ssl=context,
                server_hostname=url.host if context else None,
                limit=MAX_LINE_BYTES * 2,
            )
        except (ssl.SSLError, ConnectionError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            continue
    raise ProbeFailure("unreachable", NOTHING_ANSWERING.format(where=where))


async def _handshake(
    url: RtspUrl, username: str | None, password: str | None, forms: ExchangeSecrets, resolver: Resolver
) -> ProbeResult:
    reader, writer = await _open(url, resolver)
    conn = _Connection(reader, writer, url.public_url(), _where(url))
    try:
        options, auth = await _authenticated(conn, "OPTIONS", {}, None, username, password)
        # Some cameras answer OPTIONS with 404/501: DESCRIBE is what matters.
        describe, auth = await _authenticated(conn, "DESCRIBE", {"Accept": "application/sdp"}, auth, username, password)
    except (ssl.SSLError, ConnectionError, OSError) as exc:
        if isinstance(exc, TimeoutError) or conn.answered:
            raise
        raise conn.failure("") from None
    finally:
        await conn.close()
    if 300 <= describe.status < 400:
        raise ProbeFailure(
            "rtsp_error",
            f"The camera redirects ({_reason(describe, forms)}); enter the address it redirects to. "
            "Credentials are never sent to another address automatically.",
            status_code=describe.status,
        )
    if describe.status == 404:
        raise ProbeFailure(
            "rtsp_error",
            "The camera has no stream at this path (404 Not Found): check the URL's path.",
            status_code=404,
        )
    if describe.status != 200:
        raise ProbeFailure(
            "rtsp_error", f"The camera answered DESCRIBE with {_reason(describe, forms)}.", status_code=describe.status
        )
    sdp = parse_sdp(describe.body.decode("utf-8", errors="replace"))
    codecs = [forms.clean(codec, 40) or "" for codec in sdp.codecs]  # a codec name is the camera's text
    kind: AuthKind = auth.kind if auth is not None else "none"
    details = ", ".join(codecs) or "no codec listed"
    if sdp.resolution:
        details += f", {sdp.resolution}"
    message = f"Connected: {details}."
    if kind == "basic" and url.scheme == "rtsp":
        message += " The camera uses Basic authentication: its password crosses the network unencrypted."
    if options.status >= 400 and options.status != 401:
        logger.debug("OPTIONS answered %s; DESCRIBE succeeded", options.status)
    return ProbeResult(
        success=True,
        message=message,
        codecs=codecs,
        resolution=sdp.resolution,
        auth=kind,
        status_code=describe.status,
    )


async def probe(
    url: RtspUrl | str,
    *,
    username: str | None = None,
    password: str | None = None,
    timeout: float | None = None,
    resolver: Resolver | None = None,
) -> ProbeResult:
    """Connect, send OPTIONS and DESCRIBE, and report what the camera said.

    Never raises for a camera's behaviour: every failure is a ``ProbeResult``
    with ``success=False`` and an ``error_code``. Credentials inside ``url``
    are ignored (pass them as ``username``/``password``). ``resolver`` turns
    the host into addresses (the system resolver by default); each address is
    checked against the camera policy before anything connects.
    """
    if isinstance(url, str):
        url = parse_rtsp_url(url)
    if password:
        register_secret(password)
    forms = exchange_secrets(url, username, password)
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            result = await _handshake(url, username, password, forms, resolver or system_resolver)
    except TimeoutError:
        result = ProbeResult(
            success=False,
            error_code="timeout",
            message=f"No answer from {url.host}:{url.effective_port} within {limit:g} s.",
        )
    except ProbeFailure as failure:
        result = ProbeResult(
            success=False, error_code=failure.code, message=failure.message, status_code=failure.status_code
        )
    except (ConnectionError, OSError) as exc:
        result = ProbeResult(
            success=False,
            error_code="unreachable",
            message=f"The connection to {url.host}:{url.effective_port} broke ({type(exc).__name__}).",
        )
    result.latency_ms = round((time.perf_counter() - started) * 1000)
    result.message = forms.redact(result.message)  # defence in depth: never echo a credential, in any case
    logger.info(
        "RTSP probe %s: %s (%s ms)",
        url.public_url(),
        "ok" if result.success else result.error_code,
        result.latency_ms,
    )
    return result
