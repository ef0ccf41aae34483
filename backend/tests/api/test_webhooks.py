"""Webhook delivery end to end: an event comes in over HTTP, the worker sends
the webhook to a real local receiver, every attempt lands in webhook_logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from app.models.camera import Camera
from app.models.webhook import WebhookDelivery, WebhookLog
from tests.conftest import assert_no_leak, signed_in
from tests.fakes.webhook_receiver import WebhookReceiver, run_receiver

RULES = "/api/v1/alert-rules"
EVENTS = "/api/v1/events"
LOGS = "/api/v1/webhooks/logs"


def fast_worker(app: Any, **overrides: Any) -> None:
    worker = app.state.webhook_worker
    worker.backoff = lambda attempt: 0.0
    worker.poll_interval = 0.05
    worker.shutdown_grace = 1.0
    for key, value in overrides.items():
        setattr(worker, key, value)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    fast_worker(app)
    with signed_in(app) as test_client:
        yield test_client


@pytest.fixture
def rx() -> Iterator[WebhookReceiver]:
    with run_receiver() as receiver:
        yield receiver


@pytest.fixture
def camera_id(app) -> int:
    session = app.state.session_factory()
    camera = Camera(name="Driveway", type="rtsp")
    session.add(camera)
    session.commit()
    session.close()
    return camera.id


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def make_rule(client: TestClient, url: str, headers: dict | None = None, **webhook: Any) -> dict:
    response = client.post(
        RULES,
        json={
            "name": "Person on driveway",
            "cooldown_minutes": 0,
            "conditions": {"object_types": ["person"]},
            "actions": {"dashboard_notification": False, "webhook": {"url": url, "headers": headers or {}, **webhook}},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def post_event(client: TestClient, camera_id: int, **values: Any) -> dict:
    body = {"camera_id": camera_id, "objects_detected": ["person"], "confidence": 91, "description": "A person"}
    body.update(values)
    response = client.post(EVENTS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def logs(client: TestClient, **params: Any) -> list[dict]:
    response = client.get(LOGS, params=params)
    assert response.status_code == 200
    return response.json()["items"]


def delivery_status(app: Any, delivery_id: int | None = None) -> list[tuple[str, int]]:
    with app.state.session_factory() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        return [(r.status, r.attempts) for r in rows if delivery_id in (None, r.id)]


def test_delivery_through_two_500s_then_success(client, app, rx, camera_id) -> None:
    rule = make_rule(client, rx.url + "/hook")
    rx.fail_next(2, status=500, body="upstream broke")
    event = post_event(client, camera_id)
    assert event["triggered_rules"] == [rule["id"]]
    requests = rx.wait_for(3)
    entries = wait_until(lambda: len(logs(client)) == 3 and logs(client))
    assert [(e["attempt"], e["status_code"], e["success"]) for e in reversed(entries)] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert all(e["rule_id"] == rule["id"] and e["event_id"] == event["id"] for e in entries)
    assert entries[-1]["error"] == "HTTP 500"
    assert entries[-1]["response_body"] == "upstream broke"
    assert wait_until(lambda: delivery_status(app) == [("delivered", 3)])
    # the same payload each time: the event and the rule's name
    bodies = [r.json() for r in requests]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["rule_name"] == "Person on driveway"
    assert bodies[0]["event"]["id"] == event["id"]
    assert bodies[0]["event"]["description"] == "A person"
    assert requests[0].headers["content-type"] == "application/json"
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # one id for all attempts: receivers de-duplicate
    assert "webhook-signature" not in requests[0].headers  # no signing secret on this rule
    assert rx.wait_for(3) and len(rx.requests) == 3  # no fourth attempt


def test_three_failures_give_up(client, app, rx, camera_id) -> None:
    make_rule(client, rx.url + "/hook")
    rx.respond_with(503, "down")
    post_event(client, camera_id)
    rx.wait_for(3)
    assert wait_until(lambda: delivery_status(app) == [("failed", 3)])
    time.sleep(0.3)
    assert len(rx.requests) == 3
    assert len(logs(client, success=False)) == 3


def test_429_is_retried_but_4xx_is_not(client, app, rx, camera_id) -> None:
    make_rule(client, rx.url + "/hook")
    rx.fail_next(1, status=429)
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("delivered", 2)])
    rx.reset()
    rx.fail_next(1, status=404)
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app)[-1] == ("failed", 1))
    time.sleep(0.3)
    assert len(rx.requests) == 1


def test_redirects_are_not_followed(client, app, rx, camera_id) -> None:
    with run_receiver() as elsewhere:
        make_rule(client, rx.url + "/hook")
        rx.queue_answer(302, headers={"Location": elsewhere.url + "/stolen"})
        post_event(client, camera_id)
        assert wait_until(lambda: delivery_status(app) == [("failed", 1)])
        time.sleep(0.2)
        assert elsewhere.requests == []
    assert "redirect" in logs(client)[0]["error"]


def test_network_errors_are_retried(client, app, camera_id) -> None:
    with run_receiver() as gone:
        url = gone.url + "/hook"
    make_rule(client, url)  # nothing listens on that port any more
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("failed", 3)])
    entries = logs(client)
    assert len(entries) == 3
    assert all(e["status_code"] is None and e["error"].startswith("Connection failed") for e in entries)


def test_timeout(app, rx, camera_id) -> None:
    fast_worker(app, timeout=0.3)
    with signed_in(app) as client:
        make_rule(client, rx.url + "/hook")
        rx.delay = 1.0
        post_event(client, camera_id)
        entries = wait_until(lambda: logs(client))
        assert entries[0]["error"] == "No answer within 0.3 s."
        assert entries[0]["duration_ms"] < 1000


def test_ingest_does_not_wait_for_delivery(client, app, rx, camera_id) -> None:
    make_rule(client, rx.url + "/hook")
    rx.delay = 2.0
    started = time.monotonic()
    post_event(client, camera_id)
    assert time.monotonic() - started < 1.5
    rx.wait_for(1)
    assert wait_until(lambda: delivery_status(app) == [("delivered", 1)], timeout=10)


def test_decrypted_headers_arrive_exactly_and_nothing_leaks(client, app, rx, camera_id, canary, db_path) -> None:
    auth = f"Bearer {canary('auth')}"
    token = canary("url-token")
    api_key = canary("api-key")
    rule = make_rule(
        client,
        f"{rx.url}/api/webhook/{token}?key={token}",
        {"Authorization": auth, "X-Api-Key": api_key, "X-Room": "hall"},
    )
    # the receiver echoes the secrets back, as some services do in errors
    rx.fail_next(1, status=500, body=f"denied {auth} {api_key} /api/webhook/{token}")
    event = post_event(client, camera_id)
    first, second = rx.wait_for(2)
    for request in (first, second):
        assert request.headers["authorization"] == auth
        assert request.headers["x-api-key"] == api_key
        assert request.headers["x-room"] == "hall"
        assert request.path == f"/api/webhook/{token}?key={token}"
    wait_until(lambda: delivery_status(app) == [("delivered", 2)])

    entries = client.get(LOGS)
    assert [e["url"] for e in entries.json()["items"]] == [f"{rx.url}/****"] * 2
    failed = entries.json()["items"][-1]
    assert failed["response_body"].startswith("denied ")
    with app.state.session_factory() as session:
        rows = session.scalars(select(WebhookLog)).all()
        stored_logs = json.dumps([{c: str(getattr(r, c)) for c in ("url", "error", "response_body")} for r in rows])
        queue = json.dumps([r.payload for r in session.scalars(select(WebhookDelivery)).all()])
    rule_read = client.get(f"{RULES}/{rule['id']}")
    events = client.get(EVENTS)
    for secret in (auth.split()[1], token, api_key):
        assert_no_leak(secret, entries, stored_logs, queue, rule_read, events, json.dumps(event), db_path)


def test_masked_write_back_still_delivers_the_real_header(client, app, rx, camera_id, canary) -> None:
    auth = f"Bearer {canary('auth')}"
    rule = make_rule(client, rx.url + "/hook", {"Authorization": auth})
    body = {k: rule[k] for k in ("name", "is_enabled", "cooldown_minutes", "conditions", "actions")}
    assert client.put(f"{RULES}/{rule['id']}", json=body).status_code == 200
    post_event(client, camera_id)
    (request,) = rx.wait_for(1)
    assert request.headers["authorization"] == auth


def test_origin_change_is_refused_and_nothing_reaches_the_new_origin(client, app, rx, camera_id, canary) -> None:
    auth = f"Bearer {canary('auth')}"
    rule = make_rule(client, rx.url + "/hook", {"Authorization": auth})
    with run_receiver() as attacker:
        response = client.put(
            f"{RULES}/{rule['id']}",
            json={"actions": {"webhook": {"url": attacker.url + "/hook", "headers": {"Authorization": "****"}}}},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "secret_required"
        post_event(client, camera_id)
        rx.wait_for(1)
        wait_until(lambda: delivery_status(app) == [("delivered", 1)])
        assert attacker.requests == []
    assert rx.requests[0].headers["authorization"] == auth


def test_hostname_resolving_to_metadata_is_refused_at_send(client, app, rx, camera_id) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"metadata.test": ["169.254.169.254"], "hooks.test": ["127.0.0.1"]}[host]

    app.state.webhook_worker.resolver = resolver
    make_rule(client, f"http://metadata.test:{rx.port}/latest/meta-data")
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("failed", 1)])  # not retried
    entry = logs(client)[0]
    assert "169.254.169.254" in entry["error"]
    assert entry["status_code"] is None
    # the same receiver is reachable through an allowed name: only the address was refused
    make_rule(client, f"http://hooks.test:{rx.port}/hook")
    post_event(client, camera_id)
    (request,) = rx.wait_for(1)
    assert request.headers["host"] == f"hooks.test:{rx.port}"
    assert all(r.path == "/hook" for r in rx.requests)


def test_private_target_blocked_at_send_when_the_setting_is_on(client, app, rx, camera_id) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    app.state.webhook_worker.resolver = resolver
    make_rule(client, f"http://ha.test:{rx.port}/hook")
    with app.state.session_factory() as session, session.begin():
        session.execute(
            text("INSERT INTO system_settings (key, value) VALUES ('webhook_block_private_networks', 'true')")
        )
    post_event(client, camera_id)
    assert wait_until(lambda: delivery_status(app) == [("failed", 1)])
    assert "private" in logs(client)[0]["error"]
    assert rx.requests == []


def test_signed_payload_verifies(client, app, rx, camera_id, canary) -> None:
    key = hashlib.sha256(canary("signing").encode()).digest()
    secret = "whsec_" + base64.b64encode(key).decode()
    make_rule(client, rx.url + "/hook", signing_secret=secret)
    rx.fail_next(1)
    post_event(client, camera_id)
    first, second = rx.wait_for(2)
    for request in (first, second):
        message_id = request.headers["webhook-id"]
        timestamp = request.headers["webhook-timestamp"]
        assert abs(int(timestamp) - time.time()) < 60
        expected = base64.b64encode(
            hmac.new(key, f"{message_id}.{timestamp}.".encode() + request.body, hashlib.sha256).digest()
        ).decode()
        assert request.headers["webhook-signature"] == f"v1,{expected}"
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # stable across retries


def test_bounded_concurrency(app, rx, camera_id) -> None:
    fast_worker(app, concurrency=2)
    with signed_in(app) as client:
        make_rule(client, rx.url + "/hook")
        rx.delay = 0.2
        for _ in range(6):
            post_event(client, camera_id)
        rx.wait_for(6)
        assert wait_until(lambda: delivery_status(app) == [("delivered", 1)] * 6)
    assert rx.max_in_flight == 2


def test_a_backlog_is_sent_without_waiting_for_the_batch_window(app, rx, camera_id) -> None:
    """Deliveries queued while the API was down: the worker leases them batch
    after batch without pausing (the batch window only gathers new events and
    results). With an hour-long window, any pause would stop the test."""
    from app.schemas.alert_rule import AlertRuleCreate
    from app.schemas.event import EventCreate
    from app.services import event_service
    from app.services.alerts import rules

    worker = app.state.webhook_worker
    backlog = 2 * worker._lease_ahead + 7  # three leases: two full, one not
    with app.state.session_factory() as session:
        rule = AlertRuleCreate.model_validate(
            {
                "name": "backlog",
                "cooldown_minutes": 0,
                "conditions": {"object_types": ["person"]},
                "actions": {"dashboard_notification": False, "webhook": {"url": rx.url + "/hook"}},
            }
        )
        rules.create_rule(session, data=rule)
        for _ in range(backlog):
            event_service.ingest_event(
                session, data=EventCreate(camera_id=camera_id, objects_detected=["person"], confidence=90)
            )
        session.commit()
    fast_worker(app, batch_window=3600.0)
    with signed_in(app):
        rx.wait_for(backlog, timeout=60)
    # Stopping recorded every attempt.
    assert delivery_status(app) == [("delivered", 1)] * backlog
    assert len(rx.requests) == backlog


def test_removed_webhook_fails_queued_delivery(app, rx, camera_id) -> None:
    fast_worker(app)
    # Queued while no worker runs (a client that is not entered does not start the
    # app's lifespan, so nothing can lease the delivery), then the webhook is removed.
    idle = signed_in(app)
    rule = make_rule(idle, rx.url + "/hook")
    post_event(idle, camera_id)
    idle.put(f"{RULES}/{rule['id']}", json={"actions": {"dashboard_notification": True, "webhook": None}})
    assert delivery_status(app) == [("pending", 0)]
    with signed_in(app):  # the worker starts, leases the delivery and finds no webhook
        assert wait_until(lambda: delivery_status(app) == [("failed", 1)])
    assert rx.requests == []
    assert logs(signed_in(app), rule_id=rule["id"])[0]["error"] == "The rule no longer has a webhook."


def test_log_filters_and_paging(client, app, rx, camera_id) -> None:
    good = make_rule(client, rx.url + "/good")
    with run_receiver() as bad_rx:
        bad_rx.respond_with(400, "nope")
        bad = make_rule(client, bad_rx.url + "/bad")
        post_event(client, camera_id)
        wait_until(lambda: sorted(delivery_status(app)) == [("delivered", 1), ("failed", 1)])
    assert [e["rule_id"] for e in logs(client, rule_id=good["id"])] == [good["id"]]
    assert [e["rule_id"] for e in logs(client, success=False)] == [bad["id"]]
    assert [e["success"] for e in logs(client, success=True)] == [True]
    page = client.get(LOGS, params={"limit": 1, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (2, 1, 1, 1)
    assert client.get(LOGS, params={"limit": 0}).status_code == 422


def test_delivery_survives_restart(settings, rx, camera_id, canary) -> None:
    """Two app instances on one database file: a delivery still pending when
    the first stops is sent by the second."""
    from app.main import create_app

    auth = f"Bearer {canary('auth')}"
    first = create_app(settings)
    fast_worker(first, backoff=lambda attempt: 1.5)
    rx.fail_next(1, status=503)
    with signed_in(first) as client:
        make_rule(client, rx.url + "/hook", {"Authorization": auth})
        post_event(client, camera_id)
        rx.wait_for(1)
        wait_until(lambda: delivery_status(first) == [("pending", 1)])
    # stopped, with the retry not yet due
    assert len(rx.requests) == 1
    assert delivery_status(first) == [("pending", 1)]

    second = create_app(settings)
    fast_worker(second)
    with signed_in(second):
        rx.wait_for(2)
        assert wait_until(lambda: delivery_status(second) == [("delivered", 2)])
    assert [r.headers["authorization"] for r in rx.requests] == [auth, auth]


def test_in_flight_delivery_is_resent_after_restart(settings, rx, camera_id) -> None:
    """A request still waiting for its answer when the app stops is released
    and sent again by the next start: at least once, never lost."""
    from app.main import create_app

    first = create_app(settings)
    fast_worker(first, shutdown_grace=0.2)
    rx.delay = 3.0
    with signed_in(first) as client:
        make_rule(client, rx.url + "/hook")
        post_event(client, camera_id)
        rx.wait_for(1)
    assert delivery_status(first) == [("pending", 0)]
    rx.delay = 0.0

    second = create_app(settings)
    fast_worker(second)
    with signed_in(second):
        rx.wait_for(2)
        assert wait_until(lambda: delivery_status(second) == [("delivered", 1)])


# -- a receiver that echoes its credentials (issue 12, item 1) -------------------


def _echo_case(kind: str, canary: Callable[[str], str], rx: WebhookReceiver) -> tuple[str, dict, list[str]]:
    """(url, headers, forms that must not come back) for one kind of echoed secret."""
    token = canary(f"echo-{kind}")
    url = rx.url + "/hook"
    if kind == "bearer":  # the token without "Bearer "
        rx_form, headers, forms = ("authorization", "credentials"), {"Authorization": f"Bearer {token}"}, [token]
    elif kind == "cookie":  # a cookie's value without its name
        rx_form, headers, forms = ("cookie", "cookie-values"), {"Cookie": f"theme=dark; sid={token}"}, [token]
    elif kind == "basic":  # base64 of user:password, as sent
        encoded = base64.b64encode(f"hub:{token}".encode()).decode()
        rx_form, headers, forms = ("authorization", "basic"), {"Authorization": f"Basic {encoded}"}, [encoded, token]
    elif kind == "upper":  # a receiver that folds case
        rx_form, headers, forms = ("x-pin", "upper"), {"X-Pin": token}, [token, token.upper()]
    elif kind == "percent":  # percent-encoded
        value = f"{token}/p@ss word"
        rx_form, headers, forms = ("x-passcode", "percent"), {"X-Passcode": value}, [token, value]
    else:  # a token in the URL's query
        url, rx_form, headers, forms = f"{url}?access_token={token}", ("query", "as-sent"), {}, [token]
    return url, headers, [*forms, rx_form[0]]


@pytest.mark.parametrize("status", [200, 429, 500])
@pytest.mark.parametrize("kind", ["bearer", "cookie", "basic", "upper", "percent", "query"])
def test_an_echoed_credential_is_not_stored_or_served(
    client, app, rx, camera_id, db_path, canary, kind, status
) -> None:
    url, headers, forms = _echo_case(kind, canary, rx)
    echo_header = forms.pop()
    form = {"bearer": "credentials", "cookie": "cookie-values", "basic": "basic", "upper": "upper"}.get(kind)
    rx.echo(echo_header, form=form or ("percent" if kind == "percent" else "as-sent"), status=status)
    fast_worker(app, max_attempts=1)
    make_rule(client, url, headers)
    post_event(client, camera_id)
    received = rx.wait_for(1)
    entries = wait_until(lambda: logs(client))
    # the receiver really did answer with the secret...
    answered = rx.echoing.answer(received[0]).body.decode()  # type: ignore[union-attr]
    assert any(f.lower() in answered.lower() for f in forms), answered
    # ...and none of it is kept or shown
    entry = entries[0]
    assert entry["status_code"] == status and entry["response_body"].startswith("invalid credential: ")
    assert "****" in entry["response_body"]
    listed = client.get(LOGS)
    for secret in forms:
        assert_no_leak(secret, listed, db_path)
        assert secret.lower() not in listed.text.lower()
    with app.state.session_factory() as session:
        stored = session.scalars(select(WebhookLog.response_body)).all()
        assert stored and all(len(body or "") <= 200 for body in stored)
        for secret in forms:
            assert not any(secret.lower() in (body or "").lower() for body in stored)


def test_a_long_echo_is_stored_short_and_redacted(client, app, rx, camera_id, canary) -> None:
    token = canary("long-echo")
    rx.respond_with(500, "x" * 190 + token + "y" * 5000)  # the secret straddles the cut
    fast_worker(app, max_attempts=1)
    make_rule(client, rx.url + "/hook", {"Authorization": f"Bearer {token}"})
    post_event(client, camera_id)
    entry = wait_until(lambda: logs(client))[0]
    assert len(entry["response_body"]) <= 200
    assert token[:8] not in entry["response_body"]


def test_a_header_stored_in_clear_by_the_old_rule_is_sent_and_its_echo_redacted(
    client, app, rx, camera_id, db_path, canary
) -> None:
    """A rule saved when only credential-sounding names were secret keeps working:
    its plaintext X-Pin is sent as stored, and counts as secret when echoed."""
    from app.core.encryption import encrypt
    from app.core.secret_fields import webhook_url_context
    from app.models.alert_rule import AlertRule

    pin = canary("legacy-pin")
    rx.echo("x-pin", status=401)
    fast_worker(app, max_attempts=1)
    with app.state.session_factory() as session:
        rule = AlertRule(name="legacy", conditions="{}", actions="{}", cooldown_minutes=0)
        session.add(rule)
        session.flush()
        webhook = {
            "url": encrypt(rx.url + "/hook", context=webhook_url_context(rule.id)),
            "origin": rx.url,
            "headers": {"X-Pin": pin},
            "secret_headers": [],
        }
        rule.actions = json.dumps({"dashboard_notification": False, "webhook": webhook})
        session.commit()
    post_event(client, camera_id)
    assert rx.wait_for(1)[0].headers["x-pin"] == pin
    entry = wait_until(lambda: logs(client))[0]
    assert entry["response_body"] == "invalid credential: ****"
    assert_no_leak(pin, client.get(LOGS))
