"""Request body limits, enforced before anything parses a body.

:class:`BodyLimitMiddleware` (pure ASGI) sits in front of every route:

* a ``multipart/form-data`` body (an image upload) may have
  :data:`MAX_MULTIPART_BODY` bytes: the 10 MB image plus room for the form
  fields; every other body (JSON, forms) :data:`MAX_JSON_BODY` (1 MiB);
* a declared ``Content-Length`` above the limit is answered 413 at once,
  without reading a byte of the body;
* a body without a length (chunked) is counted as it streams in, and refused
  413 as soon as it passes the limit: it is never read whole;
* the whole body must arrive within :data:`BODY_READ_TIMEOUT` seconds of the
  first read, else 408 (a client trickling bytes cannot hold a worker).

The answers are JSON like every other error: ``{"detail", "code"}`` with
``code`` ``too_large`` or ``body_timeout``. Routes keep their own, smaller
limits (an event's JSON body, an image's 10 MB).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from starlette.types import Message, Receive, Scope, Send

from app.core.asgi import HttpMiddleware

MAX_JSON_BODY = 1024 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_MULTIPART_BODY = MAX_IMAGE_BYTES + 512 * 1024
BODY_READ_TIMEOUT = 30.0


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


@dataclass
class _Refusal:
    status: int
    detail: str
    code: str


class BodyRefused(Exception):
    """Raised from ``receive`` when a body is too large or too slow."""

    def __init__(self, refusal: _Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


def body_limit(content_type: str) -> int:
    """The largest body accepted for a ``Content-Type``."""
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        return MAX_MULTIPART_BODY
    return MAX_JSON_BODY


async def _send_refusal(send: Send, refusal: _Refusal) -> None:
    body = json.dumps({"detail": refusal.detail, "code": refusal.code}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _declared(scope: Scope) -> tuple[str, int | None]:
    """The request's ``Content-Type`` and declared ``Content-Length`` (``None``: none or unreadable)."""
    content_type = ""
    declared: int | None = None
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None
    return content_type, declared


class _LimitedExchange:
    """One request's body read under the size limit and the time limit, and its
    answer replaced by the refusal once the read was refused."""

    def __init__(self, receive: Receive, send: Send, *, limit: int, too_large: _Refusal) -> None:
        self._receive = receive
        self._send = send
        self._limit = limit
        self._timeout = BODY_READ_TIMEOUT
        self._loop = asyncio.get_running_loop()
        self._received = 0
        self._finished = False
        self._deadline: float | None = None
        self.too_large = too_large
        self.refused: _Refusal | None = None
        self.answered = False

    async def receive(self) -> Message:
        if self._finished:
            return await self._receive()
        if self._deadline is None:
            self._deadline = self._loop.time() + self._timeout
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            self.refused = _Refusal(408, f"The request body did not arrive within {self._timeout:g} s.", "body_timeout")
            raise BodyRefused(self.refused) from None
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit:
                self.refused = self.too_large
                raise BodyRefused(self.refused)
            if not message.get("more_body", False):
                self._finished = True
        else:
            self._finished = True
        return message

    async def send(self, message: Message) -> None:
        if self.refused is not None:
            # Whatever the route made of the interrupted read (a parse
            # error, an exception), the answer is the refusal.
            if message["type"] == "http.response.start" and not self.answered:
                self.answered = True
                await _send_refusal(self._send, self.refused)
            return
        if message["type"] == "http.response.start":
            self.answered = True
        await self._send(message)

    async def refuse_unless_answered(self, refusal: _Refusal) -> None:
        if not self.answered:  # else the response was already under way: the connection is closed
            self.answered = True
            await _send_refusal(self._send, refusal)


class BodyLimitMiddleware(HttpMiddleware):
    """See the module docstring. Limits and timeout are read at each request
    (module constants), so a test can lower them."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type, declared = _declared(scope)
        limit = body_limit(content_type)
        too_large = _Refusal(413, f"The request body is larger than {_mib(limit)}.", "too_large")
        if declared is not None and declared > limit:
            await _send_refusal(send, too_large)
            return
        exchange = _LimitedExchange(receive, send, limit=limit, too_large=too_large)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except BodyRefused:
            await exchange.refuse_unless_answered(exchange.refused or too_large)
            return
        except Exception:
            if exchange.refused is None or exchange.answered:
                raise
        if exchange.refused is not None:
            await exchange.refuse_unless_answered(exchange.refused)
