"""Requests and answers of the AI endpoints (docs/API.md "Test an AI key", "Describe an image")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from app.schemas.settings import ApiKeyInput, Provider
from app.schemas.types import InputModel


class KeyTestBase(BaseModel):
    provider: Provider


class KeyTestCreate(KeyTestBase, InputModel):
    """``api_key`` absent, ``null`` or a masked form (``"****abcd"``): test the stored key."""

    model_config = ConfigDict(extra="forbid")

    api_key: ApiKeyInput = None

    @field_validator("api_key")
    @classmethod
    def _not_blank(cls, value: object) -> object:
        if isinstance(value, SecretStr) and value.get_secret_value() == "":
            raise ValueError("is empty: enter a key, or leave the field out to test the stored key")
        return value

    def __repr__(self) -> str:
        return f"KeyTestCreate(provider={self.provider!r}, api_key=***)"


class KeyTestRead(KeyTestBase):
    valid: bool
    message: str
    outcome: str


class DescribeAttempt(BaseModel):
    provider: str
    outcome: str
    message: str


class DescriptionRead(BaseModel):
    description: str
    provider: str
    model: str
    attempts: list[DescribeAttempt] = Field(default_factory=list)
