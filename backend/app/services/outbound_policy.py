"""Where a webhook may be sent, as the services need it: the
``webhook_block_private_networks`` setting read from the database, and the
save-time URL check as a 422 (:class:`~app.core.errors.ValidationFailed`).

The policy itself is :mod:`app.integrations.outbound.policy` (pure) and the
pinned transport :mod:`app.integrations.outbound.transport`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.errors import ValidationFailed
from app.integrations.outbound.policy import (
    WEBHOOK_URL_FIELD,
    WebhookUrl,
    WebhookUrlRefused,
    check_webhook_url,
)
from app.services import settings_service

BLOCK_PRIVATE_SETTING = "webhook_block_private_networks"


def parse_webhook_url(url: str, *, block_private: bool) -> WebhookUrl:
    """Validate a webhook URL for saving (422 when refused). Error messages never contain the URL."""
    try:
        return check_webhook_url(url, block_private=block_private)
    except WebhookUrlRefused as exc:
        errors = [{"field": WEBHOOK_URL_FIELD, "message": exc.field_message}]
        raise ValidationFailed(str(exc), code=exc.code, errors=errors) from None


def block_private_networks(session: Session) -> bool:
    """The ``webhook_block_private_networks`` setting, read as the settings page shows it."""
    return bool(settings_service.get_setting(session, BLOCK_PRIVATE_SETTING))
