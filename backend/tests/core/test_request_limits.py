"""Request bodies are limited before they are parsed: a declared length over
the limit is refused unread, a streamed body is cut off at the limit, a slow
one times out. Driven at the ASGI level through the whole app, so the test
sees exactly how many bytes the server pulled from the client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from app.core import request_limits
from app.core.request_limits import MAX_JSON_BODY, MAX_MULTIPART_BODY
from tests.conftest import bearer_for

CHUNK = 64 * 1024


class Client:
    """One ASGI request: counts what the app reads, keeps what it sends."""

    def __init__(self, chunks: Any, *, stall_after: int | None = None) -> None:
        self._chunks = chunks
        self.read_calls = 0
        self.bytes_read = 0
        self.stall_after = stall_after
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.read_calls += 1
        if self.stall_after is not None and self.read_calls > self.stall_after:
            await asyncio.sleep(3600)
        try:
            chunk, more = next(self._chunks)
        except StopIteration:
            await asyncio.sleep(3600)  # only a disconnect would come
            raise AssertionError("unreachable") from None
        self.bytes_read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.sent if m["type"] == "http.response.start"))

    @property
    def body(self) -> dict[str, Any]:
        data = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return dict(json.loads(data))


def _scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def _endless(byte: bytes = b" ") -> Any:
    while True:
        yield byte * CHUNK, True


async def _call(app: Any, path: str, headers: dict[str, str], client: Client, timeout: float = 10) -> Client:
    """One request as a signed-in admin (the gate lets no body in otherwise)."""
    headers = {**headers, **await asyncio.to_thread(bearer_for, app)}
    await asyncio.wait_for(app(_scope(path, headers), client.receive, client.send), timeout)
    return client


async def test_an_anonymous_body_is_refused_before_it_is_read(app: Any) -> None:
    client = Client(_endless())
    scope = _scope("/api/v1/alert-rules", {"content-type": "application/json", "transfer-encoding": "chunked"})
    await asyncio.wait_for(app(scope, client.receive, client.send), 10)
    assert client.status == 401 and client.read_calls == 0


@pytest.mark.parametrize("path", ["/api/v1/alert-rules", "/api/v1/events", "/api/v1/settings"])
async def test_a_declared_100_mb_json_body_is_refused_unread(app: Any, path: str) -> None:
    client = Client(_endless())
    headers = {"content-type": "application/json", "content-length": str(100 * 1024 * 1024)}
    await _call(app, path, headers, client)
    assert client.status == 413
    assert client.body["code"] == "too_large" and "1 MiB" in client.body["detail"]
    assert client.read_calls == 0 and client.bytes_read == 0


@pytest.mark.parametrize("path", ["/api/v1/alert-rules", "/api/v1/events", "/api/v1/cameras/test"])
async def test_a_streamed_body_is_cut_off_at_the_limit(app: Any, path: str) -> None:
    client = Client(_endless(b"["))
    await _call(app, path, {"content-type": "application/json", "transfer-encoding": "chunked"}, client)
    assert client.status == 413
    assert client.body["code"] == "too_large"
    assert MAX_JSON_BODY < client.bytes_read <= MAX_JSON_BODY + CHUNK


async def test_a_multipart_image_upload_has_the_image_limit(app: Any) -> None:
    too_big = Client(_endless())
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": str(MAX_MULTIPART_BODY + 1)}
    await _call(app, "/api/v1/events", headers, too_big)
    assert too_big.status == 413 and too_big.read_calls == 0
    assert "10.5 MiB" in too_big.body["detail"]

    def upload() -> Any:
        yield (
            b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff",
            True,
        )
        yield from _endless(b"\x00")

    streamed = Client(upload())
    await _call(app, "/api/v1/ai/describe", {"content-type": "multipart/form-data; boundary=x"}, streamed)
    assert streamed.status == 413
    assert MAX_MULTIPART_BODY < streamed.bytes_read <= MAX_MULTIPART_BODY + CHUNK


async def test_a_body_within_the_limit_reaches_the_route(app: Any) -> None:
    payload = json.dumps({"name": "x" * 200, "padding": " " * (MAX_JSON_BODY // 2)}).encode()
    client = Client(iter([(payload, False)]))
    await _call(app, "/api/v1/alert-rules", {"content-type": "application/json"}, client)
    assert client.status == 422  # the route's own validation answered (name too long, unknown key)
    assert client.bytes_read == len(payload)


async def test_a_trickling_body_times_out(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(request_limits, "BODY_READ_TIMEOUT", 0.3)
    client = Client(iter([(b'{"name": ', True)]), stall_after=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _call(app, "/api/v1/alert-rules", {"content-type": "application/json", "content-length": "100"}, client)
    assert client.status == 408
    assert client.body["code"] == "body_timeout"
    assert loop.time() - started < 2
