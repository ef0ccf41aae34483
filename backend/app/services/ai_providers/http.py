"""The one shared HTTP client for provider calls, and the call itself.

* One ``httpx.AsyncClient`` per app (connection pooling, never blocks the event
  loop), opened and closed by the app's lifespan.
* Timeouts: 5 s to connect and a hard deadline on the whole call (10 s for a
  key test, longer for describing an image): a provider that accepts the
  connection and never answers cannot hold a request open.
* No retries, no redirects followed (a redirect could carry the key's header
  elsewhere), no cookies kept between calls.
* The answer body is read up to a cap, parsed as JSON and handed back; it is
  never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from app.services.ai_providers.base import RequestSpec

logger = logging.getLogger("app.ai.http")

MAX_RESPONSE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class AITimeouts:
    connect: float = 5.0
    key_test: float = 10.0
    describe: float = 45.0


@dataclass(frozen=True)
class ProviderResponse:
    status_code: int
    payload: Any  # parsed JSON, or None when the body was not JSON
    is_json: bool
    elapsed_ms: int


class TransportFailure(Exception):
    """The provider could not be reached or did not answer in time."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: one call's cookies never reach another's."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class ProviderHttp:
    """The shared client plus its timeouts."""

    def __init__(self, timeouts: AITimeouts | None = None) -> None:
        self.timeouts = timeouts or AITimeouts()
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeouts.describe, connect=self.timeouts.connect),
            follow_redirects=False,
            transport=httpx.AsyncHTTPTransport(retries=0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            cookies=_NoCookies(),
            headers={"User-Agent": "live-object-ai-classifier"},
        )
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    def __repr__(self) -> str:
        return f"ProviderHttp(timeouts={self.timeouts!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, spec: RequestSpec, *, deadline: float) -> ProviderResponse:
        """Send one request; raise :class:`TransportFailure` when there is no answer."""
        request = self.client.build_request(
            spec.method, spec.url, params=spec.params or None, headers=spec.headers, json=spec.json
        )
        started = time.perf_counter()
        try:
            with anyio.fail_after(deadline):
                response = await self.client.send(request, stream=True)
                try:
                    body = await _read_capped(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise TransportFailure("timeout") from None
        except httpx.TimeoutException:
            raise TransportFailure("timeout") from None
        except httpx.HTTPError as exc:  # connect errors, protocol errors, too-large bodies
            raise TransportFailure(type(exc).__name__) from None
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        try:
            payload, is_json = json.loads(body), True
        except ValueError:
            payload, is_json = None, False
        return ProviderResponse(response.status_code, payload, is_json, elapsed_ms)


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise httpx.DecodingError("response body too large")
        chunks.append(chunk)
    return b"".join(chunks)


# -- the app's client ----------------------------------------------------------

_current: ProviderHttp | None = None


def set_current(http: ProviderHttp | None) -> None:
    global _current
    _current = http


def is_current(http: ProviderHttp) -> bool:
    return _current is http


def current() -> ProviderHttp | None:
    """The app's shared client, when one is open on the running event loop."""
    http = _current
    if http is None or http.client.is_closed:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return http if http.loop is loop else None


@asynccontextmanager
async def provider_http(http: ProviderHttp | None = None) -> AsyncIterator[ProviderHttp]:
    """``http``, else the app's shared client, else a client just for this block."""
    chosen = http or current()
    if chosen is not None:
        yield chosen
        return
    temporary = ProviderHttp()
    try:
        yield temporary
    finally:
        await temporary.aclose()
