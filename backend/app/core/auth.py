"""The one gate: who is asking, and may they.

:class:`AuthGate` is an ASGI middleware that runs before routing reaches an
endpoint (and before any body is read). For each request it finds the route,
looks up the route's access level and refuses:

* 401 ``not_authenticated`` when a non-public route has no valid credentials;
* 403 ``csrf`` when an unsafe request authenticated by ambient credentials
  (the session cookie, or a reverse proxy's header) does not come from the
  dashboard's own origin (``PUBLIC_URL``);
* 403 ``forbidden`` when the caller's role may not use the route.

Access levels:

* ``public``: only routes in :data:`PUBLIC_ROUTES`, by method and path;
* ``viewer``: endpoints decorated with :func:`viewer_allowed`;
* ``admin``: every other route. Forgetting a marker makes a route admin-only,
  never open.

Who is asking is answered by an :class:`Authenticator` the app installs
(``app.state.authenticator``), so this module needs nothing above ``core``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.asgi import HttpMiddleware
from app.core.errors import DATABASE_UNAVAILABLE

Role = Literal["admin", "viewer"]
Access = Literal["public", "viewer", "admin"]
AuthKind = Literal["session", "token", "proxy"]

SESSION_COOKIE = "loac_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Routes anyone may call, by (method, path template). Nothing else is public.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/health"),
        ("GET", "/api/v1/auth/status"),
        ("POST", "/api/v1/auth/login"),
        # Open only while no user exists: the endpoint answers 409 afterwards.
        ("POST", "/api/v1/auth/setup"),
        # The API description and its viewer: they describe routes, hold no data.
        ("GET", "/api/openapi.json"),
        ("GET", "/api/docs"),
        ("GET", "/api/docs/assets/{name}"),
        ("GET", "/docs/oauth2-redirect"),
    }
)

_RANK: dict[str, int] = {"viewer": 1, "admin": 2}

F = TypeVar("F", bound=Callable[..., Any])


def viewer_allowed(endpoint: F) -> F:
    """Mark an endpoint as usable by viewers (and admins)."""
    endpoint.__access__ = "viewer"  # type: ignore[attr-defined]
    return endpoint


def route_access(route: Any, method: str) -> Access:
    """The access level of ``route`` for ``method``."""
    path = getattr(route, "path", None)
    if (method, path) in PUBLIC_ROUTES or (method == "HEAD" and ("GET", path) in PUBLIC_ROUTES):
        return "public"
    endpoint = getattr(route, "endpoint", None)
    if getattr(endpoint, "__access__", None) == "viewer":
        return "viewer"
    return "admin"


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    user_id: int
    username: str
    role: Role
    kind: AuthKind
    session_id: int | None = None
    token_id: int | None = None
    token_name: str | None = None
    # Sent by the browser on its own (the cookie, a proxy's header): unsafe
    # requests must then prove they come from the dashboard's origin.
    ambient: bool = False

    @property
    def actor(self) -> str:
        """How the audit trail names the caller."""
        if self.kind == "token":
            return f"token:{self.token_name}"
        return self.username

    def may(self, access: Access) -> bool:
        return access == "public" or _RANK[self.role] >= _RANK[access]


class Authenticator(Protocol):
    def authenticate(self, request: Request) -> Principal | None: ...

    def allowed_origins(self) -> frozenset[str]: ...

    def host_allowed(self, host: str) -> bool: ...


def host_checker(public_url: str, extra: list[str]) -> Callable[[str], bool]:
    """Which ``Host`` headers the API answers: a defence against DNS rebinding.

    A page that makes its own domain resolve to this machine sends that domain
    as ``Host``. Allowed: IP literals, ``localhost``, single-label names (a
    compose service such as ``backend``), ``PUBLIC_URL``'s host, ``ALLOWED_HOSTS``.
    """
    named = {name.strip().lower().rstrip(".") for name in extra if name.strip()}
    public_host = urlsplit(public_url).hostname
    if public_host:
        named.add(public_host.lower())

    def allowed(host: str) -> bool:
        name = host.strip().lower()
        if name.startswith("["):  # [v6]:port
            return "]" in name
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
        name = name.rstrip(".")
        if not name:
            return False
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            pass
        return name == "localhost" or name.endswith(".localhost") or "." not in name or name in named

    return allowed


def origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins_for(public_url: str, extra: list[str]) -> frozenset[str]:
    """``PUBLIC_URL``'s origin (with its loopback twin), plus the CORS allow-list."""
    origins: set[str] = set()
    for url in [public_url, *extra]:
        origin = origin_of(url)
        if origin is None:
            continue
        origins.add(origin)
        for a, b in (("//127.0.0.1", "//localhost"), ("//localhost", "//127.0.0.1")):
            if a + ":" in origin or origin.endswith(a):
                origins.add(origin.replace(a, b, 1))
    return frozenset(origins)


def _request_origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin_of(origin)
    if origin == "null":
        return "null"
    referer = request.headers.get("referer")
    return origin_of(referer) if referer else None


def _json(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps({"detail": detail, "code": code}).encode(), headers or {}


@dataclass(frozen=True)
class RouteEntry:
    """One route as the gate sees it: full path template, methods, endpoint."""

    path: str
    methods: frozenset[str]
    endpoint: Any
    pattern: re.Pattern[str]


def route_table(app: Any) -> list[RouteEntry]:
    """Every HTTP route of ``app`` with its full path (routers included at any depth)."""
    entries = []
    for context in iter_route_contexts(app.routes):
        methods = getattr(context, "methods", None)
        path = getattr(context, "path", None)
        if not methods or not path:
            continue
        pattern, _format, _convertors = compile_path(path)
        entries.append(RouteEntry(path, frozenset(methods), getattr(context, "endpoint", None), pattern))
    return entries


async def _send(send: Send, refusal: tuple[int, bytes, dict[str, str]]) -> None:
    status, body, headers = refusal
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class AuthGate(HttpMiddleware):
    """ASGI middleware: the only place where authentication and roles are enforced."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._table: list[RouteEntry] = []
        self._table_key: tuple[int, int] | None = None

    def _routes(self, asgi_app: Any) -> list[RouteEntry]:
        key = (id(asgi_app), len(asgi_app.router.routes))
        if key != self._table_key:
            self._table = route_table(asgi_app)
            self._table_key = key
        return self._table

    def _find_route(self, scope: Scope) -> RouteEntry | None:
        path = scope.get("path", "")
        method = scope.get("method", "GET").upper()
        partial = None
        for entry in self._routes(scope["app"]):
            if entry.pattern.match(path):
                if method in entry.methods:
                    return entry
                partial = partial or entry
        return partial

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        authenticator: Authenticator = scope["app"].state.authenticator
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if host and not authenticator.host_allowed(host):
            await _send(send, _json(421, "Unknown host name: set PUBLIC_URL or ALLOWED_HOSTS to it.", "unknown_host"))
            return
        route = self._find_route(scope)
        if route is None:  # 404 from the router: nothing to protect
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        method = request.method.upper()
        access = route_access(route, method)
        refusal: tuple[int, bytes, dict[str, str]] | None = None
        principal = None
        if access != "public":
            try:
                principal = await run_in_threadpool(authenticator.authenticate, request)
            except OperationalError:  # the session lookup needs the database: a clear 503, not a traceback
                await _send(send, _json(503, DATABASE_UNAVAILABLE, "database_unavailable", {"Retry-After": "5"}))
                return
            if principal is None:
                refusal = _json(
                    401, "Sign in to continue.", "not_authenticated", {"WWW-Authenticate": 'Bearer realm="api"'}
                )
            elif principal.ambient and method not in SAFE_METHODS:
                origin = _request_origin(request)
                if origin is None or origin not in authenticator.allowed_origins():
                    refusal = _json(
                        403,
                        "Cross-site request refused: unsafe requests signed in by cookie must come from the "
                        "dashboard's own address (PUBLIC_URL).",
                        "csrf",
                    )
            if refusal is None and principal is not None and not principal.may(access):
                refusal = _json(403, "Your role does not allow this.", "forbidden")
        if refusal is not None:
            await _send(send, refusal)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def current_principal(request: Request) -> Principal:
    """The caller of a protected route (the gate has already let them in)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError("current_principal used on a public route")
    return principal


def optional_principal(request: Request) -> Principal | None:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else None


PrincipalDep = Annotated[Principal, Depends(current_principal)]
