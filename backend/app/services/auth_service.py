"""Signing in: sessions, API tokens at the door, the first admin.

A session is a random token handed to the client once (cookie and/or the
login answer); the database keeps only its SHA-256. Each request resolves its
credentials here (:class:`AppAuthenticator`, installed as
``app.state.authenticator`` and consulted by :mod:`app.core.auth`):

1. ``Authorization: Bearer <token>``: a session token (``loac_s_``) or an API
   token (``loac_t_``);
2. the ``loac_session`` cookie;
3. ``AUTH_PROXY_HEADER`` naming an existing user, only when the connection
   comes from one of ``TRUSTED_PROXIES``.

Sessions end on logout, after ``SESSION_IDLE_MINUTES`` without a request, and
at the latest ``SESSION_MAX_HOURS`` after sign-in; a password change or
disabling the user ends them too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import Request
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import passwords
from app.core.auth import SESSION_COOKIE, Principal, Role, allowed_origins_for, host_checker
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import AppError, ConflictError, ValidationFailed
from app.models.app_meta import AppMeta
from app.models.user import ApiToken, AuthSession, User

logger = logging.getLogger("app.auth")

SETUP_MARKER = "first_admin_created"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen / last_used are written at most this often


class InvalidCredentials(AppError):
    status_code = 401
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Wrong username or password.")


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def username_key(username: str) -> str:
    return username.strip().lower()


def check_password(password: str, *, username: str | None, field: str = "password") -> None:
    problem = passwords.password_problem(password, username=username)
    if problem:
        raise field_error(field, problem)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username_key == username_key(username)))


def user_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


# -- sessions --------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime  # when it ends if left idle (never after the absolute limit)
    max_age: int  # seconds, for the cookie


def _session_end(row: AuthSession, settings: Settings) -> datetime:
    return min(row.last_seen_at + timedelta(minutes=settings.session_idle_minutes), row.expires_at)


def issue_session(
    session: Session, *, user: User, settings: Settings, address: str | None, user_agent: str | None
) -> IssuedSession:
    token = passwords.new_token(passwords.SESSION_PREFIX)
    now = utcnow()
    row = AuthSession(
        user_id=user.id,
        token_hash=passwords.token_digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        address=(address or "")[:64] or None,
        user_agent=(user_agent or "")[:200] or None,
    )
    session.add(row)
    user.last_login_at = now
    session.flush()
    return IssuedSession(token=token, expires_at=_session_end(row, settings), max_age=settings.session_max_hours * 3600)


def login(
    session: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    address: str | None,
    user_agent: str | None,
) -> tuple[User, IssuedSession]:
    user = find_user(session, username)
    # An unknown user is checked against a dummy hash: same answer, same time.
    ok = passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise InvalidCredentials()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user, issue_session(session, user=user, settings=settings, address=address, user_agent=user_agent)


def end_session(session: Session, *, session_id: int) -> None:
    session.execute(delete(AuthSession).where(AuthSession.id == session_id))


def end_user_sessions(session: Session, *, user_id: int, keep: int | None = None) -> None:
    query = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    session.execute(query)


def change_password(session: Session, *, principal: Principal, current_password: str, new_password: str) -> None:
    user = session.get(User, principal.user_id)
    if user is None:
        raise InvalidCredentials()
    if not passwords.verify_password(current_password, user.password_hash):
        raise field_error("current_password", "The current password is wrong.")
    check_password(new_password, username=user.username, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    end_user_sessions(session, user_id=user.id, keep=principal.session_id)


# -- first admin -----------------------------------------------------------------------


def create_user_row(session: Session, *, username: str, password: str, role: str, is_active: bool = True) -> User:
    """The one place a user row is made (API, set-up, start-up admin, CLI)."""
    user = User(
        username=username.strip(),
        username_key=username_key(username),
        password_hash=passwords.hash_password(password),
        role=role,
        is_active=is_active,
    )
    session.add(user)
    session.flush()
    return user


def create_first_admin(session: Session, *, username: str, password: str) -> User:
    """The owner account, while no user exists (409 afterwards, also under a race)."""
    if user_count(session) or session.get(AppMeta, SETUP_MARKER) is not None:
        raise ConflictError("Set-up is already done: sign in instead.", code="setup_done")
    check_password(password, username=username)
    try:
        # The marker row's primary key makes a second concurrent set-up fail.
        session.add(AppMeta(key=SETUP_MARKER, value=utcnow().isoformat(timespec="seconds")))
        user = create_user_row(session, username=username, password=password, role="admin")
    except IntegrityError:
        session.rollback()
        raise ConflictError("Set-up is already done: sign in instead.", code="setup_done") from None
    return user


def admin_password_from_settings(settings: Settings) -> str | None:
    if settings.admin_password is not None:
        return settings.admin_password.get_secret_value()
    path: Path | None = settings.admin_password_file
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise ValueError(f"ADMIN_PASSWORD_FILE {path} cannot be read ({exc.strerror or type(exc).__name__})") from None


def bootstrap_admin(session_factory: Callable[[], Session], settings: Settings) -> str | None:
    """Create the first admin from ``ADMIN_USERNAME``/``ADMIN_PASSWORD(_FILE)`` when no user exists.

    Returns the username created, or ``None``. Raises ``ValueError`` with one
    line when the configured password is refused by the policy.
    """
    password = admin_password_from_settings(settings)
    if not password:
        return None
    with session_factory() as session:
        if user_count(session):
            return None
        problem = passwords.password_problem(password, username=settings.admin_username)
        if problem:
            raise ValueError(f"ADMIN_PASSWORD is refused: {problem}")
        try:
            create_first_admin(session, username=settings.admin_username, password=password)
            session.commit()
        except ConflictError:  # another worker created it first
            return None
    logger.info("Created the first admin account from ADMIN_USERNAME")
    return settings.admin_username


# -- each request ----------------------------------------------------------------------


def as_role(value: str) -> Role:
    return "admin" if value == "admin" else "viewer"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


class AppAuthenticator:
    """Resolves a request's credentials to a :class:`Principal` (or ``None``)."""

    def __init__(
        self,
        settings: Settings,
        session_factory: Callable[[], Session],
        peer_is_trusted_proxy: Callable[[str], bool],
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self._peer_trusted = peer_is_trusted_proxy
        self._origins = allowed_origins_for(settings.public_url, settings.cors_allow_origins)
        self.host_allowed = host_checker(settings.public_url, settings.allowed_hosts)

    def allowed_origins(self) -> frozenset[str]:
        return self._origins

    def authenticate(self, request: Request) -> Principal | None:
        token = _bearer(request)
        header = self.settings.auth_proxy_header
        if token is None and not request.cookies.get(SESSION_COOKIE) and not (header and request.headers.get(header)):
            return None  # nothing to look up: no database round trip for an anonymous request
        with self.session_factory() as session:
            if token is not None:
                if token.startswith(passwords.API_TOKEN_PREFIX):
                    principal = self._from_api_token(session, token)
                else:
                    principal = self._from_session(session, token, ambient=False)
            elif request.cookies.get(SESSION_COOKIE):
                principal = self._from_session(session, request.cookies[SESSION_COOKIE], ambient=True)
            else:
                principal = self._from_proxy(session, request)
            session.commit()
        return principal

    def _from_session(self, session: Session, token: str, *, ambient: bool) -> Principal | None:
        if not token.startswith(passwords.SESSION_PREFIX) or len(token) > 200:
            return None
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == passwords.token_digest(token)))
        if row is None:
            return None
        now = utcnow()
        if _session_end(row, self.settings) <= now:
            session.delete(row)
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            session.execute(update(AuthSession).where(AuthSession.id == row.id).values(last_seen_at=now))
        return Principal(
            user_id=user.id,
            username=user.username,
            role=as_role(user.role),
            kind="session",
            session_id=row.id,
            ambient=ambient,
        )

    def _from_api_token(self, session: Session, token: str) -> Principal | None:
        if len(token) > 200:
            return None
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == passwords.token_digest(token)))
        if row is None:
            return None
        now = utcnow()
        if row.expires_at is not None and row.expires_at <= now:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        # A token never acts above the account that made it.
        role: Role = "admin" if row.role == "admin" and user.role == "admin" else "viewer"
        return Principal(
            user_id=user.id, username=user.username, role=role, kind="token", token_id=row.id, token_name=row.name
        )

    def _from_proxy(self, session: Session, request: Request) -> Principal | None:
        header = self.settings.auth_proxy_header
        if not header:
            return None
        value = request.headers.get(header)
        if not value:
            return None
        peer = request.client.host if request.client else ""
        if not self._peer_trusted(peer):
            logger.warning("Ignored %s from an address that is not in TRUSTED_PROXIES", header)
            return None
        user = find_user(session, value.strip())
        if user is None or not user.is_active:
            logger.info("%s names no active user", header)
            return None
        return Principal(user_id=user.id, username=user.username, role=as_role(user.role), kind="proxy", ambient=True)


def is_secure_request(request: Request, settings: Settings, peer_trusted: Callable[[str], bool]) -> bool:
    """Whether the cookie must be ``Secure``: HTTPS here, or at a trusted proxy, or a https PUBLIC_URL."""
    if request.url.scheme == "https" or settings.public_url.startswith("https://"):
        return True
    peer = request.client.host if request.client else ""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" and peer_trusted(peer)
