"""Webhook delivery logs (``/api/v1/webhooks/logs``) and resending a failed
delivery (``/api/v1/webhooks/deliveries/{id}/resend``). The delivery worker is
created in ``app.main.create_app`` and run by its lifespan.

Resend is a verb on the delivery, not on a log row: a delivery is what the
worker sends (its payload, its ``webhook-id``), and each of its attempts is
one log row; every log row names its ``delivery_id`` and says ``can_resend``.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, BackgroundTasks, Query, Request

from app.api.deps import AuditDep
from app.core.db import SessionDep, utcnow
from app.models.webhook import WebhookLog
from app.schemas.errors import CONFLICT, NOT_FOUND
from app.schemas.types import Id, Offset
from app.schemas.webhook import DeliveryResent, DeliveryStatus, WebhookLogPage, WebhookLogRead
from app.services.webhooks import queue
from app.services.webhooks.logs import list_logs
from app.services.webhooks.worker import notify_worker

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
        items=[_log_read(log, status) for log, status in items], total=total, limit=limit, offset=offset
    )


def _log_read(log: WebhookLog, status: str | None) -> WebhookLogRead:
    delivery_status = cast(DeliveryStatus | None, status)  # the column holds only these values
    return WebhookLogRead(
        id=log.id,
        rule_id=log.rule_id,
        event_id=log.event_id,
        delivery_id=log.delivery_id,
        url=log.url,
        attempt=log.attempt,
        status_code=log.status_code,
        success=log.success,
        duration_ms=log.duration_ms,
        error=log.error,
        response_body=log.response_body,
        test=log.test,
        delivery_status=delivery_status,
        can_resend=delivery_status == "failed",
        created_at=log.created_at,
    )


@router.post(
    "/deliveries/{delivery_id:int}/resend",
    response_model=DeliveryResent,
    status_code=202,
    responses={**NOT_FOUND, **CONFLICT},
)
def resend_delivery(
    delivery_id: Id, request: Request, session: SessionDep, audit: AuditDep, background: BackgroundTasks
) -> DeliveryResent:
    """Queue a failed delivery again (409 unless it failed): the worker sends
    it through the normal path, with a fresh retry budget."""
    queue.resend(session, delivery_id=delivery_id, now=utcnow())
    audit("webhook_resend", f"delivery {delivery_id}")
    background.add_task(notify_worker, request.app.state)  # after the commit
    return DeliveryResent(delivery_id=delivery_id, status="pending")
