"""Typed application errors: services raise these, handlers turn them into JSON."""

from __future__ import annotations

from typing import Any

# The answer when the database is full, locked too long or unreachable (503).
DATABASE_UNAVAILABLE = (
    "The database cannot be used right now (full, locked or unreachable); nothing was saved. Try again shortly."
)


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ValidationFailed(AppError):
    """422. The body always has ``errors`` (``[{"field", "message"}]``), like
    the schema validation errors: given, or made from ``field``/``fields``."""

    status_code = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message, code=code, **extra)
        if "errors" not in self.extra:
            fields = self.extra.get("fields") or [self.extra.get("field") or "body"]
            self.extra["errors"] = [{"field": str(field), "message": message} for field in fields]


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "unavailable"
