"""One delivery attempt: open the rule's webhook, sign the body, POST it through
the pinned transport, and turn what happened into an :class:`AttemptResult`.

What the receiver says (its body, an error carrying its text) is redacted
against this exchange's secrets before anything keeps it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from app.core.encryption import DecryptionError
from app.core.redaction import ExchangeSecrets
from app.integrations.outbound.policy import BlockedDestination, ResolutionFailed
from app.integrations.outbound.transport import PinnedNetworkBackend, PinnedTransport, Resolver
from app.services.webhooks.config import OpenedWebhook, masked_url, open_webhook
from app.services.webhooks.logs import MAX_LOGGED_BODY
from app.services.webhooks.queue import MAX_ERROR, AttemptResult, Job

logger = logging.getLogger("app.webhooks")

USER_AGENT = "LiveObjectAIClassifier-Webhook/1"
_READ_BODY_BYTES = 16 * 1024

ClientFor = Callable[[bool], httpx.AsyncClient]
"""The HTTP client for a destination policy (``block_private`` → client)."""


def make_client(*, resolver: Resolver, block_private: bool, concurrency: int, timeout: float) -> httpx.AsyncClient:
    """A client that connects only to the addresses the policy allows, pinned
    to what ``resolver`` returned (no second lookup), and follows no redirect."""
    backend = PinnedNetworkBackend(resolver=resolver, block_private=lambda: block_private)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=30)
    return httpx.AsyncClient(
        transport=PinnedTransport(backend=backend, limits=limits),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )


@dataclass
class _Exchange:
    """What one attempt knows while it runs."""

    job: Job
    url: str  # masked
    started: float = field(default_factory=time.perf_counter)
    secrets: ExchangeSecrets = field(default_factory=ExchangeSecrets)

    def result(
        self,
        *,
        success: bool,
        retryable: bool,
        error: str | None,
        status_code: int | None = None,
        response_body: str | None = None,
        retry_after: float | None = None,
    ) -> AttemptResult:
        return AttemptResult(
            job=self.job,
            url=self.url,
            success=success,
            retryable=retryable,
            status_code=status_code,
            duration_ms=int((time.perf_counter() - self.started) * 1000),
            error=self.secrets.clean(error, MAX_ERROR),
            response_body=self.secrets.clean(response_body, MAX_LOGGED_BODY),
            retry_after=retry_after,
        )


def request_headers(target: OpenedWebhook, job: Job) -> httpx.Headers:
    """The rule's headers, then the Standard Webhooks ones: the id is the same on
    every attempt, so a receiver can drop the duplicates at-least-once delivery
    may cause; the signature only when the rule has a signing secret."""
    headers = httpx.Headers({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    for name, value in target.headers:
        headers[name] = value
    message_id = f"msg_{job.delivery_id}"
    timestamp = int(time.time())
    headers["webhook-id"] = message_id
    headers["webhook-timestamp"] = str(timestamp)
    if target.signer is not None:
        headers["webhook-signature"] = target.signer.sign(message_id=message_id, timestamp=timestamp, body=job.payload)
    return headers


async def attempt(job: Job, *, client_for: ClientFor, timeout: float) -> AttemptResult:
    """Make one attempt. Never raises (except cancellation)."""
    exchange = _Exchange(job=job, url=masked_url(job.webhook))
    if job.webhook is None:
        return exchange.result(success=False, retryable=False, error="The rule no longer has a webhook.")
    try:
        target = open_webhook(job.rule_id, job.webhook)
    except DecryptionError:
        error = "The stored webhook secrets cannot be decrypted: enter them again."
        return exchange.result(success=False, retryable=False, error=error)
    exchange.secrets = target.secrets
    try:
        async with asyncio.timeout(timeout):
            client = client_for(job.block_private)
            status, retry_after, body = await _post(client, target.url, job.payload, request_headers(target, job))
    except Exception as exc:  # never let one delivery stop the worker
        retryable, error = _failure(exc, timeout=timeout, secrets=exchange.secrets, delivery_id=job.delivery_id)
        return exchange.result(success=False, retryable=retryable, error=error)
    return _answer(exchange, status, retry_after, body)


async def _post(
    client: httpx.AsyncClient, url: str, payload: str, headers: httpx.Headers
) -> tuple[int, float | None, bytes]:
    """POST ``payload``; the status, ``Retry-After`` and the first 16 KiB of the answer."""
    async with client.stream("POST", url, content=payload.encode("utf-8"), headers=headers) as response:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _READ_BODY_BYTES:
                break
        return response.status_code, _retry_after(response.headers.get("retry-after")), b"".join(chunks)


def _failure(exc: Exception, *, timeout: float, secrets: ExchangeSecrets, delivery_id: int) -> tuple[bool, str]:
    """Whether an attempt that raised ``exc`` is worth retrying, and what to log."""
    if isinstance(exc, BlockedDestination):
        return False, str(exc)
    if isinstance(exc, ResolutionFailed):
        return True, str(exc)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return True, f"No answer within {timeout:g} s."
    if isinstance(exc, httpx.ConnectError):
        return True, f"Connection failed: {secrets.redact(str(exc))[:120] or type(exc).__name__}"
    if isinstance(exc, httpx.HTTPError):
        return True, type(exc).__name__
    if isinstance(exc, OSError):
        return True, f"Network error: {type(exc).__name__}"
    logger.error("Webhook delivery %d: unexpected %s", delivery_id, type(exc).__name__)
    return False, f"Unexpected error: {type(exc).__name__}"


def _answer(exchange: _Exchange, status: int, retry_after: float | None, body: bytes) -> AttemptResult:
    """The result of an attempt the receiver answered: 2xx is delivered; 5xx and
    429 are retried (429 no sooner than its ``Retry-After``); a redirect is not followed."""
    text = body.decode("utf-8", "replace") or None
    if 200 <= status < 300:
        return exchange.result(success=True, retryable=False, error=None, status_code=status, response_body=text)
    error = f"HTTP {status}: redirects are not followed." if 300 <= status < 400 else f"HTTP {status}"
    return exchange.result(
        success=False,
        retryable=status >= 500 or status == 429,
        error=error,
        status_code=status,
        response_body=text,
        retry_after=retry_after if status == 429 else None,
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
