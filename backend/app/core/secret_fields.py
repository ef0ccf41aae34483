"""Where secrets live, and the encryption context each one is bound to.

Every module that encrypts or decrypts a stored secret builds its context
here, so the app, the Alembic data migration and ``rotate-key`` always agree.
"""

from __future__ import annotations

import re

AI_PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "grok")

# system_settings keys that hold credentials (encrypted, bound to the key).
SECRET_SETTINGS_KEYS: tuple[str, ...] = tuple(f"ai_api_key_{p}" for p in AI_PROVIDERS)

# Header values are secret unless the name is one of these (they describe the
# content or the client, and never carry a credential), or the user marked the
# header plain. Guessing secrets from their names missed X-Passcode, X-Pin,
# X-Otp, X-Session-Id, X-Shopify-Hmac-Sha256...: the rule is inverted.
KNOWN_PLAIN_HEADERS = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-language",
        "content-type",
        "dnt",
        "pragma",
        "user-agent",
    }
)
# A header whose name says it carries a credential cannot be marked plain. The
# dashboard reads this pattern from GET /alert-rules/header-policy (it is written in
# the syntax Python's and JavaScript's regular expressions share).
CREDENTIAL_NAME_PATTERN = (
    r"auth|token|key|secret|pass|pwd|pin|otp|cred|session|cookie|sign|sig\b|sig-|hmac|nonce|bearer|jwt|csrf|xsrf"
)
_CREDENTIAL_NAME_RE = re.compile(CREDENTIAL_NAME_PATTERN, re.IGNORECASE)
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")


def setting_context(key: str) -> str:
    return f"system_settings:{key}"


def camera_password_context(camera_id: int) -> str:
    return f"cameras.password:{camera_id}"


def webhook_url_context(rule_id: int) -> str:
    return f"alert_rules.webhook_url:{rule_id}"


def webhook_header_context(rule_id: int, header_name: str) -> str:
    return f"alert_rules.webhook_header.{header_name.lower()}:{rule_id}"


def webhook_signing_secret_context(rule_id: int) -> str:
    """``actions.webhook.signing_secret`` (optional, Standard Webhooks HMAC secret)."""
    return f"alert_rules.webhook_signing_secret:{rule_id}"


def camera_snapshot_key_context(camera_id: int) -> str:
    """``camera_snapshots.data_key``: the key that encrypts a camera's last snapshot."""
    return f"camera_snapshots.data_key:{camera_id}"


def event_image_key_context(event_id: int) -> str:
    """``event_images.data_key``: the per-image key that encrypts one event's image."""
    return f"event_images.data_key:{event_id}"


def is_secret_setting(key: str) -> bool:
    return key in SECRET_SETTINGS_KEYS


def is_secret_header(
    name: str,
    marked_secret: list[str] | tuple[str, ...] | set[str] = (),
    *,
    plain: list[str] | tuple[str, ...] | set[str] = (),
) -> bool:
    """Every header is secret except the :data:`KNOWN_PLAIN_HEADERS` and those
    the user marked ``plain``; a header marked secret is secret in any case."""
    lowered = name.lower()
    if lowered in {m.lower() for m in marked_secret}:
        return True
    if lowered in {p.lower() for p in plain}:
        return False
    return lowered not in KNOWN_PLAIN_HEADERS


def may_be_marked_plain(name: str) -> bool:
    """False for a header name that says it carries a credential (Authorization,
    X-Api-Key, X-Pin, X-Session-Id, X-Hub-Signature...)."""
    return not _CREDENTIAL_NAME_RE.search(name)


def is_valid_header_name(name: str) -> bool:
    return bool(_HEADER_NAME_RE.match(name))
