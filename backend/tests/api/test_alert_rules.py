"""Alert rules over HTTP: CRUD, validation, and webhook secrets (encrypted at
rest, masked in responses, kept on masked write-back, re-required when the
destination changes)."""

from __future__ import annotations

import json
import re

import pytest

from app.core.encryption import decrypt, is_encrypted
from app.core.secret_fields import webhook_header_context, webhook_signing_secret_context, webhook_url_context
from app.models.alert_rule import AlertRule
from app.models.camera import Camera
from app.models.system_setting import SystemSetting
from tests.conftest import assert_no_leak

RULES = "/api/v1/alert-rules"


@pytest.fixture
def camera_ids(db_session) -> list[int]:
    cams = [Camera(name="Front", type="rtsp"), Camera(name="Back", type="usb", device_index=0)]
    db_session.add_all(cams)
    db_session.commit()
    return [c.id for c in cams]


def _stored(db_session, rule_id: int) -> dict:
    db_session.expire_all()
    return json.loads(db_session.get(AlertRule, rule_id).actions)


def _webhook_rule(client, url: str, headers: dict | None = None, **webhook) -> dict:
    body = {
        "name": "Night person",
        "cooldown_minutes": 5,
        "conditions": {"object_types": ["person"]},
        "actions": {"dashboard_notification": True, "webhook": {"url": url, "headers": headers or {}, **webhook}},
    }
    response = client.post(RULES, json=body)
    assert response.status_code == 201, response.text
    return response.json()


# -- CRUD and validation ---------------------------------------------------------


def test_create_read_update_delete(client, camera_ids) -> None:
    body = {
        "name": "Person at night",
        "cooldown_minutes": 0,
        "conditions": {
            "object_types": ["Person", "person", " car "],
            "cameras": [camera_ids[1], camera_ids[0]],
            "min_confidence": 70,
            "time_window": {"start": "22:00", "end": "06:00"},
            "days_of_week": [6, 0, 1],
            "keywords": ["door"],
        },
        "actions": {"dashboard_notification": True, "webhook": None},
    }
    created = client.post(RULES, json=body)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["is_enabled"] is True
    assert rule["cooldown_minutes"] == 0
    assert rule["conditions"] == {
        "object_types": ["person", "car"],
        "cameras": sorted(camera_ids),
        "min_confidence": 70,
        "time_window": {"start": "22:00", "end": "06:00"},
        "days_of_week": [0, 1, 6],
        "keywords": ["door"],
    }
    assert rule["actions"] == {"dashboard_notification": True, "webhook": None}
    assert rule["last_triggered_at"] is None
    assert rule["created_at"].endswith("Z")

    assert client.get(f"{RULES}/{rule['id']}").json() == rule
    assert [r["id"] for r in client.get(RULES).json()] == [rule["id"]]

    updated = client.put(f"{RULES}/{rule['id']}", json={"is_enabled": False, "conditions": {"min_confidence": 10}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["is_enabled"] is False
    assert updated.json()["name"] == "Person at night"  # untouched
    assert updated.json()["conditions"]["min_confidence"] == 10
    assert updated.json()["conditions"]["object_types"] is None

    assert client.delete(f"{RULES}/{rule['id']}").status_code == 204
    assert client.get(f"{RULES}/{rule['id']}").status_code == 404
    assert client.put(f"{RULES}/{rule['id']}", json={"name": "x"}).status_code == 404
    assert client.delete(f"{RULES}/{rule['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "r", "cooldown_minutes": -1}, "cooldown_minutes"),
        ({"name": "r", "conditions": {"min_confidence": 101}}, "conditions.min_confidence"),
        ({"name": "r", "conditions": {"time_window": {"start": "24:00", "end": "06:00"}}}, "conditions.time_window"),
        ({"name": "r", "conditions": {"time_window": {"start": "7:00", "end": "08:00"}}}, "conditions.time_window"),
        ({"name": "r", "conditions": {"time_window": {"start": "07:00", "end": "07:00"}}}, "conditions.time_window"),
        ({"name": "r", "conditions": {"days_of_week": [7]}}, "conditions.days_of_week"),
        ({"name": "r", "conditions": {"objects": ["person"]}}, "conditions.objects"),
        ({"name": "r", "conditions": {"keywords": [""]}}, "conditions.keywords"),
        ({"name": "r", "actions": {"webhook": {"headers": {}}}}, "actions.webhook.url"),
    ],
)
def test_invalid_rules_get_clear_422(client, body: dict, field: str) -> None:
    response = client.post(RULES, json=body)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    assert client.get(RULES).json() == []


def test_empty_lists_mean_any(client) -> None:
    body = {"name": "r", "conditions": {"object_types": [], "cameras": [], "days_of_week": [], "keywords": []}}
    rule = client.post(RULES, json=body).json()
    assert all(value is None for value in rule["conditions"].values())


def test_unknown_camera_refused(client, camera_ids) -> None:
    response = client.post(RULES, json={"name": "r", "conditions": {"cameras": [camera_ids[0], 999]}})
    assert response.status_code == 422
    assert "999" in response.json()["detail"]


def test_failed_update_keeps_the_rule(client, camera_ids) -> None:
    rule = client.post(RULES, json={"name": "keep me", "conditions": {"min_confidence": 50}}).json()
    bad = client.put(f"{RULES}/{rule['id']}", json={"name": "changed", "conditions": {"cameras": [999]}})
    assert bad.status_code == 422
    assert client.get(f"{RULES}/{rule['id']}").json() == rule


# -- webhook secrets -------------------------------------------------------------


def test_webhook_secrets_encrypted_and_masked(client, db_session, db_path, canary) -> None:
    path_token = canary("url-token")
    auth = canary("auth")
    api_token = canary("api-token")
    marked = canary("marked")
    url = f"https://hooks.example.com:8443/services/{path_token}?token={path_token}"
    response = client.post(
        RULES,
        json={
            "name": "hook",
            "actions": {
                "dashboard_notification": False,
                "webhook": {
                    "url": url,
                    "headers": {
                        "Authorization": f"Bearer {auth}",
                        "X-Api-Token": api_token,
                        "X-Custom": marked,
                        "Content-Type": "application/json",
                    },
                    "secret_headers": ["X-Custom"],
                },
            },
        },
    )
    assert response.status_code == 201, response.text
    rule = response.json()
    assert rule["actions"]["webhook"] == {
        "url": "https://hooks.example.com:8443/****",
        "headers": {
            "Authorization": "****",
            "X-Api-Token": "****",
            "X-Custom": "****",
            "Content-Type": "application/json",
        },
        "secret_headers": ["X-Custom"],
        "plain_headers": [],
        "signing_secret": None,
    }
    stored = _stored(db_session, rule["id"])["webhook"]
    assert is_encrypted(stored["url"])
    assert decrypt(stored["url"], context=webhook_url_context(rule["id"])) == url
    for name, plain in (("Authorization", f"Bearer {auth}"), ("X-Api-Token", api_token), ("X-Custom", marked)):
        assert is_encrypted(stored["headers"][name])
        assert decrypt(stored["headers"][name], context=webhook_header_context(rule["id"], name)) == plain
    assert stored["headers"]["Content-Type"] == "application/json"
    listed = client.get(RULES)
    one = client.get(f"{RULES}/{rule['id']}")
    for secret in (path_token, auth, api_token, marked):
        assert_no_leak(secret, response, listed, one, db_path)


def test_masked_write_back_keeps_everything(client, db_session, canary) -> None:
    auth = canary("auth")
    token = canary("path")
    rule = _webhook_rule(client, f"https://hooks.example.com/hook/{token}", {"Authorization": f"Bearer {auth}"})
    before = _stored(db_session, rule["id"])["webhook"]
    body = {k: rule[k] for k in ("name", "is_enabled", "cooldown_minutes", "conditions", "actions")}
    body["name"] = "renamed"
    response = client.put(f"{RULES}/{rule['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["actions"] == rule["actions"]
    after = _stored(db_session, rule["id"])["webhook"]
    assert after["url"] == before["url"]  # the very same token: nothing re-encrypted or lost
    assert after["headers"]["Authorization"] == before["headers"]["Authorization"]
    assert decrypt(after["headers"]["Authorization"], context=webhook_header_context(rule["id"], "authorization")) == (
        f"Bearer {auth}"
    )


def test_new_path_on_same_origin_keeps_masked_headers(client, db_session, canary) -> None:
    auth = canary("auth")
    new_token = canary("new-path")
    rule = _webhook_rule(client, "https://hooks.example.com/old", {"Authorization": auth})
    response = client.put(
        f"{RULES}/{rule['id']}",
        json={
            "actions": {
                "webhook": {
                    "url": f"https://HOOKS.example.com:443/new/{new_token}",
                    "headers": {"Authorization": "****"},
                }
            }
        },
    )
    assert response.status_code == 200, response.text
    stored = _stored(db_session, rule["id"])["webhook"]
    assert decrypt(stored["url"], context=webhook_url_context(rule["id"])).endswith(new_token)
    assert (
        decrypt(stored["headers"]["Authorization"], context=webhook_header_context(rule["id"], "Authorization")) == auth
    )


@pytest.mark.parametrize(
    "new_url",
    [
        "https://evil.example.net/hook",  # host
        "http://hooks.example.com/hook",  # scheme
        "https://hooks.example.com:8443/hook",  # port
    ],
)
def test_origin_change_with_masked_secret_is_refused(client, db_session, canary, new_url: str) -> None:
    auth = canary("auth")
    rule = _webhook_rule(
        client, "https://hooks.example.com/hook", {"Authorization": auth, "Content-Type": "text/plain"}
    )
    before = _stored(db_session, rule["id"])
    response = client.put(
        f"{RULES}/{rule['id']}",
        json={
            "actions": {"webhook": {"url": new_url, "headers": {"Authorization": "****", "Content-Type": "text/plain"}}}
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "secret_required"
    assert response.json()["fields"] == ["headers.Authorization"]
    assert _stored(db_session, rule["id"]) == before
    assert_no_leak(auth, response)


def test_origin_change_with_re_entered_secret_is_accepted(client, db_session, canary) -> None:
    old = canary("old-auth")
    new = canary("new-auth")
    rule = _webhook_rule(client, "https://hooks.example.com/hook", {"Authorization": old})
    response = client.put(
        f"{RULES}/{rule['id']}",
        json={"actions": {"webhook": {"url": "https://other.example.net/hook", "headers": {"Authorization": new}}}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["actions"]["webhook"]["url"] == "https://other.example.net/****"
    stored = _stored(db_session, rule["id"])["webhook"]
    assert (
        decrypt(stored["headers"]["Authorization"], context=webhook_header_context(rule["id"], "Authorization")) == new
    )


def test_masked_url_with_edited_host_is_refused(client, db_session, canary) -> None:
    token = canary("path")
    rule = _webhook_rule(client, f"https://hooks.example.com/hook/{token}")
    before = _stored(db_session, rule["id"])
    response = client.put(
        f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": "https://evil.example.net/****"}}}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "secret_required"
    assert _stored(db_session, rule["id"]) == before


def test_masked_url_without_stored_url_is_refused(client) -> None:
    response = client.post(RULES, json={"name": "r", "actions": {"webhook": {"url": "https://hooks.example.com/****"}}})
    assert response.status_code == 422
    assert response.json()["code"] == "secret_required"


def test_masked_header_without_stored_value_is_refused(client) -> None:
    rule = _webhook_rule(client, "https://hooks.example.com/hook")
    response = client.put(
        f"{RULES}/{rule['id']}",
        json={"actions": {"webhook": {"url": rule["actions"]["webhook"]["url"], "headers": {"Authorization": "****"}}}},
    )
    assert response.status_code == 422
    assert "Authorization" in response.json()["detail"]


def test_header_null_or_absent_removes_it(client, db_session, canary) -> None:
    rule = _webhook_rule(
        client, "https://hooks.example.com/hook", {"Authorization": canary("a"), "X-Token": canary("b")}
    )
    url = rule["actions"]["webhook"]["url"]
    response = client.put(
        f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": url, "headers": {"Authorization": None}}}}
    )
    assert response.status_code == 200
    assert response.json()["actions"]["webhook"]["headers"] == {}
    assert _stored(db_session, rule["id"])["webhook"]["headers"] == {}


def test_unmarking_a_secret_header_does_not_reveal_it(client, db_session, canary) -> None:
    marked = canary("marked")
    rule = _webhook_rule(
        client, "https://hooks.example.com/hook", {"User-Agent": marked}, secret_headers=["User-Agent"]
    )
    url = rule["actions"]["webhook"]["url"]
    response = client.put(
        f"{RULES}/{rule['id']}",
        json={"actions": {"webhook": {"url": url, "headers": {"User-Agent": "****"}, "secret_headers": []}}},
    )
    assert response.status_code == 200
    assert response.json()["actions"]["webhook"]["headers"] == {"User-Agent": "****"}
    assert response.json()["actions"]["webhook"]["secret_headers"] == ["User-Agent"]
    assert_no_leak(marked, response, client.get(f"{RULES}/{rule['id']}"))


def test_marking_a_stored_secret_header_plain_does_not_reveal_it(client, db_session, canary) -> None:
    value = canary("device")
    rule = _webhook_rule(client, "https://hooks.example.com/hook", {"X-Device": value})
    url = rule["actions"]["webhook"]["url"]
    body = {"url": url, "headers": {"X-Device": "****"}, "plain_headers": ["X-Device"]}
    response = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": body}})
    assert response.status_code == 200
    shown = response.json()["actions"]["webhook"]
    assert shown["headers"] == {"X-Device": "****"} and shown["plain_headers"] == []
    assert_no_leak(value, response, client.get(f"{RULES}/{rule['id']}"))
    # entering the value again stores it plain, as asked
    body["headers"] = {"X-Device": "garage-7"}
    response = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": body}})
    assert response.json()["actions"]["webhook"]["headers"] == {"X-Device": "garage-7"}
    assert _stored(db_session, rule["id"])["webhook"]["headers"]["X-Device"] == "garage-7"


def test_marking_a_plain_header_secret_encrypts_it(client, db_session) -> None:
    rule = _webhook_rule(client, "https://hooks.example.com/hook", {"Accept-Language": "fr-CH"})
    assert rule["actions"]["webhook"]["headers"] == {"Accept-Language": "fr-CH"}
    url = rule["actions"]["webhook"]["url"]
    response = client.put(
        f"{RULES}/{rule['id']}",
        json={
            "actions": {
                "webhook": {"url": url, "headers": {"Accept-Language": "****"}, "secret_headers": ["accept-language"]}
            }
        },
    )
    assert response.status_code == 200
    assert response.json()["actions"]["webhook"]["headers"] == {"Accept-Language": "****"}
    stored = _stored(db_session, rule["id"])["webhook"]
    context = webhook_header_context(rule["id"], "Accept-Language")
    assert decrypt(stored["headers"]["Accept-Language"], context=context) == "fr-CH"


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({"Bad Name": "x"}, "header"),
        ({"Authorization": "Bearer x\r\nX-Injected: 1"}, "line breaks"),
        ({"Host": "other.example"}, "Host"),
        ({"webhook-signature": "v1,x"}, "webhook-signature"),
        ({"X-A": "1", "x-a": "2"}, "twice"),
    ],
)
def test_bad_headers_refused(client, canary, headers: dict, fragment: str) -> None:
    secret = canary("hdr")
    headers = {k: (v + secret if "\r" in v else v) for k, v in headers.items()}
    response = client.post(
        RULES, json={"name": "r", "actions": {"webhook": {"url": "https://h.example.com/x", "headers": headers}}}
    )
    assert response.status_code == 422
    assert fragment.lower() in response.json()["detail"].lower()
    assert_no_leak(secret, response)
    assert client.get(RULES).json() == []


def test_metadata_address_refused_at_save(client, canary) -> None:
    token = canary("path")
    response = client.post(
        RULES, json={"name": "r", "actions": {"webhook": {"url": f"http://169.254.169.254/latest/{token}"}}}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "address_not_allowed"
    assert_no_leak(token, response)
    assert client.get(RULES).json() == []


def test_private_literal_refused_when_setting_blocks_private(client, db_session) -> None:
    url = "http://192.168.1.20:8123/api/webhook/garage"
    assert client.post(RULES, json={"name": "lan", "actions": {"webhook": {"url": url}}}).status_code == 201
    db_session.add(SystemSetting(key="webhook_block_private_networks", value="true"))
    db_session.commit()
    response = client.post(RULES, json={"name": "lan2", "actions": {"webhook": {"url": url}}})
    assert response.status_code == 422
    assert response.json()["code"] == "address_not_allowed"


def test_webhook_null_removes_it(client, db_session, canary) -> None:
    rule = _webhook_rule(client, "https://hooks.example.com/hook", {"Authorization": canary("a")})
    response = client.put(f"{RULES}/{rule['id']}", json={"actions": {"dashboard_notification": True, "webhook": None}})
    assert response.status_code == 200
    assert response.json()["actions"] == {"dashboard_notification": True, "webhook": None}
    assert _stored(db_session, rule["id"])["webhook"] is None


def test_signing_secret(client, db_session, canary) -> None:
    import base64

    secret = "whsec_" + base64.b64encode(canary("sign").encode()[:32]).decode()
    rule = _webhook_rule(client, "https://hooks.example.com/hook", signing_secret=secret)
    assert rule["actions"]["webhook"]["signing_secret"] == "****"
    stored = _stored(db_session, rule["id"])["webhook"]
    assert decrypt(stored["signing_secret"], context=webhook_signing_secret_context(rule["id"])) == secret
    url = rule["actions"]["webhook"]["url"]
    # omitted and "****" keep it
    kept = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": url}}})
    assert kept.json()["actions"]["webhook"]["signing_secret"] == "****"
    kept = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": url, "signing_secret": "****"}}})
    assert kept.json()["actions"]["webhook"]["signing_secret"] == "****"
    assert _stored(db_session, rule["id"])["webhook"]["signing_secret"] == stored["signing_secret"]
    # a malformed one is refused without echo
    bad = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": url, "signing_secret": "short"}}})
    assert bad.status_code == 422
    assert "whsec_" in bad.json()["detail"]
    # null removes it
    removed = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": url, "signing_secret": None}}})
    assert removed.json()["actions"]["webhook"]["signing_secret"] is None
    assert "signing_secret" not in _stored(db_session, rule["id"])["webhook"]
    assert_no_leak(secret, kept, bad, removed)


@pytest.mark.parametrize("how", ["omitted", "masked"])
@pytest.mark.parametrize(
    "new_url",
    [
        "https://evil.example.net/hook",  # host
        "http://hooks.example.com/hook",  # scheme
        "https://hooks.example.com:8443/hook",  # port
    ],
)
def test_signing_secret_does_not_follow_a_new_origin(client, db_session, canary, new_url: str, how: str) -> None:
    import base64

    secret = "whsec_" + base64.b64encode(canary("sign").encode()[:32]).decode()
    rule = _webhook_rule(client, "https://hooks.example.com/hook", signing_secret=secret)
    before = _stored(db_session, rule["id"])
    webhook: dict = {"url": new_url}
    if how == "masked":
        webhook["signing_secret"] = "****"
    moved = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": webhook}})
    assert moved.status_code == 422, moved.text
    assert moved.json()["code"] == "secret_required"
    assert moved.json()["fields"] == ["signing_secret"]
    assert _stored(db_session, rule["id"]) == before  # nothing changed
    # entered again, it is accepted; removed explicitly, too
    fresh = "whsec_" + base64.b64encode(canary("sign2").encode()[:32]).decode()
    again = client.put(
        f"{RULES}/{rule['id']}", json={"actions": {"webhook": {"url": new_url, "signing_secret": fresh}}}
    )
    assert again.status_code == 200, again.text
    stored = _stored(db_session, rule["id"])["webhook"]
    assert decrypt(stored["signing_secret"], context=webhook_signing_secret_context(rule["id"])) == fresh
    back = client.put(
        f"{RULES}/{rule['id']}",
        json={"actions": {"webhook": {"url": "https://hooks.example.com/hook", "signing_secret": None}}},
    )
    assert back.status_code == 200 and back.json()["actions"]["webhook"]["signing_secret"] is None
    assert_no_leak(secret, moved, again, back)
    assert_no_leak(fresh, moved, again, back)


def test_signing_secret_kept_on_a_new_path_of_the_same_origin(client, db_session, canary) -> None:
    import base64

    secret = "whsec_" + base64.b64encode(canary("sign").encode()[:32]).decode()
    rule = _webhook_rule(client, "https://hooks.example.com/hook", signing_secret=secret)
    token = canary("path")
    for webhook in (
        {"url": f"https://HOOKS.example.com:443/new/{token}"},
        {"url": f"https://hooks.example.com/newer/{token}", "signing_secret": "****"},
    ):
        kept = client.put(f"{RULES}/{rule['id']}", json={"actions": {"webhook": webhook}})
        assert kept.status_code == 200, kept.text
        assert kept.json()["actions"]["webhook"]["signing_secret"] == "****"
        stored = _stored(db_session, rule["id"])["webhook"]
        assert decrypt(stored["signing_secret"], context=webhook_signing_secret_context(rule["id"])) == secret


def test_token_copied_to_another_rule_does_not_decrypt(client, db_session, canary) -> None:
    """Secrets are bound to their rule: a stolen database cannot move them."""
    first = _webhook_rule(client, "https://hooks.example.com/a", {"Authorization": canary("auth")})
    second = _webhook_rule(client, "https://hooks.example.com/b")
    token = _stored(db_session, first["id"])["webhook"]["headers"]["Authorization"]
    from app.core.encryption import DecryptionError

    with pytest.raises(DecryptionError):
        decrypt(token, context=webhook_header_context(second["id"], "Authorization"))


def test_rule_stored_without_origin_still_works(client, db_session, canary) -> None:
    """Rows written by the encrypting migration hold only the encrypted URL."""
    from app.core.encryption import encrypt

    token = canary("legacy-path")
    auth = canary("legacy-auth")
    rule = AlertRule(name="legacy", conditions="{}", actions="{}")
    db_session.add(rule)
    db_session.flush()
    webhook = {
        "url": encrypt(f"https://hooks.example.com/{token}", context=webhook_url_context(rule.id)),
        "headers": {"Authorization": encrypt(auth, context=webhook_header_context(rule.id, "Authorization"))},
        "secret_headers": [],
    }
    rule.actions = json.dumps({"dashboard_notification": False, "webhook": webhook})
    db_session.commit()
    shown = client.get(f"{RULES}/{rule.id}")
    assert shown.json()["actions"]["webhook"]["url"] == "****"
    assert shown.json()["actions"]["webhook"]["headers"] == {"Authorization": "****"}
    moved = client.put(
        f"{RULES}/{rule.id}",
        json={"actions": {"webhook": {"url": "https://evil.example.net/x", "headers": {"Authorization": "****"}}}},
    )
    assert moved.status_code == 422
    assert moved.json()["code"] == "secret_required"
    kept = client.put(
        f"{RULES}/{rule.id}", json={"actions": {"webhook": {"url": "****", "headers": {"Authorization": "****"}}}}
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["actions"]["webhook"]["url"] == "https://hooks.example.com/****"  # origin now kept
    stored = _stored(db_session, rule.id)["webhook"]
    assert stored["url"] == webhook["url"]
    assert stored["headers"]["Authorization"] == webhook["headers"]["Authorization"]
    for secret in (token, auth):
        assert_no_leak(secret, shown, moved, kept)


def test_unreadable_stored_url_must_be_entered_again(client, db_session) -> None:
    rule = AlertRule(name="plain", conditions="{}", actions="{}")
    db_session.add(rule)
    db_session.flush()
    rule.actions = json.dumps({"webhook": {"url": "https://hooks.example.com/plaintext-token", "headers": {}}})
    db_session.commit()
    response = client.put(f"{RULES}/{rule.id}", json={"actions": {"webhook": {"url": "****"}}})
    assert response.status_code == 422
    assert response.json()["code"] == "secret_required"
    assert "plaintext-token" not in response.text


# -- which header values are secret (issue 12, item 8) ---------------------------

CREDENTIAL_LIKE_HEADERS = (
    "Authorization", "X-Api-Key", "X-Auth-Token", "Cookie", "X-Secret", "X-Password", "X-Signature",
    "X-Passcode", "X-Pwd", "X-Pin", "X-Otp", "X-Credential", "X-Session-Id", "X-Hmac",
    "X-Shopify-Hmac-Sha256", "X-Hub-Signature-256", "X-Access", "X-Sig", "X-Pass", "X-Passphrase",
    "X-Nonce", "X-Jwt", "X-Csrf", "X-Verify", "X-Ticket", "X-Client-Id", "X-License",
    "X-Device-Code", "X-Webhook-Code", "X-Bridge", "Proxy-Auth", "X-Magic", "Ocp-Apim-Subscription-Key",
)  # fmt: skip


@pytest.mark.parametrize("names", [CREDENTIAL_LIKE_HEADERS[:17], CREDENTIAL_LIKE_HEADERS[17:]], ids=["first", "rest"])
def test_every_header_value_is_secret_but_the_known_plain_ones(client, db_session, db_path, canary, names) -> None:
    values = {name: canary(f"hdr-{i}") for i, name in enumerate(names)}
    plain = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "home-hub/2"}
    rule = _webhook_rule(client, "https://hooks.example.com/hook", {**values, **plain})
    shown = rule["actions"]["webhook"]["headers"]
    assert {name: shown[name] for name in values} == dict.fromkeys(values, "****")
    assert {name: shown[name] for name in plain} == plain
    stored = _stored(db_session, rule["id"])["webhook"]["headers"]
    for name, value in values.items():
        assert is_encrypted(stored[name])
        assert decrypt(stored[name], context=webhook_header_context(rule["id"], name)) == value
    again = client.get(f"{RULES}/{rule['id']}")
    for value in values.values():
        assert_no_leak(value, again, db_path)


def test_a_header_marked_plain_is_stored_and_shown_in_clear(client, db_session) -> None:
    rule = _webhook_rule(
        client,
        "https://hooks.example.com/hook",
        {"X-Title": "Front door", "X-Priority": "4"},
        plain_headers=["x-title"],
    )
    webhook = rule["actions"]["webhook"]
    assert webhook["headers"] == {"X-Title": "Front door", "X-Priority": "****"}
    assert webhook["plain_headers"] == ["x-title"]
    assert _stored(db_session, rule["id"])["webhook"]["headers"]["X-Title"] == "Front door"
    # the GET body goes back unchanged
    body = {k: rule[k] for k in ("name", "is_enabled", "cooldown_minutes", "conditions", "actions")}
    response = client.put(f"{RULES}/{rule['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["actions"]["webhook"] == webhook


@pytest.mark.parametrize("name", ["Authorization", "X-Api-Key", "X-Pin", "X-Session-Id", "X-Hub-Signature"])
def test_a_credential_named_header_cannot_be_marked_plain(client, name, canary) -> None:
    response = client.post(
        RULES,
        json={
            "name": "hook",
            "actions": {
                "webhook": {
                    "url": "https://hooks.example.com/h",
                    "headers": {name: canary("v")},
                    "plain_headers": [name],
                }
            },
        },
    )
    assert response.status_code == 422
    assert name in response.json()["detail"] and "plain" in response.json()["detail"]


def test_a_rule_stored_by_the_old_name_rule_is_masked_then_encrypted_on_save(client, db_session, canary) -> None:
    """Rows written when only credential-sounding names were secret: an X-Pin stored
    in clear is shown masked now, and encrypted when the rule is saved again."""
    from app.core.encryption import encrypt

    pin = canary("legacy-pin")
    rule = AlertRule(name="legacy", conditions="{}", actions="{}")
    db_session.add(rule)
    db_session.flush()
    webhook = {
        "url": encrypt("https://hooks.example.com/h", context=webhook_url_context(rule.id)),
        "origin": "https://hooks.example.com",
        "headers": {"X-Pin": pin, "Content-Type": "application/json"},
        "secret_headers": [],
    }
    rule.actions = json.dumps({"dashboard_notification": False, "webhook": webhook})
    db_session.commit()
    shown = client.get(f"{RULES}/{rule.id}")
    assert shown.json()["actions"]["webhook"]["headers"] == {"X-Pin": "****", "Content-Type": "application/json"}
    assert_no_leak(pin, shown)
    body = {k: shown.json()[k] for k in ("name", "is_enabled", "cooldown_minutes", "conditions", "actions")}
    assert client.put(f"{RULES}/{rule.id}", json=body).status_code == 200
    db_session.expire_all()
    stored = _stored(db_session, rule.id)["webhook"]["headers"]["X-Pin"]
    assert decrypt(stored, context=webhook_header_context(rule.id, "X-Pin")) == pin


# -- the header policy the dashboard reads -----------------------------------------------


def test_the_header_policy_is_the_one_applied_on_save(client, canary) -> None:
    """GET /alert-rules/header-policy describes what a save does: its plain headers are
    stored and shown in clear, any other header is masked, and a name its pattern
    matches is refused as plain (422)."""
    response = client.get(f"{RULES}/header-policy")
    assert response.status_code == 200, response.text
    policy = response.json()
    plain = policy["plain_headers"]
    assert plain and all(name == name.lower() for name in plain)
    credential = re.compile(policy["credential_name_pattern"], re.IGNORECASE)

    headers = {name.title(): f"value-{i}" for i, name in enumerate(plain)}
    secret_value = canary("custom-header")
    headers["X-Custom-Note"] = secret_value
    assert not credential.search("X-Custom-Note")
    shown = _webhook_rule(client, "https://hooks.example.com/policy", headers)["actions"]["webhook"]["headers"]
    assert {k: v for k, v in shown.items() if k != "X-Custom-Note"} == {
        k: v for k, v in headers.items() if k != "X-Custom-Note"
    }
    assert shown["X-Custom-Note"] == "****"

    for name in ("Authorization", "X-Api-Key", "X-Hub-Signature", "X-Session-Id"):
        assert credential.search(name), name
        refused = client.post(
            RULES,
            json={
                "name": "hook",
                "actions": {
                    "webhook": {"url": "https://hooks.example.com/h", "headers": {name: "x"}, "plain_headers": [name]}
                },
            },
        )
        assert refused.status_code == 422, (name, refused.text)

    too_many = {f"X-Extra-{i}": "v" for i in range(policy["max_headers"] + 1)}
    over = client.post(
        RULES,
        json={"name": "hook", "actions": {"webhook": {"url": "https://hooks.example.com/h", "headers": too_many}}},
    )
    assert over.status_code == 422, over.text
