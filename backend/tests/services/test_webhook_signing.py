"""Standard Webhooks signatures: what services/webhooks/signing.py writes is
what the official verifier (the ``standardwebhooks`` package) accepts, and the
same bytes as the specification's HMAC, computed here by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.services.webhooks.signing import InvalidSigningSecret, Signer, signing_key


def _secret(seed: str) -> tuple[str, bytes]:
    key = hashlib.sha256(seed.encode()).digest()
    return "whsec_" + base64.b64encode(key).decode(), key


def test_signature_is_the_specified_hmac_and_the_official_verifier_accepts_it(canary) -> None:
    secret, key = _secret(canary("signing"))
    body = '{"type":"alert.triggered","rule_name":"Tür vorne"}'  # non-ASCII: signed as UTF-8
    timestamp = int(time.time())
    signature = Signer(secret).sign(message_id="msg_7", timestamp=timestamp, body=body)
    expected = hmac.new(key, f"msg_7.{timestamp}.".encode() + body.encode("utf-8"), hashlib.sha256).digest()
    assert signature == "v1," + base64.b64encode(expected).decode()
    headers = {"webhook-id": "msg_7", "webhook-timestamp": str(timestamp), "webhook-signature": signature}
    assert Webhook(secret).verify(body.encode("utf-8"), headers) == {
        "type": "alert.triggered",
        "rule_name": "Tür vorne",
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("vorne", "hinten").encode("utf-8"), headers)


@pytest.mark.parametrize(
    "secret",
    [
        base64.b64encode(b"k" * 32).decode(),  # no prefix
        "whsec_" + "not base64!",
        "whsec_" + base64.b64encode(b"k" * 23).decode(),  # too short
        "whsec_" + base64.b64encode(b"k" * 65).decode(),  # too long
    ],
)
def test_a_secret_outside_the_format_is_refused(secret: str) -> None:
    with pytest.raises(InvalidSigningSecret):
        signing_key(secret)
    with pytest.raises(InvalidSigningSecret):
        Signer(secret)


def test_the_signer_never_shows_its_key(canary) -> None:
    secret, key = _secret(canary("signing-repr"))
    signer = Signer(secret)
    assert secret not in repr(signer) and base64.b64encode(key).decode() not in repr(signer)
