"""Issue 14, item 5: an event you can open: its image (stored encrypted, served
only to signed-in users), why it has no description and each AI attempt, the
rules it fired and their deliveries."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models.camera import Camera
from tests.api.test_webhooks import fast_worker, wait_until
from tests.conftest import assert_no_leak, captured_logs, signed_in
from tests.fakes.webhook_receiver import run_receiver

EVENTS = "/api/v1/events"
RULES = "/api/v1/alert-rules"


@pytest.fixture
def settings(ai_settings):
    return ai_settings


@pytest.fixture
def app(ai_app):
    fast_worker(ai_app)
    with ai_app.state.session_factory() as session:
        session.add(Camera(name="Front door", type="rtsp"))
        session.commit()
    return ai_app


def _png(marker: str) -> bytes:
    """A PNG header followed by a unique marker: its bytes must never be in the database."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + marker.encode() * 8


def _post_with_image(client: Any, image: bytes, **fields: str) -> Any:
    data = {"camera_id": "1", "objects_detected": '["person"]', "confidence": "80", **fields}
    response = client.post(EVENTS, data=data, files={"image": ("snap.png", image, "image/png")})
    assert response.status_code == 201, response.text
    return response.json()


def _db_bytes(db_path: Any) -> bytes:
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_an_event_with_a_failed_ai_description_opens_with_its_image_and_attempts(client, fake, db_path, canary):
    key = canary("openai") + "-bad"
    marker = canary("image-bytes")
    image = _png(marker)
    client.put("/api/v1/settings", json={"ai_api_key_openai": key})
    created = _post_with_image(client, image)
    assert created["description"] == ""
    assert created["description_error"] == "No AI provider could describe the image."

    detail = client.get(f"{EVENTS}/{created['id']}")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["description_error"] == "No AI provider could describe the image."
    assert body["ai_attempts"] == [
        {"provider": "openai", "outcome": "invalid_key", "message": body["ai_attempts"][0]["message"]}
    ]
    assert "rejected the stored key" in body["ai_attempts"][0]["message"]
    assert body["camera_name"] == "Front door"
    assert body["has_image"] is True
    assert body["image_url"] == f"/api/v1/events/{created['id']}/image"
    listed = client.get(EVENTS).json()["items"][0]
    assert listed["description_error"] == body["description_error"]

    served = client.get(body["image_url"])
    assert served.status_code == 200
    assert served.content == image
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "private, no-store"
    # Stored encrypted: neither the image nor the key is anywhere in the database files.
    assert marker.encode() not in _db_bytes(db_path)
    assert_no_leak(key, created, detail, db_path, captured_logs())


def test_an_event_lists_the_rules_it_fired_and_their_deliveries(client, app, fake):
    with run_receiver() as rx:
        hook = client.post(
            RULES,
            json={
                "name": "Door webhook",
                "cooldown_minutes": 0,
                "actions": {"dashboard_notification": True, "webhook": {"url": rx.url + "/hook"}},
            },
        ).json()
        quiet = client.post(RULES, json={"name": "Dashboard only", "cooldown_minutes": 0}).json()
        event = client.post(EVENTS, json={"camera_id": 1, "objects_detected": ["person"], "confidence": 90}).json()
        rx.wait_for(1)
        url = f"{EVENTS}/{event['id']}"
        body = wait_until(lambda: (b := client.get(url).json())["deliveries"][0]["status"] == "delivered" and b)
    assert body["rules"] == [{"id": hook["id"], "name": "Door webhook"}, {"id": quiet["id"], "name": "Dashboard only"}]
    (delivery,) = body["deliveries"]
    assert delivery["rule_id"] == hook["id"]
    assert delivery["attempts"] == 1
    assert delivery["next_attempt_at"] is None
    assert delivery["last_attempt"]["success"] is True
    assert delivery["last_attempt"]["status_code"] == 200
    assert body["has_image"] is False and body["image_url"] is None
    assert body["ai_attempts"] == []
    # A rule deleted since keeps its id, without a name.
    client.delete(f"{RULES}/{quiet['id']}")
    assert client.get(url).json()["rules"][1] == {"id": quiet["id"], "name": None}


def test_unknown_events_and_missing_images_are_404(client):
    assert client.get(f"{EVENTS}/999").status_code == 404
    event = client.post(EVENTS, json={"camera_id": 1, "objects_detected": ["cat"], "confidence": 50}).json()
    missing = client.get(f"{EVENTS}/{event['id']}/image")
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"Event {event['id']} has no image."
    assert client.get(f"{EVENTS}/abc").status_code == 422


def test_viewers_open_events_and_images_and_strangers_get_nothing(client, app, canary):
    image = _png(canary("viewer-image"))
    created = _post_with_image(client, image, description="A parcel")
    viewer = signed_in(app, username="viewer-detail", role="viewer")
    assert viewer.get(f"{EVENTS}/{created['id']}").json()["description"] == "A parcel"
    assert viewer.get(f"{EVENTS}/{created['id']}/image").content == image
    stranger = TestClient(app)
    for path in (f"{EVENTS}/{created['id']}", f"{EVENTS}/{created['id']}/image"):
        answer = stranger.get(path)
        assert answer.status_code == 401
        assert image not in answer.content


def test_an_image_that_cannot_be_decrypted_is_a_clear_503(client, db_session, canary):
    from sqlalchemy import text

    first = _post_with_image(client, _png(canary("first")), description="one")
    second = _post_with_image(client, _png(canary("second")), description="two")
    # A key copied from another event's row does not open this one (bound to its place).
    db_session.execute(
        text(
            "UPDATE event_images SET data_key = (SELECT data_key FROM event_images WHERE event_id = :a) "
            "WHERE event_id = :b"
        ),
        {"a": first["id"], "b": second["id"]},
    )
    db_session.commit()
    answer = client.get(f"{EVENTS}/{second['id']}/image")
    assert answer.status_code == 503
    assert answer.json()["code"] == "image_undecryptable"
    assert client.get(f"{EVENTS}/{first['id']}/image").status_code == 200
    assert client.get(f"{EVENTS}/{second['id']}").json()["has_image"] is True


def test_event_image_keys_are_counted_as_a_secret_place(client, canary):
    _post_with_image(client, _png(canary("counted")), description="counted")
    status = client.get("/api/v1/encryption/status").json()
    places = {p["place"]: p for p in status["places"]} if isinstance(status["places"], list) else status["places"]
    assert places["event_images.data_key"]["primary"] == 1


def test_images_survive_a_key_rotation_and_open_with_the_new_key_alone(tmp_path, canary):
    from app.core import encryption
    from app.main import create_app
    from tests.conftest import SESSION_KEY, make_settings
    from tests.migration.helpers import cli_env, new_key, run_cli

    url = f"sqlite:///{tmp_path / 'rotated.db'}"
    image = _png(canary("rotated-image"))
    app = create_app(make_settings(url))
    with signed_in(app) as client:
        client.post("/api/v1/cameras", json={"name": "Porch", "type": "usb", "device_index": 0})
        created = _post_with_image(client, image, description="before the rotation")
    new = new_key()
    result = run_cli(["rotate-key"], cli_env(tmp_path, url, new, [SESSION_KEY]))
    assert result.returncode == 0, result.stderr
    assert "event_images.data_key" in result.stdout
    encryption.reset_keys()
    rotated = create_app(make_settings(url, encryption_key=new))
    with signed_in(rotated, username="after-rotation") as client:
        assert client.get(f"{EVENTS}/{created['id']}/image").content == image


def test_a_disabled_camera_s_events_are_stored_but_fire_no_rule(client, app):
    client.post(RULES, json={"name": "Anything", "cooldown_minutes": 0})
    with app.state.session_factory() as session:
        session.add(Camera(name="Garage", type="rtsp", is_enabled=False))
        session.commit()
    enabled = client.post(EVENTS, json={"camera_id": 1, "objects_detected": ["cat"], "confidence": 50}).json()
    disabled = client.post(EVENTS, json={"camera_id": 2, "objects_detected": ["cat"], "confidence": 50}).json()
    assert enabled["triggered_rules"] == [1] and enabled["rules_skipped"] is None
    assert disabled["triggered_rules"] == []
    assert disabled["rules_skipped"] == "The camera is disabled: the event is stored but fires no rule."
    detail = client.get(f"{EVENTS}/{disabled['id']}").json()
    assert detail["rules"] == [] and detail["rules_skipped"] == disabled["rules_skipped"]
    assert [n["event_id"] for n in client.get("/api/v1/notifications").json()["items"]] == [enabled["id"]]
