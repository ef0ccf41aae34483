"""Webhook delivery logs (``/api/v1/webhooks/logs``). The delivery worker is
created in ``app.main.create_app`` and run by its lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.db import SessionDep
from app.schemas.types import Id, Offset
from app.schemas.webhook import WebhookLogPage, WebhookLogRead
from app.services.webhooks.logs import list_logs

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("/logs", response_model=WebhookLogPage)
def list_webhook_logs(
    session: SessionDep,
    rule_id: Id | None = None,
    event_id: Id | None = None,
    delivery_id: Id | None = None,
    success: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> WebhookLogPage:
    items, total = list_logs(
        session,
        rule_id=rule_id,
        event_id=event_id,
        delivery_id=delivery_id,
        success=success,
        limit=limit,
        offset=offset,
    )
    return WebhookLogPage(
        items=[WebhookLogRead.model_validate(item) for item in items], total=total, limit=limit, offset=offset
    )
