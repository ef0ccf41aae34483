"""Webhook health: a rule's ``last_delivery``, "Send test" through the real
delivery path, and resending a failed delivery from the log. Against the real
local receiver; failures come from it (500s) or from a closed loopback port."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from standardwebhooks.webhooks import Webhook

from app.models.audit import AuditEntry
from app.models.webhook import WebhookDelivery, WebhookLog
from tests.api.test_webhooks import (  # the helpers and fixtures of the delivery tests
    LOGS,
    RULES,
    camera_id,
    client,
    delivery_status,
    logs,
    make_rule,
    post_event,
    rx,
    wait_until,
)
from tests.conftest import assert_no_leak, captured_logs, free_port, signed_in

__all__ = ["camera_id", "client", "rx"]  # fixtures, imported to be used here

RESEND = "/api/v1/webhooks/deliveries/{}/resend"


def rule_of(client: Any, rule_id: int) -> dict[str, Any]:
    response = client.get(f"{RULES}/{rule_id}")
    assert response.status_code == 200
    return response.json()


def last_delivery(client: Any, rule_id: int) -> dict[str, Any] | None:
    value: dict[str, Any] | None = rule_of(client, rule_id)["last_delivery"]
    return value


def send_test(client: Any, rule_id: int) -> Any:
    return client.post(f"{RULES}/{rule_id}/test")


def parse_time(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


def audit_actions(app: Any) -> list[tuple[str, str | None, str]]:
    with app.state.session_factory() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.action, r.target, r.outcome) for r in rows if r.action.startswith("webhook_")]


def signing_secret(canary: Any) -> str:
    return "whsec_" + base64.b64encode(hashlib.sha256(canary("signing").encode()).digest()).decode()


# -- last_delivery -------------------------------------------------------------------


def test_last_delivery_after_success_in_every_response(client, rx, camera_id) -> None:
    rule = make_rule(client, rx.url + "/hook")
    assert rule["last_delivery"] is None  # POST: none yet
    assert client.get(RULES).json()[0]["last_delivery"] is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    post_event(client, camera_id)
    rx.wait_for(1)
    last = wait_until(lambda: last_delivery(client, rule["id"]))
    assert last["success"] is True
    assert last["status_code"] == 200
    assert last["message"] == "Delivered (HTTP 200)."
    assert before <= parse_time(last["at"]) <= datetime.now(UTC) + timedelta(seconds=1)
    (listed,) = client.get(RULES).json()
    assert listed["last_delivery"] == last
    put = client.put(f"{RULES}/{rule['id']}", json={"name": "Renamed"})
    assert put.status_code == 200 and put.json()["last_delivery"] == last


def test_last_delivery_after_all_attempts_failed(client, app, rx, camera_id) -> None:
    rule = make_rule(client, rx.url + "/hook")
    other = make_rule(client, rx.url + "/other")
    rx.respond_with(503, "down for maintenance")
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("failed", 3), ("failed", 3)])
    last = last_delivery(client, rule["id"])
    assert last is not None
    assert (last["success"], last["status_code"], last["message"]) == (False, 503, "HTTP 503")
    # the list answers each rule's own last attempt
    listed = {r["id"]: r["last_delivery"] for r in client.get(RULES).json()}
    assert listed[rule["id"]] == last
    assert listed[other["id"]]["success"] is False


def test_last_delivery_after_a_retry_succeeds(client, app, rx, camera_id) -> None:
    rule = make_rule(client, rx.url + "/hook")
    rx.fail_next(1, status=500)
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("delivered", 2)])
    last = last_delivery(client, rule["id"])
    assert last is not None and last["success"] is True and last["status_code"] == 200


def test_list_reads_every_last_delivery_in_one_query(client, app, rx, camera_id) -> None:
    """The rule list must not make one query per rule: the newest log ids, then those rows."""
    from sqlalchemy import event

    for n in range(5):
        make_rule(client, f"{rx.url}/hook{n}")
    post_event(client, camera_id)
    rx.wait_for(5)
    wait_until(lambda: delivery_status(app) == [("delivered", 1)] * 5)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "webhook_logs" in statement:
            statements.append(statement)

    engine = app.state.session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        listed = client.get(RULES).json()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(listed) == 5 and all(r["last_delivery"]["success"] for r in listed)
    assert len(statements) == 2


def test_put_accepts_its_own_get_body(client, rx, camera_id, canary) -> None:
    auth = f"Bearer {canary('auth')}"
    rule = make_rule(client, rx.url + "/hook", {"Authorization": auth}, signing_secret=signing_secret(canary))
    post_event(client, camera_id)
    rx.wait_for(1)
    body = wait_until(lambda: (r := rule_of(client, rule["id"]))["last_delivery"] and r)
    put = client.put(f"{RULES}/{rule['id']}", json=body)
    assert put.status_code == 200, put.text
    after = put.json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in body.items() if k != "updated_at"}
    # read-only values are ignored, whatever they say
    changed = {**body, "id": 999, "last_delivery": {"success": False}, "created_at": "garbage", "name": "Kept"}
    put = client.put(f"{RULES}/{rule['id']}", json=changed)
    assert put.status_code == 200, put.text
    assert put.json()["id"] == rule["id"] and put.json()["name"] == "Kept"
    assert put.json()["last_delivery"] == body["last_delivery"]
    assert put.json()["created_at"] == body["created_at"]
    rx.reset()
    post_event(client, camera_id)
    (request,) = rx.wait_for(1)
    assert request.headers["authorization"] == auth  # the masked write-back kept the real header


# -- Send test -----------------------------------------------------------------------


def test_send_test_success_is_signed_logged_and_shown(client, app, rx, canary) -> None:
    secret = signing_secret(canary)
    rule = make_rule(client, rx.url + "/hook", {"X-Room": "hall"}, signing_secret=secret)
    response = send_test(client, rule["id"])
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "status_code": 200, "message": "Delivered (HTTP 200)."}
    (request,) = rx.requests
    payload = request.json()
    assert payload["type"] == "alert.test" and payload["test"] is True
    assert payload["rule_id"] == rule["id"] and payload["rule_name"] == "Person on driveway"
    assert request.headers["x-room"] == "hall"
    assert request.headers["webhook-id"].startswith("msg_test_")
    # the receiver's own check: the standardwebhooks package verifies the signature
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified == payload
    with pytest.raises(Exception):  # noqa: B017 - any verification error: a changed body must not verify
        Webhook(secret).verify(request.body + b" ", request.headers)
    (entry,) = logs(client)
    assert entry["test"] is True and entry["delivery_id"] is None and entry["can_resend"] is False
    assert entry["delivery_status"] is None and entry["rule_id"] == rule["id"] and entry["success"] is True
    last = last_delivery(client, rule["id"])
    assert last is not None and last["success"] is True and last["status_code"] == 200
    with app.state.session_factory() as session:
        assert session.scalars(select(WebhookDelivery)).all() == []  # nothing queued
    # a second test has an id of its own: a receiver that drops duplicates keeps it
    assert send_test(client, rule["id"]).json()["success"] is True
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 2
    assert audit_actions(app) == [("webhook_test", f"rule {rule['id']}", "ok")] * 2


def test_send_test_500_makes_one_attempt_and_turns_the_rule_red(client, app, rx) -> None:
    rule = make_rule(client, rx.url + "/hook")
    rx.respond_with(500, "upstream broke")
    response = send_test(client, rule["id"])
    assert response.status_code == 200
    assert response.json() == {"success": False, "status_code": 500, "message": "HTTP 500"}
    assert len(rx.wait_for(1)) == 1
    wait_until(lambda: True, timeout=0.3)
    assert len(rx.requests) == 1  # retries off
    last = last_delivery(client, rule["id"])
    assert last is not None and (last["success"], last["status_code"], last["message"]) == (False, 500, "HTTP 500")
    (entry,) = logs(client)
    assert entry["test"] is True and entry["response_body"] == "upstream broke"
    assert audit_actions(app) == [("webhook_test", f"rule {rule['id']}", "failed")]


def test_send_test_connection_refused(client) -> None:
    port = free_port()  # closed: nothing listens
    rule = make_rule(client, f"http://127.0.0.1:{port}/hook")
    body = send_test(client, rule["id"]).json()
    assert body["success"] is False and body["status_code"] is None
    assert body["message"].startswith("Connection failed")
    last = last_delivery(client, rule["id"])
    assert last is not None and last["message"] == body["message"] and last["status_code"] is None
    (entry,) = logs(client)  # one attempt: a retryable failure is not retried either
    assert entry["test"] is True and entry["error"] == body["message"]


def test_send_test_is_refused_by_the_outbound_policy(client, app, rx) -> None:
    rule = make_rule(client, rx.url + "/hook")  # allowed when saved
    with app.state.session_factory() as session, session.begin():
        session.execute(
            text("INSERT INTO system_settings (key, value) VALUES ('webhook_block_private_networks', 'true')")
        )
    body = send_test(client, rule["id"]).json()
    assert body["success"] is False and body["status_code"] is None
    assert "private" in body["message"]
    assert rx.requests == []  # nothing left the policy
    last = last_delivery(client, rule["id"])
    assert last is not None and "private" in last["message"]
    (entry,) = logs(client)
    assert entry["test"] is True and entry["error"] == body["message"]


def test_send_test_unknown_rule_and_rule_without_webhook(client, app) -> None:
    missing = send_test(client, 999)
    assert missing.status_code == 404 and "999" in missing.json()["detail"]
    plain = client.post(RULES, json={"name": "Dashboard only", "actions": {"dashboard_notification": True}})
    response = send_test(client, plain.json()["id"])
    assert response.status_code == 422
    assert response.json()["code"] == "no_webhook"
    assert "has no webhook" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "actions.webhook"
    assert audit_actions(app) == []


def test_send_test_is_rate_limited(client) -> None:
    plain = client.post(RULES, json={"name": "No webhook"}).json()
    answers = [send_test(client, plain["id"]).status_code for _ in range(11)]
    assert answers == [422] * 10 + [429]
    limited = send_test(client, plain["id"])
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_send_test_and_resend_are_admin_only(app, client, rx) -> None:
    rule = make_rule(client, rx.url + "/hook")
    viewer = signed_in(app, username="watcher", role="viewer")
    assert viewer.post(f"{RULES}/{rule['id']}/test").status_code == 403
    assert viewer.post(RESEND.format(1)).status_code == 403
    assert rx.requests == []


def test_nothing_secret_leaks_from_a_test_or_its_log(client, app, rx, db_path, canary) -> None:
    token = canary("url-token")
    api_key = canary("api-key")
    secret = signing_secret(canary)
    rule = make_rule(client, f"{rx.url}/api/webhook/{token}?key={token}", {"X-Api-Key": api_key}, signing_secret=secret)
    rx.respond_with(500, f"denied {api_key} at /api/webhook/{token} with {secret}")
    failed = send_test(client, rule["id"])
    assert failed.json()["success"] is False
    (request,) = rx.requests
    assert request.path == f"/api/webhook/{token}?key={token}" and request.headers["x-api-key"] == api_key
    closed = make_rule(client, f"http://127.0.0.1:{free_port()}/hook/{token}?key={token}", {"X-Api-Key": api_key})
    refused = send_test(client, closed["id"])
    assert refused.json()["success"] is False
    entries = client.get(LOGS)
    assert entries.json()["total"] == 2
    rules = client.get(RULES)
    with app.state.session_factory() as session:
        columns = WebhookLog.__table__.columns
        stored = json.dumps([[str(getattr(r, c.name)) for c in columns] for r in session.scalars(select(WebhookLog))])
    for value in (token, api_key, secret, secret.removeprefix("whsec_")):
        assert_no_leak(value, failed, refused, entries, rules, stored, captured_logs(), db_path)


# -- resend ----------------------------------------------------------------------------


def test_resend_a_failed_delivery_delivers_once(client, app, rx, camera_id) -> None:
    rule = make_rule(client, rx.url + "/hook")
    rx.respond_with(503, "down")
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("failed", 3)])
    entries = logs(client)
    assert len(entries) == 3
    delivery_id = entries[0]["delivery_id"]
    assert all(
        e["delivery_id"] == delivery_id and e["can_resend"] and e["delivery_status"] == "failed" for e in entries
    )
    assert all(e["test"] is False for e in entries)
    first_id = rx.requests[0].headers["webhook-id"]

    rx.respond_with(200, "ok")
    response = client.post(RESEND.format(delivery_id))
    assert response.status_code == 202, response.text
    assert response.json() == {"delivery_id": delivery_id, "status": "pending"}
    assert wait_until(lambda: delivery_status(app) == [("delivered", 1)])  # attempts counted afresh
    wait_until(lambda: True, timeout=0.3)
    assert len(rx.requests) == 4  # three failures, then the resend, once
    assert rx.requests[3].headers["webhook-id"] == first_id  # the same message: receivers de-duplicate
    assert rx.requests[3].body == rx.requests[0].body
    entries = logs(client)
    assert [(e["attempt"], e["success"]) for e in entries] == [(1, True), (3, False), (2, False), (1, False)]
    assert not any(e["can_resend"] for e in entries) and {e["delivery_status"] for e in entries} == {"delivered"}
    last = last_delivery(client, rule["id"])
    assert last is not None and last["success"] is True
    assert audit_actions(app) == [("webhook_resend", f"delivery {delivery_id}", "ok")]

    again = client.post(RESEND.format(delivery_id))
    assert again.status_code == 409
    assert "delivered" in again.json()["detail"] and again.json()["status"] == "delivered"


def test_resend_refuses_a_pending_and_an_unknown_delivery(client, app, rx) -> None:
    rule = make_rule(client, rx.url + "/hook")
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    with app.state.session_factory() as session, session.begin():
        delivery = WebhookDelivery(rule_id=rule["id"], payload="{}", status="pending", next_attempt_at=later)
        session.add(delivery)
        session.flush()
        pending_id = delivery.id
    response = client.post(RESEND.format(pending_id))
    assert response.status_code == 409 and response.json()["status"] == "pending"
    missing = client.post(RESEND.format(999999))
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert client.post(RESEND.format(0)).status_code == 422
    assert delivery_status(app) == [("pending", 0)]
    assert rx.requests == []
    assert audit_actions(app) == []
