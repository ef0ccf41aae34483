"""The OpenAPI schema tells the truth: error bodies as sent, every status a
route answers, date-times with their offset, the events body, OPTIONS/Allow.
(``tests/fuzz/test_api_fuzz.py`` checks all of it against the live app.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.auth import PUBLIC_ROUTES

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def _schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[-1]
    return dict(schema["components"]["schemas"][name])


def test_422_is_declared_as_it_is_sent(client: TestClient) -> None:
    schema = _schema(client)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    declared = schema["paths"]["/api/v1/cameras"]["post"]["responses"]["422"]["content"]["application/json"]
    body_schema = _resolve(schema, declared["schema"])
    assert set(body_schema["required"]) == {"detail", "code", "errors"}
    item = _resolve(schema, body_schema["properties"]["errors"]["items"])
    assert set(item["required"]) == {"field", "message"}
    # the schema's validation errors and the service's own both have that shape
    rule = client.post("/api/v1/alert-rules", json={"name": "r"}).json()
    sent = [
        client.post("/api/v1/cameras", json={"name": ""}).json(),
        client.put(f"/api/v1/alert-rules/{rule['id']}", json={"name": None}).json(),
        client.post("/api/v1/events", json={"camera_id": 99, "confidence": 5}).json(),
    ]
    for body in sent:
        assert set(body) >= {"detail", "code", "errors"}, body
        assert all(set(error) == {"field", "message"} for error in body["errors"])


def test_every_operation_declares_the_errors_it_can_answer(client: TestClient) -> None:
    schema = _schema(client)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path}"
            if "{" in path:
                assert "404" in codes, where
            if "requestBody" in operation:
                assert {"400", "408", "413", "422"} <= codes, where
            if operation.get("parameters"):
                assert "422" in codes, where
            if (method.upper(), path) in PUBLIC_ROUTES:
                assert "security" not in operation, where
            else:
                assert {"401", "403"} <= codes and operation["security"], where
    rate_limited = [
        ("/api/v1/cameras/test", "post"),
        ("/api/v1/cameras/{camera_id}/test", "post"),
        ("/api/v1/ai/test-key", "post"),
        ("/api/v1/ai/describe", "post"),
    ]
    for path, method in rate_limited:
        answer = schema["paths"][path][method]["responses"]["429"]
        assert "Retry-After" in answer["headers"]
    assert "503" in schema["paths"]["/api/v1/ai/describe"]["post"]["responses"]


def test_events_request_body_is_declared(client: TestClient) -> None:
    body = _schema(client)["paths"]["/api/v1/events"]["post"]["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"application/json", "multipart/form-data"}
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["image"]["format"] == "binary"
    assert set(form["required"]) == {"camera_id", "confidence"}
    assert set(body["content"]["application/json"]["schema"]["required"]) == {"camera_id", "confidence"}


def test_date_times_carry_their_offset(client: TestClient) -> None:
    camera = client.post("/api/v1/cameras", json={"name": "u", "type": "usb", "device_index": 0}).json()
    rule = client.post("/api/v1/alert-rules", json={"name": "r"}).json()
    event = client.post("/api/v1/events", json={"camera_id": camera["id"], "confidence": 5}).json()
    for value in (camera["created_at"], camera["updated_at"], rule["created_at"], event["timestamp"]):
        assert RFC3339_UTC.match(value), value
    listed = client.get("/api/v1/cameras").json()[0]
    assert RFC3339_UTC.match(listed["created_at"])
    schema = _schema(client)["components"]["schemas"]
    assert schema["CameraRead"]["properties"]["created_at"]["format"] == "date-time"


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/cameras", "GET, POST, OPTIONS"),
        ("/api/v1/cameras/7", "GET, PUT, DELETE, OPTIONS"),
        ("/api/v1/cameras/test", "POST, OPTIONS"),
        ("/api/v1/cameras/7/test", "POST, OPTIONS"),
        ("/api/v1/notifications/mark-all-read", "POST, OPTIONS"),
        ("/api/v1/notifications/3", "PATCH, OPTIONS"),
        ("/api/v1/settings", "GET, PUT, OPTIONS"),
        ("/health", "GET, OPTIONS"),
    ],
)
def test_options_answers_with_allow(client: TestClient, path: str, allow: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == allow
    assert response.content == b""


def test_options_on_nothing_is_404_and_other_methods_are_405_with_allow(client: TestClient) -> None:
    assert client.options("/api/v1/nothing-here").status_code == 404
    wrong = client.get("/api/v1/cameras/test")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert client.delete("/api/v1/settings").headers["allow"]
    assert client.get("/api/v1/cameras/not-a-number").status_code == 404
