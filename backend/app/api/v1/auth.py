"""Signing in and out: ``/api/v1/auth/*``. See docs/API.md "Accounts".

Login failures are limited to :data:`LOGIN_FAILURES` per client address and
per username (counted in ``RATE_LIMIT_STORAGE_URL``, so shared between
workers); successful sign-ins do not count.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from app.api.deps import AuditDep, client_address
from app.core import rate_limit
from app.core.auth import SESSION_COOKIE, PrincipalDep, viewer_allowed
from app.core.db import SessionDep
from app.schemas.auth import AuthStatus, Credentials, LoginResult, Me, PasswordChange, SetupRequest, UserBrief
from app.services import audit_service, auth_service
from app.services.audit_service import Outcome

router = APIRouter(prefix="/auth", tags=["auth"])

LOGIN_FAILURES = "5/minute"
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong username or password"},
    429: {"description": "Too many failed sign-ins"},
}


def _set_cookie(request: Request, response: Response, issued: auth_service.IssuedSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=issued.max_age,
        httponly=True,
        samesite="lax",
        secure=auth_service.is_secure_request(
            request, request.app.state.settings, request.app.state.peer_is_trusted_proxy
        ),
        path="/",
    )


def _signed_in(
    request: Request, response: Response, user_brief: UserBrief, issued: auth_service.IssuedSession
) -> LoginResult:
    _set_cookie(request, response, issued)
    response.headers["Cache-Control"] = "no-store"
    return LoginResult(access_token=issued.token, expires_at=issued.expires_at, user=user_brief)


@router.get("/status", response_model=AuthStatus)
def auth_status(session: SessionDep) -> AuthStatus:
    return AuthStatus(setup_required=auth_service.user_count(session) == 0)


@router.post("/setup", response_model=LoginResult, status_code=status.HTTP_201_CREATED, responses={409: {}})
def setup(body: SetupRequest, request: Request, response: Response, session: SessionDep) -> LoginResult:
    address = client_address(request)
    user = auth_service.create_first_admin(session, username=body.username, password=body.password.get_secret_value())
    issued = auth_service.issue_session(
        session,
        user=user,
        settings=request.app.state.settings,
        address=address,
        user_agent=request.headers.get("user-agent"),
    )
    audit_service.record(session, actor=user.username, address=address, action="setup", target=f"user {user.id}")
    return _signed_in(request, response, UserBrief(id=user.id, username=user.username, role="admin"), issued)


def _login_limits(address: str, username: str) -> tuple[tuple[str, str], ...]:
    """The two counters a failed sign-in counts against: the address and the username."""
    return (("login-address", address), ("login-user", auth_service.username_key(username)))


def _refuse_if_limited(limiter: rate_limit.AppRateLimiter, address: str, username: str) -> None:
    waits = [
        limiter.blocked(limit=LOGIN_FAILURES, scope=scope, client=key)
        for scope, key in _login_limits(address, username)
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise rate_limit.RateLimited(what="failed sign-ins", retry_after=wait)


def _audit_refused_login(request: Request, session: Session, username: str, address: str, outcome: Outcome) -> None:
    """In a transaction of its own (the request fails). A name that is no account is not written down:
    people type their password into the username field."""
    known = auth_service.find_user(session, username)
    actor = known.username if known is not None else "(unknown user)"
    audit_service.record_now(
        request.app.state.session_factory, actor=actor, address=address, action="login", outcome=outcome
    )


@router.post("/login", response_model=LoginResult, responses=_ERRORS)
def login(body: Credentials, request: Request, response: Response, session: SessionDep) -> LoginResult:
    limiter: rate_limit.AppRateLimiter = request.app.state.limiter
    address = client_address(request)
    username = body.username.strip()
    try:
        _refuse_if_limited(limiter, address, username)
    except rate_limit.RateLimited:
        _audit_refused_login(request, session, username, address, "refused")
        raise
    try:
        user, issued = auth_service.login(
            session,
            settings=request.app.state.settings,
            username=username,
            password=body.password.get_secret_value(),
            address=address,
            user_agent=request.headers.get("user-agent"),
        )
    except auth_service.InvalidCredentials:
        for scope, key in _login_limits(address, username):
            limiter.hit(limit=LOGIN_FAILURES, scope=scope, client=key)
        _audit_refused_login(request, session, username, address, "failed")
        raise
    audit_service.record(session, actor=user.username, address=address, action="login")
    brief = UserBrief(id=user.id, username=user.username, role=auth_service.as_role(user.role))
    return _signed_in(request, response, brief, issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
@viewer_allowed
def logout(principal: PrincipalDep, session: SessionDep, audit: AuditDep) -> Response:
    if principal.session_id is not None:
        auth_service.end_session(session, session_id=principal.session_id)
    audit("logout")
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
@viewer_allowed
def me(principal: PrincipalDep) -> Me:
    return Me(id=principal.user_id, username=principal.username, role=principal.role, auth=principal.kind)


@router.put("/password", status_code=status.HTTP_204_NO_CONTENT, responses={422: {}})
@viewer_allowed
def change_password(body: PasswordChange, principal: PrincipalDep, session: SessionDep, audit: AuditDep) -> Response:
    try:
        auth_service.change_password(
            session,
            principal=principal,
            current_password=body.current_password.get_secret_value(),
            new_password=body.new_password.get_secret_value(),
        )
    except auth_service.ValidationFailed:
        audit.now("password_change", "own", "failed")
        raise
    audit("password_change", "own")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
