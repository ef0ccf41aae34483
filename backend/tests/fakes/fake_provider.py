"""A fake AI provider: one local ASGI app speaking all four providers' APIs.

Used by the backend tests and by the dashboard's end-to-end tests, so that no
test ever calls a real provider. Point the backend at it with::

    AI_OPENAI_BASE_URL=http://127.0.0.1:PORT/openai/v1
    AI_ANTHROPIC_BASE_URL=http://127.0.0.1:PORT/anthropic/v1
    AI_GOOGLE_BASE_URL=http://127.0.0.1:PORT/google/v1beta
    AI_GROK_BASE_URL=http://127.0.0.1:PORT/grok/v1

Run it on its own (it prints those lines once it listens, then serves until
interrupted)::

    cd backend && .venv/bin/python -m tests.fakes.fake_provider --port 8911 [--latency 0.3]

or, in pytest, ``with start_in_thread() as fake: ...`` (an ephemeral port on
127.0.0.1; ``fake.base_urls()`` gives the settings, ``fake.requests`` every
request received, with its method, URL, query, headers and JSON body).

Endpoints, per prefix (each provider's real auth header is required:
``Authorization: Bearer`` for OpenAI and xAI, ``x-api-key`` plus
``anthropic-version: 2023-06-01`` for Anthropic, ``x-goog-api-key`` for Google):

==========  =============================  ==========================================
provider    list models (key test)         describe an image
==========  =============================  ==========================================
openai      ``GET /openai/v1/models``      ``POST /openai/v1/chat/completions``
anthropic   ``GET /anthropic/v1/models``   ``POST /anthropic/v1/messages``
google      ``GET /google/v1beta/models``  ``POST /google/v1beta/models/{m}:generateContent``
grok        ``GET /grok/v1/models``        ``POST /grok/v1/chat/completions``
==========  =============================  ==========================================

Key convention: what the fake answers depends on how the key ENDS.

=============  =================================================================
key ends in    answer (each provider's real status and error shape)
=============  =================================================================
``-ok``        valid: the model list, or a description naming the provider
``-bad``       key rejected: OpenAI 401 ``invalid_api_key``, Anthropic 401
               ``authentication_error``, Google 400 ``API_KEY_INVALID``, xAI 400
               with a string ``error`` that echoes part of the key
``-noperm``    permission error (OpenAI 401 "Missing scopes", Anthropic 403,
               Google 403 ``PERMISSION_DENIED``, xAI 403)
``-noquota``   no credit / quota (OpenAI 429 ``insufficient_quota``, Anthropic
               400 "credit balance is too low", Google 429 daily quota, xAI 403
               "used all available credits")
``-ratelimit`` rate limited (429 in each provider's shape)
``-error``     server error: 500 (Anthropic: 529 ``overloaded_error``)
``-nonjson``   an HTML page: 200 for list models, 502 for describe
``-hang``      never answers (until the server stops): for client timeouts
``-slow``      valid, after ``latency`` seconds (default 0.3, ``--latency``)
``-redirect``  307 to ``/redirected`` (a client must not follow it)
``-echo``      valid, and the description repeats the key it was sent (as
               received, upper-cased, and percent-encoded, as careless
               gateways do in a successful answer)
anything else  rejected like ``-bad``
=============  =================================================================

Error bodies echo the key (in full, or in part for xAI), as some real providers
do: tests use this to prove the app never shows a provider's text.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes._serve import serve_until_interrupted

PROVIDERS = ("openai", "anthropic", "google", "grok")
PREFIXES = {
    "openai": "/openai/v1",
    "anthropic": "/anthropic/v1",
    "google": "/google/v1beta",
    "grok": "/grok/v1",
}
ENV_NAMES = {p: f"AI_{p.upper()}_BASE_URL" for p in PROVIDERS}
SUFFIXES = ("ok", "bad", "noperm", "noquota", "ratelimit", "error", "nonjson", "hang", "slow", "redirect", "echo")
DEFAULT_LATENCY = 0.3
ANTHROPIC_VERSION = "2023-06-01"


@dataclass
class RecordedRequest:
    provider: str
    method: str
    path: str
    url: str
    query: str
    headers: dict[str, str]
    json: Any = None

    def __repr__(self) -> str:  # headers hold keys
        return f"RecordedRequest({self.method} {self.path}, headers=***)"


@dataclass
class FakeState:
    latency: float = DEFAULT_LATENCY
    requests: list[RecordedRequest] = field(default_factory=list)
    redirect_followed: int = 0
    release: asyncio.Event | None = None
    revoked: set[str] = field(default_factory=set)  # keys answered as rejected, whatever their suffix
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, item: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(item)


def suffix_of(key: str | None) -> str:
    if not key:
        return "missing"
    for suffix in SUFFIXES:
        if key.endswith(f"-{suffix}"):
            return suffix
    return "bad"


def _partial(key: str) -> str:
    return f"{key[:6]}***{key[-6:]}" if len(key) > 12 else "***"


# -- error bodies, per provider ----------------------------------------------------


def _openai_error(status: int, message: str, kind: str, code: str | None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}}, status)


def _anthropic_error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"type": "error", "error": {"type": kind, "message": message}}, status)


def _google_error(status: int, grpc_status: str, message: str, details: list[dict[str, Any]]) -> JSONResponse:
    error = {"code": status, "message": message, "status": grpc_status, "details": details}
    return JSONResponse({"error": error}, status)


def _grok_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": "Client specified an invalid argument", "error": message}, status)


def _html(status: int, key: str) -> HTMLResponse:
    return HTMLResponse(f"<html><body><h1>Bad gateway</h1><p>upstream said no to {key}</p></body></html>", status)


def error_response(provider: str, suffix: str, key: str, *, describe: bool) -> Response:
    """The answer for every non-success suffix, in ``provider``'s real shape."""
    if suffix == "nonjson":
        return _html(502 if describe else 200, key)
    if provider == "openai":
        return {
            "missing": _openai_error(401, "You didn't provide an API key.", "invalid_request_error", None),
            "bad": _openai_error(
                401, f"Incorrect API key provided: {key}.", "invalid_request_error", "invalid_api_key"
            ),
            "noperm": _openai_error(
                401,
                f"You have insufficient permissions for this operation. Missing scopes: model.read. Key {key}",
                "invalid_request_error",
                None,
            ),
            "noquota": _openai_error(
                429, f"You exceeded your current quota ({key}).", "insufficient_quota", "insufficient_quota"
            ),
            "ratelimit": _openai_error(429, f"Rate limit reached for {key}.", "requests", "rate_limit_exceeded"),
            "error": _openai_error(500, f"The server had an error processing {key}.", "server_error", None),
        }[suffix]
    if provider == "anthropic":
        return {
            "missing": _anthropic_error(401, "authentication_error", "x-api-key header is required"),
            "bad": _anthropic_error(401, "authentication_error", f"invalid x-api-key {key}"),
            "noperm": _anthropic_error(403, "permission_error", f"Your API key {key} does not have permission."),
            "noquota": _anthropic_error(
                400,
                "invalid_request_error",
                f"Your credit balance is too low to access the Anthropic API ({key}).",
            ),
            "ratelimit": _anthropic_error(429, "rate_limit_error", f"Number of requests has exceeded your limit {key}"),
            "error": _anthropic_error(529, "overloaded_error", f"Overloaded ({key})"),
        }[suffix]
    if provider == "google":
        invalid = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]
        return {
            "missing": _google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", []),
            "bad": _google_error(
                400, "INVALID_ARGUMENT", f"API key not valid. Please pass a valid API key. {key}", invalid
            ),
            "noperm": _google_error(
                403,
                "PERMISSION_DENIED",
                f"Requests from this API key {key} are blocked.",
                [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_SERVICE_BLOCKED"}],
            ),
            "noquota": _google_error(
                429,
                "RESOURCE_EXHAUSTED",
                f"You exceeded your current quota, please check your plan and billing details. {key}",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
                    }
                ],
            ),
            "ratelimit": _google_error(
                429,
                "RESOURCE_EXHAUSTED",
                f"Resource has been exhausted for {key}.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}],
                    }
                ],
            ),
            "error": _google_error(500, "INTERNAL", f"An internal error has occurred ({key}).", []),
        }[suffix]
    # grok
    return {
        "missing": JSONResponse({"code": "Unauthenticated", "error": "Missing or malformed Authorization header"}, 401),
        "bad": _grok_error(
            400, f"Incorrect API key provided: {_partial(key)}. You can obtain an API key from https://console.x.ai."
        ),
        "noperm": JSONResponse(
            {"code": "The caller does not have permission", "error": f"The API key {key} is blocked here."},
            403,
        ),
        "noquota": JSONResponse(
            {
                "code": "The caller does not have permission",
                "error": f"Your team for {key} has either used all available credits or reached its monthly "
                "spending limit.",
            },
            403,
        ),
        "ratelimit": JSONResponse({"code": "Too many requests", "error": f"Rate limit exceeded for {key}."}, 429),
        "error": JSONResponse({"code": "Internal error", "error": f"Service error for {key}"}, 500),
    }[suffix]


# -- success bodies ------------------------------------------------------------------


def _description(provider: str) -> str:
    return f"FAKE {provider} description: a person is standing at the front door."


def models_body(provider: str) -> dict[str, Any]:
    if provider == "anthropic":
        return {
            "data": [{"type": "model", "id": "claude-fake", "display_name": "Fake"}],
            "has_more": False,
            "first_id": "claude-fake",
            "last_id": "claude-fake",
        }
    if provider == "google":
        return {"models": [{"name": "models/gemini-fake", "displayName": "Fake"}], "nextPageToken": "x"}
    return {"object": "list", "data": [{"id": f"{provider}-fake-model", "object": "model", "owned_by": "fake"}]}


def describe_body(provider: str, model: str, *, echo: str | None = None) -> dict[str, Any]:
    text = _description(provider)
    if echo is not None:
        text += f" Request authorized with {echo}; KEY={echo.upper()}; url-key={quote(echo, safe='')}."
    if provider == "anthropic":
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
        }
    if provider == "google":
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


def image_shape_problem(provider: str, body: Any) -> str | None:
    """Check the describe request has the provider's real image-input shape."""
    try:
        if provider in ("openai", "grok"):
            parts = body["messages"][0]["content"]
            urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
            if not urls or not urls[0].startswith(("data:image/jpeg;base64,", "data:image/png;base64,")):
                return "expected an image_url content part with a data URL"
            if not body.get("model"):
                return "model is required"
        elif provider == "anthropic":
            parts = body["messages"][0]["content"]
            images = [p for p in parts if p.get("type") == "image"]
            if not images or images[0]["source"]["type"] != "base64" or not images[0]["source"]["data"]:
                return "expected a base64 image block"
            if not isinstance(body.get("max_tokens"), int):
                return "max_tokens is required"
        else:
            parts = body["contents"][0]["parts"]
            inline = [p["inline_data"] for p in parts if "inline_data" in p]
            if not inline or not inline[0]["data"] or not inline[0]["mime_type"].startswith("image/"):
                return "expected an inline_data part"
    except (KeyError, IndexError, TypeError, AttributeError):
        return "malformed request body"
    return None


# -- the app ---------------------------------------------------------------------------


def _key_of(provider: str, request: Request) -> str | None:
    if provider == "anthropic":
        return request.headers.get("x-api-key")
    if provider == "google":
        return request.headers.get("x-goog-api-key") or request.query_params.get("key")
    auth = request.headers.get("authorization", "")
    return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


def create_fake_app(state: FakeState | None = None) -> Starlette:
    state = state or FakeState()

    async def handle(request: Request, provider: str, *, describe: bool, model: str = "") -> Response:
        body: Any = None
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                body = None
        state.record(
            RecordedRequest(
                provider=provider,
                method=request.method,
                path=request.url.path,
                url=str(request.url),
                query=request.url.query,
                headers={k.lower(): v for k, v in request.headers.items()},
                json=body,
            )
        )
        if provider == "anthropic" and request.headers.get("anthropic-version") != ANTHROPIC_VERSION:
            return _anthropic_error(400, "invalid_request_error", "anthropic-version: header is required")
        key = _key_of(provider, request)
        suffix = "bad" if key in state.revoked else suffix_of(key)
        if suffix == "hang":
            if state.release is None:
                state.release = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.release.wait(), timeout=300)
            return JSONResponse({"error": "released"}, 504)
        if suffix == "redirect":
            return RedirectResponse("/redirected", status_code=307)
        if suffix == "slow":
            await asyncio.sleep(state.latency)
            suffix = "ok"
        echo = key if suffix == "echo" else None
        if suffix == "echo":
            suffix = "ok"
        if suffix != "ok":
            return error_response(provider, suffix, key or "", describe=describe)
        if not describe:
            return JSONResponse(models_body(provider))
        problem = image_shape_problem(provider, body)
        if problem:
            return JSONResponse({"error": {"message": problem, "type": "invalid_request_error"}}, 400)
        return JSONResponse(describe_body(provider, model or (body or {}).get("model", ""), echo=echo))

    def route(provider: str, describe: bool):  # type: ignore[no-untyped-def]
        async def endpoint(request: Request) -> Response:
            return await handle(request, provider, describe=describe)

        return endpoint

    async def google_generate(request: Request) -> Response:
        rest = request.path_params["rest"]
        if not rest.endswith(":generateContent"):
            return JSONResponse({"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}, 404)
        return await handle(request, "google", describe=True, model=rest.removesuffix(":generateContent"))

    async def redirected(request: Request) -> Response:
        state.redirect_followed += 1
        return JSONResponse({"error": "a redirect was followed"}, 418)

    routes = [Route("/redirected", redirected, methods=["GET", "POST"])]
    for provider, prefix in PREFIXES.items():
        routes.append(Route(f"{prefix}/models", route(provider, False), methods=["GET"]))
        if provider in ("openai", "grok"):
            routes.append(Route(f"{prefix}/chat/completions", route(provider, True), methods=["POST"]))
        elif provider == "anthropic":
            routes.append(Route(f"{prefix}/messages", route(provider, True), methods=["POST"]))
    routes.append(Route(PREFIXES["google"] + "/models/{rest:path}", google_generate, methods=["POST"]))

    app = Starlette(routes=routes)
    app.state.fake = state
    return app


# -- running it --------------------------------------------------------------------------


class FakeProviderServer:
    """The fake served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency: float = DEFAULT_LATENCY) -> None:
        import uvicorn

        self.state = FakeState(latency=latency)
        self.app = create_fake_app(self.state)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it, keep-alive requests here
        # wait ~40 ms for delayed ACKs (Nagle), which would blur the latency tests.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            log_level="warning",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="fake-provider", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[self._socket])

        asyncio.run(serve())

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, provider: str) -> str:
        return self.url + PREFIXES[provider]

    def base_urls(self) -> dict[str, str]:
        """Settings overrides: ``{"ai_openai_base_url": ..., ...}``."""
        return {f"ai_{p}_base_url": self.base_url(p) for p in PROVIDERS}

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def latency(self) -> float:
        return self.state.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.state.latency = value

    def revoke(self, key: str) -> None:
        """From now on the provider rejects ``key`` (as if revoked at the provider)."""
        self.state.revoked.add(key)

    def reset(self) -> None:
        with self.state.lock:
            self.state.requests.clear()
        self.state.revoked.clear()
        self.state.latency = DEFAULT_LATENCY
        self.state.redirect_followed = 0

    def start(self) -> FakeProviderServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            release = self.state.release
            if release is not None:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(release.set)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(*, port: int = 0, latency: float = DEFAULT_LATENCY) -> FakeProviderServer:
    """Start the fake on 127.0.0.1 (an ephemeral port by default); stop it with ``.stop()``."""
    return FakeProviderServer(port=port, latency=latency).start()


@contextlib.contextmanager
def running(*, latency: float = DEFAULT_LATENCY) -> Iterator[FakeProviderServer]:
    server = start_in_thread(latency=latency)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake AI provider (OpenAI, Anthropic, Google, xAI shapes).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY, help="seconds, for keys ending in -slow")
    args = parser.parse_args(argv)
    server = FakeProviderServer(host=args.host, port=args.port, latency=args.latency).start()
    for provider in PROVIDERS:
        print(f"{ENV_NAMES[provider]}={server.base_url(provider)}", flush=True)
    serve_until_interrupted(server.stop)


if __name__ == "__main__":
    main()
