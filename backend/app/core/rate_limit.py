"""Per-client rate limits, reusable by any endpoint.

Each app owns one slowapi :class:`~slowapi.Limiter` (``app.state.limiter``)
whose counters live in ``RATE_LIMIT_STORAGE_URL``: ``memory://`` for one
process, ``redis://host:6379/0`` to share the counters between workers. The
strategy is a moving window: "10/minute" means at most ten hits in any sixty
seconds.

Endpoints opt in with a dependency, so the limiter stays per app (slowapi's
decorator binds one limiter at import time)::

    @router.post("/ai/test-key", dependencies=[Depends(rate_limit("10/minute", scope="ai-test-key",
                                                                  what="key tests"))])

The 11th call in the window answers 429
``{"detail": "Too many key tests. Try again in N seconds.", "code": "rate_limited",
"retry_after": N}`` with a ``Retry-After: N`` header.

The client is the connection address. ``X-Forwarded-For`` is honoured only
when the connection comes from one of ``Settings.trusted_proxies`` (IPs or
CIDR ranges); the client is then the right-most address in the header that is
not itself a trusted proxy, so a client cannot spoof its address by sending the
header itself.

When the shared storage is unreachable, counting falls back to this process's
memory (logged once) rather than failing every request.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from slowapi import Limiter

from app.core.config import Settings
from app.core.errors import AppError

logger = logging.getLogger("app.rate_limit")

KEY_PREFIX = "loac"
_STRATEGY = "moving-window"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RateLimited(AppError):
    """429 with the number of seconds to wait (rendered with a Retry-After header)."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, *, what: str, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"Too many {what}. Try again in {retry_after} {unit}.", retry_after=retry_after)
        self.retry_after = retry_after


def _parse_networks(entries: list[str]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.warning("Ignoring an entry of TRUSTED_PROXIES that is not an IP address or CIDR range")
    return tuple(networks)


def _as_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class ClientIdentifier:
    """Turns a request into the client address the limits are counted by."""

    trusted_proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientIdentifier:
        return cls(trusted_proxies=_parse_networks(settings.trusted_proxies))

    def is_trusted(self, address: str) -> bool:
        """Whether ``address`` is one of ``TRUSTED_PROXIES``."""
        ip = _as_ip(address)
        return ip is not None and any(ip in net for net in self.trusted_proxies)

    def __call__(self, request: Request) -> str:
        peer = request.client.host if request.client else "unknown"
        if not self.trusted_proxies or not self.is_trusted(peer):
            return peer
        forwarded: list[str] = []
        for header in request.headers.getlist("x-forwarded-for"):
            forwarded += [part.strip() for part in header.split(",") if part.strip()]
        # Walk from the nearest hop outwards; the first untrusted one is the client.
        for hop in reversed(forwarded):
            ip = _as_ip(hop)
            if ip is None:
                return peer  # garbage in the header: count the proxy itself
            if not self.is_trusted(hop):
                return str(ip)
        return str(_as_ip(forwarded[0])) if forwarded else peer


def bucket(client: str) -> str:
    """What a client's hits are counted under: its address, or its /64 for IPv6
    (one home or host usually holds a whole /64, so counting per address would
    give it 2^64 fresh allowances)."""
    ip = _as_ip(client)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return client


class AppRateLimiter:
    """One app's limiter: slowapi's Limiter for storage and strategy, plus an
    in-memory fallback used while the shared storage is unreachable."""

    def __init__(self, settings: Settings) -> None:
        self.identify = ClientIdentifier.from_settings(settings)
        self.slowapi = Limiter(
            key_func=self.identify,
            storage_uri=settings.rate_limit_storage_url,
            strategy=_STRATEGY,
            key_prefix=KEY_PREFIX,
            headers_enabled=False,
        )
        self._fallback: RateLimiter = MovingWindowRateLimiter(MemoryStorage())
        self._storage_down_logged = False

    def _check(self, limiter: RateLimiter, item: RateLimitItem, ids: tuple[str, ...]) -> int | None:
        if limiter.hit(item, *ids):
            return None
        reset_at = limiter.get_window_stats(item, *ids).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def hit(self, *, limit: str, scope: str, client: str) -> int | None:
        """Count one hit; ``None`` when allowed, else seconds until the next is."""
        item = parse(limit)
        ids = (KEY_PREFIX, scope, bucket(client))
        try:
            result = self._check(self.slowapi.limiter, item, ids)
        except Exception as exc:  # storage unreachable: count in memory instead
            if not self._storage_down_logged:
                logger.warning(
                    "Rate-limit storage unreachable (%s); counting in this process's memory", type(exc).__name__
                )
                self._storage_down_logged = True
            return self._check(self._fallback, item, ids)
        self._storage_down_logged = False
        return result

    def _blocked(self, limiter: RateLimiter, item: RateLimitItem, ids: tuple[str, ...]) -> int | None:
        if limiter.test(item, *ids):
            return None
        reset_at = limiter.get_window_stats(item, *ids).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def blocked(self, *, limit: str, scope: str, client: str) -> int | None:
        """Without counting a hit: ``None`` when one more is allowed, else seconds to wait."""
        item = parse(limit)
        ids = (KEY_PREFIX, scope, bucket(client))
        try:
            return self._blocked(self.slowapi.limiter, item, ids)
        except Exception:  # storage unreachable: the in-memory counts decide
            return self._blocked(self._fallback, item, ids)

    def reset(self) -> None:
        """Forget every counter (tests and benchmarks)."""
        self.slowapi.reset()
        self._fallback = MovingWindowRateLimiter(MemoryStorage())


def install(app: FastAPI) -> AppRateLimiter:
    """Give ``app`` its limiter and the 429 handler (idempotent; call from ``setup_app``)."""
    existing = getattr(app.state, "limiter", None)
    if isinstance(existing, AppRateLimiter):
        return existing
    limiter = AppRateLimiter(app.state.settings)
    app.state.limiter = limiter

    async def too_many(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, RateLimited):  # registered for RateLimited only
            raise exc
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
        return JSONResponse(body, status_code=429, headers={"Retry-After": str(exc.retry_after)})

    app.add_exception_handler(RateLimited, too_many)
    return limiter


def check_both(request: Request, *, limit: str, scope: str, what: str, per_user: bool = True) -> None:
    """Count one hit for the client's address and, when signed in and ``per_user``, for the account
    (429 past either)."""
    limiter = getattr(request.app.state, "limiter", None)
    if not isinstance(limiter, AppRateLimiter):
        raise RuntimeError("rate limits used on an app without rate_limit.install(app)")
    principal = getattr(request.state, "principal", None)
    user_id = getattr(principal, "user_id", None)
    counted = [(scope, limiter.identify(request))]
    if per_user and user_id is not None:
        counted.append((f"{scope}-user", f"user:{user_id}"))
    for counted_scope, client in counted:
        retry_after = limiter.hit(limit=limit, scope=counted_scope, client=client)
        if retry_after is not None:
            logger.info("Rate limit %s reached for %s", limit, counted_scope)
            raise RateLimited(what=what, retry_after=retry_after)


def rate_limit(limit: str, *, scope: str, what: str = "requests", per_user: bool = False) -> Callable[[Request], None]:
    """A dependency allowing ``limit`` (e.g. ``"10/minute"``) calls per client in ``scope``.

    It is a plain function, so FastAPI runs it in the thread pool: a Redis
    round trip never blocks the event loop.
    """
    parse(limit)  # fail at import time on a malformed limit

    def dependency(request: Request) -> None:
        limiter = getattr(request.app.state, "limiter", None)
        if not isinstance(limiter, AppRateLimiter):
            raise RuntimeError("rate_limit() used on an app without rate_limit.install(app)")
        check_both(request, limit=limit, scope=scope, what=what, per_user=per_user)

    return dependency
