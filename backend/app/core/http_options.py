"""``OPTIONS`` answered with ``Allow`` (RFC 9110 section 9.3.7).

:class:`OptionsMiddleware` answers ``OPTIONS <path>`` with ``204`` and an
``Allow`` header listing exactly the methods the OpenAPI schema documents for
that path, plus ``OPTIONS``. Where several path templates match
(``/cameras/test`` and ``/cameras/{camera_id}``), the most specific one (the
fewest parameters) is the resource. A path no template matches goes on to the
app (404). CORS preflights (``Origin`` with ``Access-Control-Request-Method``)
are left to the CORS middleware.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_PARAM = re.compile(r"\{[^}/]+\}")


def _compile(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")


class OptionsMiddleware:
    def __init__(self, app: ASGIApp, *, schema: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self._schema = schema
        self._table: list[tuple[int, re.Pattern[str], str]] | None = None
        self._source: dict[str, Any] | None = None

    def _templates(self) -> list[tuple[int, re.Pattern[str], str]]:
        schema = self._schema()
        if self._table is None or schema is not self._source:
            table = []
            for template, operations in schema.get("paths", {}).items():
                methods = [m.upper() for m in operations if m.upper() in _METHODS]
                if methods:
                    allow = ", ".join([m for m in _METHODS if m in methods] + ["OPTIONS"])
                    table.append((len(_PARAM.findall(template)), _compile(template), allow))
            table.sort(key=lambda row: row[0])
            self._table, self._source = table, schema
        return self._table

    def allow(self, path: str) -> str | None:
        """The ``Allow`` value for ``path``, or ``None`` when no resource is there."""
        for _params, pattern, allow in self._templates():
            if pattern.match(path):
                return allow
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        headers = {name.lower() for name, _ in scope.get("headers", [])}
        if b"origin" in headers and b"access-control-request-method" in headers:
            await self.app(scope, receive, send)
            return
        allow = self.allow(scope["path"])
        if allow is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(b"allow", allow.encode()), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})
