"""The FastAPI application: ``create_app()`` runs the start-up checks, then
wires routers, middleware and error handlers.

``uvicorn app.main:app`` builds the app on first access of ``app``; when a
start-up check fails it prints one line on stderr and exits with status 1.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import openapi
from app.core import encryption, keys, migrations, rate_limit
from app.core.auth import AuthGate
from app.core.config import Settings, load_settings
from app.core.db import make_engine, make_session_factory
from app.core.errors import DATABASE_UNAVAILABLE, AppError
from app.core.http_options import OptionsMiddleware
from app.core.logging import SecretScopeMiddleware, redact, setup_logging
from app.core.request_limits import BodyLimitMiddleware

logger = logging.getLogger("app")

VERSION = "0.1.0"

# Hooks run by the lifespan: (startup, shutdown) coroutines taking the app.
LifespanHook = Callable[[FastAPI], Awaitable[None]]


class RequestIdMiddleware:
    """Give every request an id (X-Request-ID), echoed in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


@keys.one_process_at_a_time  # workers and replicas sharing the database take turns
def prepare_database(settings: Settings, *, generate_key: bool = True) -> Settings:
    """Start-up checks, in order: key configuration, first-run key, migrations,
    key check against the data. Raises :class:`keys.StartupError`."""
    engine = make_engine(settings.database_url)
    try:
        try:
            settings, written = keys.resolve_key(settings, engine, generate=generate_key)
        except keys.StartupError:
            raise
        if written is not None and written.created:
            print(
                f"Generated a new encryption key and saved it in {written.path} (mode 0600). "
                "Back it up, apart from the database: without it the stored secrets cannot be recovered.",
                file=sys.stderr,
            )
        try:
            encryption.load_keys(settings)
        except encryption.KeyConfigError as exc:
            raise keys.StartupError(str(exc)) from None
        keys.verify_existing_key_check(engine)
        if settings.auto_migrate:
            try:
                migrations.upgrade(settings.database_url)
            except encryption.EncryptionError as exc:
                raise keys.StartupError(f"Database migration stopped: {exc}") from None
        keys.verify_key_against_database(engine)
        _bootstrap_admin(settings, engine)
    finally:
        engine.dispose()
    return settings


def _bootstrap_admin(settings: Settings, engine: Engine) -> None:
    """``ADMIN_USERNAME`` / ``ADMIN_PASSWORD(_FILE)``: the first admin of a headless install."""
    from app.services import auth_service

    if settings.admin_password is None and settings.admin_password_file is None:
        return
    try:
        created = auth_service.bootstrap_admin(make_session_factory(engine), settings)
    except ValueError as exc:
        raise keys.StartupError(str(exc)) from None
    if created:
        print(f"Created the admin account {created!r} from ADMIN_USERNAME / ADMIN_PASSWORD.", file=sys.stderr)


def install_auth(app: FastAPI, settings: Settings) -> None:
    """The gate and its authenticator (CORS is added by create_app, closed unless CORS_ALLOW_ORIGINS lists origins)."""
    from app.services import audit_service, auth_service

    limiter = rate_limit.install(app)
    trusted = limiter.identify.is_trusted
    app.state.peer_is_trusted_proxy = trusted
    app.state.authenticator = auth_service.AppAuthenticator(settings, app.state.session_factory, trusted)
    app.add_middleware(AuthGate)

    async def prune_audit(app: FastAPI) -> None:
        def prune() -> None:
            with app.state.session_factory() as session:
                audit_service.prune(session, retention_days=settings.audit_retention_days)
                session.commit()

        try:
            await run_in_threadpool(prune)
        except Exception as exc:  # a locked database must not stop the start
            logger.warning("Could not prune the audit trail: %s", type(exc).__name__)

    app.state.startup_hooks.append(prune_audit)


def create_app(settings: Settings | None = None, *, run_startup_checks: bool = True) -> FastAPI:
    settings = settings or load_settings()
    setup_logging(settings.log_level)
    if run_startup_checks:
        settings = prepare_database(settings)
    else:
        encryption.load_keys(settings)

    engine = make_engine(settings.database_url)
    startup_hooks: list[LifespanHook] = []
    shutdown_hooks: list[LifespanHook] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in startup_hooks:
            await hook(app)
        try:
            yield
        finally:
            for hook in reversed(shutdown_hooks):
                await hook(app)
            engine.dispose()

    app = FastAPI(
        title="Live Object AI Classifier",
        version=VERSION,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.startup_hooks = startup_hooks
    app.state.shutdown_hooks = shutdown_hooks

    install_auth(app, settings)
    openapi.install(app)  # error answers declared truthfully
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

    from app.api.v1 import include_routers

    include_routers(app)
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
