"""Accounts, for admins: ``/api/v1/users``. See docs/API.md "Accounts"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from app.api.deps import client_address
from app.core.auth import PrincipalDep
from app.core.db import SessionDep
from app.schemas.auth import UserCreate, UserRead, UserUpdate
from app.services import audit_service, user_service

router = APIRouter(prefix="/users", tags=["users"])

_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Username taken, last admin, or your own account"}}


@router.get("", response_model=list[UserRead])
def list_users(session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in user_service.list_users(session)]


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED, responses=_CONFLICT)
def create_user(body: UserCreate, request: Request, principal: PrincipalDep, session: SessionDep) -> UserRead:
    user = user_service.create_user(session, data=body)
    audit_service.record(
        session,
        actor=principal.actor,
        address=client_address(request),
        action="user_create",
        target=f"user {user.id} ({user.username}, {user.role})",
    )
    return UserRead.model_validate(user)


@router.put("/{user_id}", response_model=UserRead, responses=_CONFLICT)
def update_user(
    user_id: int, body: UserUpdate, request: Request, principal: PrincipalDep, session: SessionDep
) -> UserRead:
    user, changed = user_service.update_user(session, principal=principal, user_id=user_id, data=body)
    if changed:
        audit_service.record(
            session,
            actor=principal.actor,
            address=client_address(request),
            action="user_update",
            target=f"user {user.id} ({user.username}): {', '.join(changed)}",
        )
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_CONFLICT)
def delete_user(user_id: int, request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    user = user_service.delete_user(session, principal=principal, user_id=user_id)
    audit_service.record(
        session,
        actor=principal.actor,
        address=client_address(request),
        action="user_delete",
        target=f"user {user_id} ({user.username})",
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
