"""Events: ``POST /api/v1/events`` ingests one (JSON, or multipart with an
image) and runs the alert engine; ``GET /api/v1/events`` lists them;
``GET /api/v1/events/{id}`` opens one (with its AI attempts, the rules it fired
and their deliveries) and ``GET /api/v1/events/{id}/image`` serves its image.

Ingest returns as soon as the event, its notifications and its queued webhook
deliveries are committed; the delivery worker is woken after the commit.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.api.deps import DESCRIBE_LIMIT, private_image
from app.core import rate_limit
from app.core.auth import viewer_allowed
from app.core.db import SessionDep
from app.core.errors import AppError, ServiceUnavailable, ValidationFailed
from app.schemas.errors import IMAGE_TOO_LARGE, RATE_LIMITED, UNSUPPORTED_MEDIA
from app.schemas.event import (
    MAX_DESCRIPTION,
    EventCreate,
    EventCreated,
    EventDetailRead,
    EventPage,
    EventRead,
    to_naive_utc,
)
from app.schemas.types import Id, InputTimestamp, Offset
from app.services import ai_service, event_service
from app.services.webhooks.worker import notify_worker

logger = logging.getLogger("app.events")

router = APIRouter(prefix="/events", tags=["events"])

MAX_JSON_BYTES = 256 * 1024
MAX_IMAGE_BYTES = ai_service.MAX_IMAGE_BYTES


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "too_large"


def _validate(data: dict[str, Any] | bytes) -> EventCreate:
    """JSON as strictly as the schema says; a form's text fields converted."""
    try:
        if isinstance(data, bytes):
            return EventCreate.model_validate_json(data)
        return EventCreate.model_validate(data, strict=False)  # form fields are all text
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from None


def _objects_field(values: list[str]) -> list[str]:
    """``objects_detected`` in a form: a JSON array, comma-separated, or repeated."""
    if len(values) == 1:
        text = values[0].strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise ValidationFailed(
                    "objects_detected is not a valid JSON array.",
                    errors=[{"field": "objects_detected", "message": "not a JSON array"}],
                ) from None
            if not isinstance(parsed, list):
                raise ValidationFailed("objects_detected must be a list.")
            return [str(v) for v in parsed]
        return [part for part in (p.strip() for p in text.split(",")) if part]
    return values


async def _read_image(upload: UploadFile) -> tuple[bytes, str]:
    data = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    content_type = ai_service.image_media_type(data)
    if content_type is not None:
        return data, content_type
    raise ValidationFailed(
        "The image must be a JPEG or PNG file.",
        code="invalid_image",
        errors=[{"field": "image", "message": "not a JPEG or PNG image"}],
    )


async def _parse_multipart(request: Request) -> tuple[EventCreate, bytes | None, str | None]:
    form: FormData = await request.form(max_files=1, max_fields=20)
    try:
        fields: dict[str, Any] = {}
        for key in ("camera_id", "description", "confidence", "timestamp"):
            value = form.get(key)
            if isinstance(value, str) and value != "":
                fields[key] = value
        objects = [v for v in form.getlist("objects_detected") if isinstance(v, str)]
        fields["objects_detected"] = _objects_field(objects) if objects else []
        data = _validate(fields)
        image = form.get("image")
        if isinstance(image, UploadFile):
            content, content_type = await _read_image(image)
            return data, content, content_type
        return data, None, None
    finally:
        await form.close()


async def _describe(session: Any, settings: Any, image: bytes, content_type: str) -> event_service.AIOutcome:
    """Ask the AI service for a description; when no provider could write one,
    the event is stored anyway (rules on objects still fire) with the reason
    and each provider's attempt. The AI service's 4xx errors for an image it
    refuses are raised."""
    try:
        result = await ai_service.describe_image(session, settings, image=image, content_type=content_type)
    except ServiceUnavailable as exc:
        logger.warning("Event image not described: %s", exc.message)
        attempts = exc.extra.get("attempts")
        return event_service.AIOutcome(error=exc.message, attempts=attempts if isinstance(attempts, list) else None)
    return event_service.AIOutcome(
        description=str(result.description)[:MAX_DESCRIPTION],
        provider=str(result.provider),
        attempts=[attempt.as_dict() for attempt in result.attempts],
    )


def _request_body() -> dict[str, Any]:
    """The body :func:`create_event` reads itself: JSON, or a form with an image."""
    json_schema = EventCreate.model_json_schema()
    form = {
        "type": "object",
        "required": ["camera_id", "confidence"],
        "properties": {
            "camera_id": json_schema["properties"]["camera_id"],
            "confidence": json_schema["properties"]["confidence"],
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
            "objects_detected": {
                "type": "string",
                "description": "a JSON array, or names separated by commas (or the field repeated)",
            },
            "timestamp": {
                "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0}],
                "description": "empty or left out: now",
            },
            "image": {"type": "string", "format": "binary", "description": "JPEG or PNG, at most 10 MB"},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": json_schema}, "multipart/form-data": {"schema": form}},
        }
    }


@router.post(
    "",
    response_model=EventCreated,
    status_code=201,
    openapi_extra=_request_body(),
    responses={**IMAGE_TOO_LARGE, **UNSUPPORTED_MEDIA, **RATE_LIMITED},
)
async def create_event(request: Request, session: SessionDep, background: BackgroundTasks) -> EventCreated:
    content_type = request.headers.get("content-type", "")
    image: bytes | None = None
    image_type: str | None = None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):  # form fields, never JSON
        data, image, image_type = await _parse_multipart(request)
    elif media_type != "application/json" and not media_type.endswith("+json"):
        # A text/plain body (what a cross-site form can send without a preflight) is never read as JSON.
        raise UnsupportedMediaType(
            "Send the event as application/json, or as form fields (multipart/form-data with an image).",
            code="unsupported_media",
        )
    else:
        body = await request.body()
        if len(body) > MAX_JSON_BYTES:
            raise PayloadTooLarge("The event body is too large.")
        data = _validate(body)

    ai: event_service.AIOutcome | None = None
    if image is not None and image_type is not None and not data.description:
        # The same budget as /ai/describe: each described event spends the owner's provider credit.
        rate_limit.check_both(request, limit=DESCRIBE_LIMIT, scope="ai-describe", what="image descriptions")
        ai = await _describe(session, request.app.state.settings, image, image_type)
    incoming = event_service.IncomingImage(image, image_type) if image is not None and image_type else None
    result = await run_in_threadpool(event_service.ingest_event, session, data=data, ai=ai, image=incoming)
    if result.engine.webhooks_queued:
        background.add_task(notify_worker, request.app.state)  # after the commit
    read = EventRead.model_validate(result.event)
    return EventCreated(**read.model_dump(), triggered_rules=result.engine.triggered_rules)


@router.get("", response_model=EventPage)
@viewer_allowed
def list_events(
    session: SessionDep,
    camera_id: Id | None = None,
    since: InputTimestamp | None = None,
    until: InputTimestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> EventPage:
    items, total = event_service.list_events(
        session,
        camera_id=camera_id,
        since=to_naive_utc(since) if since else None,
        until=to_naive_utc(until) if until else None,
        limit=limit,
        offset=offset,
    )
    return EventPage(items=[EventRead.model_validate(e) for e in items], total=total, limit=limit, offset=offset)


@router.get("/{event_id}", response_model=EventDetailRead)
@viewer_allowed
def read_event(event_id: Id, session: SessionDep) -> EventDetailRead:
    return EventDetailRead.of(event_service.get_event(session, event_id))


@router.get(
    "/{event_id}/image",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "the event's image"}},
)
@viewer_allowed
def read_event_image(event_id: Id, session: SessionDep) -> Response:
    """The image the event came with, decrypted for this answer only (never cached)."""

    def read() -> tuple[bytes, str]:
        image = event_service.get_event_image(session, event_id)
        return image.data, image.media_type

    return private_image(
        read, undecryptable="The image cannot be decrypted with the configured keys.", code="image_undecryptable"
    )
