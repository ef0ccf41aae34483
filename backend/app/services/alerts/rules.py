"""Alert rules: create / read / update / delete. The webhook's secrets are
handled by :mod:`app.services.webhooks.config` (encrypted, masked, kept on
write-back); ``actions`` is stored as :class:`app.models.alert_rule.RuleActions`."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.errors import NotFoundError, ValidationFailed
from app.core.jsontext import dumps_compact, loads_object
from app.models.alert_rule import AlertRule, RuleActions
from app.models.camera import Camera
from app.schemas.alert_rule import (
    AlertActionsIn,
    AlertActionsRead,
    AlertConditions,
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
)
from app.services.webhooks import config as webhook_config

logger = logging.getLogger("app.alerts")


def load_conditions(text: str | None) -> AlertConditions:
    """Stored conditions. Raises ``ValueError`` when this version cannot read them."""
    return AlertConditions.model_validate(loads_object(text))


def _conditions_json(conditions: AlertConditions) -> str:
    return dumps_compact(conditions.model_dump(exclude_none=True))


def _check_cameras(session: Session, conditions: AlertConditions) -> None:
    if not conditions.cameras:
        return
    found = set(session.scalars(select(Camera.id).where(Camera.id.in_(conditions.cameras))).all())
    missing = [cid for cid in conditions.cameras if cid not in found]
    if missing:
        message = "Unknown camera id(s): " + ", ".join(str(m) for m in missing)
        raise ValidationFailed(message, errors=[{"field": "conditions.cameras", "message": message}])


def _actions_json(session: Session, *, rule: AlertRule, actions: AlertActionsIn) -> str:
    stored = webhook_config.rule_webhook(rule)
    webhook = webhook_config.apply_webhook(session, rule_id=rule.id, incoming=actions.webhook, stored=stored)
    return RuleActions(dashboard_notification=actions.dashboard_notification, webhook=webhook).to_json()


def webhook_change(data: AlertRuleCreate | AlertRuleUpdate) -> Literal["set", "removed"] | None:
    """What a write does to the rule's webhook (its secrets), if anything."""
    actions = data.actions if "actions" in data.model_fields_set else None
    if actions is None or "webhook" not in actions.model_fields_set:
        return None
    return "set" if actions.webhook is not None else "removed"


def list_rules(session: Session) -> list[AlertRule]:
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)).all())


def get_rule(session: Session, *, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError(f"Alert rule {rule_id} not found.")
    return rule


def create_rule(session: Session, *, data: AlertRuleCreate) -> AlertRule:
    _check_cameras(session, data.conditions)
    now = utcnow()
    rule = AlertRule(
        name=data.name,
        is_enabled=data.is_enabled,
        cooldown_minutes=data.cooldown_minutes,
        conditions=_conditions_json(data.conditions),
        actions=RuleActions(dashboard_notification=data.actions.dashboard_notification).to_json(),
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()  # the id binds the webhook secrets to this row
    if data.actions.webhook is not None:
        rule.actions = _actions_json(session, rule=rule, actions=data.actions)
        session.flush()
    return rule


def update_rule(session: Session, *, rule_id: int, data: AlertRuleUpdate) -> AlertRule:
    rule = get_rule(session, rule_id=rule_id)
    fields = data.model_fields_set
    for name in ("name", "is_enabled", "cooldown_minutes"):
        if name in fields:
            value = getattr(data, name)
            if value is None:
                raise ValidationFailed(f"{name} cannot be null.", errors=[{"field": name, "message": "required"}])
            setattr(rule, name, value)
    if "conditions" in fields:
        conditions = data.conditions or AlertConditions()
        _check_cameras(session, conditions)
        rule.conditions = _conditions_json(conditions)
    if "actions" in fields:
        if data.actions is None:
            raise ValidationFailed("actions cannot be null.", errors=[{"field": "actions", "message": "required"}])
        rule.actions = _actions_json(session, rule=rule, actions=data.actions)
    rule.updated_at = utcnow()
    session.flush()
    return rule


def delete_rule(session: Session, *, rule_id: int) -> None:
    rule = get_rule(session, rule_id=rule_id)
    session.delete(rule)
    session.flush()


def _read_conditions(rule: AlertRule) -> AlertConditions:
    try:
        return load_conditions(rule.conditions)
    except ValueError:
        logger.warning("Alert rule %s has conditions this version cannot read; it never matches", rule.id)
        return AlertConditions()


def to_read(rule: AlertRule) -> AlertRuleRead:
    actions = RuleActions.from_json(rule.actions)
    return AlertRuleRead(
        id=rule.id,
        name=rule.name,
        is_enabled=rule.is_enabled,
        cooldown_minutes=rule.cooldown_minutes,
        conditions=_read_conditions(rule),
        actions=AlertActionsRead(
            dashboard_notification=actions.dashboard_notification,
            webhook=webhook_config.mask_webhook(actions.webhook),
        ),
        last_triggered_at=rule.last_triggered_at,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )
