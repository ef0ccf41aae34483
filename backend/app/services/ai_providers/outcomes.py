"""What can come of a call to an AI provider, in the product's own words.

A provider's own error text is never shown (some echo the key, in full or in
part): every outcome has one message of ours, with at most the provider's
display name and an HTTP status code filled in.
"""

from __future__ import annotations

from enum import StrEnum

PROVIDER_NAMES: dict[str, str] = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google Gemini",
    "grok": "xAI Grok",
}


class Outcome(StrEnum):
    VALID = "valid"
    INVALID_KEY = "invalid_key"
    PERMISSION_DENIED = "permission_denied"
    NO_QUOTA = "no_quota"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    PROVIDER_ERROR = "provider_error"
    NOT_CONFIGURED = "not_configured"
    # describe only: the provider answered with a description
    SUCCESS = "success"


_KEY_TEST_MESSAGES: dict[Outcome, str] = {
    Outcome.VALID: "The key works: {name} accepted it.",
    Outcome.INVALID_KEY: "{name} rejected this key. Check that it was copied in full and has not been revoked.",
    Outcome.PERMISSION_DENIED: (
        "{name} recognised the key, but it is not allowed to use the API "
        "(check the key's permissions, project or region)."
    ),
    Outcome.NO_QUOTA: "{name} recognised the key, but the account has no credit or quota left. Check its billing.",
    Outcome.RATE_LIMITED: "{name} is rate limiting this key right now. Wait a minute and try again.",
    Outcome.UNREACHABLE: "Could not reach {name} (connection failed or timed out), so the key was not tested.",
    Outcome.PROVIDER_ERROR: "{name} answered with an error{status}, so the key was not tested. Try again later.",
    Outcome.NOT_CONFIGURED: "No {name} key is stored. Enter a key to test it.",
    Outcome.SUCCESS: "{name} described the image.",
}

_DESCRIBE_MESSAGES: dict[Outcome, str] = {
    Outcome.INVALID_KEY: "{name} rejected the stored key. Enter a new key in Settings.",
    Outcome.PERMISSION_DENIED: "{name} recognised the stored key, but it is not allowed to use this model.",
    Outcome.NO_QUOTA: "{name} has no credit or quota left for the stored key.",
    Outcome.RATE_LIMITED: "{name} is rate limiting requests right now.",
    Outcome.UNREACHABLE: "Could not reach {name} (connection failed or timed out).",
    Outcome.PROVIDER_ERROR: "{name} answered with an error{status}.",
    Outcome.NOT_CONFIGURED: "No {name} key is stored.",
}

UNDECRYPTABLE_MESSAGE = "The stored {name} key can no longer be decrypted. Enter it again in Settings."
BAD_RESPONSE_STATUS = " (unexpected response)"


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def _status_text(status_code: int | None) -> str:
    if status_code is None:
        return ""
    if status_code < 300:
        return BAD_RESPONSE_STATUS
    return f" (HTTP {status_code})"


def key_test_message(provider: str, outcome: Outcome, *, status_code: int | None = None) -> str:
    return _KEY_TEST_MESSAGES[outcome].format(name=provider_name(provider), status=_status_text(status_code))


def describe_message(provider: str, outcome: Outcome, *, status_code: int | None = None) -> str:
    template = _DESCRIBE_MESSAGES.get(outcome) or _KEY_TEST_MESSAGES[outcome]
    return template.format(name=provider_name(provider), status=_status_text(status_code))
