"""API tokens, for admins: ``/api/v1/tokens``. The token is in the creation answer only."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import AuditDep
from app.core.auth import PrincipalDep
from app.core.db import SessionDep
from app.schemas.auth import TokenCreate, TokenCreated, TokenRead
from app.schemas.types import Id
from app.services import token_service

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("", response_model=list[TokenRead])
def list_tokens(session: SessionDep) -> list[TokenRead]:
    return [
        TokenRead.model_validate(token).model_copy(update={"created_by": username})
        for token, username in token_service.list_tokens(session)
    ]


@router.post("", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, principal: PrincipalDep, session: SessionDep, audit: AuditDep) -> Response:
    row, token = token_service.create_token(session, principal=principal, data=body)
    audit("token_create", f"token {row.id} ({row.name}, {row.role})")
    created = TokenCreated(
        id=row.id,
        name=row.name,
        role="admin" if row.role == "admin" else "viewer",
        token=token,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
    return Response(
        created.model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.delete("/{token_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, principal: PrincipalDep, session: SessionDep, audit: AuditDep) -> Response:
    row = token_service.revoke_token(session, token_id=token_id)
    audit("token_revoke", f"token {token_id} ({row.name})")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
