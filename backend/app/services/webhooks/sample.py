"""'Send test': a sample event sent through a rule's webhook now, by the real
delivery path (the outbound policy in force, the worker's pinned client and
timeout, the rule's headers and Standard Webhooks signature), one attempt and
no retry. The attempt is written to the delivery log marked ``test`` (it has
no delivery row), so it becomes the rule's ``last_delivery``.

The body says what it is: ``"type": "alert.test"`` and ``"test": true``; its
``webhook-id`` is unique (``msg_test_<random>``), so a receiver that drops
duplicates never drops a second test.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.jsontext import dumps_compact
from app.models.alert_rule import RuleActions
from app.services import outbound_policy
from app.services.alerts.rules import get_rule
from app.services.webhooks.logs import log_attempts, outcome_message
from app.services.webhooks.queue import AttemptResult, Job, clip

TEST_EVENT_TYPE = "alert.test"


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def sample_payload(*, rule_id: int, rule_name: str, now: datetime) -> dict[str, Any]:
    """A body shaped like a real alert's, clearly marked as a test."""
    return {
        "type": TEST_EVENT_TYPE,
        "test": True,
        "rule_id": rule_id,
        "rule_name": rule_name,
        "triggered_at": _iso(now),
        "event": {
            "id": None,
            "camera_id": None,
            "camera_name": "Test camera",
            "description": "A test event sent with Send test: no camera saw this.",
            "objects_detected": ["person"],
            "confidence": 90,
            "timestamp": _iso(now),
            "ai_provider": None,
        },
    }


def build_test_job(session: Session, *, rule_id: int) -> Job:
    """The test send of rule ``rule_id`` (404 unknown, 422 without a webhook).
    Ends the read transaction: nothing is held open while it is sent."""
    rule = get_rule(session, rule_id=rule_id)
    webhook = RuleActions.from_json(rule.actions).sendable_webhook
    if webhook is None:
        message = f"Alert rule {rule_id} has no webhook: add a webhook URL to the rule, then send a test."
        raise ValidationFailed(message, field="actions.webhook", code="no_webhook")
    job = Job(
        delivery_id=None,
        rule_id=rule.id,
        event_id=None,
        payload=dumps_compact(sample_payload(rule_id=rule.id, rule_name=rule.name, now=utcnow())),
        attempt=1,
        webhook=webhook,
        block_private=outbound_policy.block_private_networks(session),
        test=True,
        test_message_id=f"msg_test_{secrets.token_hex(12)}",
    )
    session.rollback()
    return job


@dataclass(frozen=True)
class SampleOutcome:
    success: bool
    status_code: int | None
    message: str


def record_test(session: Session, result: AttemptResult) -> SampleOutcome:
    """Log the test attempt in the caller's transaction; what to answer."""
    log_attempts(session, [result], now=utcnow())
    message = outcome_message(success=result.success, status_code=result.status_code, error=clip(result.error))
    return SampleOutcome(success=result.success, status_code=result.status_code, message=message)
