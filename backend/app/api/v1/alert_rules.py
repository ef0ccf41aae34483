"""Alert rules: ``/api/v1/alert-rules``. Webhook secrets are write-only.

``POST /alert-rules/{id}/test`` ("Send test") sends a sample event through the
rule's webhook at once (see :mod:`app.services.webhooks.sample`). It opens a
connection to an address the rule names, so it is rate limited per client
(:data:`WEBHOOK_TEST_LIMIT`) like the other outbound tests.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import AuditDep, limit_secret_changes
from app.core import rate_limit
from app.core.db import SessionDep
from app.schemas.alert_rule import (
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
    HeaderPolicyRead,
    WebhookTestResult,
)
from app.schemas.errors import NOT_FOUND, RATE_LIMITED
from app.schemas.types import Id
from app.services.alerts import rules
from app.services.webhooks import sample

router = APIRouter(prefix="/alert-rules", tags=["alert rules"])

WEBHOOK_TEST_LIMIT = "10/minute"
_test_limit = Depends(rate_limit.rate_limit(WEBHOOK_TEST_LIMIT, scope="webhook-test", what="webhook tests"))


@router.get("", response_model=list[AlertRuleRead])
def list_alert_rules(session: SessionDep) -> list[AlertRuleRead]:
    return rules.to_reads(session, rules.list_rules(session))


@router.get("/header-policy", response_model=HeaderPolicyRead)
def read_header_policy() -> HeaderPolicyRead:
    """Which webhook headers the server stores as secret: the rule form shows them so."""
    return HeaderPolicyRead.current()


@router.post("", response_model=AlertRuleRead, status_code=201, responses=RATE_LIMITED)
def create_alert_rule(data: AlertRuleCreate, request: Request, session: SessionDep, audit: AuditDep) -> AlertRuleRead:
    change = rules.webhook_change(data)
    if change == "set":
        limit_secret_changes(request)
    rule = rules.create_rule(session, data=data)
    if change == "set":
        audit("credential_change", f"rule {rule.id} webhook set")
    return rules.to_read(session, rule)


@router.get("/{rule_id:int}", response_model=AlertRuleRead)
def get_alert_rule(rule_id: Id, session: SessionDep) -> AlertRuleRead:
    return rules.to_read(session, rules.get_rule(session, rule_id=rule_id))


@router.put("/{rule_id:int}", response_model=AlertRuleRead, responses=RATE_LIMITED)
def update_alert_rule(
    rule_id: Id, data: AlertRuleUpdate, request: Request, session: SessionDep, audit: AuditDep
) -> AlertRuleRead:
    change = rules.webhook_change(data)
    if change:
        limit_secret_changes(request)
    rule = rules.update_rule(session, rule_id=rule_id, data=data)
    if change:
        audit("credential_change", f"rule {rule_id} webhook {'updated' if change == 'set' else 'removed'}")
    return rules.to_read(session, rule)


@router.delete("/{rule_id:int}", status_code=204, response_class=Response)
def delete_alert_rule(rule_id: Id, session: SessionDep, audit: AuditDep) -> Response:
    rules.delete_rule(session, rule_id=rule_id)
    audit("credential_change", f"rule {rule_id} deleted with its webhook")
    return Response(status_code=204)


@router.post(
    "/{rule_id:int}/test",
    response_model=WebhookTestResult,
    dependencies=[_test_limit],
    responses={**NOT_FOUND, **RATE_LIMITED},
)
async def send_test(rule_id: Id, request: Request, session: SessionDep, audit: AuditDep) -> WebhookTestResult:
    """Send a sample event (``"type": "alert.test"``) through the rule's webhook
    now: one attempt, no retry; logged (``test``) and shown as ``last_delivery``."""
    job = await run_in_threadpool(sample.build_test_job, session, rule_id=rule_id)
    result = await request.app.state.webhook_worker.attempt(job)
    outcome = await run_in_threadpool(sample.record_test, session, result)
    await run_in_threadpool(audit, "webhook_test", f"rule {rule_id}", "ok" if outcome.success else "failed")
    return WebhookTestResult(success=outcome.success, status_code=outcome.status_code, message=outcome.message)
