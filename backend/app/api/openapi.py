"""The OpenAPI schema, completed so that it tells the truth about errors.

FastAPI declares only the success answer and a 422 shaped like its own
default handler. :func:`install` replaces ``app.openapi`` with a builder that
adds, to every operation, the answers the application's middleware and
handlers really give (bodies as in :mod:`app.schemas.errors`):

* 422 :class:`ValidationErrorBody` for any operation with parameters or a body
  (FastAPI's ``HTTPValidationError`` shape is never sent, so it is removed);
* 404 for any operation with a path parameter (an unknown or unroutable id);
* 400 (a body that cannot be parsed, such as broken multipart), 408 (the body
  did not arrive in time) and 413 (too large) for any operation with a body;
* for every route but the public ones (:data:`app.core.auth.PUBLIC_ROUTES`):
  its security (a bearer token, or the session cookie), 401 without valid
  credentials and 403 for a role that may not, or a cookie-signed unsafe
  request from another origin (the :class:`~app.core.auth.AuthGate`).

Answers that depend on the route (429, 409, 503, ...) are declared on the
route with ``responses=`` and the dicts of :mod:`app.schemas.errors`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.core.auth import PUBLIC_ROUTES, SESSION_COOKIE
from app.schemas.errors import ErrorBody, FieldError, ValidationErrorBody

_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _answer(description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers every operation can give (in place; returned)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, FieldError, ValidationErrorBody):
        definition = model.model_json_schema(ref_template=_REF, mode="serialization")
        for name, nested in definition.pop("$defs", {}).items():
            components.setdefault(name, nested)
        components[model.__name__] = definition
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    schema["components"].setdefault("securitySchemes", {}).update(
        {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a session or API token"},
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
        }
    )
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if (method.upper(), path) not in PUBLIC_ROUTES:
                operation["security"] = [{"bearer": []}, {"session": []}]
                unauthenticated = _answer("Sign in first (no valid session or token)", ErrorBody)
                unauthenticated["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
                responses.setdefault("401", unauthenticated)
                responses.setdefault("403", _answer("Not allowed for this role, or a cross-site request", ErrorBody))
            has_body = "requestBody" in operation
            if operation.get("parameters") or has_body:
                responses["422"] = _answer("A value in the request is not acceptable", ValidationErrorBody)
            else:
                responses.pop("422", None)
            if "{" in path:
                responses.setdefault("404", _answer("No such resource", ErrorBody))
            if has_body:
                responses.setdefault("400", _answer("The body cannot be parsed", ErrorBody))
                responses.setdefault("408", _answer("The body did not arrive in time", ErrorBody))
                responses.setdefault("413", _answer("The body is too large", ErrorBody))
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed schema at ``app.openapi_url`` (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
