"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the
``standardwebhooks`` package.

The wire format: ``webhook-id`` (``msg_<delivery id>``, the same on every
attempt), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,`` + base64 of HMAC-SHA256 over ``id.timestamp.body``). A secret is
``whsec_`` + base64 of 24 to 64 random bytes; it is checked here more strictly
than the package does (it pads and accepts any length).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from standardwebhooks import Webhook

SIGNING_PREFIX = "whsec_"


class InvalidSigningSecret(ValueError):
    """A signing secret is not ``whsec_`` + base64 of 24 to 64 bytes."""


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret ``whsec_<base64>``."""
    if not secret.startswith(SIGNING_PREFIX):
        raise InvalidSigningSecret("missing prefix")
    try:
        key = base64.b64decode(secret[len(SIGNING_PREFIX) :], validate=True)
    except binascii.Error:
        raise InvalidSigningSecret("not base64") from None
    if not 24 <= len(key) <= 64:
        raise InvalidSigningSecret("bad length")
    return key


class Signer:
    """Signs the messages of one webhook. ``repr`` never shows the key."""

    __slots__ = ("_webhook",)

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(signing_key(secret))

    def __repr__(self) -> str:
        return "Signer(***)"

    def sign(self, *, message_id: str, timestamp: int, body: str) -> str:
        """The ``webhook-signature`` header of ``body`` (sent as UTF-8)."""
        return self._webhook.sign(msg_id=message_id, timestamp=datetime.fromtimestamp(timestamp, UTC), data=body)
