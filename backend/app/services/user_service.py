"""Managing accounts (admins only): create, change role, disable, reset password, delete.

There is always at least one active admin: a change that would leave none is
refused (409 ``last_admin``), and an admin cannot disable, demote or delete
their own account (409 ``self``), so nobody locks themself out by a slip.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import passwords
from app.core.auth import Principal
from app.core.errors import ConflictError, NotFoundError
from app.models.user import User
from app.schemas.auth import UserCreate, UserUpdate
from app.services.auth_service import check_password, create_user_row, end_user_sessions, find_user, username_key


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username_key)))


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} not found.")
    return user


def _active_admins(session: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.is_active.is_(True))
    return int(session.scalar(query) or 0)


def _refuse_taken(session: Session, username: str, *, except_id: int | None = None) -> None:
    other = find_user(session, username)
    if other is not None and other.id != except_id:
        raise ConflictError(f"The username {username!r} is taken.", code="username_taken")


def create_user(session: Session, *, data: UserCreate) -> User:
    _refuse_taken(session, data.username)
    password = data.password.get_secret_value()
    check_password(password, username=data.username)
    return create_user_row(session, username=data.username, password=password, role=data.role, is_active=data.is_active)


def update_user(session: Session, *, principal: Principal, user_id: int, data: UserUpdate) -> tuple[User, list[str]]:
    """Apply the changes; returns the user and the names of what changed (for the audit trail)."""
    user = get_user(session, user_id=user_id)
    changed: list[str] = []
    losing_admin = (data.role is not None and data.role != "admin" and user.role == "admin") or (
        data.is_active is False and user.is_active and user.role == "admin"
    )
    if losing_admin:
        if user.id == principal.user_id:
            raise ConflictError("You cannot demote or disable your own account.", code="self")
        if _active_admins(session) <= 1:
            raise ConflictError("This is the last active admin: make another admin first.", code="last_admin")
    if data.username is not None and data.username != user.username:
        _refuse_taken(session, data.username, except_id=user.id)
        user.username, user.username_key = data.username, username_key(data.username)
        changed.append("username")
    if data.role is not None and data.role != user.role:
        user.role = data.role
        changed.append("role")
    if data.is_active is not None and data.is_active != user.is_active:
        user.is_active = data.is_active
        changed.append("enabled" if data.is_active else "disabled")
        if not data.is_active:
            end_user_sessions(session, user_id=user.id)
    if data.password is not None:
        password = data.password.get_secret_value()
        check_password(password, username=user.username)
        user.password_hash = passwords.hash_password(password)
        # Everyone signed in as this user signs in again (the caller keeps theirs).
        end_user_sessions(session, user_id=user.id, keep=principal.session_id)
        changed.append("password")
    session.flush()
    return user, changed


def delete_user(session: Session, *, principal: Principal, user_id: int) -> User:
    user = get_user(session, user_id=user_id)
    if user.id == principal.user_id:
        raise ConflictError("You cannot delete your own account.", code="self")
    if user.role == "admin" and user.is_active and _active_admins(session) <= 1:
        raise ConflictError("This is the last active admin: make another admin first.", code="last_admin")
    session.delete(user)  # sessions and tokens go with it (ON DELETE CASCADE)
    session.flush()
    return user
