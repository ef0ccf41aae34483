"""Accounts, for admins: ``/api/v1/users``. See docs/API.md "Accounts"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from app.api.deps import AuditDep
from app.core.auth import PrincipalDep
from app.core.db import SessionDep
from app.schemas.auth import UserCreate, UserRead, UserUpdate
from app.schemas.types import Id
from app.services import user_service

router = APIRouter(prefix="/users", tags=["users"])

_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Username taken, last admin, or your own account"}}


@router.get("", response_model=list[UserRead])
def list_users(session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in user_service.list_users(session)]


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED, responses=_CONFLICT)
def create_user(body: UserCreate, session: SessionDep, audit: AuditDep) -> UserRead:
    user = user_service.create_user(session, data=body)
    audit("user_create", f"user {user.id} ({user.username}, {user.role})")
    return UserRead.model_validate(user)


@router.put("/{user_id:int}", response_model=UserRead, responses=_CONFLICT)
def update_user(
    user_id: Id, body: UserUpdate, principal: PrincipalDep, session: SessionDep, audit: AuditDep
) -> UserRead:
    user, changed = user_service.update_user(session, principal=principal, user_id=user_id, data=body)
    if changed:
        audit("user_update", f"user {user.id} ({user.username}): {', '.join(changed)}")
    return UserRead.model_validate(user)


@router.delete("/{user_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=_CONFLICT)
def delete_user(user_id: Id, principal: PrincipalDep, session: SessionDep, audit: AuditDep) -> Response:
    user = user_service.delete_user(session, principal=principal, user_id=user_id)
    audit("user_delete", f"user {user_id} ({user.username})")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
