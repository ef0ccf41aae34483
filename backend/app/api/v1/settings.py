"""``GET /api/v1/settings`` and ``PUT /api/v1/settings`` (partial update)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.deps import PROVIDER_NAMES, AuditDep, limit_secret_changes
from app.core.db import SessionDep
from app.core.secret_fields import AI_PROVIDERS
from app.schemas.secrets import is_masked_hint
from app.schemas.settings import SettingsRead, SettingsUpdate
from app.services import settings_service

router = APIRouter(tags=["settings"])


@router.get("/settings", response_model=SettingsRead)
def read_settings(session: SessionDep) -> SettingsRead:
    return settings_service.read_settings(session)


def _key_changes(body: SettingsUpdate) -> list[tuple[str, str]]:
    changes = []
    for provider in AI_PROVIDERS:
        name = f"ai_api_key_{provider}"
        if name not in body.model_fields_set:
            continue
        value = getattr(body, name)
        text = value.get_secret_value() if value is not None else ""
        if text and is_masked_hint(text):
            continue
        changes.append((f"{PROVIDER_NAMES[provider]} key", "removed" if not text else "set"))
    return changes


@router.put("/settings", response_model=SettingsRead, responses={429: {"description": "Too many secret changes"}})
def update_settings(body: SettingsUpdate, request: Request, session: SessionDep, audit: AuditDep) -> SettingsRead:
    changes = _key_changes(body)
    if changes:
        limit_secret_changes(request, 1)
    result = settings_service.update_settings(session, changes=body)
    for target, how in changes:
        audit("credential_change", f"{target} {how}")
    return result
