"""API tokens for REST clients and scripts: shown once, stored as a SHA-256 digest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import passwords
from app.core.auth import Principal
from app.core.db import utcnow
from app.core.errors import NotFoundError
from app.models.user import ApiToken, User
from app.schemas.auth import TokenCreate


def list_tokens(session: Session) -> list[tuple[ApiToken, str | None]]:
    rows = session.execute(
        select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.created_at.desc())
    )
    return [(token, username) for token, username in rows]


def create_token(session: Session, *, principal: Principal, data: TokenCreate) -> tuple[ApiToken, str]:
    token = passwords.new_token(passwords.API_TOKEN_PREFIX)
    now = utcnow()
    row = ApiToken(
        name=data.name,
        role=data.role,
        token_hash=passwords.token_digest(token),
        prefix=token[: passwords.TOKEN_DISPLAY_CHARS],
        user_id=principal.user_id,
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, *, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"API token {token_id} not found.")
    session.delete(row)
    session.flush()
    return row
