"""Issue 14, item 3: each camera remembers its last test, and a successful
test returns (and keeps, encrypted) a snapshot from the real H.264 stream."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import assert_no_leak, captured_logs, signed_in
from tests.fakes.fake_rtsp import FakeRtspCamera, start_in_thread


@pytest.fixture
def streaming() -> Iterator[Any]:
    started: list[FakeRtspCamera] = []

    def start(password: str, **kwargs: Any) -> FakeRtspCamera:
        camera = start_in_thread(password=password, video=True, width=320, height=240, **kwargs)
        started.append(camera)
        return camera

    yield start
    for camera in started:
        camera.stop()


def _create(client: Any, camera: FakeRtspCamera, password: str, name: str = "Front door") -> dict[str, Any]:
    body = {"name": name, "type": "rtsp", "rtsp_url": camera.rtsp_url, "username": "admin", "password": password}
    created = client.post("/api/v1/cameras", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def _db_bytes(db_path: Any) -> bytes:
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_an_untested_camera_then_an_online_one_with_its_snapshot(client, streaming, db_path, canary):
    password = canary("online")
    camera = streaming(password)
    created = _create(client, camera, password)
    assert created["last_test"] is None and created["snapshot_url"] is None

    tested = client.post(f"/api/v1/cameras/{created['id']}/test")
    assert tested.status_code == 200, tested.text
    body = tested.json()
    assert body["success"] is True and body["resolution"] == "320x240"
    assert body["snapshot"].startswith("data:image/jpeg;base64,")
    jpeg = base64.b64decode(body["snapshot"].split(",", 1)[1])
    assert jpeg.startswith(b"\xff\xd8")

    read = client.get(f"/api/v1/cameras/{created['id']}").json()
    assert read["last_test"]["success"] is True
    assert read["last_test"]["message"] == body["message"]
    assert read["last_test"]["resolution"] == "320x240" and read["last_test"]["codecs"] == ["H264"]
    assert read["last_test"]["at"].endswith("Z")
    assert read["snapshot_url"] == f"/api/v1/cameras/{created['id']}/snapshot"
    served = client.get(read["snapshot_url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == jpeg
    assert served.headers["cache-control"] == "private, no-store"
    # Stored encrypted: the picture is not in the database files.
    assert jpeg[200:264] not in _db_bytes(db_path)
    assert_no_leak(password, tested, served, client.get("/api/v1/cameras"), db_path, captured_logs())


def test_an_offline_camera_keeps_its_last_picture_and_says_why(client, streaming, canary):
    password = canary("offline")
    camera = streaming(password)
    created = _create(client, camera, password)
    client.post(f"/api/v1/cameras/{created['id']}/test")
    camera.stop()
    failed = client.post(f"/api/v1/cameras/{created['id']}/test").json()
    assert failed["success"] is False and failed["snapshot"] is None
    read = client.get(f"/api/v1/cameras/{created['id']}").json()
    assert read["last_test"]["success"] is False
    assert read["last_test"]["error_code"] == failed["error_code"]
    assert read["last_test"]["message"] == failed["message"]
    assert read["snapshot_url"] is not None  # the last picture stays, marked by the failed test


def test_a_wrong_password_is_remembered_and_never_logged(client, streaming, canary):
    right, wrong = canary("right-camera"), canary("wrong-camera")
    camera = streaming(right)
    created = _create(client, camera, wrong)
    failed = client.post(f"/api/v1/cameras/{created['id']}/test").json()
    assert failed["error_code"] == "auth_failed" and failed["snapshot"] is None
    assert client.get(f"/api/v1/cameras/{created['id']}").json()["last_test"]["error_code"] == "auth_failed"
    assert client.get(f"/api/v1/cameras/{created['id']}/snapshot").status_code == 404
    assert_no_leak(wrong, failed, captured_logs())
    assert_no_leak(right, failed, captured_logs())


def test_an_unsaved_test_returns_a_snapshot_and_stores_nothing(client, streaming, db_path, canary):
    password = canary("unsaved-camera")
    camera = streaming(password)
    inline = camera.rtsp_url.replace("rtsp://", f"rtsp://admin:{password}@")
    result = client.post("/api/v1/cameras/test", json={"type": "rtsp", "rtsp_url": inline})
    assert result.status_code == 200, result.text
    assert result.json()["snapshot"].startswith("data:image/jpeg;base64,")
    assert client.get("/api/v1/cameras").json() == []
    assert_no_leak(password, result, db_path, captured_logs())


def test_viewers_see_status_and_picture_but_not_the_details(client, app, streaming, canary):
    password = canary("viewer-camera")
    camera = streaming(password)
    created = _create(client, camera, password)
    client.post(f"/api/v1/cameras/{created['id']}/test")
    viewer = signed_in(app, username="camera-viewer", role="viewer")
    (brief,) = viewer.get("/api/v1/cameras").json()
    assert set(brief["last_test"]) == {"success", "at"} and brief["last_test"]["success"] is True
    assert viewer.get(brief["snapshot_url"]).status_code == 200
    assert viewer.post(f"/api/v1/cameras/{created['id']}/test").status_code == 403


def test_the_get_body_goes_back_on_put(client, streaming, canary):
    password = canary("roundtrip-camera")
    camera = streaming(password)
    created = _create(client, camera, password)
    client.post(f"/api/v1/cameras/{created['id']}/test")
    body = client.get(f"/api/v1/cameras/{created['id']}").json()
    again = client.put(f"/api/v1/cameras/{created['id']}", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["last_test"] == body["last_test"] and again.json()["snapshot_url"] == body["snapshot_url"]


def test_snapshot_keys_are_a_secret_place(client, streaming, canary):
    password = canary("counted-camera")
    camera = streaming(password)
    created = _create(client, camera, password)
    client.post(f"/api/v1/cameras/{created['id']}/test")
    status = client.get("/api/v1/encryption/status").json()
    places = {p["place"]: p for p in status["places"]} if isinstance(status["places"], list) else status["places"]
    assert places["camera_snapshots.data_key"]["primary"] == 1
