"""Alert rules: ``/api/v1/alert-rules``. Webhook secrets are write-only."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.db import SessionDep
from app.schemas.alert_rule import AlertRuleCreate, AlertRuleRead, AlertRuleUpdate
from app.schemas.types import Id
from app.services import alert_engine

router = APIRouter(prefix="/alert-rules", tags=["alert rules"])


@router.get("", response_model=list[AlertRuleRead])
def list_alert_rules(session: SessionDep) -> list[AlertRuleRead]:
    return [alert_engine.to_read(rule) for rule in alert_engine.list_rules(session)]


@router.post("", response_model=AlertRuleRead, status_code=201)
def create_alert_rule(data: AlertRuleCreate, session: SessionDep) -> AlertRuleRead:
    return alert_engine.to_read(alert_engine.create_rule(session, data=data))


@router.get("/{rule_id:int}", response_model=AlertRuleRead)
def get_alert_rule(rule_id: Id, session: SessionDep) -> AlertRuleRead:
    return alert_engine.to_read(alert_engine.get_rule(session, rule_id=rule_id))


@router.put("/{rule_id:int}", response_model=AlertRuleRead)
def update_alert_rule(rule_id: Id, data: AlertRuleUpdate, session: SessionDep) -> AlertRuleRead:
    return alert_engine.to_read(alert_engine.update_rule(session, rule_id=rule_id, data=data))


@router.delete("/{rule_id:int}", status_code=204, response_class=Response)
def delete_alert_rule(rule_id: Id, session: SessionDep) -> Response:
    alert_engine.delete_rule(session, rule_id=rule_id)
    return Response(status_code=204)
