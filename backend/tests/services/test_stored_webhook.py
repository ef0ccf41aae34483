"""alert_rules.actions read and written through RuleActions / StoredWebhook:
the stored text keeps its form, and rows written by older versions still read."""

from __future__ import annotations

import json

from app.models.alert_rule import RuleActions, StoredWebhook


def test_written_form_is_compact_with_optional_keys_left_out() -> None:
    webhook = StoredWebhook(
        url="encrypted:u",
        origin="https://hooks.example.com",
        headers={"Authorization": "encrypted:h", "Content-Type": "application/json"},
        secret_headers=["X-Custom"],
    )
    text = RuleActions(dashboard_notification=True, webhook=webhook).to_json()
    assert text == (
        '{"dashboard_notification":true,"webhook":{"url":"encrypted:u","origin":"https://hooks.example.com",'
        '"headers":{"Authorization":"encrypted:h","Content-Type":"application/json"},"secret_headers":["X-Custom"]}}'
    )
    full = webhook.model_copy(update={"plain_headers": ["X-Title"], "signing_secret": "encrypted:s"})
    stored = json.loads(RuleActions(webhook=full).to_json())["webhook"]
    assert list(stored) == ["url", "origin", "headers", "secret_headers", "plain_headers", "signing_secret"]
    assert RuleActions.from_json(RuleActions(webhook=full).to_json()).webhook == full
    assert RuleActions().to_json() == '{"dashboard_notification":false,"webhook":null}'


def test_older_and_partial_rows_still_read() -> None:
    assert RuleActions.from_json(None) == RuleActions()
    assert RuleActions.from_json("not json") == RuleActions()
    assert RuleActions.from_json('{"dashboard_notification": true}') == RuleActions(dashboard_notification=True)
    assert RuleActions.from_json('{"webhook": {}}').webhook is None
    assert RuleActions.from_json('{"webhook": "x"}').webhook is None
    old = RuleActions.from_json('{"webhook": {"url": "encrypted:u", "headers": null, "origin": ""}}').webhook
    assert old == StoredWebhook(url="encrypted:u")
    assert old is not None and old.origin is None and old.headers == {} and old.secret_headers == []


def test_a_webhook_without_url_is_kept_but_not_sent() -> None:
    actions = RuleActions.from_json('{"webhook": {"headers": {"X-A": 1}}}')
    assert actions.webhook == StoredWebhook(headers={"X-A": "1"})
    assert actions.sendable_webhook is None
    assert RuleActions.from_json('{"webhook": {"url": "encrypted:u"}}').sendable_webhook is not None


def test_an_unreadable_webhook_counts_as_none(caplog) -> None:
    assert RuleActions.from_json('{"webhook": {"url": "encrypted:u", "headers": ["a"]}}').webhook is None
    assert "cannot be read" in caplog.text


def test_repr_hides_the_encrypted_values() -> None:
    webhook = StoredWebhook(url="encrypted:uuu", headers={"A": "encrypted:hhh"}, signing_secret="encrypted:sss")
    assert "encrypted" not in repr(webhook) and "encrypted" not in repr(RuleActions(webhook=webhook))
