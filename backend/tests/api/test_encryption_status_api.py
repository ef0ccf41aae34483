"""``GET /api/v1/encryption/status`` and the backup confirmation: the same facts as the CLI."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

from app.core.db import utcnow
from app.services import audit_service
from tests.conftest import SESSION_KEY, assert_no_leak
from tests.migration.helpers import cli_env, run_cli


def test_status_shows_where_the_key_is_its_fingerprint_and_counts(client, settings, tmp_path, canary) -> None:
    password = canary("camera")
    created = client.post(
        "/api/v1/cameras",
        json={
            "name": "Yard",
            "type": "rtsp",
            "rtsp_url": "rtsp://127.0.0.1:8554/s",
            "username": "u",
            "password": password,
        },
    )
    assert created.status_code == 201
    status = client.get("/api/v1/encryption/status")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["key_source"] == "environment" and body["key_location"] is None
    assert body["fingerprint"] == hashlib.sha256(base64.urlsafe_b64decode(SESSION_KEY)).hexdigest()[:12]
    assert body["previous_keys"] == 0
    assert body["key_check"] == "primary" and body["key_check_at"].endswith("Z")
    assert body["rotation"] == {"started_at": None, "finished_at": None, "in_progress": False}
    assert body["totals"]["primary"] >= 1 and body["totals"]["plaintext"] == 0
    # The CLI counts the same.
    cli = run_cli(["encryption-status", "--json"], cli_env(tmp_path, settings.database_url, SESSION_KEY))
    report = json.loads(cli.stdout)
    assert report["totals"] == body["totals"] and report["fingerprint"] == body["fingerprint"]
    assert {p["place"]: {k: p[k] for k in report["totals"]} for p in body["places"]} == report["places"]
    assert SESSION_KEY not in status.text
    assert_no_leak(password, status)


def test_backup_confirmation_is_remembered(client) -> None:
    assert client.get("/api/v1/encryption/status").json()["backup_confirmed_at"] is None
    confirmed = client.post("/api/v1/encryption/backup-confirmation")
    assert confirmed.status_code == 200
    at = confirmed.json()["backup_confirmed_at"]
    assert at.endswith("Z")
    assert client.get("/api/v1/encryption/status").json()["backup_confirmed_at"] == at
    entries = client.get("/api/v1/audit", params={"action": "backup_confirmed"}).json()
    assert entries["total"] == 1


def test_rotation_state_comes_from_the_audit_trail(client, app) -> None:
    with app.state.session_factory() as session:
        audit_service.record(session, actor="cli", address=None, action="rotation_start", target="all secrets")
        session.commit()
    assert client.get("/api/v1/encryption/status").json()["rotation"]["in_progress"] is True
    with app.state.session_factory() as session:
        session.execute(
            audit_service.core_table(audit_service.AuditEntry)
            .insert()
            .values(
                at=utcnow() + timedelta(seconds=1),
                actor="cli",
                action="rotation_end",
                target="all secrets",
                outcome="ok",
            )
        )
        session.commit()
    rotation = client.get("/api/v1/encryption/status").json()["rotation"]
    assert rotation["in_progress"] is False and rotation["finished_at"] is not None
