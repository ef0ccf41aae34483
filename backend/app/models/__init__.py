"""SQLAlchemy models. Import everything here so Alembic and the app see one metadata."""

from app.models.alert_rule import AlertRule
from app.models.app_meta import AppMeta
from app.models.audit import AuditEntry
from app.models.camera import Camera
from app.models.event import Event, EventImage
from app.models.notification import Notification
from app.models.system_setting import SystemSetting
from app.models.user import ApiToken, AuthSession, User
from app.models.webhook import WebhookDelivery, WebhookLog

__all__ = [
    "AlertRule",
    "ApiToken",
    "AppMeta",
    "AuditEntry",
    "AuthSession",
    "Camera",
    "Event",
    "EventImage",
    "Notification",
    "SystemSetting",
    "User",
    "WebhookDelivery",
    "WebhookLog",
]
