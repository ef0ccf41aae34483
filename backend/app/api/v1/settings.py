"""``GET /api/v1/settings`` and ``PUT /api/v1/settings`` (partial update)."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.db import SessionDep
from app.schemas.settings import SettingsRead, SettingsUpdate
from app.services import settings_service

router = APIRouter(tags=["settings"])


@router.get("/settings", response_model=SettingsRead)
def read_settings(session: SessionDep) -> SettingsRead:
    return settings_service.read_settings(session)


@router.put("/settings", response_model=SettingsRead)
def update_settings(body: SettingsUpdate, session: SessionDep) -> SettingsRead:
    return settings_service.update_settings(session, changes=body)
