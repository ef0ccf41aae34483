"""Events over HTTP: ingest (JSON and multipart with an image), validation,
listing with filters and paging, and the alert engine run on ingest."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.models.camera import Camera
from tests.conftest import assert_no_leak, make_settings, signed_in

EVENTS = "/api/v1/events"
RULES = "/api/v1/alert-rules"
# a 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def cameras(app) -> list[int]:
    session = app.state.session_factory()
    cams = [Camera(name="Front", type="rtsp"), Camera(name="Garden", type="rtsp")]
    session.add_all(cams)
    session.commit()
    ids = [c.id for c in cams]
    session.close()
    return ids


def _event(**values: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"camera_id": 1, "objects_detected": ["person"], "confidence": 80, "description": "x"}
    body.update(values)
    return body


def test_ingest_json_and_read_back(client, cameras) -> None:
    rule = client.post(
        RULES, json={"name": "People", "cooldown_minutes": 0, "conditions": {"object_types": ["person"]}}
    )
    response = client.post(
        EVENTS,
        json={
            "camera_id": cameras[0],
            "description": "  A person at the door  ",
            "objects_detected": ["Person", "dog", "person"],
            "confidence": 88,
            "timestamp": "2026-06-01T23:30:00+02:00",
        },
    )
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["triggered_rules"] == [rule.json()["id"]]
    assert event["description"] == "A person at the door"
    assert event["objects_detected"] == ["person", "dog"]
    assert event["timestamp"] == "2026-06-01T21:30:00Z"
    assert event["ai_provider"] is None
    assert event["description_error"] is None
    listed = client.get(EVENTS).json()
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert item == {k: v for k, v in event.items() if k != "triggered_rules"}


def test_ingest_without_timestamp_uses_now(client, cameras) -> None:
    event = client.post(EVENTS, json=_event(camera_id=cameras[0])).json()
    assert event["timestamp"] == event["created_at"]
    assert event["triggered_rules"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"confidence": 101}, "confidence"),
        ({"confidence": -1}, "confidence"),
        ({"camera_id": "front"}, "camera_id"),
        ({"objects_detected": "person"}, "objects_detected"),
        ({"objects_detected": [""]}, "objects_detected"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_invalid_events_get_422(client, cameras, change: dict, field: str) -> None:
    response = client.post(EVENTS, json={**_event(camera_id=cameras[0]), **change})
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert client.get(EVENTS).json()["total"] == 0


def test_missing_fields_and_bad_json(client, cameras) -> None:
    response = client.post(EVENTS, json={"camera_id": cameras[0]})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"confidence"}  # objects_detected defaults to []
    broken = client.post(EVENTS, content=b'{"camera_id": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 422


def test_unknown_camera(client, cameras) -> None:
    response = client.post(EVENTS, json=_event(camera_id=999))
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_camera"


def test_list_filters_and_paging(client, cameras) -> None:
    for hour in range(5):
        client.post(EVENTS, json=_event(camera_id=cameras[hour % 2], timestamp=f"2026-06-01T1{hour}:00:00Z"))
    page = client.get(EVENTS, params={"limit": 2}).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 0)
    assert [i["timestamp"] for i in page["items"]] == ["2026-06-01T14:00:00Z", "2026-06-01T13:00:00Z"]
    second = client.get(EVENTS, params={"limit": 2, "offset": 2}).json()
    assert [i["timestamp"] for i in second["items"]] == ["2026-06-01T12:00:00Z", "2026-06-01T11:00:00Z"]
    garden = client.get(EVENTS, params={"camera_id": cameras[1]}).json()
    assert garden["total"] == 2
    assert {i["camera_id"] for i in garden["items"]} == {cameras[1]}
    window = client.get(EVENTS, params={"since": "2026-06-01T11:00:00Z", "until": "2026-06-01T13:00:00Z"}).json()
    assert [i["timestamp"] for i in window["items"]] == ["2026-06-01T12:00:00Z", "2026-06-01T11:00:00Z"]
    assert client.get(EVENTS, params={"limit": 201}).status_code == 422
    assert client.get(EVENTS, params={"offset": -1}).status_code == 422


def test_multipart_with_description_does_not_call_ai(client, cameras) -> None:
    response = client.post(
        EVENTS,
        data={"camera_id": str(cameras[0]), "description": "A cat", "objects_detected": '["cat"]', "confidence": "55"},
        files={"image": ("snap.png", PNG, "image/png")},
    )
    assert response.status_code == 201, response.text
    event = response.json()
    assert (event["description"], event["objects_detected"], event["ai_provider"]) == ("A cat", ["cat"], None)


def test_multipart_objects_as_list_or_csv(client, cameras) -> None:
    csv = client.post(
        EVENTS, data={"camera_id": str(cameras[0]), "objects_detected": "person, car", "confidence": "50"}
    )
    assert csv.status_code == 201, csv.text
    assert csv.json()["objects_detected"] == ["person", "car"]
    repeated = client.post(
        EVENTS,
        data={"camera_id": str(cameras[0]), "objects_detected": ["dog", "cat"], "confidence": "50", "description": "d"},
    )
    assert repeated.json()["objects_detected"] == ["dog", "cat"]


def test_multipart_refuses_non_images_and_bad_fields(client, cameras) -> None:
    not_image = client.post(
        EVENTS,
        data={"camera_id": str(cameras[0]), "objects_detected": "[]", "confidence": "50"},
        files={"image": ("x.png", b"<html>not an image</html>", "image/png")},
    )
    assert not_image.status_code == 422
    assert not_image.json()["code"] == "invalid_image"
    bad = client.post(EVENTS, data={"camera_id": str(cameras[0]), "objects_detected": "[", "confidence": "50"})
    assert bad.status_code == 422
    bad_conf = client.post(EVENTS, data={"camera_id": str(cameras[0]), "confidence": "lots"})
    assert bad_conf.status_code == 422
    assert client.get(EVENTS).json()["total"] == 0


def test_image_without_ai_provider_is_stored_with_the_reason(client, cameras) -> None:
    client.post(RULES, json={"name": "Any person", "cooldown_minutes": 0, "conditions": {"object_types": ["person"]}})
    response = client.post(
        EVENTS,
        data={"camera_id": str(cameras[0]), "objects_detected": "person", "confidence": "70"},
        files={"image": ("snap.png", PNG, "image/png")},
    )
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["description"] == ""
    assert event["description_error"]
    assert event["triggered_rules"]  # an alert on objects still fires when the AI is down


@pytest.fixture
def fake_ai() -> Iterator[Any]:
    from tests.fakes.fake_provider import running

    with running() as fake:
        yield fake


def test_image_described_by_the_ai_service(db_path, fake_ai, canary) -> None:
    from app.main import create_app

    key = canary("openai") + "-ok"
    app = create_app(make_settings(f"sqlite:///{db_path}", **fake_ai.base_urls()))
    with signed_in(app) as client:
        saved = client.put("/api/v1/settings", json={"ai_api_key_openai": key, "ai_primary_provider": "openai"})
        assert saved.status_code == 200, saved.text
        with app.state.session_factory() as session:
            session.add(Camera(name="Porch", type="rtsp"))
            session.commit()
        client.post(RULES, json={"name": "Described", "cooldown_minutes": 0, "conditions": {"keywords": ["openai"]}})
        response = client.post(
            EVENTS,
            data={"camera_id": "1", "objects_detected": '["person"]', "confidence": "80"},
            files={"image": ("snap.png", PNG, "image/png")},
        )
        assert response.status_code == 201, response.text
        event = response.json()
        assert event["ai_provider"] == "openai"
        assert event["description"]
        assert event["triggered_rules"] == [1]  # the rule matched the AI-written description
        assert fake_ai.requests  # the fake provider was really asked
        assert_no_leak(key, response, json.dumps(client.get(EVENTS).json()))


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google", "grok"])
def test_a_key_repeated_in_a_successful_answer_goes_nowhere(db_path, fake_ai, canary, provider) -> None:
    """Issue 12, item 1: a provider echoing the key in its description (as sent,
    upper-cased, percent-encoded) must not put it into the event, the
    notifications, the database or the outgoing webhook."""
    from urllib.parse import quote

    from app.main import create_app
    from tests.fakes.webhook_receiver import run_receiver

    key = canary(provider) + "/x+y-echo"
    forms = [key, key.upper(), key.lower(), quote(key, safe="")]
    app = create_app(make_settings(f"sqlite:///{db_path}", **fake_ai.base_urls()))
    app.state.webhook_worker.poll_interval = 0.05
    with run_receiver() as rx, signed_in(app) as client:
        saved = client.put("/api/v1/settings", json={f"ai_api_key_{provider}": key, "ai_primary_provider": provider})
        assert saved.status_code == 200, saved.text
        with app.state.session_factory() as session:
            session.add(Camera(name="Porch", type="rtsp"))
            session.commit()
        rule = {
            "name": "Described",
            "cooldown_minutes": 0,
            "actions": {"dashboard_notification": True, "webhook": {"url": rx.url + "/hook", "headers": {}}},
        }
        assert client.post(RULES, json=rule).status_code == 201
        response = client.post(
            EVENTS,
            data={"camera_id": "1", "objects_detected": '["person"]', "confidence": "80"},
            files={"image": ("snap.png", PNG, "image/png")},
        )
        assert response.status_code == 201, response.text
        event = response.json()
        assert event["ai_provider"] == provider
        assert "Request authorized with ****" in event["description"]  # the provider did echo it
        sent = rx.wait_for(1)[0]
        notifications = client.get("/api/v1/notifications")
        events = client.get(EVENTS)
        for form in forms:
            assert_no_leak(form, response, events, notifications, sent.body, db_path)
            assert form.lower() not in response.text.lower()
            assert form.lower() not in sent.body.decode().lower()
