"""Input that crashed the API: huge integers, lone surrogates, extreme dates,
oversized bodies. Each gets a clear 422 (413 for size) and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

BIG = 2**63  # one past SQLite's and Python's C long: OverflowError before
HUGE = 2**64 + 1
NEG = -(2**63) - 1
SURROGATE = "\ud800"


def _raw_json(body: Any) -> bytes:
    return json.dumps(body).encode("ascii")  # escapes the surrogate as \ud800, as an attacker would


def _assert_422(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}
    assert body["errors"] and all(set(e) == {"field", "message"} for e in body["errors"])
    return body


def _nothing_stored(client: TestClient) -> None:
    assert client.get("/api/v1/cameras").json() == []
    assert client.get("/api/v1/alert-rules").json() == []
    assert client.get("/api/v1/events").json()["total"] == 0


@pytest.mark.parametrize("number", [BIG, HUGE, NEG, 2**31])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/cameras/{n}", None),
        ("PUT", "/api/v1/cameras/{n}", {"name": "x"}),
        ("DELETE", "/api/v1/cameras/{n}", None),
        ("POST", "/api/v1/cameras/{n}/test", None),
        ("GET", "/api/v1/alert-rules/{n}", None),
        ("PUT", "/api/v1/alert-rules/{n}", {"name": "x"}),
        ("DELETE", "/api/v1/alert-rules/{n}", None),
        ("POST", "/api/v1/alert-rules/{n}/test", None),
        ("POST", "/api/v1/webhooks/deliveries/{n}/resend", None),
        ("PATCH", "/api/v1/notifications/{n}", {"is_read": True}),
        ("GET", "/api/v1/events?camera_id={n}", None),
        ("GET", "/api/v1/events?offset={n}", None),
        ("GET", "/api/v1/notifications?offset={n}", None),
        ("GET", "/api/v1/webhooks/logs?rule_id={n}", None),
        ("GET", "/api/v1/webhooks/logs?event_id={n}", None),
        ("GET", "/api/v1/webhooks/logs?delivery_id={n}", None),
        ("GET", "/api/v1/webhooks/logs?offset={n}", None),
        ("POST", "/api/v1/events", {"camera_id": "{n}", "confidence": 50}),
        ("POST", "/api/v1/alert-rules", {"name": "r", "conditions": {"cameras": ["{n}"]}}),
        ("POST", "/api/v1/cameras", {"name": "u", "type": "usb", "device_index": "{n}"}),
        ("PUT", "/api/v1/settings", {"ai_max_tokens": "{n}"}),
        ("POST", "/api/v1/alert-rules", {"name": "r", "cooldown_minutes": "{n}"}),
        ("POST", "/api/v1/alert-rules", {"name": "r", "conditions": {"min_confidence": "{n}"}}),
        ("POST", "/api/v1/alert-rules", {"name": "r", "conditions": {"days_of_week": ["{n}"]}}),
    ],
)
def test_out_of_range_integers_are_422(client: TestClient, method: str, path: str, body: Any, number: int) -> None:
    url = path.replace("{n}", str(number))
    if body is not None:
        text = json.dumps(body).replace('"{n}"', str(number))
        response = client.request(method, url, content=text.encode(), headers={"Content-Type": "application/json"})
    else:
        response = client.request(method, url)
    if number < 0 and "{n}" in path.split("?")[0]:
        # an id path segment is digits only: "-1" routes nowhere
        assert response.status_code == 404 and response.json()["detail"] == "Not Found"
    else:
        _assert_422(response)
    _nothing_stored(client)


_CAMERA = {"name": "Cam", "type": "rtsp", "rtsp_url": "rtsp://192.168.1.20/s", "username": "admin"}
_WEBHOOK = {"url": "https://hooks.example.com/h"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/cameras", {**_CAMERA, "name": SURROGATE}),
        ("POST", "/api/v1/cameras", {**_CAMERA, "username": "ad" + SURROGATE}),
        ("POST", "/api/v1/cameras", {**_CAMERA, "password": "pw" + SURROGATE}),
        ("POST", "/api/v1/cameras", {**_CAMERA, "rtsp_url": "rtsp://192.168.1.20/s" + SURROGATE}),
        ("POST", "/api/v1/cameras", {**_CAMERA, "rtsp_url": f"rtsp://admin:{SURROGATE}@192.168.1.20/s"}),
        ("POST", "/api/v1/cameras", {**_CAMERA, "rtsp_url": f"rtsp://{SURROGATE}/s"}),
        ("POST", "/api/v1/cameras/test", {**_CAMERA, "password": SURROGATE}),
        ("POST", "/api/v1/alert-rules", {"name": SURROGATE}),
        ("POST", "/api/v1/alert-rules", {"name": "r", "conditions": {"keywords": [SURROGATE]}}),
        ("POST", "/api/v1/alert-rules", {"name": "r", "conditions": {"object_types": ["a" + SURROGATE]}}),
        (
            "POST",
            "/api/v1/alert-rules",
            {"name": "r", "actions": {"webhook": {"url": "https://h.example/" + SURROGATE}}},
        ),
        (
            "POST",
            "/api/v1/alert-rules",
            {"name": "r", "actions": {"webhook": {**_WEBHOOK, "headers": {"Authorization": SURROGATE}}}},
        ),
        (
            "POST",
            "/api/v1/alert-rules",
            {"name": "r", "actions": {"webhook": {**_WEBHOOK, "headers": {SURROGATE: "v"}}}},
        ),
        (
            "POST",
            "/api/v1/alert-rules",
            {"name": "r", "actions": {"webhook": {**_WEBHOOK, "signing_secret": SURROGATE}}},
        ),
        (
            "POST",
            "/api/v1/alert-rules",
            {"name": "r", "actions": {"webhook": {**_WEBHOOK, "secret_headers": [SURROGATE]}}},
        ),
        ("PUT", "/api/v1/settings", {"ai_api_key_openai": "sk-" + SURROGATE}),
        ("PUT", "/api/v1/settings", {"ai_description_prompt": SURROGATE}),
        ("PUT", "/api/v1/settings", {"ai_model_openai": SURROGATE}),
        ("POST", "/api/v1/ai/test-key", {"provider": "openai", "api_key": SURROGATE}),
        ("POST", "/api/v1/events", {"camera_id": 1, "confidence": 5, "description": SURROGATE}),
        ("POST", "/api/v1/events", {"camera_id": 1, "confidence": 5, "objects_detected": [SURROGATE]}),
        ("POST", "/api/v1/events", {"camera_id": 1, "confidence": 5, SURROGATE: 1}),
    ],
)
def test_lone_surrogates_are_422(client: TestClient, method: str, path: str, body: Any) -> None:
    response = client.request(method, path, content=_raw_json(body), headers={"Content-Type": "application/json"})
    result = _assert_422(response)
    # POST /events parses its body with pydantic's own JSON parser, which refuses the escape itself
    assert "Unicode" in result["detail"] or "hex escape" in result["detail"], result["detail"]
    _nothing_stored(client)
    assert client.get("/api/v1/settings").json()["ai_api_key_openai"] is None


@pytest.mark.parametrize(
    "stamp",
    [
        "9999-12-31T23:59:59-23:59",  # past year 9999 once in UTC
        "0001-01-01T00:00:00+23:59",  # before year 1 once in UTC
        "0000-12-31T23:59:59Z",
        "1700000000",  # seconds: the schema says an RFC 3339 string
        "2026-06-01",  # a bare date
        "10000-01-01T00:00:00Z",
        1e20,
        -1e20,
    ],
)
def test_extreme_timestamps_are_422(client: TestClient, stamp: Any) -> None:
    camera = client.post("/api/v1/cameras", json={"name": "u", "type": "usb", "device_index": 0}).json()
    response = client.post("/api/v1/events", json={"camera_id": camera["id"], "confidence": 5, "timestamp": stamp})
    _assert_422(response)
    if isinstance(stamp, str):
        for name in ("since", "until"):
            _assert_422(client.get("/api/v1/events", params={name: stamp}))
    assert client.get("/api/v1/events").json()["total"] == 0


@pytest.mark.parametrize("field", ["name", "is_enabled", "cooldown_minutes", "actions"])
def test_null_for_a_required_alert_rule_field_is_422(client: TestClient, field: str) -> None:
    rule = client.post("/api/v1/alert-rules", json={"name": "r"}).json()
    response = client.put(f"/api/v1/alert-rules/{rule['id']}", json={field: None})
    _assert_422(response)
    assert client.get(f"/api/v1/alert-rules/{rule['id']}").json() == rule


@pytest.mark.parametrize("field", ["name", "type", "is_enabled"])
def test_null_for_a_required_camera_field_is_422(client: TestClient, field: str) -> None:
    camera = client.post("/api/v1/cameras", json={"name": "u", "type": "usb", "device_index": 0}).json()
    _assert_422(client.put(f"/api/v1/cameras/{camera['id']}", json={field: None}))
    assert client.get(f"/api/v1/cameras/{camera['id']}").json() == camera


@pytest.mark.parametrize(
    "body",
    [
        {"is_read": 0},
        {"is_read": "true"},
    ],
)
def test_values_of_another_type_are_not_coerced(client: TestClient, body: dict[str, Any]) -> None:
    _assert_422(client.patch("/api/v1/notifications/1", json=body))
    _assert_422(client.post("/api/v1/cameras", json={"name": "u", "type": "usb", "device_index": 0, "is_enabled": 1}))
    _assert_422(client.post("/api/v1/alert-rules", json={"name": "r", "cooldown_minutes": "5"}))
    _nothing_stored(client)


def test_in_range_timestamps_still_work(client: TestClient) -> None:
    camera = client.post("/api/v1/cameras", json={"name": "u", "type": "usb", "device_index": 0}).json()
    response = client.post(
        "/api/v1/events", json={"camera_id": camera["id"], "confidence": 5, "timestamp": "2026-06-01T12:00:00+02:00"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["timestamp"] in ("2026-06-01T10:00:00Z", "2026-06-01T10:00:00+00:00")
    page = client.get("/api/v1/events", params={"since": "2026-06-01T11:59:00+02:00", "until": "9999-12-31T00:00:00Z"})
    assert page.status_code == 200 and page.json()["total"] == 1


def test_every_request_body_model_refuses_unencodable_text(app: Any) -> None:
    """New routes inherit the rule: every JSON body model of the API is an ``InputModel``."""
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import app.api.v1 as api
    import app.schemas as schemas
    from app.schemas.types import InputModel

    for package in (schemas, api):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")

    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    by_name = {cls.__name__: cls for cls in subclasses(BaseModel) if cls.__module__.startswith("app.")}
    referenced = set()
    for operations in app.openapi()["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            if ref:
                referenced.add(ref.rsplit("/", 1)[-1])
    assert len(referenced) >= 8, referenced
    for name in sorted(referenced):
        assert issubclass(by_name[name], InputModel), f"{name} is not an InputModel"
