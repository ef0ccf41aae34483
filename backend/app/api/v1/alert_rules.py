"""Alert rules: ``/api/v1/alert-rules``. Webhook secrets are write-only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import AuditDep, limit_secret_changes
from app.core.db import SessionDep
from app.schemas.alert_rule import AlertRuleCreate, AlertRuleRead, AlertRuleUpdate
from app.services import alert_engine

router = APIRouter(prefix="/alert-rules", tags=["alert rules"])


@router.get("", response_model=list[AlertRuleRead])
def list_alert_rules(session: SessionDep) -> list[AlertRuleRead]:
    return [alert_engine.to_read(rule) for rule in alert_engine.list_rules(session)]


def _webhook_change(data: AlertRuleCreate | AlertRuleUpdate) -> str | None:
    actions = data.actions if "actions" in data.model_fields_set else None
    if actions is None or "webhook" not in actions.model_fields_set:
        return None
    return "set" if actions.webhook is not None else "removed"


@router.post("", response_model=AlertRuleRead, status_code=201)
def create_alert_rule(data: AlertRuleCreate, request: Request, session: SessionDep, audit: AuditDep) -> AlertRuleRead:
    change = _webhook_change(data)
    if change == "set":
        limit_secret_changes(request)
    rule = alert_engine.create_rule(session, data=data)
    if change == "set":
        audit("credential_change", f"rule {rule.id} webhook set")
    return alert_engine.to_read(rule)


@router.get("/{rule_id}", response_model=AlertRuleRead)
def get_alert_rule(rule_id: int, session: SessionDep) -> AlertRuleRead:
    return alert_engine.to_read(alert_engine.get_rule(session, rule_id=rule_id))


@router.put("/{rule_id}", response_model=AlertRuleRead)
def update_alert_rule(
    rule_id: int, data: AlertRuleUpdate, request: Request, session: SessionDep, audit: AuditDep
) -> AlertRuleRead:
    change = _webhook_change(data)
    if change:
        limit_secret_changes(request)
    rule = alert_engine.update_rule(session, rule_id=rule_id, data=data)
    if change:
        audit("credential_change", f"rule {rule_id} webhook {'updated' if change == 'set' else 'removed'}")
    return alert_engine.to_read(rule)


@router.delete("/{rule_id}", status_code=204, response_class=Response)
def delete_alert_rule(rule_id: int, session: SessionDep, audit: AuditDep) -> Response:
    alert_engine.delete_rule(session, rule_id=rule_id)
    audit("credential_change", f"rule {rule_id} deleted with its webhook")
    return Response(status_code=204)
