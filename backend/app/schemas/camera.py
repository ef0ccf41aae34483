"""Cameras: RTSP IP cameras (URL, username, password) and USB cameras (device index).

The password is write-only: it comes in as ``SecretStr`` (registered with the
log redactor the moment it is parsed) and goes out only as ``"****"``. An
``rtsp://user:pass@host/...`` URL is split here: the credentials move to
``username``/``password`` and ``rtsp_url`` never carries them. Error messages
never contain a submitted value. See docs/API.md "Cameras".
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app.integrations.rtsp.report import ProbeErrorCode, ProbeReport
from app.integrations.rtsp.url import RtspUrl, parse_rtsp_url, register_url_credentials
from app.schemas.secrets import MASK, incoming_secret, is_mask
from app.schemas.types import InputModel, UtcDatetime

CameraType = Literal["rtsp", "usb"]
CredentialStatus = Literal["none", "set", "undecryptable"]
TestErrorCode = Literal[ProbeErrorCode, "credentials_undecryptable", "no_device", "invalid"]

MAX_PASSWORD_LENGTH = 255
MAX_USERNAME_LENGTH = 255
MAX_DEVICE_INDEX = 63

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_password(value: Any) -> Any:
    """Before-validator: register the password with the redactor at once, then
    check it. Messages never contain the value."""
    value = incoming_secret(value)
    if value is None:
        return None
    if len(value) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"is too long (at most {MAX_PASSWORD_LENGTH} characters)")
    if _CONTROL.search(value):
        raise ValueError("contains control characters (line breaks, tabs) that a camera password cannot contain")
    return value


def _stripped_text(value: Any) -> str | None:
    """A text field: stripped, and ``None`` when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip() or None


def _check_username(value: Any) -> Any:
    value = _stripped_text(value)
    if value is None:
        return None
    if len(value) > MAX_USERNAME_LENGTH:
        raise ValueError(f"is too long (at most {MAX_USERNAME_LENGTH} characters)")
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    return value


def _check_url(value: Any) -> Any:
    """The URL as stored: validated, without credentials (they were split out before)."""
    value = _stripped_text(value)
    if value is None:
        return None
    parsed = parse_rtsp_url(value)  # ValueError with a message that never echoes the URL
    if parsed.username is not None or parsed.password is not None:
        # Only reachable when the credentials could not be split (a conflict was reported).
        raise ValueError("must not contain credentials; use the username and password fields")
    return parsed.public_url()


def _check_name(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if _CONTROL.search(value):
            raise ValueError("contains control characters")
    return value


PasswordInput = Annotated[SecretStr | None, BeforeValidator(_check_password)]
UsernameInput = Annotated[str | None, BeforeValidator(_check_username)]
UrlInput = Annotated[str | None, BeforeValidator(_check_url)]
Name = Annotated[str, BeforeValidator(_check_name), StringConstraints(min_length=1, max_length=100)]
DeviceIndex = Annotated[int, Field(ge=0, le=MAX_DEVICE_INDEX, strict=True)]

_READ_ONLY = ("id", "credential_status", "created_at", "updated_at", "last_test", "snapshot_url")


def _split_url_credentials(data: Any) -> Any:
    """Move credentials found in ``rtsp_url`` into ``username``/``password``.

    Runs on the raw request body, before field validation, so the password
    never reaches the stored URL. A password given both ways and differing is
    refused (422) rather than guessed.
    """
    if not isinstance(data, dict):
        return data
    raw = data.get("rtsp_url")
    if not isinstance(raw, str):
        return data
    register_url_credentials(raw)
    try:
        parsed = parse_rtsp_url(raw.strip())
    except ValueError:
        return data  # the field validator reports it, with the field's name
    if parsed.username is None and parsed.password is None:
        return data
    data = dict(data)
    data["rtsp_url"] = parsed.public_url()
    _merge_url_credential(data, "username", parsed.username)
    _merge_url_credential(data, "password", parsed.password)
    return data


def _merge_url_credential(data: dict[str, Any], field: str, from_url: str | None) -> None:
    if from_url is None:
        return
    given = data.get(field)
    if isinstance(given, SecretStr):
        given = given.get_secret_value()
    if given is None or (isinstance(given, str) and (given.strip() == "" or is_mask(given))):
        data[field] = from_url
    elif given != from_url:
        raise ValueError(f"the {field} is given both in rtsp_url and in {field}, and they differ: give it once")


class _Input(InputModel):
    """Shared by create, update and test bodies."""

    model_config = ConfigDict(extra="forbid")

    # Read-only fields a client may send back from a GET: accepted, then ignored.
    id: Any = Field(default=None, exclude=True)
    credential_status: Any = Field(default=None, exclude=True)
    created_at: Any = Field(default=None, exclude=True)
    updated_at: Any = Field(default=None, exclude=True)
    last_test: Any = Field(default=None, exclude=True)
    snapshot_url: Any = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _split_credentials(cls, data: Any) -> Any:
        return _split_url_credentials(data)

    def given(self) -> set[str]:
        """The fields this request sent (read-only ones left out)."""
        return set(self.model_fields_set) - set(_READ_ONLY)

    def __repr__(self) -> str:
        shown = []
        for name in sorted(self.given()):
            value = getattr(self, name)
            shown.append(f"{name}=***" if name == "password" and value is not None else f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__

    def password_text(self) -> str | None:
        """The submitted password, for the service (the only place it is read)."""
        value: SecretStr | None = getattr(self, "password", None)
        return value.get_secret_value() if value is not None else None


def type_field_problem(
    kind: str, *, rtsp_url: str | None, username: str | None, password: str | None, device_index: int | None
) -> tuple[str, str] | None:
    """The first field that does not fit a camera of type ``kind``, and why; ``None``
    when all fit. The schema checks a create or test body with it, the camera
    service a partial update merged with the stored camera."""
    if kind == "rtsp":
        if not rtsp_url:
            return "rtsp_url", "rtsp_url is required for an RTSP camera"
        if device_index is not None:
            return "device_index", "device_index is only for USB cameras"
        return None
    if rtsp_url is not None:
        return "rtsp_url", "a USB camera has no rtsp_url"
    if password not in (None, ""):
        return "password", "a USB camera has no password"
    if username is not None:
        return "username", "a USB camera has no username"
    if device_index is None:
        return "device_index", "device_index (0-63) is required for a USB camera"
    return None


class CameraBase(BaseModel):
    name: str
    type: CameraType
    rtsp_url: str | None = None
    username: str | None = None
    device_index: int | None = None
    is_enabled: bool = True


class CameraCreate(_Input):
    name: Name
    type: CameraType
    rtsp_url: UrlInput = None
    username: UsernameInput = None
    password: PasswordInput = None
    device_index: DeviceIndex | None = None
    is_enabled: bool = True

    @model_validator(mode="after")
    def _type_fields(self) -> CameraCreate:
        problem = type_field_problem(
            self.type,
            rtsp_url=self.rtsp_url,
            username=self.username,
            password=self.password_text(),
            device_index=self.device_index,
        )
        if problem is not None:
            raise ValueError(problem[1])
        return self


class CameraTestRequest(CameraCreate):
    """``POST /cameras/test``: the create body; the name is optional (nothing is stored)."""

    name: Name | None = None  # type: ignore[assignment]

    @field_validator("password")
    @classmethod
    def _not_masked(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and is_mask(value.get_secret_value()):
            raise ValueError(
                "is the masked form: enter the password itself to test unsaved details "
                "(POST /api/v1/cameras/{id}/test uses the stored one)"
            )
        return value


class CameraUpdate(_Input):
    """A partial update. ``password``: omitted or ``"****"`` keeps, ``null`` or
    ``""`` removes, anything else replaces. Type-dependent checks run in the
    service against the merged camera. ``name``, ``type`` and ``is_enabled``
    may be left out but not set to ``null`` (the schema says so too)."""

    name: Name | SkipJsonSchema[None] = None
    type: CameraType | SkipJsonSchema[None] = None
    rtsp_url: UrlInput = None
    username: UsernameInput = None
    password: PasswordInput = None
    device_index: DeviceIndex | None = None
    is_enabled: bool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _not_null(self) -> CameraUpdate:
        for field in ("name", "type", "is_enabled"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class CameraStatus(BaseModel):
    """How the last connection test went (what a viewer sees of it)."""

    success: bool
    at: UtcDatetime


class CameraLastTest(CameraStatus):
    """The last connection test, remembered (never a credential in it)."""

    error_code: str | None = None
    message: str
    codecs: list[str] = Field(default_factory=list)
    resolution: str | None = None


class CameraRead(CameraBase):
    id: int
    password: Literal["****"] | None = None
    credential_status: CredentialStatus = "none"
    created_at: UtcDatetime
    updated_at: UtcDatetime
    last_test: CameraLastTest | None = Field(default=None, description="null: never tested")
    snapshot_url: str | None = Field(default=None, description="the frame of the last successful test (GET)")


class CameraBrief(BaseModel):
    """What a viewer sees of a camera: its name and state, nothing about how to reach it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type: CameraType
    is_enabled: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime
    last_test: CameraStatus | None = None
    snapshot_url: str | None = None


class CameraTestResult(ProbeReport):
    """The outcome of a camera connection test, with a frame when one came in time."""

    error_code: TestErrorCode | None = None
    snapshot: str | None = Field(
        default=None, description="data:image/jpeg;base64,... a frame of the stream, or null when none came in time"
    )


__all__ = [
    "MASK",
    "CameraBase",
    "CameraBrief",
    "CameraCreate",
    "CameraLastTest",
    "CameraRead",
    "CameraStatus",
    "CameraTestRequest",
    "CameraTestResult",
    "CameraType",
    "CameraUpdate",
    "CredentialStatus",
    "RtspUrl",
    "is_mask",
]
