"""Column types shared by the models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

from app.core.encryption import is_encrypted


class PlaintextSecretRefused(ValueError):
    """Raised when code tries to store a plaintext value in a secret column."""


class EncryptedText(TypeDecorator[str]):
    """A Text column that only accepts ``encrypted:`` values (or NULL).

    It never encrypts or decrypts by itself: services encrypt with the row's
    context before writing, and decrypt explicitly where the secret is used.
    Storing anything else is a programming error and refused loudly.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and not is_encrypted(value):
            raise PlaintextSecretRefused("refusing to store a plaintext value in an encrypted column")
        return value
