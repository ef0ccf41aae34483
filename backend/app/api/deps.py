"""Dependencies shared by the routers: the caller as the audit trail sees them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core import rate_limit
from app.core.auth import Principal, current_principal
from app.core.db import SessionDep
from app.core.encryption import DecryptionError
from app.core.errors import ServiceUnavailable
from app.services import audit_service
from app.services.audit_service import Outcome

PROVIDER_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google Gemini", "grok": "xAI Grok"}


# Storing a key and then describing an event would test keys without the
# key-test limit: secret changes have a limit of their own (per client and user).
SECRET_CHANGE_LIMIT = "30/minute"  # noqa: S105  # nosec B105: a rate, not a secret
# Image descriptions spend the owner's provider credit: /ai/describe and events with an image share this.
DESCRIBE_LIMIT = "30/minute"


def client_address(request: Request) -> str:
    return str(request.app.state.limiter.identify(request))


def limit_secret_changes(request: Request, count: int = 1) -> None:
    """Count ``count`` secret changes against the caller's address and account (429 past the limit)."""
    limiter: rate_limit.AppRateLimiter = request.app.state.limiter
    user = str(current_principal(request).user_id)
    for _ in range(count):
        for scope, client in (("secret-changes", client_address(request)), ("secret-changes-user", user)):
            wait = limiter.hit(limit=SECRET_CHANGE_LIMIT, scope=scope, client=client)
            if wait is not None:
                raise rate_limit.RateLimited(what="secret changes", retry_after=wait)


@dataclass
class Audit:
    """Records entries for this request's caller, in the request's transaction."""

    request: Request
    principal: Principal
    session: SessionDep

    @property
    def address(self) -> str:
        return client_address(self.request)

    def __call__(self, action: str, target: str | None = None, outcome: Outcome = "ok") -> None:
        audit_service.record(
            self.session,
            actor=self.principal.actor,
            address=self.address,
            action=action,
            target=target,
            outcome=outcome,
        )

    def now(self, action: str, target: str | None = None, outcome: Outcome = "ok") -> None:
        """In a transaction of its own: kept even when the request then fails."""
        audit_service.record_now(
            self.request.app.state.session_factory,
            actor=self.principal.actor,
            address=self.address,
            action=action,
            target=target,
            outcome=outcome,
        )


def get_audit(request: Request, session: SessionDep) -> Audit:
    return Audit(request=request, principal=current_principal(request), session=session)


AuditDep = Annotated[Audit, Depends(get_audit)]


def private_image(read: Callable[[], tuple[bytes, str]], *, undecryptable: str, code: str) -> Response:
    """An image decrypted by ``read()`` (its bytes and media type) for this answer only: never
    cached, never sniffed. A value the configured keys cannot open is a 503 with ``code``."""
    try:
        data, media_type = read()
    except DecryptionError:
        raise ServiceUnavailable(undecryptable, code=code) from None
    return Response(
        data, media_type=media_type, headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    )
