"""Dashboard notifications: created by matching rules, listed unread first then
newest first, marked read one by one or all at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.models.camera import Camera
from app.models.notification import Notification

NOTIFICATIONS = "/api/v1/notifications"


@pytest.fixture
def seeded(app) -> list[int]:
    """Five notifications, created a minute apart (ids 1..5, 5 newest); 2 and 4 read."""
    start = datetime(2026, 6, 1, 12, 0)
    with app.state.session_factory() as session:
        rows = [
            Notification(title=f"n{i}", message=f"m{i}", is_read=i in (2, 4), created_at=start + timedelta(minutes=i))
            for i in range(1, 6)
        ]
        session.add_all(rows)
        session.commit()
        return [r.id for r in rows]


def test_unread_first_then_newest(client, seeded) -> None:
    page = client.get(NOTIFICATIONS).json()
    assert [n["title"] for n in page["items"]] == ["n5", "n3", "n1", "n4", "n2"]
    assert (page["total"], page["unread_count"], page["limit"], page["offset"]) == (5, 3, 50, 0)
    first = page["items"][0]
    assert set(first) == {"id", "rule_id", "event_id", "title", "message", "is_read", "created_at"}
    assert first["created_at"] == "2026-06-01T12:05:00Z"


def test_paging_and_unread_only(client, seeded) -> None:
    page = client.get(NOTIFICATIONS, params={"limit": 2, "offset": 2}).json()
    assert [n["title"] for n in page["items"]] == ["n1", "n4"]
    assert page["total"] == 5
    unread = client.get(NOTIFICATIONS, params={"unread_only": "true"}).json()
    assert [n["title"] for n in unread["items"]] == ["n5", "n3", "n1"]
    assert (unread["total"], unread["unread_count"]) == (3, 3)
    assert client.get(NOTIFICATIONS, params={"limit": 0}).status_code == 422


def test_mark_read_and_unread(client, seeded) -> None:
    target = seeded[4]
    response = client.patch(f"{NOTIFICATIONS}/{target}", json={"is_read": True})
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    page = client.get(NOTIFICATIONS).json()
    assert page["unread_count"] == 2
    assert [n["title"] for n in page["items"]][:2] == ["n3", "n1"]
    again = client.patch(f"{NOTIFICATIONS}/{target}", json={"is_read": False})
    assert again.json()["is_read"] is False
    assert client.get(NOTIFICATIONS).json()["unread_count"] == 3


def test_patch_errors(client, seeded) -> None:
    assert client.patch(f"{NOTIFICATIONS}/999", json={"is_read": True}).status_code == 404
    assert client.patch(f"{NOTIFICATIONS}/{seeded[0]}", json={"is_read": "maybe"}).status_code == 422
    assert client.patch(f"{NOTIFICATIONS}/{seeded[0]}", json={}).status_code == 422
    assert client.get(NOTIFICATIONS).json()["unread_count"] == 3


def test_mark_all_read(client, seeded) -> None:
    response = client.post(f"{NOTIFICATIONS}/mark-all-read")
    assert response.status_code == 200
    assert response.json() == {"updated": 3}
    page = client.get(NOTIFICATIONS).json()
    assert page["unread_count"] == 0
    assert all(n["is_read"] for n in page["items"])
    assert client.post(f"{NOTIFICATIONS}/mark-all-read").json() == {"updated": 0}


def test_rule_match_creates_a_notification(client, app) -> None:
    with app.state.session_factory() as session:
        session.add(Camera(name="Gate", type="rtsp"))
        session.commit()
    rule = client.post(
        "/api/v1/alert-rules",
        json={"name": "Car at gate", "cooldown_minutes": 0, "conditions": {"object_types": ["car"]}},
    ).json()
    client.post("/api/v1/events", json={"camera_id": 1, "objects_detected": ["car"], "confidence": 90})
    client.post("/api/v1/events", json={"camera_id": 1, "objects_detected": ["cat"], "confidence": 90})
    page = client.get(NOTIFICATIONS).json()
    assert page["total"] == 1
    (note,) = page["items"]
    assert (note["rule_id"], note["event_id"], note["title"]) == (rule["id"], 1, "Car at gate")
    assert note["message"] == "Car detected on Gate."
    assert note["is_read"] is False


def test_notification_survives_rule_deletion(client, app) -> None:
    with app.state.session_factory() as session:
        session.add(Camera(name="Gate", type="rtsp"))
        session.commit()
    rule = client.post("/api/v1/alert-rules", json={"name": "Any", "cooldown_minutes": 0}).json()
    client.post("/api/v1/events", json={"camera_id": 1, "objects_detected": [], "confidence": 10})
    assert client.delete(f"/api/v1/alert-rules/{rule['id']}").status_code == 204
    (note,) = client.get(NOTIFICATIONS).json()["items"]
    assert note["rule_id"] is None
