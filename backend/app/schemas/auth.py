"""Accounts: sign-in, users, API tokens, the audit trail, key status."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
)

from app.schemas.types import InputModel

Role = Literal["admin", "viewer"]

USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"
USERNAME_RULE = "Use 1 to 64 letters, digits, dots, dashes, underscores or @."


def username_problem(name: str) -> str | None:
    """Why ``name`` (already stripped) cannot be a username, in the user's words; ``None`` when it can."""
    return None if re.fullmatch(USERNAME_PATTERN, name) else USERNAME_RULE


def _check_username(name: str) -> str:
    problem = username_problem(name)
    if problem:
        raise ValueError(problem)
    return name


# The rule is checked by a validator (its message is the user's, not the pattern's
# text) and still published in the OpenAPI schema.
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_check_username),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64, "pattern": USERNAME_PATTERN}),
]
# Long enough for any sane password; the policy (12+ characters, not common)
# is checked by the service, so its message can name the field.
Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]


@overload
def iso_utc(value: datetime) -> str: ...


@overload
def iso_utc(value: None) -> None: ...


def iso_utc(value: datetime | None) -> str | None:
    """Naive UTC datetimes from the database as RFC 3339 with an offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UtcModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Credentials(InputModel):
    username: Annotated[str, StringConstraints(max_length=256)]
    password: Password


class SetupRequest(InputModel):
    username: Username
    password: Password


class UserBrief(BaseModel):
    id: int
    username: str
    role: Role


class Me(UserBrief):
    auth: Literal["session", "token", "proxy"]


class LoginResult(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type name
    expires_at: datetime
    user: UserBrief

    @field_serializer("expires_at")
    def _expires(self, value: datetime) -> str | None:
        return iso_utc(value)


class AuthStatus(BaseModel):
    setup_required: bool


class PasswordChange(InputModel):
    current_password: Password
    new_password: Password


class UserRead(UtcModel):
    id: int
    username: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None

    @field_serializer("created_at", "last_login_at")
    def _times(self, value: datetime | None) -> str | None:
        return iso_utc(value)


class UserCreate(InputModel):
    username: Username
    password: Password
    role: Role = "viewer"
    is_active: bool = True


class UserUpdate(InputModel):
    """Partial update; read-only fields of :class:`UserRead` are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    username: Username | None = None
    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None


class TokenCreate(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    role: Role = "viewer"
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class TokenRead(UtcModel):
    id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    created_by: str | None = None

    @field_serializer("created_at", "expires_at", "last_used_at")
    def _times(self, value: datetime | None) -> str | None:
        return iso_utc(value)


class TokenCreated(BaseModel):
    id: int
    name: str
    role: Role
    token: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None = None

    @field_serializer("created_at", "expires_at")
    def _times(self, value: datetime | None) -> str | None:
        return iso_utc(value)


class AuditRead(UtcModel):
    id: int
    at: datetime
    actor: str
    address: str | None = None
    action: str
    target: str | None = None
    outcome: str

    @field_serializer("at")
    def _at(self, value: datetime) -> str | None:
        return iso_utc(value)


class AuditPage(BaseModel):
    items: list[AuditRead]
    total: int
    limit: int
    offset: int
