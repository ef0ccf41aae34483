"""The AI service: test provider keys, and describe event images.

Keys are decrypted here, one at a time, right before the request that uses
them, and never leave this module except in that request's headers. What a
provider answers is turned into an :class:`Outcome` and a message of ours; its
own text is never shown or logged.

``describe_image(session, settings, *, image, content_type)`` is what event
ingestion calls when an event comes with an image and no description. Every
use of a stored key (its test, each description attempt) updates that key's
health (:mod:`app.services.ai_health`).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.encryption import DecryptionError
from app.core.errors import AppError, ServiceUnavailable, ValidationFailed
from app.core.redaction import ExchangeSecrets, shorten
from app.core.secret_fields import AI_PROVIDERS
from app.schemas.settings import SettingsBase
from app.services import ai_health, settings_service
from app.services.ai_providers import (
    ADAPTERS,
    DescribeParams,
    ImageInput,
    Outcome,
    ProviderAdapter,
    ProviderHttp,
    RequestSpec,
    TransportFailure,
)
from app.services.ai_providers.http import provider_http
from app.services.ai_providers.outcomes import UNDECRYPTABLE_MESSAGE, describe_message, key_test_message, provider_name

logger = logging.getLogger("app.ai")

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_DESCRIPTION_CHARS = 4000
# The images accepted (by their first bytes): the AI path and the events path.
IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
_ACCEPTED_DECLARED_TYPES = {"", "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"}


# -- results and errors --------------------------------------------------------------


@dataclass(frozen=True)
class KeyTestResult:
    provider: str
    outcome: Outcome
    message: str
    status_code: int | None = None

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID


@dataclass(frozen=True)
class Attempt:
    provider: str
    outcome: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "outcome": self.outcome, "message": self.message}


@dataclass(frozen=True)
class DescriptionResult:
    description: str
    provider: str
    model: str
    attempts: list[Attempt] = field(default_factory=list)


class AIUnavailable(ServiceUnavailable):
    """503: no provider could describe the image (``attempts`` says why)."""

    code = "ai_unavailable"


class InvalidImage(ValidationFailed):
    code = "invalid_image"


class ImageTooLarge(AppError):
    status_code = 413
    code = "image_too_large"


# -- one provider call ---------------------------------------------------------------


@dataclass(frozen=True)
class _CallResult:
    outcome: Outcome
    status_code: int | None
    payload: Any


async def _call(http: ProviderHttp, adapter: ProviderAdapter, spec: RequestSpec, *, deadline: float) -> _CallResult:
    try:
        response = await http.send(spec, deadline=deadline)
    except TransportFailure as failure:
        logger.info("AI %s call: unreachable (%s)", adapter.provider, failure.kind)
        return _CallResult(Outcome.UNREACHABLE, None, None)
    status = response.status_code
    if 200 <= status < 300:
        outcome = Outcome.VALID if response.is_json else Outcome.PROVIDER_ERROR
    elif 300 <= status < 400:
        outcome = Outcome.PROVIDER_ERROR  # redirects are not followed
    else:
        outcome = adapter.classify_error(status_code=status, payload=response.payload)
    logger.info("AI %s call: HTTP %s -> %s in %d ms", adapter.provider, status, outcome, response.elapsed_ms)
    return _CallResult(outcome, status, response.payload)


def _adapter(provider: str) -> ProviderAdapter:
    adapter = ADAPTERS.get(provider)
    if adapter is None:
        raise ValidationFailed("Unknown AI provider.", code="unknown_provider")
    return adapter


# -- key tests -----------------------------------------------------------------------


async def check_key(
    settings: Settings, *, provider: str, api_key: str, http: ProviderHttp | None = None
) -> KeyTestResult:
    """Test ``api_key`` with the provider's list-models request. Nothing is stored."""
    adapter = _adapter(provider)
    spec = adapter.list_models(base_url=settings.provider_base_url(provider), api_key=api_key)
    async with provider_http(http) as client:
        result = await _call(client, adapter, spec, deadline=client.timeouts.key_test)
    outcome = result.outcome
    if outcome is Outcome.VALID and not adapter.list_models_ok(result.payload):
        outcome = Outcome.PROVIDER_ERROR
    return KeyTestResult(
        provider=provider,
        outcome=outcome,
        message=key_test_message(provider, outcome, status_code=result.status_code),
        status_code=result.status_code,
    )


async def check_stored_key(
    session: Session, settings: Settings, *, provider: str, http: ProviderHttp | None = None
) -> KeyTestResult:
    """Test the stored key of ``provider``, decrypted for this one call."""
    _adapter(provider)
    stored = await anyio.to_thread.run_sync(lambda: settings_service.load_encrypted_key(session, provider=provider))
    if stored is None:
        return KeyTestResult(provider, Outcome.NOT_CONFIGURED, key_test_message(provider, Outcome.NOT_CONFIGURED))
    try:
        api_key = settings_service.decrypt_provider_key(stored, provider=provider)
    except DecryptionError:
        message = UNDECRYPTABLE_MESSAGE.format(name=provider_name(provider))
        result = KeyTestResult(provider, Outcome.NOT_CONFIGURED, message)
    else:
        result = await check_key(settings, provider=provider, api_key=api_key, http=http)
        del api_key
    await _remember(session, provider, result.outcome, result.message)
    return result


async def test_key(
    session: Session, settings: Settings, *, provider: str, api_key: str | None, http: ProviderHttp | None = None
) -> KeyTestResult:
    """Test ``api_key``, or the stored key when it is ``None``, and remember the
    outcome: as the stored key's health, or (in memory, nothing stored) for when
    this key is saved (see :mod:`app.services.ai_health`)."""
    if api_key is None:
        return await check_stored_key(session, settings, provider=provider, http=http)
    result = await check_key(settings, provider=provider, api_key=api_key, http=http)
    ai_health.record_unsaved_test(provider=provider, api_key=api_key, outcome=result.outcome, message=result.message)
    return result


async def _remember(session: Session, provider: str, outcome: Outcome | str, message: str) -> None:
    await anyio.to_thread.run_sync(
        lambda: ai_health.record(session, provider=provider, outcome=outcome, message=message)
    )


# -- describing an image -------------------------------------------------------------


def image_media_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` by the data's first bytes, else ``None``."""
    return next((media_type for magic, media_type in IMAGE_TYPES if data.startswith(magic)), None)


def validate_image(image: bytes, content_type: str | None) -> ImageInput:
    """JPEG or PNG (by its bytes), at most 10 MB; a clear 4xx otherwise."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if not image:
        raise InvalidImage("The image is empty.")
    if len(image) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    if declared not in _ACCEPTED_DECLARED_TYPES:
        raise InvalidImage("Only JPEG and PNG images can be described.")
    media_type = image_media_type(image)
    if media_type is None:
        raise InvalidImage("The file is not a JPEG or PNG image.")
    return ImageInput(media_type=media_type, base64_data=base64.b64encode(image).decode("ascii"))


def provider_order(config: SettingsBase, configured: set[str]) -> list[str]:
    """Providers to try, in order.

    The primary first, then the fallback order, then any other provider that
    has a key. A named provider without a key is reported as not configured;
    an unnamed one without a key is skipped.
    """
    named = ([config.ai_primary_provider] if config.ai_primary_provider else []) + list(config.ai_fallback_order)
    order: list[str] = []
    for provider in named + [p for p in AI_PROVIDERS if p in configured]:
        if provider not in order:
            order.append(provider)
    return order


def _load_describe_config(session: Session) -> tuple[SettingsBase, dict[str, str]]:
    return settings_service.get_settings_values(session), settings_service.load_encrypted_keys(session)


async def describe_image(
    session: Session,
    settings: Settings,
    *,
    image: bytes,
    content_type: str,
    http: ProviderHttp | None = None,
) -> DescriptionResult:
    """Describe ``image`` with the first provider that can.

    Raises :class:`InvalidImage` (422) / :class:`ImageTooLarge` (413) for a bad
    image, and :class:`AIUnavailable` (503, with ``attempts``) when no provider
    described it.
    """
    image_input = validate_image(image, content_type)
    config, stored = await anyio.to_thread.run_sync(lambda: _load_describe_config(session))
    order = provider_order(config, set(stored))
    if not order:
        raise AIUnavailable(
            "No AI provider is configured: add an API key in Settings.", code="ai_not_configured", attempts=[]
        )
    attempts: list[Attempt] = []
    async with provider_http(http) as client:
        for provider in order:
            attempt, result = await _describe_with(
                client, settings, config, provider, stored.get(provider), image_input
            )
            attempts.append(attempt)
            if provider in stored:
                await _remember(session, provider, attempt.outcome, attempt.message)
            if result is not None:
                return DescriptionResult(
                    description=result,
                    provider=provider,
                    model=_model(config, provider),
                    attempts=attempts,
                )
    raise AIUnavailable("No AI provider could describe the image.", attempts=[a.as_dict() for a in attempts])


def _model(config: SettingsBase, provider: str) -> str:
    return str(getattr(config, f"ai_model_{provider}"))


async def _describe_with(
    client: ProviderHttp,
    settings: Settings,
    config: SettingsBase,
    provider: str,
    stored: str | None,
    image: ImageInput,
) -> tuple[Attempt, str | None]:
    if stored is None:
        return Attempt(provider, Outcome.NOT_CONFIGURED, describe_message(provider, Outcome.NOT_CONFIGURED)), None
    try:
        api_key = settings_service.decrypt_provider_key(stored, provider=provider)
    except DecryptionError:
        message = UNDECRYPTABLE_MESSAGE.format(name=provider_name(provider))
        return Attempt(provider, Outcome.NOT_CONFIGURED, message), None
    adapter = ADAPTERS[provider]
    params = DescribeParams(
        model=_model(config, provider), prompt=config.ai_description_prompt, max_tokens=config.ai_max_tokens
    )
    spec = adapter.describe(base_url=settings.provider_base_url(provider), api_key=api_key, params=params, image=image)
    # A provider (or a gateway before it) may repeat the key inside a successful
    # answer: the description is redacted against every form the key was sent in
    # before it reaches the event, notifications and outgoing webhooks.
    forms = ExchangeSecrets().add(api_key)
    for name, value in adapter.auth_headers(api_key).items():
        if api_key in value:
            forms.add_header(name, value)
    del api_key
    result = await _call(client, adapter, spec, deadline=client.timeouts.describe)
    if result.outcome is Outcome.VALID:
        text = adapter.extract_description(result.payload)
        text = shorten(forms.redact(text), MAX_DESCRIPTION_CHARS).strip() if text else None
        if text:
            message = describe_message(provider, Outcome.SUCCESS)
            return Attempt(provider, Outcome.SUCCESS, message), text
        outcome, status = Outcome.PROVIDER_ERROR, result.status_code
    else:
        outcome, status = result.outcome, result.status_code
    return Attempt(provider, outcome, describe_message(provider, outcome, status_code=status)), None
