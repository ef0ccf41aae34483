"""The encryption key's health, for admins: ``/api/v1/encryption/*``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from app.api.deps import AuditDep
from app.core.db import SessionDep
from app.schemas.encryption import BackupConfirmed, EncryptionStatus
from app.services import encryption_status

router = APIRouter(prefix="/encryption", tags=["encryption"])


@router.get("/status", response_model=EncryptionStatus)
async def status(request: Request) -> Any:
    return await run_in_threadpool(encryption_status.report, request.app.state.engine, request.app.state.settings)


@router.post("/backup-confirmation", response_model=BackupConfirmed)
def confirm_backup(session: SessionDep, audit: AuditDep) -> BackupConfirmed:
    at = encryption_status.now_iso()
    encryption_status.write_meta(session.connection(), encryption_status.BACKUP_CONFIRMED, at)
    audit("backup_confirmed", "key")
    return BackupConfirmed(backup_confirmed_at=at)
