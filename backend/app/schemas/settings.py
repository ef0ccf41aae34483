"""System settings: the non-secret AI and webhook options, and the AI keys.

Keys come in as ``SecretStr`` (write-only); responses carry only their masked
form (``"****"`` + last four characters). See docs/API.md "Settings".
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, StrictBool, field_validator

from app.core.logging import register_secret
from app.schemas.secrets import incoming_secret
from app.schemas.types import InputModel

Provider = Literal["openai", "anthropic", "google", "grok"]
SecretStatus = Literal["set", "unset", "undecryptable"]

MAX_API_KEY_LENGTH = 512

DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-3-5-haiku-latest",
    "google": "gemini-2.0-flash",
    "grok": "grok-2-vision-latest",
}
DEFAULT_PROMPT = (
    "Describe what happens in this security camera image in one or two sentences: "
    "who or what is visible, what they are doing, and anything unusual. Be factual and concise."
)
DEFAULT_MAX_TOKENS = 300

_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]*$")
# Printable ASCII without spaces: what an API key can be in an HTTP header.
_KEY_RE = re.compile(r"^[\x21-\x7e]+$")


def check_api_key(value: Any) -> Any:
    """Before-validator for an incoming key: register it with the log redactor
    at once, then check its shape. Error messages never contain the value."""
    value = incoming_secret(value)
    if value is None:
        return None
    value = value.strip()
    register_secret(value)
    if len(value) > MAX_API_KEY_LENGTH:
        raise ValueError(f"is too long (at most {MAX_API_KEY_LENGTH} characters)")
    if value and not _KEY_RE.match(value):
        raise ValueError("contains spaces or characters that an API key cannot contain")
    return value


ApiKeyInput = Annotated[SecretStr | None, BeforeValidator(check_api_key)]
# A dot is never followed by another: no ".." (a model name is part of a provider URL path).
MODEL_NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9_:/\-]|\.[A-Za-z0-9_:/\-])*\.?$"
ModelName = Annotated[str, Field(min_length=1, max_length=100, pattern=MODEL_NAME_PATTERN)]


def _check_model(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or not _MODEL_RE.match(value) or ".." in value:
        raise ValueError("must be a model name such as gpt-4o-mini (letters, digits, . _ : / -)")
    return value


class SettingsBase(BaseModel):
    """The non-secret settings, with their defaults."""

    ai_primary_provider: Provider | None = None
    ai_fallback_order: list[Provider] = Field(default_factory=list, max_length=4)
    ai_model_openai: ModelName = DEFAULT_MODELS["openai"]
    ai_model_anthropic: ModelName = DEFAULT_MODELS["anthropic"]
    ai_model_google: ModelName = DEFAULT_MODELS["google"]
    ai_model_grok: ModelName = DEFAULT_MODELS["grok"]
    ai_description_prompt: str = Field(default=DEFAULT_PROMPT, min_length=1, max_length=2000)
    ai_max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, ge=16, le=4096, strict=True)
    webhook_block_private_networks: StrictBool = False

    @field_validator("ai_model_openai", "ai_model_anthropic", "ai_model_google", "ai_model_grok")
    @classmethod
    def _model(cls, value: str) -> str:
        checked = _check_model(value)
        if checked is None:  # the field is a str: None never gets here
            raise ValueError("must be a model name")
        return checked

    @field_validator("ai_fallback_order")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a provider more than once")
        return value


class KeyHealthRead(BaseModel):
    """The last use of a stored provider key (a key test or a description)."""

    outcome: str = Field(description="valid, invalid_key, permission_denied, no_quota, rate_limited, unreachable, ...")
    message: str
    at: str = Field(description="when (RFC 3339, UTC)")


class SettingsRead(SettingsBase):
    ai_api_key_openai: str | None = None
    ai_api_key_anthropic: str | None = None
    ai_api_key_google: str | None = None
    ai_api_key_grok: str | None = None
    secret_status: dict[str, SecretStatus] = Field(default_factory=dict)
    key_health: dict[str, KeyHealthRead | None] = Field(
        default_factory=dict,
        description="per provider: the last use of its stored key; null when none is stored or it was never tested",
    )


class SettingsUpdate(InputModel):
    """A partial update: absent fields are left alone; ``null`` resets a setting
    to its default and removes a key; a masked key (``"****abcd"``) keeps it."""

    model_config = ConfigDict(extra="forbid")

    ai_api_key_openai: ApiKeyInput = None
    ai_api_key_anthropic: ApiKeyInput = None
    ai_api_key_google: ApiKeyInput = None
    ai_api_key_grok: ApiKeyInput = None

    ai_primary_provider: Provider | None = None
    ai_fallback_order: list[Provider] | None = Field(
        default=None, max_length=4, json_schema_extra={"uniqueItems": True}
    )
    ai_model_openai: ModelName | None = None
    ai_model_anthropic: ModelName | None = None
    ai_model_google: ModelName | None = None
    ai_model_grok: ModelName | None = None
    ai_description_prompt: str | None = Field(default=None, min_length=1, max_length=2000)
    ai_max_tokens: int | None = Field(default=None, ge=16, le=4096, strict=True)
    webhook_block_private_networks: StrictBool | None = None

    # Read-only: accepted so a client can send back what GET returned, then ignored.
    secret_status: dict[str, Any] | None = Field(default=None, exclude=True)
    key_health: dict[str, Any] | None = Field(default=None, exclude=True)

    @field_validator("ai_model_openai", "ai_model_anthropic", "ai_model_google", "ai_model_grok")
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        return _check_model(value)

    @field_validator("ai_fallback_order")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("lists a provider more than once")
        return value

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}=***" if name.startswith("ai_api_key_") else f"{name}={getattr(self, name)!r}"
            for name in sorted(self.model_fields_set)
        )
        return f"SettingsUpdate({fields})"
