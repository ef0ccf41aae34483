"""Secrets checked through the app's own paths, against real local servers:
the camera test against the fake RTSP camera (Digest auth with the stored
password), the settings mask, and a webhook delivered to the receiver with its
secret headers and a valid signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from app.core.secret_fields import (
    camera_password_context,
    setting_context,
    webhook_header_context,
    webhook_url_context,
)
from tests.conftest import assert_no_leak, register_canary
from tests.fakes.fake_rtsp import FakeRtspCamera, start_in_thread
from tests.fakes.webhook_receiver import WebhookReceiver, run_receiver
from tests.migration.helpers import MARKED_HEADER, PLAIN_HEADER, SECRET_HEADER, Seeded, seed_plaintext_database

Canary = Callable[[str], str]


@dataclass
class Outside:
    camera: FakeRtspCamera
    camera_password: str
    rx: WebhookReceiver
    signing_secret: str
    signing_key: bytes


@contextmanager
def outside_world(canary: Canary) -> Iterator[Outside]:
    """A fake RTSP camera and a webhook receiver on 127.0.0.1."""
    password = canary("camera-rtsp")
    key = hashlib.sha256(canary("signing").encode()).digest()
    signing_secret = register_canary("whsec_" + base64.b64encode(key).decode())
    camera = start_in_thread(username="admin", password=password)
    try:
        with run_receiver() as rx:
            yield Outside(camera, password, rx, signing_secret, key)
    finally:
        camera.stop()


def seed_for_app(url: str, canary: Canary, outside: Outside, **kwargs: Any) -> Seeded:
    """Plaintext-era rows whose secrets open the local camera and reach the local receiver."""
    return seed_plaintext_database(
        url,
        canary,
        cameras=2,
        camera_rtsp_url=outside.camera.rtsp_url,
        first_camera_password=outside.camera_password,
        webhook_url=f"{outside.rx.url}/hook/{canary('hook-path')}",
        second_webhook_url=f"{outside.rx.url}/second/{canary('hook-path-2')}",
        signing_secret=outside.signing_secret,
        **kwargs,
    )


def exercise(client: TestClient, seeded: Seeded, outside: Outside) -> None:
    """Every kind of stored secret, used by the app as a user would."""
    responses: list[Any] = []
    camera_id = seeded.camera_ids[0]
    assert seeded.plaintexts[camera_password_context(camera_id)] == outside.camera_password

    # The camera test sends the stored password (Digest) to the fake camera, which checks it.
    test = client.post(f"/api/v1/cameras/{camera_id}/test")
    assert test.status_code == 200, test.text
    assert test.json()["success"] is True, test.text
    responses.append(test)

    # The settings mask shows the last four characters of each decrypted key.
    settings = client.get("/api/v1/settings")
    assert settings.status_code == 200
    for key in seeded.setting_keys:
        plaintext = seeded.plaintexts[setting_context(key)]
        assert settings.json()[key] == "****" + plaintext[-4:]
        assert settings.json()["secret_status"][key] == "set"
    responses.append(settings)

    rule_id = seeded.rule_ids[0]
    rule = client.get(f"/api/v1/alert-rules/{rule_id}")
    assert rule.status_code == 200
    headers = rule.json()["actions"]["webhook"]["headers"]
    assert headers == {SECRET_HEADER: "****", MARKED_HEADER: "****", PLAIN_HEADER: "application/json"}
    responses.append(rule)

    # An event triggers both webhook rules: each request arrives with the decrypted URL and headers.
    event = client.post(
        "/api/v1/events",
        json={"camera_id": camera_id, "objects_detected": ["person"], "confidence": 90, "description": "A person"},
    )
    assert event.status_code == 201, event.text
    assert set(event.json()["triggered_rules"]) >= {rule_id, seeded.rule_ids[2]}
    responses.append(event)
    arrived = {request.path: request for request in outside.rx.wait_for(2, timeout=20)}
    first_path = urlsplit(seeded.plaintexts[webhook_url_context(rule_id)]).path
    second_path = urlsplit(seeded.plaintexts[webhook_url_context(seeded.rule_ids[2])]).path
    assert set(arrived) == {first_path, second_path}
    request = arrived[first_path]
    assert request.headers["authorization"] == seeded.plaintexts[webhook_header_context(rule_id, SECRET_HEADER)]
    assert request.headers["x-custom"] == seeded.plaintexts[webhook_header_context(rule_id, MARKED_HEADER)]
    assert request.headers["content-type"] == "application/json"
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(outside.signing_key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"

    responses.append(client.get("/api/v1/webhooks/logs"))
    responses.append(client.get("/api/v1/alert-rules"))
    responses.append(client.get("/api/v1/cameras"))
    for secret in [*seeded.secrets(), outside.signing_secret]:
        assert_no_leak(secret, *responses)
