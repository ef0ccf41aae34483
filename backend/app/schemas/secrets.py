"""How secrets cross the API boundary, shared by every schema that takes one.

Coming in, a secret is registered with the log redactor the moment it is
parsed; going out it is only ever a mask. Sending the mask back means "keep
what is stored".
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from app.core.logging import MASK, register_secret

__all__ = ["MASK", "incoming_secret", "is_mask", "is_masked_hint"]


def is_mask(value: str | None) -> bool:
    """Exactly the mask ``"****"`` (camera passwords, webhook secrets)."""
    return value == MASK


def is_masked_hint(value: str) -> bool:
    """A mask with or without its hint (``"****"`` or ``"****abcd"``, AI keys)."""
    return value.startswith(MASK)


def incoming_secret(value: Any) -> str | None:
    """Before-validator step for a secret field: unwrap, type-check, and register
    the plaintext with the redactor at once. Messages never contain the value."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        raise ValueError("must be a string")
    register_secret(value)
    return value
