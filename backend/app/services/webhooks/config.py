"""A rule's webhook settings: built from what the client sends (encrypted,
merged with what is stored), masked for responses, and opened (decrypted) for
one send. The stored form is :class:`app.models.alert_rule.StoredWebhook`.

Secrets are decrypted in exactly one place, :func:`open_webhook`, called by the
sender right before a request goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session

from app.core.encryption import DecryptionError, decrypt, encrypt, is_encrypted
from app.core.errors import ValidationFailed
from app.core.logging import hold_secret, register_secret
from app.core.redaction import ExchangeSecrets
from app.core.secret_fields import (
    is_secret_header,
    is_valid_header_name,
    may_be_marked_plain,
    webhook_header_context,
    webhook_signing_secret_context,
    webhook_url_context,
)
from app.integrations.outbound.policy import mask_url_from_origin, origin_key, url_secret_parts
from app.models.alert_rule import AlertRule, RuleActions, StoredWebhook
from app.schemas.alert_rule import MASK, WebhookIn, WebhookRead
from app.services import outbound_policy
from app.services.outbound_policy import parse_webhook_url
from app.services.webhooks.signing import InvalidSigningSecret, Signer, signing_key

MAX_HEADER_VALUE = 4096
# Set by the HTTP client or by the sender (the Standard Webhooks headers): never configurable.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)
_MASKED_PATH = "/" + MASK


def rule_webhook(rule: AlertRule) -> StoredWebhook | None:
    """The rule's stored webhook, if it has one."""
    return RuleActions.from_json(rule.actions).webhook


# -- errors --------------------------------------------------------------------


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def _secret_required(fields: Sequence[str]) -> ValidationFailed:
    return ValidationFailed(
        "The webhook URL's destination (scheme, host or port) changed: enter the secret values again "
        "to send them to the new destination.",
        code="secret_required",
        fields=list(fields),
    )


# -- building the stored form ------------------------------------------------------


def apply_webhook(
    session: Session, *, rule_id: int, incoming: WebhookIn | None, stored: StoredWebhook | None
) -> StoredWebhook | None:
    """What a rule stores when the client sends ``incoming``, under the
    destination policy in force (``webhook_block_private_networks``)."""
    if incoming is None:
        return None
    block_private = outbound_policy.block_private_networks(session)
    return build_webhook(rule_id=rule_id, incoming=incoming, stored=stored, block_private=block_private)


def build_webhook(
    *, rule_id: int, incoming: WebhookIn | None, stored: StoredWebhook | None, block_private: bool
) -> StoredWebhook | None:
    """The stored form of ``incoming``, merged with what is stored.

    Masked values keep what is stored, but never when the URL's origin
    changes: then secrets must be entered again (422 ``secret_required``).
    """
    if incoming is None:
        return None
    url, origin, origin_changed = _build_url(rule_id, incoming.url.get_secret_value(), stored, block_private)
    headers = _HeaderBuilder(rule_id, incoming, stored, origin_changed=origin_changed)
    for raw_name, value in incoming.headers.items():
        headers.add(raw_name, value.get_secret_value() if value is not None else "")
    signing = _build_signing(rule_id, incoming, stored, origin_changed=origin_changed, need_secret=headers.need_secret)
    if headers.need_secret:
        raise _secret_required(headers.need_secret)
    return StoredWebhook(
        url=url,
        origin=origin,
        headers=headers.headers,
        secret_headers=headers.marked,
        plain_headers=headers.plain,
        signing_secret=signing,
    )


def _stored_origin(stored: StoredWebhook, rule_id: int) -> str:
    """The stored URL's origin. Rows written before the origin was kept (the
    encrypting migration) only have the encrypted URL: it is decrypted here to
    compare origins, and nothing of it leaves this function but the origin."""
    if stored.origin:
        return stored.origin
    url = decrypt(stored.url, context=webhook_url_context(rule_id))
    return parse_webhook_url(url, block_private=False).origin


def _build_url(rule_id: int, url_in: str, stored: StoredWebhook | None, block_private: bool) -> tuple[str, str, bool]:
    """The stored (encrypted) URL, its origin, and whether the origin changed."""
    if url_in == MASK or url_in.endswith(_MASKED_PATH):
        if stored is None or not stored.url:
            raise _secret_required(["url"])
        try:
            stored_origin = _stored_origin(stored, rule_id)
        except (DecryptionError, ValidationFailed):
            raise _secret_required(["url"]) from None  # unreadable: it must be entered again
        if url_in != MASK:
            try:
                same = origin_key(url_in[: -len(_MASKED_PATH)]) == origin_key(stored_origin)
            except ValueError:
                same = False
            if not same:
                raise _secret_required(["url"])
        return stored.url, stored_origin, False
    parsed = parse_webhook_url(url_in, block_private=block_private)
    encrypted = encrypt(url_in, context=webhook_url_context(rule_id))
    if stored is None or not stored.url:
        return encrypted, parsed.origin, True
    try:
        changed = origin_key(_stored_origin(stored, rule_id)) != parsed.origin_key
    except (DecryptionError, ValidationFailed):
        changed = True
    return encrypted, parsed.origin, changed


def _lower(names: Sequence[str]) -> set[str]:
    return {name.lower() for name in names}


def _header_names(names: Sequence[str], what: str) -> list[str]:
    """Header names as listed in ``secret_headers``/``plain_headers``: checked, stripped, once each."""
    unique: list[str] = []
    for name in names:
        name = name.strip()
        if not is_valid_header_name(name):
            raise _invalid(f"{what} holds an invalid header name.", f"actions.webhook.{what}")
        if name.lower() not in _lower(unique):
            unique.append(name)
    return unique


def _check_header_value(name: str, value: str) -> None:
    field = f"actions.webhook.headers.{name}"
    if len(value) > MAX_HEADER_VALUE:
        raise _invalid(f"The value of header {name} is longer than {MAX_HEADER_VALUE} characters.", field)
    if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
        raise _invalid(f"The value of header {name} must not contain line breaks or control characters.", field)
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise _invalid(f"The value of header {name} must be plain ASCII/Latin-1 text.", field) from None


class _HeaderBuilder:
    """The stored headers of one write, header by header. ``marked`` and
    ``plain`` (the names the user marked secret or plain) may change on the way:
    a kept secret value stays secret whatever its name is now marked."""

    def __init__(
        self, rule_id: int, incoming: WebhookIn, stored: StoredWebhook | None, *, origin_changed: bool
    ) -> None:
        self.rule_id = rule_id
        self.origin_changed = origin_changed
        self.marked = _header_names(incoming.secret_headers, "secret_headers")
        marked_lower = _lower(self.marked)
        plain = _header_names(incoming.plain_headers, "plain_headers")
        self.plain = [name for name in plain if name.lower() not in marked_lower]
        for name in self.plain:
            if not may_be_marked_plain(name):
                raise _invalid(
                    f"The header {name} cannot be marked plain: its name says it carries a credential, "
                    "so its value is always stored encrypted and shown as ****.",
                    "actions.webhook.plain_headers",
                )
        self.stored_by_lower = {k.lower(): v for k, v in (stored.headers if stored else {}).items()}
        self.headers: dict[str, str] = {}
        self.need_secret: list[str] = []
        self._seen: set[str] = set()

    def add(self, raw_name: str, value: str) -> None:
        name = raw_name.strip()
        field = f"actions.webhook.headers.{name}"
        if not is_valid_header_name(name):
            raise _invalid("A header name is not valid (letters, digits and -_. only).", "actions.webhook.headers")
        lower = name.lower()
        if lower in RESERVED_HEADERS:
            raise _invalid(f"The header {name} is set by the server and cannot be configured.", field)
        if lower in self._seen:
            raise _invalid(f"The header {name} is listed twice.", field)
        self._seen.add(lower)
        if value == "":
            return
        secret = is_secret_header(name, self.marked, plain=self.plain)
        if value == MASK:
            self._keep(name, secret, field)
            return
        _check_header_value(name, value)
        if secret:
            register_secret(value)
            self.headers[name] = encrypt(value, context=webhook_header_context(self.rule_id, name))
        else:
            self.headers[name] = value

    def _keep(self, name: str, secret: bool, field: str) -> None:
        """A masked value: keep the stored one."""
        lower = name.lower()
        old_value = self.stored_by_lower.get(lower)
        if old_value is None:
            raise _invalid(f"The header {name} has no stored value to keep: enter its value.", field)
        if not is_encrypted(old_value):
            keep = encrypt(old_value, context=webhook_header_context(self.rule_id, name)) if secret else old_value
            self.headers[name] = keep
            return
        if self.origin_changed:
            self.need_secret.append(f"headers.{name}")
            return
        if not secret:
            # A stored secret stays secret: marking it plain cannot reveal it
            # (enter the value again to store it plain).
            self.plain = [p for p in self.plain if p.lower() != lower]
            if not is_secret_header(name, self.marked, plain=self.plain):  # a known-plain name
                self.marked.append(name)
        self.headers[name] = old_value


def _build_signing(
    rule_id: int, incoming: WebhookIn, stored: StoredWebhook | None, *, origin_changed: bool, need_secret: list[str]
) -> str | None:
    """The stored (encrypted) signing secret. Omitted or ``****`` keeps it, like
    a masked header: only while the destination stays the same (else
    ``need_secret`` says so); ``null`` or ``""`` removes it."""
    sent = "signing_secret" in incoming.model_fields_set
    value = incoming.signing_secret.get_secret_value() if incoming.signing_secret is not None else ""
    if sent and value == "":
        return None
    if sent and value != MASK:
        try:
            signing_key(value)
        except InvalidSigningSecret:
            raise _invalid(
                "The signing secret must be 'whsec_' followed by base64 of 24 to 64 random bytes.",
                "actions.webhook.signing_secret",
            ) from None
        register_secret(value)
        return encrypt(value, context=webhook_signing_secret_context(rule_id))
    stored_signing = stored.signing_secret if stored else None
    if sent and not stored_signing:
        raise _invalid("There is no stored signing secret to keep: enter one.", "actions.webhook.signing_secret")
    if stored_signing and origin_changed:
        need_secret.append("signing_secret")
        return None
    return stored_signing


# -- the response form -------------------------------------------------------------


def masked_url(stored: StoredWebhook | None) -> str:
    """The URL as responses and logs show it: origin + ``/****``."""
    origin = stored.origin if stored else None
    return mask_url_from_origin(origin) if origin else MASK


def mask_webhook(stored: StoredWebhook | None) -> WebhookRead | None:
    """The response form: origin + ``/****``, secret header values ``****``."""
    if stored is None:
        return None
    headers: dict[str, str] = {}
    for name, value in stored.headers.items():
        secret = is_encrypted(value) or is_secret_header(name, stored.secret_headers, plain=stored.plain_headers)
        headers[name] = MASK if secret else value
    return WebhookRead(
        url=masked_url(stored),
        headers=headers,
        secret_headers=list(stored.secret_headers),
        plain_headers=list(stored.plain_headers),
        signing_secret=MASK if stored.signing_secret else None,
    )


# -- opening for one send ------------------------------------------------------------


@dataclass(frozen=True)
class OpenedWebhook:
    """Decrypted webhook settings, alive only for one send."""

    url: str
    headers: list[tuple[str, str]]
    signer: Signer | None
    # every form the secrets above travel in: the receiver's answer is redacted against it
    secrets: ExchangeSecrets = field(default_factory=ExchangeSecrets)

    def __repr__(self) -> str:
        return "OpenedWebhook(url=***, headers=***, signer=***)"


def open_webhook(rule_id: int, stored: StoredWebhook) -> OpenedWebhook:
    """Decrypt a rule's webhook for sending. Raises :class:`DecryptionError`."""
    url_context = webhook_url_context(rule_id)
    url = decrypt(stored.url, context=url_context)
    parts = url_secret_parts(url)
    try:
        parts.append(str(httpx.URL(url)))  # as httpx writes it in its own log lines
    except (httpx.InvalidURL, ValueError):
        pass
    hold_secret(url_context + "#parts", *parts)
    forms = ExchangeSecrets().add(*parts)
    headers: list[tuple[str, str]] = []
    for name, value in stored.headers.items():
        if is_encrypted(value):
            value = decrypt(value, context=webhook_header_context(rule_id, name))
            forms.add_header(name, value)
        elif is_secret_header(name, stored.secret_headers, plain=stored.plain_headers):
            forms.add_header(name, value)  # stored before the rule said so: secret all the same
        headers.append((name, value))
    signer: Signer | None = None
    if stored.signing_secret:
        context = webhook_signing_secret_context(rule_id)
        secret = decrypt(stored.signing_secret, context=context)
        forms.add(secret)
        try:
            signer = Signer(secret)
        except InvalidSigningSecret:
            raise DecryptionError(context, "is not a valid signing secret") from None
    return OpenedWebhook(url=url, headers=headers, signer=signer, secrets=forms)
