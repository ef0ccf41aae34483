"""Where secrets live, and the encryption context each one is bound to.

Every module that encrypts or decrypts a stored secret builds its context
here, so the app, the Alembic data migration and ``rotate-key`` always agree.
"""

from __future__ import annotations

import re

AI_PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "grok")

# system_settings keys that hold credentials (encrypted, bound to the key).
SECRET_SETTINGS_KEYS: tuple[str, ...] = tuple(f"ai_api_key_{p}" for p in AI_PROVIDERS)

_SECRET_HEADER_WORDS = ("auth", "token", "key", "secret", "password", "signature", "cookie")
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


def is_secret_setting(key: str) -> bool:
    return key in SECRET_SETTINGS_KEYS


def is_secret_header(name: str, marked_secret: list[str] | tuple[str, ...] | set[str] = ()) -> bool:
    """Authorization, any header whose name has auth/token/key/secret/password/
    signature/cookie in it, and any header the user marked secret."""
    lowered = name.lower()
    if lowered in {m.lower() for m in marked_secret}:
        return True
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


def is_valid_header_name(name: str) -> bool:
    return bool(_HEADER_NAME_RE.match(name))
