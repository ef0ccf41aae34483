"""Alert rules: ``/api/v1/alert-rules``. Webhook secrets are write-only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import AuditDep, limit_secret_changes
from app.core.db import SessionDep
from app.schemas.alert_rule import AlertRuleCreate, AlertRuleRead, AlertRuleUpdate
from app.schemas.errors import RATE_LIMITED
from app.schemas.types import Id
from app.services.alerts import rules

router = APIRouter(prefix="/alert-rules", tags=["alert rules"])


@router.get("", response_model=list[AlertRuleRead])
def list_alert_rules(session: SessionDep) -> list[AlertRuleRead]:
    return [rules.to_read(rule) for rule in rules.list_rules(session)]


@router.post("", response_model=AlertRuleRead, status_code=201, responses=RATE_LIMITED)
def create_alert_rule(data: AlertRuleCreate, request: Request, session: SessionDep, audit: AuditDep) -> AlertRuleRead:
    change = rules.webhook_change(data)
    if change == "set":
        limit_secret_changes(request)
    rule = rules.create_rule(session, data=data)
    if change == "set":
        audit("credential_change", f"rule {rule.id} webhook set")
    return rules.to_read(rule)


@router.get("/{rule_id:int}", response_model=AlertRuleRead)
def get_alert_rule(rule_id: Id, session: SessionDep) -> AlertRuleRead:
    return rules.to_read(rules.get_rule(session, rule_id=rule_id))


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
    return rules.to_read(rule)


@router.delete("/{rule_id:int}", status_code=204, response_class=Response)
def delete_alert_rule(rule_id: Id, session: SessionDep, audit: AuditDep) -> Response:
    rules.delete_rule(session, rule_id=rule_id)
    audit("credential_change", f"rule {rule_id} deleted with its webhook")
    return Response(status_code=204)
