"""Alert rule schemas.

Incoming webhook secrets (the URL, header values, the signing secret) are
``SecretStr``: their ``repr`` is ``**********`` and they are registered with the
log redactor as soon as the request body is validated. Outgoing, the service
builds :class:`WebhookRead` with masked values only.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.core.logging import register_secret
from app.core.secret_fields import CREDENTIAL_NAME_PATTERN, KNOWN_PLAIN_HEADERS, is_secret_header
from app.integrations.outbound.policy import MAX_URL_LENGTH, url_secret_parts
from app.schemas.event import normalize_labels
from app.schemas.secrets import MASK, is_mask
from app.schemas.types import Id, InputModel, UtcDatetime

MAX_COOLDOWN_MINUTES = 7 * 24 * 60
MAX_LIST = 50
MAX_KEYWORD_LENGTH = 100
MAX_HEADERS = 30
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _sorted_set(value: list[int] | None, *, low: int, high: int | None, message: str) -> list[int] | None:
    """An integer list condition: ``None`` when empty (any), else sorted, once each, in range."""
    if not value:
        return None
    if any(item < low or (high is not None and item > high) for item in value):
        raise ValueError(message)
    return sorted(set(value))


class TimeWindow(InputModel):
    """Local time of day, ``HH:MM`` (24 h). ``start`` is included, ``end`` is not;
    a window whose end is before its start wraps midnight (22:00 → 06:00)."""

    model_config = ConfigDict(extra="forbid")

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value.strip()):
            raise ValueError("must be a time of day as HH:MM (00:00 to 23:59)")
        return value.strip()

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start == self.end:
            raise ValueError("time_window start and end are equal: omit time_window to match at any time")
        return self


class AlertConditions(InputModel):
    """Every key is optional; absent (or an empty list) means "any"."""

    model_config = ConfigDict(extra="forbid")

    object_types: list[str] | None = Field(default=None, max_length=MAX_LIST)
    cameras: list[Id] | None = Field(default=None, max_length=MAX_LIST)
    min_confidence: int | None = Field(default=None, ge=0, le=100)
    time_window: TimeWindow | None = None
    days_of_week: list[int] | None = Field(default=None, max_length=7)
    keywords: list[str] | None = Field(default=None, max_length=MAX_LIST)

    @field_validator("object_types")
    @classmethod
    def _object_types(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        return normalize_labels(value, what="object_types")

    @field_validator("cameras")
    @classmethod
    def _cameras(cls, value: list[int] | None) -> list[int] | None:
        return _sorted_set(value, low=1, high=None, message="camera ids are positive integers")

    @field_validator("days_of_week")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return _sorted_set(value, low=0, high=6, message="days are 0 (Monday) to 6 (Sunday)")

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        seen: list[str] = []
        for raw in value:
            keyword = raw.strip()
            if not keyword:
                raise ValueError("keywords must not be empty")
            if len(keyword) > MAX_KEYWORD_LENGTH:
                raise ValueError(f"keywords are at most {MAX_KEYWORD_LENGTH} characters")
            if keyword.lower() not in (s.lower() for s in seen):
                seen.append(keyword)
        return seen


class WebhookIn(InputModel):
    """A webhook as written by the client.

    * ``url``: a full URL, or the masked form from a response
      (``https://host/****``) to keep the stored one;
    * ``headers``: the complete set; a value of ``"****"`` keeps the stored
      value, ``null`` or ``""`` drops the header;
    * ``secret_headers``: header names to treat as secret even when their
      name is one of the known-plain ones (``Content-Type``, ``Accept``, ...);
    * ``plain_headers``: header names whose values are not secret (stored
      and shown in clear); every other header value is secret;
    * ``signing_secret``: omitted or ``"****"`` keeps it, ``null``/``""``
      removes it, a ``whsec_...`` value replaces it.
    """

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(json_schema_extra={"minLength": 1, "maxLength": MAX_URL_LENGTH})
    headers: dict[str, SecretStr | None] = Field(default_factory=dict)
    secret_headers: list[str] = Field(default_factory=list, max_length=MAX_HEADERS)
    plain_headers: list[str] = Field(default_factory=list, max_length=MAX_HEADERS)
    signing_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _register_secrets(self) -> WebhookIn:
        # Mask these values in every log line from now on.
        url = self.url.get_secret_value()
        if not url.endswith("/" + MASK) and url != MASK:
            for part in url_secret_parts(url):
                register_secret(part)
        for name, value in self.headers.items():
            if value is None:
                continue
            plain = value.get_secret_value()
            if not is_mask(plain) and is_secret_header(name, self.secret_headers, plain=self.plain_headers):
                register_secret(plain)
        if self.signing_secret is not None and not is_mask(self.signing_secret.get_secret_value()):
            register_secret(self.signing_secret.get_secret_value())
        if len(self.headers) > MAX_HEADERS:
            raise ValueError(f"at most {MAX_HEADERS} headers")
        return self


class AlertActionsIn(InputModel):
    model_config = ConfigDict(extra="forbid")

    dashboard_notification: bool = True
    webhook: WebhookIn | None = None


class AlertRuleBase(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    is_enabled: bool = True
    cooldown_minutes: int = Field(default=5, ge=0, le=MAX_COOLDOWN_MINUTES)
    conditions: AlertConditions = Field(default_factory=AlertConditions)


class AlertRuleCreate(AlertRuleBase):
    actions: AlertActionsIn = Field(default_factory=AlertActionsIn)


# Read-only fields of AlertRuleRead: a PUT may send back what GET returned; they are ignored.
READ_ONLY_FIELDS = ("id", "last_triggered_at", "last_delivery", "created_at", "updated_at")


class AlertRuleUpdate(InputModel):
    """Partial update: only the fields present change. ``actions``, when
    present, is the complete new set of actions (masked secrets kept). The
    read-only fields of a response (:data:`READ_ONLY_FIELDS`) are accepted
    and ignored, so a client can send back the body it read."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    last_triggered_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    last_delivery: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    created_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    updated_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    # May be left out, not set to null: the schema omits null for these.
    name: Annotated[str, Field(min_length=1, max_length=100)] | SkipJsonSchema[None] = None
    is_enabled: bool | SkipJsonSchema[None] = None
    cooldown_minutes: Annotated[int, Field(ge=0, le=MAX_COOLDOWN_MINUTES)] | SkipJsonSchema[None] = None
    conditions: AlertConditions | None = None
    actions: AlertActionsIn | SkipJsonSchema[None] = None


class WebhookRead(BaseModel):
    url: str  # scheme://host[:port]/****
    headers: dict[str, str]  # secret values are "****"
    secret_headers: list[str]
    plain_headers: list[str] = Field(default_factory=list)
    signing_secret: Literal["****"] | None = None


class AlertActionsRead(BaseModel):
    dashboard_notification: bool
    webhook: WebhookRead | None


class LastDeliveryRead(BaseModel):
    """The newest finished attempt of the rule's webhook (a test send included)."""

    success: bool
    status_code: int | None = Field(description="The receiver's HTTP status; null when it gave none.")
    message: str = Field(description="What happened, in the product's words (URLs masked, never a secret).")
    at: UtcDatetime


class AlertRuleRead(BaseModel):
    id: int
    name: str
    is_enabled: bool
    cooldown_minutes: int
    conditions: AlertConditions
    actions: AlertActionsRead
    last_triggered_at: UtcDatetime | None
    last_delivery: LastDeliveryRead | None = Field(
        description="The rule's last webhook attempt; null when it has made none."
    )
    created_at: UtcDatetime
    updated_at: UtcDatetime


class HeaderPolicyRead(BaseModel):
    """How the server classifies a webhook's headers, so that a form shows each one as
    it will be stored (the server applies the same rules on save)."""

    plain_headers: list[str] = Field(
        description="names (lower case) whose values are stored in clear unless marked secret; "
        "every other header is secret unless marked plain"
    )
    credential_name_pattern: str = Field(
        description="a header whose name matches this (case-insensitive; in the syntax JavaScript and "
        "Python share) carries a credential: it is always secret and cannot be marked plain"
    )
    max_headers: int = Field(description="the most headers a webhook may have")

    @classmethod
    def current(cls) -> HeaderPolicyRead:
        return cls(
            plain_headers=sorted(KNOWN_PLAIN_HEADERS),
            credential_name_pattern=CREDENTIAL_NAME_PATTERN,
            max_headers=MAX_HEADERS,
        )


class WebhookTestResult(BaseModel):
    """The outcome of "Send test": one attempt, no retry."""

    success: bool
    status_code: int | None
    message: str
