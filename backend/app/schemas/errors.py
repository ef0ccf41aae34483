"""The error bodies the API answers, as models for the OpenAPI schema.

Every error is JSON with a ``detail``; errors raised by the product add a
``code`` (and sometimes more, e.g. ``retry_after``, ``fields``); validation
errors (422) always carry ``errors``: where (``field``) and why (``message``),
never the submitted value. ``responses`` dicts for routes are here too, so a
route declares what it can answer with one name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Any error: ``detail`` always, ``code`` when the product raised it."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str | None = None


class ValidationErrorBody(BaseModel):
    """422: the request was understood but a value is not acceptable."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str
    errors: list[FieldError]


class RateLimitedBody(BaseModel):
    """429, with a ``Retry-After`` header of the same number of seconds."""

    model_config = ConfigDict(extra="allow")

    detail: str
    code: str
    retry_after: int


def _error(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {"description": description, "model": model}


Responses = dict[int | str, dict[str, Any]]

NOT_FOUND: Responses = {404: _error("No such resource")}
CONFLICT: Responses = {409: _error("Conflicts with what is stored")}
RATE_LIMITED: Responses = {
    429: {
        **_error("Too many requests from this client; try again after Retry-After seconds", RateLimitedBody),
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    }
}
UNAVAILABLE: Responses = {503: _error("A service this request needs (an AI provider) is unavailable")}
IMAGE_TOO_LARGE: Responses = {413: _error("The request body, or the image in it, is too large")}
UNSUPPORTED_MEDIA: Responses = {415: _error("The body is neither JSON nor form fields")}
