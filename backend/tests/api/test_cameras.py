"""Cameras through the HTTP API: encrypted passwords, masking, update semantics,
validation, undecryptable rows and the connection tests against the fake camera."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import encryption
from app.core.secret_fields import camera_password_context
from app.integrations.rtsp import client as rtsp_client
from app.services import camera_service
from tests.conftest import assert_no_leak, captured_logs, free_port, make_settings, signed_in
from tests.fakes.fake_rtsp import FakeRtspCamera, start_http_server, start_in_thread

Canary = Callable[[str], str]


@pytest.fixture
def cameras() -> Iterator[Callable[..., FakeRtspCamera]]:
    """Start fake cameras on ephemeral ports; all stopped at the end."""
    started: list[FakeRtspCamera] = []

    def start(**kwargs: Any) -> FakeRtspCamera:
        camera = start_in_thread(**kwargs)
        started.append(camera)
        return camera

    yield start
    for camera in started:
        camera.stop()


def _create(client: TestClient, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "Front door")
    body.setdefault("type", "rtsp")
    response = client.post("/api/v1/cameras", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _stored_password(db_path: Path, camera_id: int) -> str | None:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT password FROM cameras WHERE id = ?", (camera_id,)).fetchone()
    return row[0]


def _set_stored_password(db_path: Path, camera_id: int, value: str | None) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE cameras SET password = ? WHERE id = ?", (value, camera_id))


# -- create, read, mask ------------------------------------------------------------


def test_create_encrypts_and_masks_everywhere(client: TestClient, db_path: Path, canary: Canary) -> None:
    password = canary("cam")
    created = _create(client, rtsp_url="rtsp://192.168.1.20:554/stream1", username="admin", password=password)
    assert created["password"] == "****"
    assert created["credential_status"] == "set"
    assert created["rtsp_url"] == "rtsp://192.168.1.20:554/stream1"
    assert created["username"] == "admin"
    assert created["type"] == "rtsp" and created["device_index"] is None and created["is_enabled"] is True
    for key in ("id", "created_at", "updated_at"):
        assert key in created

    listed = client.get("/api/v1/cameras")
    one = client.get(f"/api/v1/cameras/{created['id']}")
    assert listed.status_code == 200 and one.status_code == 200
    assert listed.json() == [one.json()]
    assert one.json()["password"] == "****"

    stored = _stored_password(db_path, created["id"])
    assert stored is not None and stored.startswith("encrypted:")
    assert encryption.decrypt(stored, context=camera_password_context(created["id"])) == password
    assert_no_leak(password, listed, one, db_path, captured_logs())


def test_camera_without_password(client: TestClient, db_path: Path) -> None:
    created = _create(client, rtsp_url="rtsp://cam.local/live")
    assert created["password"] is None
    assert created["credential_status"] == "none"
    assert _stored_password(db_path, created["id"]) is None


def test_usb_camera(client: TestClient) -> None:
    created = _create(client, name="  Desk  ", type="usb", device_index=0)
    assert created["name"] == "Desk"
    assert created["type"] == "usb" and created["device_index"] == 0
    assert created["rtsp_url"] is None and created["password"] is None and created["credential_status"] == "none"


def test_not_found_and_delete(client: TestClient) -> None:
    assert client.get("/api/v1/cameras/999").status_code == 404
    assert client.put("/api/v1/cameras/999", json={"name": "x"}).status_code == 404
    assert client.post("/api/v1/cameras/999/test").status_code == 404
    created = _create(client, type="usb", device_index=1)
    assert client.delete(f"/api/v1/cameras/{created['id']}").status_code == 204
    assert client.get(f"/api/v1/cameras/{created['id']}").status_code == 404
    assert client.delete(f"/api/v1/cameras/{created['id']}").status_code == 404


# -- credentials inside the URL -----------------------------------------------------


def test_credentials_in_url_are_split_out(
    client: TestClient, db_path: Path, canary: Canary, cameras: Callable[..., FakeRtspCamera]
) -> None:
    password = canary("inurl")
    camera = cameras(username="viewer", password=password)
    url_with_credentials = camera.rtsp_url.replace("rtsp://", f"rtsp://viewer:{password}@")
    response = client.post("/api/v1/cameras", json={"name": "Yard", "type": "rtsp", "rtsp_url": url_with_credentials})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rtsp_url"] == camera.rtsp_url
    assert body["username"] == "viewer" and body["password"] == "****"
    with sqlite3.connect(db_path) as conn:
        stored_url = conn.execute("SELECT rtsp_url FROM cameras WHERE id = ?", (body["id"],)).fetchone()[0]
    assert stored_url == camera.rtsp_url
    # the split-out password is the real one: the camera accepts it
    test = client.post(f"/api/v1/cameras/{body['id']}/test")
    assert test.json()["success"] is True, test.text
    assert_no_leak(password, response, test, client.get("/api/v1/cameras"), db_path)
    assert all("@" not in r.url for r in camera.requests)


def test_percent_encoded_url_credentials(client: TestClient, db_path: Path, canary: Canary) -> None:
    password = canary("enc") + "@:/"
    from tests.conftest import register_canary

    register_canary(password)
    encoded = password.replace("@", "%40").replace(":", "%3A").replace("/", "%2F")
    response = client.post(
        "/api/v1/cameras", json={"name": "Enc", "type": "rtsp", "rtsp_url": f"rtsp://admin:{encoded}@10.1.2.3/s"}
    )
    assert response.status_code == 201, response.text
    camera_id = response.json()["id"]
    stored = _stored_password(db_path, camera_id)
    assert stored is not None
    assert encryption.decrypt(stored, context=camera_password_context(camera_id)) == password
    assert_no_leak(encoded, response, db_path)


def test_conflicting_passwords_in_url_and_field(client: TestClient, canary: Canary) -> None:
    in_url, in_field = canary("a"), canary("b")
    response = client.post(
        "/api/v1/cameras",
        json={"name": "X", "type": "rtsp", "rtsp_url": f"rtsp://u:{in_url}@h/s", "password": in_field},
    )
    assert response.status_code == 422
    assert "password" in response.json()["detail"]
    assert_no_leak(in_url, response)
    assert_no_leak(in_field, response)
    assert client.get("/api/v1/cameras").json() == []


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rtsp_url": "http://192.168.1.20/stream"}, "rtsp_url"),
        ({"rtsp_url": "rtsp:///stream1"}, "rtsp_url"),
        ({"rtsp_url": "rtsp://192.168.1.20:70000/stream1"}, "rtsp_url"),
        ({"rtsp_url": "rtsp://192.168.1.20:0/stream1"}, "rtsp_url"),
        ({}, "rtsp_url"),  # rtsp without a URL
        ({"type": "usb", "device_index": 0, "rtsp_url": "rtsp://h/s"}, "rtsp_url"),
        ({"type": "usb"}, "device_index"),
        ({"type": "usb", "device_index": 64}, "device_index"),
        ({"type": "usb", "device_index": -1}, "device_index"),
        ({"type": "usb", "device_index": "0"}, "device_index"),
        ({"rtsp_url": "rtsp://h/s", "device_index": 2}, "device_index"),
        ({"type": "webcam", "rtsp_url": "rtsp://h/s"}, "type"),
        ({"name": "x" * 5000, "rtsp_url": "rtsp://h/s"}, "name"),
        ({"name": "   ", "rtsp_url": "rtsp://h/s"}, "name"),
        ({"rtsp_url": "rtsp://h/s", "username": "u" * 300}, "username"),
        ({"rtsp_url": "rtsp://h/s", "unknown_field": 1}, "unknown_field"),
    ],
)
def test_bad_input_is_a_clear_422_without_echo(client: TestClient, body: dict[str, Any], field: str) -> None:
    full = {"name": "Cam", "type": "rtsp", **body}
    response = client.post("/api/v1/cameras", json=full)
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["code"] == "invalid"
    assert field in data["detail"]
    for value in body.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in response.text
    assert client.get("/api/v1/cameras").json() == []


def test_usb_with_password_is_422(client: TestClient, canary: Canary) -> None:
    password = canary("usb")
    response = client.post(
        "/api/v1/cameras", json={"name": "U", "type": "usb", "device_index": 0, "password": password}
    )
    assert response.status_code == 422
    assert "USB camera has no password" in response.json()["detail"]
    assert_no_leak(password, response)


def test_bad_url_with_credentials_never_echoes_them(client: TestClient, canary: Canary) -> None:
    password = canary("badurl")
    for url in (f"rtsp://admin:{password}@192.168.1.20:70000/s", f"http://admin:{password}@h/s"):
        response = client.post("/api/v1/cameras", json={"name": "C", "type": "rtsp", "rtsp_url": url})
        assert response.status_code == 422
        assert_no_leak(password, response)


def test_password_with_line_break_is_refused(client: TestClient, canary: Canary) -> None:
    password = canary("crlf") + "\r\nX-Injected: 1"
    from tests.conftest import register_canary

    register_canary(password)
    response = client.post(
        "/api/v1/cameras", json={"name": "C", "type": "rtsp", "rtsp_url": "rtsp://h/s", "password": password}
    )
    assert response.status_code == 422
    assert_no_leak(password, response)


# -- update semantics --------------------------------------------------------------------


def test_update_keeps_removes_replaces(
    client: TestClient, db_path: Path, canary: Canary, cameras: Callable[..., FakeRtspCamera]
) -> None:
    first, second = canary("first"), canary("second")
    camera = cameras(password=first)
    created = _create(client, rtsp_url=camera.rtsp_url, username="admin", password=first)
    cid = created["id"]
    token = _stored_password(db_path, cid)

    # omitted: kept
    renamed = client.put(f"/api/v1/cameras/{cid}", json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["password"] == "****"
    assert _stored_password(db_path, cid) == token
    # "****" (what GET shows), sent back with the rest of the object: kept
    echoed = client.put(f"/api/v1/cameras/{cid}", json=client.get(f"/api/v1/cameras/{cid}").json())
    assert echoed.status_code == 200, echoed.text
    assert _stored_password(db_path, cid) == token
    assert client.post(f"/api/v1/cameras/{cid}/test").json()["success"] is True

    # a new value: replaced (and re-encrypted)
    camera.password = second
    replaced = client.put(f"/api/v1/cameras/{cid}", json={"password": second})
    assert replaced.status_code == 200 and replaced.json()["password"] == "****"
    new_token = _stored_password(db_path, cid)
    assert new_token != token
    assert encryption.decrypt(new_token or "", context=camera_password_context(cid)) == second
    assert client.post(f"/api/v1/cameras/{cid}/test").json()["success"] is True

    # "": removed; then null on a camera that has one: removed
    emptied = client.put(f"/api/v1/cameras/{cid}", json={"password": ""})
    assert emptied.json()["password"] is None and emptied.json()["credential_status"] == "none"
    assert _stored_password(db_path, cid) is None
    client.put(f"/api/v1/cameras/{cid}", json={"password": first})
    nulled = client.put(f"/api/v1/cameras/{cid}", json={"password": None})
    assert nulled.json()["password"] is None
    assert _stored_password(db_path, cid) is None
    assert_no_leak(first, renamed, echoed, replaced, emptied, nulled, db_path)
    assert_no_leak(second, renamed, echoed, replaced, emptied, nulled, db_path)


@pytest.mark.parametrize("kept", [None, "****"])
def test_host_change_without_password_is_refused(
    client: TestClient,
    db_path: Path,
    canary: Canary,
    cameras: Callable[..., FakeRtspCamera],
    kept: str | None,
) -> None:
    password = canary("hostmove")
    old = cameras(password=password)
    new = cameras(password=password)
    created = _create(client, rtsp_url=old.rtsp_url, username="admin", password=password)
    cid = created["id"]
    before = client.get(f"/api/v1/cameras/{cid}").json()
    token = _stored_password(db_path, cid)

    body: dict[str, Any] = {"rtsp_url": new.rtsp_url, "name": "Moved"}
    if kept is not None:
        body["password"] = kept
    response = client.put(f"/api/v1/cameras/{cid}", json=body)
    assert response.status_code == 422
    message = "The camera address changed: enter the password again to send it to the new host."
    assert response.json() == {
        "detail": message,
        "code": "password_required",
        "field": "password",
        "errors": [{"field": "password", "message": message}],
    }
    # nothing changed, nothing sent to the new host
    assert client.get(f"/api/v1/cameras/{cid}").json() == before
    assert _stored_password(db_path, cid) == token
    assert client.post(f"/api/v1/cameras/{cid}/test").json()["success"] is True
    assert new.connections == 0 and new.requests == []
    assert len(old.requests) > 0

    # a port change alone counts too
    port_only = old.rtsp_url.replace(f":{old.port}/", f":{new.port}/")
    assert client.put(f"/api/v1/cameras/{cid}", json={"rtsp_url": port_only}).status_code == 422
    # with the password again: accepted, and the test now goes to the new host
    moved = client.put(f"/api/v1/cameras/{cid}", json={"rtsp_url": new.rtsp_url, "password": password})
    assert moved.status_code == 200 and moved.json()["rtsp_url"] == new.rtsp_url
    assert client.post(f"/api/v1/cameras/{cid}/test").json()["success"] is True
    assert new.connections == 1
    assert_no_leak(password, response, moved, db_path)


def test_path_change_keeps_password(client: TestClient, canary: Canary) -> None:
    password = canary("path")
    created = _create(client, rtsp_url="rtsp://10.0.0.5/stream1", password=password, username="admin")
    response = client.put(f"/api/v1/cameras/{created['id']}", json={"rtsp_url": "rtsp://10.0.0.5:554/stream2"})
    assert response.status_code == 200, response.text
    assert response.json()["password"] == "****"
    # scheme change is a new destination
    tls = client.put(f"/api/v1/cameras/{created['id']}", json={"rtsp_url": "rtsps://10.0.0.5/stream2"})
    assert tls.status_code == 422 and tls.json()["code"] == "password_required"


def test_host_change_without_stored_password_is_fine(client: TestClient) -> None:
    created = _create(client, rtsp_url="rtsp://10.0.0.5/stream1")
    response = client.put(f"/api/v1/cameras/{created['id']}", json={"rtsp_url": "rtsp://10.0.0.6/stream1"})
    assert response.status_code == 200


def test_type_switches(client: TestClient, db_path: Path, canary: Canary) -> None:
    password = canary("switch")
    created = _create(client, rtsp_url="rtsp://10.0.0.5/s", password=password, username="admin")
    cid = created["id"]
    usb = client.put(f"/api/v1/cameras/{cid}", json={"type": "usb", "device_index": 2})
    assert usb.status_code == 200, usb.text
    assert usb.json()["rtsp_url"] is None and usb.json()["password"] is None and usb.json()["username"] is None
    assert _stored_password(db_path, cid) is None
    assert client.put(f"/api/v1/cameras/{cid}", json={"rtsp_url": "rtsp://h/s"}).status_code == 422
    back = client.put(f"/api/v1/cameras/{cid}", json={"type": "rtsp"})
    assert back.status_code == 422 and "rtsp_url" in back.json()["detail"]
    rtsp = client.put(f"/api/v1/cameras/{cid}", json={"type": "rtsp", "rtsp_url": "rtsp://10.0.0.7/s"})
    assert rtsp.status_code == 200 and rtsp.json()["device_index"] is None
    assert client.put(f"/api/v1/cameras/{cid}", json={"name": None}).status_code == 422
    assert client.put(f"/api/v1/cameras/{cid}", json={"name": "x" * 101}).status_code == 422


# -- undecryptable credentials -------------------------------------------------------


def _tamper(token: str) -> str:
    middle = len(token) // 2
    replacement = "A" if token[middle] != "A" else "B"
    tampered = token[:middle] + replacement + token[middle + 1 :]
    assert encryption.is_encrypted(tampered)  # structurally still a token: only the MAC can tell
    return tampered


def test_tampered_row_is_undecryptable(client: TestClient, db_path: Path, canary: Canary) -> None:
    password = canary("tamper")
    _create(client, name="Good", rtsp_url="rtsp://10.0.0.1/s", username="a", password=canary("good"))
    bad = _create(client, name="Bad", rtsp_url="rtsp://10.0.0.2/s", username="a", password=password)
    _set_stored_password(db_path, bad["id"], _tamper(_stored_password(db_path, bad["id"]) or ""))

    listed = client.get("/api/v1/cameras")
    assert listed.status_code == 200
    statuses = {c["name"]: (c["credential_status"], c["password"]) for c in listed.json()}
    assert statuses == {"Good": ("set", "****"), "Bad": ("undecryptable", "****")}
    assert client.get(f"/api/v1/cameras/{bad['id']}").json()["credential_status"] == "undecryptable"

    test = client.post(f"/api/v1/cameras/{bad['id']}/test").json()
    assert test["success"] is False
    assert test["error_code"] == "credentials_undecryptable"
    assert "re-entered" in test["message"]

    # re-entering fixes it (no host change)
    fixed = client.put(f"/api/v1/cameras/{bad['id']}", json={"password": password})
    assert fixed.json()["credential_status"] == "set"
    assert_no_leak(password, listed, fixed, db_path)


def test_token_under_a_key_no_longer_configured(client: TestClient, app: Any, db_path: Path, canary: Canary) -> None:
    created = _create(client, rtsp_url="rtsp://10.0.0.3/s", username="a")
    other_key = encryption.generate_key()
    encryption.load_keys(make_settings(app.state.settings.database_url, encryption_key=other_key))
    foreign = encryption.encrypt(canary("oldkey"), context=camera_password_context(created["id"]))
    encryption.load_keys(app.state.settings)
    _set_stored_password(db_path, created["id"], foreign)

    row = client.get("/api/v1/cameras").json()[0]
    assert row["credential_status"] == "undecryptable"
    test = client.post(f"/api/v1/cameras/{created['id']}/test").json()
    assert test["error_code"] == "credentials_undecryptable"


def test_token_copied_from_another_camera_is_caught_at_test_time(
    client: TestClient, db_path: Path, canary: Canary
) -> None:
    a = _create(client, name="A", rtsp_url="rtsp://10.0.0.1/s", username="a", password=canary("copied"))
    b = _create(client, name="B", rtsp_url="rtsp://10.0.0.2/s", username="a")
    _set_stored_password(db_path, b["id"], _stored_password(db_path, a["id"]))
    # The MAC is genuine, so the list cannot tell (it never decrypts) ...
    assert client.get(f"/api/v1/cameras/{b['id']}").json()["credential_status"] == "set"
    # ... but the context binding refuses it at the moment of use.
    test = client.post(f"/api/v1/cameras/{b['id']}/test").json()
    assert test["error_code"] == "credentials_undecryptable"


def test_garbage_in_password_column_is_undecryptable(client: TestClient, db_path: Path) -> None:
    created = _create(client, rtsp_url="rtsp://10.0.0.3/s")
    _set_stored_password(db_path, created["id"], "encrypted:not-a-token")
    assert client.get("/api/v1/cameras").json()[0]["credential_status"] == "undecryptable"


# -- connection tests through the API -------------------------------------------------------


def test_saved_camera_test_success_and_wrong_password(
    client: TestClient, canary: Canary, cameras: Callable[..., FakeRtspCamera]
) -> None:
    password, wrong = canary("ok"), canary("wrong")
    camera = cameras(username="admin", password=password)
    good = _create(client, name="Good", rtsp_url=camera.rtsp_url, username="admin", password=password)
    bad = _create(client, name="Bad", rtsp_url=camera.rtsp_url, username="admin", password=wrong)

    ok = client.post(f"/api/v1/cameras/{good['id']}/test")
    assert ok.status_code == 200
    assert ok.json() == {
        "success": True,
        "message": "Connected: H264, PCMA, 1920x1080.",
        "error_code": None,
        "codecs": ["H264", "PCMA"],
        "resolution": "1920x1080",
        "auth": "digest",
        "latency_ms": ok.json()["latency_ms"],
    }
    failed = client.post(f"/api/v1/cameras/{bad['id']}/test")
    assert failed.json()["success"] is False and failed.json()["error_code"] == "auth_failed"
    for request in camera.requests:
        assert request.url == camera.rtsp_url
        assert password not in request.raw and wrong not in request.raw
    assert_no_leak(password, ok, failed)
    assert_no_leak(wrong, ok, failed)


def test_unsaved_details_test_stores_nothing(
    client: TestClient, db_path: Path, canary: Canary, cameras: Callable[..., FakeRtspCamera]
) -> None:
    password = canary("unsaved")
    camera = cameras(password=password)
    body = {"name": "Trial", "type": "rtsp", "rtsp_url": camera.rtsp_url, "username": "admin", "password": password}
    result = client.post("/api/v1/cameras/test", json=body)
    assert result.status_code == 200 and result.json()["success"] is True, result.text
    assert result.json()["resolution"] == "1920x1080"
    # without a name, and with credentials inside the URL
    inline = client.post(
        "/api/v1/cameras/test",
        json={"type": "rtsp", "rtsp_url": camera.rtsp_url.replace("rtsp://", f"rtsp://admin:{password}@")},
    )
    assert inline.json()["success"] is True, inline.text
    wrong = client.post("/api/v1/cameras/test", json={**body, "password": canary("nope")})
    assert wrong.json()["error_code"] == "auth_failed"
    masked = client.post("/api/v1/cameras/test", json={**body, "password": "****"})
    assert masked.status_code == 422
    assert client.get("/api/v1/cameras").json() == []
    assert_no_leak(password, result, inline, wrong, db_path)


def test_unsaved_failures(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, cameras: Callable[..., FakeRtspCamera]
) -> None:
    base = {"type": "rtsp", "username": "admin", "password": "fake-unused-password"}
    refused = client.post("/api/v1/cameras/test", json={**base, "rtsp_url": f"rtsp://127.0.0.1:{free_port()}/s"})
    assert refused.json()["error_code"] == "unreachable"
    assert refused.json()["message"].startswith("Nothing is answering as an RTSP camera at 127.0.0.1:")
    with start_http_server() as port:
        http = client.post("/api/v1/cameras/test", json={**base, "rtsp_url": f"rtsp://127.0.0.1:{port}/s"})
    # a closed port and an HTTP server are told apart by nothing: no port map
    assert http.json()["error_code"] == "unreachable"
    closed_port = refused.json()["message"].split("127.0.0.1:")[1].split(":")[0]
    assert http.json()["message"].replace(str(port), "P") == refused.json()["message"].replace(closed_port, "P")
    monkeypatch.setattr(rtsp_client, "DEFAULT_TIMEOUT", 0.3)
    silent = cameras(mode="silent")
    timed_out = client.post("/api/v1/cameras/test", json={**base, "rtsp_url": silent.rtsp_url})
    assert timed_out.json()["error_code"] == "timeout"
    assert timed_out.json()["latency_ms"] < 1000
    bad = client.post("/api/v1/cameras/test", json={**base, "rtsp_url": "rtsp://h:99999/s"})
    assert bad.status_code == 422


def test_saved_camera_timeout(
    client: TestClient, canary: Canary, monkeypatch: pytest.MonkeyPatch, cameras: Callable[..., FakeRtspCamera]
) -> None:
    monkeypatch.setattr(rtsp_client, "DEFAULT_TIMEOUT", 0.3)
    silent = cameras(mode="silent")
    created = _create(client, rtsp_url=silent.rtsp_url, username="admin", password=canary("silent"))
    result = client.post(f"/api/v1/cameras/{created['id']}/test").json()
    assert result["error_code"] == "timeout" and result["success"] is False


def test_usb_device_check(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera_service, "DEVICE_DIR", tmp_path)
    (tmp_path / "video0").touch()
    present = _create(client, name="Present", type="usb", device_index=0)
    missing = _create(client, name="Missing", type="usb", device_index=3)
    ok = client.post(f"/api/v1/cameras/{present['id']}/test").json()
    assert ok["success"] is True and "video0" in ok["message"]
    gone = client.post(f"/api/v1/cameras/{missing['id']}/test").json()
    assert gone["success"] is False and gone["error_code"] == "no_device" and "video3" in gone["message"]
    unsaved = client.post("/api/v1/cameras/test", json={"type": "usb", "device_index": 0}).json()
    assert unsaved["success"] is True


def test_connection_tests_are_rate_limited(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera_service, "DEVICE_DIR", tmp_path)
    saved = _create(client, type="usb", device_index=0)
    body = {"type": "usb", "device_index": 0}
    for i in range(30):
        path = "/api/v1/cameras/test" if i % 2 else f"/api/v1/cameras/{saved['id']}/test"
        assert client.post(path, json=body if i % 2 else None).status_code == 200
    limited = client.post("/api/v1/cameras/test", json=body)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "connection tests" in limited.json()["detail"]
    assert client.get("/api/v1/cameras").status_code == 200  # CRUD is not limited


# -- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_crud_round_trip_on_postgresql(pg_url: str, canary: Canary, cameras: Callable[..., FakeRtspCamera]) -> None:
    from sqlalchemy import create_engine, text

    from app.main import create_app

    password = canary("pg")
    camera = cameras(password=password)
    app = create_app(make_settings(pg_url))
    with signed_in(app) as client:
        name = f"pg-{password[-8:]}"
        created = _create(client, name=name, rtsp_url=camera.rtsp_url, username="admin", password=password)
        cid = created["id"]
        assert created["password"] == "****" and created["credential_status"] == "set"
        engine = create_engine(pg_url)
        try:
            with engine.connect() as conn:
                stored = conn.execute(text("SELECT password FROM cameras WHERE id = :id"), {"id": cid}).scalar_one()
            assert stored.startswith("encrypted:") and password not in stored
            assert client.post(f"/api/v1/cameras/{cid}/test").json()["success"] is True
            updated = client.put(f"/api/v1/cameras/{cid}", json={"name": name + "-2", "password": "****"})
            assert updated.status_code == 200 and updated.json()["password"] == "****"
            with engine.connect() as conn:
                again = conn.execute(text("SELECT password FROM cameras WHERE id = :id"), {"id": cid}).scalar_one()
            assert again == stored
            assert [c["name"] for c in client.get("/api/v1/cameras").json() if c["id"] == cid] == [name + "-2"]
            assert client.delete(f"/api/v1/cameras/{cid}").status_code == 204
            assert client.get(f"/api/v1/cameras/{cid}").status_code == 404
        finally:
            engine.dispose()
        assert_no_leak(password, created, updated)


# -- a camera that repeats credentials (issue 12, item 1) ------------------------


@pytest.mark.parametrize(
    ("auth", "echo"),
    [("basic", "reason"), ("digest", "codec"), ("basic", "codec")],
    ids=["basic-reason", "digest-codec", "basic-codec"],
)
def test_an_echoing_camera_does_not_show_its_credentials(
    client: TestClient, db_path: Path, canary: Canary, cameras: Callable[..., FakeRtspCamera], auth: str, echo: str
) -> None:
    password = canary("echo-cam")
    camera = cameras(password=password, auth=auth, echo=echo)
    basic = base64.b64encode(f"admin:{password}".encode()).decode()
    created = _create(client, rtsp_url=camera.rtsp_url, username="admin", password=password)
    stored_test = client.post(f"/api/v1/cameras/{created['id']}/test")
    unsaved = client.post(
        "/api/v1/cameras/test",
        json={"type": "rtsp", "rtsp_url": camera.rtsp_url, "username": "admin", "password": password},
    )
    for result in (stored_test, unsaved):
        body = result.json()
        assert result.status_code == 200, result.text
        if echo == "reason":  # the camera did send its Authorization header back
            assert body["success"] is False and "403 Basic ****" in body["message"], body["message"]
        else:  # the camera did name its codec after the password (the client upper-cases codec names)
            assert body["success"] is True and "****" in body["message"], body["message"]
    shown = client.get(f"/api/v1/cameras/{created['id']}")
    for form in (password, password.upper(), basic, basic[:24]):
        assert_no_leak(form, stored_test, unsaved, shown, db_path)


@pytest.mark.parametrize("name", ["access_token", "api_key", "auth_token", "sig", "pw"])
def test_a_credential_in_the_rtsp_query_gets_a_clear_422(
    client: TestClient, db_path: Path, canary: Canary, name: str
) -> None:
    value = canary("query")
    url = f"rtsp://127.0.0.1:8554/stream1?channel=1&{name}={value}"
    created = client.post("/api/v1/cameras", json={"name": "Q", "type": "rtsp", "rtsp_url": url})
    tested = client.post("/api/v1/cameras/test", json={"type": "rtsp", "rtsp_url": url})
    for response in (created, tested):
        assert response.status_code == 422, response.text
        assert "query string" in response.json()["detail"] and name in response.json()["detail"]
    assert client.get("/api/v1/cameras").json() == []
    assert_no_leak(value, created, tested, db_path)


# -- the outbound policy ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "2852039166",
        "0xa9fea9fe",
        "[fd00:ec2::254]",
        "0.0.0.0",
        "[fe80::1]",
        "224.0.0.1",
        "[ff02::1]",
    ],
)
def test_blocked_addresses_are_refused_at_save_and_never_contacted(
    client: TestClient, canary: Canary, host: str
) -> None:
    from tests.services.test_camera_outbound_policy import watch_connects

    password = canary("blocked")
    url = f"rtsp://{host}:554/stream1"
    body = {"name": "Meta", "type": "rtsp", "rtsp_url": url, "username": "admin", "password": password}
    existing = _create(client, rtsp_url="rtsp://192.168.1.20:554/s")
    with watch_connects() as connects:
        created = client.post("/api/v1/cameras", json=body)
        inline = client.post("/api/v1/cameras", json={**body, "rtsp_url": f"rtsp://admin:{password}@{host}/s"})
        tested = client.post("/api/v1/cameras/test", json=body)
        moved = client.put(f"/api/v1/cameras/{existing['id']}", json={"rtsp_url": url, "password": password})
    assert connects == []
    for response in (created, inline, tested, moved):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "rtsp_url"
        assert "cameras are never contacted there" in response.json()["errors"][0]["message"]
    assert "cameras are never contacted there" in created.json()["detail"]
    assert [c["id"] for c in client.get("/api/v1/cameras").json()] == [existing["id"]]
    assert client.get(f"/api/v1/cameras/{existing['id']}").json()["rtsp_url"] == "rtsp://192.168.1.20:554/s"
    assert_no_leak(password, created, inline, tested, moved)


def test_a_stored_blocked_url_is_refused_when_tested(client: TestClient, db_path: Path) -> None:
    """A row saved before the policy existed is checked again before connecting."""
    from tests.services.test_camera_outbound_policy import watch_connects

    created = _create(client, rtsp_url="rtsp://192.168.1.20:554/s")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE cameras SET rtsp_url = ? WHERE id = ?", ("rtsp://169.254.169.254/s", created["id"]))
    with watch_connects() as connects:
        result = client.post(f"/api/v1/cameras/{created['id']}/test")
    assert connects == []
    assert result.status_code == 200
    assert result.json()["success"] is False and result.json()["error_code"] == "address_not_allowed"


def test_loopback_camera_still_works(
    client: TestClient, canary: Canary, cameras: Callable[..., FakeRtspCamera]
) -> None:
    password = canary("loop")
    camera = cameras(password=password)
    created = _create(client, rtsp_url=camera.rtsp_url, username="admin", password=password)
    assert client.post(f"/api/v1/cameras/{created['id']}/test").json()["success"] is True
