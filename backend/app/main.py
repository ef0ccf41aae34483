"""The FastAPI application: ``create_app()`` runs the start-up checks
(:mod:`app.startup`), then wires the routers (:data:`ROUTERS`), middleware,
error handlers and the one lifespan.

``uvicorn app.main:app`` builds the app on first access of ``app``; when a
start-up check fails it prints one line on stderr and exits with status 1.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope, Send

from app.api import docs, openapi
from app.api.v1 import (
    ai,
    alert_rules,
    audit,
    auth,
    cameras,
    events,
    notifications,
    tokens,
    users,
    webhooks,
)
from app.api.v1 import encryption as encryption_api
from app.api.v1 import settings as settings_api
from app.core import encryption, keys, passwords, rate_limit
from app.core.asgi import HttpMiddleware
from app.core.auth import AuthGate
from app.core.config import Settings, load_settings
from app.core.db import make_engine, make_session_factory
from app.core.errors import DATABASE_UNAVAILABLE, AppError
from app.core.http_options import OptionsMiddleware
from app.core.logging import SecretScopeMiddleware, redact, setup_logging
from app.core.request_limits import BodyLimitMiddleware
from app.services import audit_service, auth_service
from app.services.ai_providers import AITimeouts, ProviderHttp
from app.services.ai_providers import http as provider_http
from app.services.webhooks.worker import WebhookWorker
from app.startup import prepare_database

logger = logging.getLogger("app")

VERSION = "0.1.0"

API_PREFIX = "/api/v1"
# Every router of the API, mounted under API_PREFIX in this order.
ROUTERS: tuple[APIRouter, ...] = (
    ai.router,
    alert_rules.router,
    audit.router,
    auth.router,
    cameras.router,
    encryption_api.router,
    events.router,
    notifications.router,
    settings_api.router,
    tokens.router,
    users.router,
    webhooks.router,
)


class RequestIdMiddleware(HttpMiddleware):
    """Give every request an id (X-Request-ID), echoed in the response."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or uuid.uuid4().hex[:16])


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        message = str(err.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        # Never echo the submitted value (it may be a secret): only where and why.
        errors.append({"field": ".".join(loc) or "body", "message": redact(message)})
    return errors


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        body.update(exc.extra)
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return JSONResponse(
            {"detail": f"Invalid request: {summary}", "code": "invalid", "errors": errors}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # The database full, locked too long or unreachable: the request's transaction was
        # rolled back (one commit per request), so nothing of it is stored.
        reason = (
            redact(str(exc.orig).strip().splitlines()[0][:200]) if str(exc.orig).strip() else type(exc.orig).__name__
        )
        logger.warning("Database unavailable in %s %s: %s", request.method, request.url.path, reason)
        return JSONResponse(
            {
                "detail": DATABASE_UNAVAILABLE,
                "code": "database_unavailable",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        request_id = _request_id(request)
        logger.error(
            "Unhandled error in %s %s (request %s)",
            request.method,
            request.url.path,
            request_id,
            exc_info=exc,
        )
        return JSONResponse(
            {"detail": "Internal server error", "request_id": request_id},
            status_code=500,
            headers={"X-Request-ID": request_id},
        )


def install_auth(app: FastAPI, settings: Settings) -> None:
    """The gate and its authenticator (CORS is added by create_app, closed unless CORS_ALLOW_ORIGINS lists origins)."""
    limiter = rate_limit.install(app)
    trusted = limiter.identify.is_trusted
    app.state.peer_is_trusted_proxy = trusted
    app.state.authenticator = auth_service.AppAuthenticator(settings, app.state.session_factory, trusted)
    app.add_middleware(AuthGate)


async def _prune_audit(app: FastAPI) -> None:
    def prune() -> None:
        with app.state.session_factory() as session:
            audit_service.prune(session, retention_days=app.state.settings.audit_retention_days)
            session.commit()

    try:
        await run_in_threadpool(prune)
    except Exception as exc:  # a locked database must not stop the start
        logger.warning("Could not prune the audit trail: %s", type(exc).__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Prune the audit trail; make the dummy password hash (``passwords.warm_up``); open the
    one HTTP client for AI provider calls
    (tests may set ``app.state.ai_timeouts`` before the start); start the
    webhook delivery worker. On the way out, in reverse order.

    An app started twice at once (nested test clients, each on its own event
    loop) gets back the outer start's client when the inner one stops.
    """
    await _prune_audit(app)
    await run_in_threadpool(passwords.warm_up)
    previous = getattr(app.state, "ai_http", None)
    timeouts = getattr(app.state, "ai_timeouts", None)
    http = ProviderHttp(timeouts if isinstance(timeouts, AITimeouts) else None)
    app.state.ai_http = http
    provider_http.set_current(http)
    try:
        await app.state.webhook_worker.start()
        try:
            yield
        finally:
            await app.state.webhook_worker.stop()
    finally:
        app.state.ai_http = previous
        if provider_http.is_current(http):
            provider_http.set_current(previous)
        await http.aclose()
        app.state.engine.dispose()


def create_app(settings: Settings | None = None, *, run_startup_checks: bool = True) -> FastAPI:
    settings = settings or load_settings()
    setup_logging(settings.log_level)
    if run_startup_checks:
        settings = prepare_database(settings)
    else:
        encryption.load_keys(settings)

    engine = make_engine(settings.database_url)
    app = FastAPI(
        title="Live Object AI Classifier",
        version=VERSION,
        lifespan=lifespan,
        docs_url=None,  # app.api.docs serves the page and its assets
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    # Tests may adjust the worker's attributes before the app starts.
    app.state.webhook_worker = WebhookWorker(session_factory=app.state.session_factory)

    install_auth(app, settings)
    openapi.install(app)  # error answers declared truthfully
    docs.install(app)  # /api/docs with Swagger UI served from this origin
    app.add_middleware(OptionsMiddleware, schema=lambda: app.openapi())
    if settings.cors_allow_origins:  # outside the OPTIONS answer, so preflights reach it
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimitMiddleware)  # inside RequestIdMiddleware: its 413s carry the request id
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecretScopeMiddleware)  # a request's own secrets are forgotten when it ends
    install_error_handlers(app)

    @app.get("/health", tags=["health"])
    def health(request: Request) -> dict[str, str]:
        database = "ok"
        try:
            with request.app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # the health answer must not fail with a traceback
            database = "unavailable"
        return {"status": "ok" if database == "ok" else "degraded", "version": VERSION, "database": database}

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    return app


def _build_or_exit() -> FastAPI:
    try:
        return create_app()
    except keys.StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except encryption.KeyConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except SQLAlchemyError as exc:  # e.g. PostgreSQL down: one line, no traceback, no password
        print(f"error: {keys.database_error_message(exc, str(load_settings().database_url_secret))}", file=sys.stderr)
        raise SystemExit(1) from None


_app: FastAPI | None = None


def __getattr__(name: str) -> Any:
    """``app.main.app`` is built on first access (so importing this module in
    tests runs no start-up check)."""
    global _app
    if name == "app":
        if _app is None:
            _app = _build_or_exit()
        return _app
    raise AttributeError(name)
