"""Webhook delivery logs (``/api/v1/webhooks/logs``) and the delivery worker's
life cycle: ``setup_app`` creates the worker and hooks its start and stop
into the application's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from app.core.db import SessionDep
from app.schemas.types import Id, Offset
from app.schemas.webhook import WebhookLogPage, WebhookLogRead
from app.services.webhooks.logs import list_logs
from app.services.webhooks.worker import WebhookWorker

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


async def _start_worker(app: FastAPI) -> None:
    await app.state.webhook_worker.start()


async def _stop_worker(app: FastAPI) -> None:
    await app.state.webhook_worker.stop()


def setup_app(app: FastAPI) -> None:
    """Create the delivery worker (``app.state.webhook_worker``); the lifespan
    starts it and stops it. Its attributes may be adjusted before start."""
    app.state.webhook_worker = WebhookWorker(session_factory=app.state.session_factory)
    app.state.startup_hooks.append(_start_worker)
    app.state.shutdown_hooks.append(_stop_worker)
