"""The RTSP probe: ``OPTIONS`` then ``DESCRIBE`` over TCP (``rtsp``) or TLS
(``rtsps``), answering a ``401`` challenge, within one time limit (see the
package docstring)."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from dataclasses import dataclass

from app.core.logging import register_secret
from app.core.redaction import ExchangeSecrets
from app.integrations.outbound.policy import BlockedDestination, ResolutionFailed
from app.integrations.outbound.transport import Resolver, allowed_addresses, system_resolver
from app.integrations.rtsp.auth import (
    Authenticator,
    AuthKind,
    choose_challenge,
    parse_challenges,
)
from app.integrations.rtsp.report import ProbeErrorCode, ProbeReport
from app.integrations.rtsp.sdp import parse_sdp
from app.integrations.rtsp.url import (
    RtspUrl,
    exchange_secrets,
    parse_rtsp_url,
)

logger = logging.getLogger("app.rtsp")

DEFAULT_TIMEOUT = 5.0
USER_AGENT = "LiveObjectAIClassifier/0.1"
MAX_LINE_BYTES = 8192
MAX_HEADERS = 100
MAX_BODY_BYTES = 256 * 1024

ErrorCode = ProbeErrorCode

NOTHING_ANSWERING = (
    "Nothing is answering as an RTSP camera at {where}: check the address and the port "
    "(RTSP usually listens on 554, rtsps on 322) and that the camera is on."
)


class ProbeResult(ProbeReport):
    """The report, with what stays internal: the RTSP status and the address used."""

    error_code: ErrorCode | None = None
    status_code: int | None = None
    address: str | None = None  # the checked address it connected to (a snapshot goes there, never re-resolved)


class ProbeFailure(Exception):
    """A failed handshake; ``message`` is safe to show (no credentials)."""

    def __init__(self, code: ErrorCode, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.status_code = status_code


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
    auth: Authenticator | None,
    username: str | None,
    password: str | None,
) -> tuple[RtspResponse, Authenticator | None]:
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
        auth = Authenticator(username, password or "", challenge)
        answered += 1


_AUTH_FAILED = "Authentication failed: the camera rejected the username or password."


def _where(url: RtspUrl) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.effective_port}"


async def _open(url: RtspUrl, resolver: Resolver) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
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
            reader, writer = await asyncio.open_connection(
                address,  # the checked address itself: no second lookup
                url.effective_port,
                ssl=context,
                server_hostname=url.host if context else None,
                limit=MAX_LINE_BYTES * 2,
            )
            return reader, writer, address
        except (ssl.SSLError, ConnectionError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            continue
    raise ProbeFailure("unreachable", NOTHING_ANSWERING.format(where=where))


async def _handshake(
    url: RtspUrl, username: str | None, password: str | None, forms: ExchangeSecrets, resolver: Resolver
) -> ProbeResult:
    reader, writer, address = await _open(url, resolver)
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
        address=address,
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
