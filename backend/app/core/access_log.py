"""A quiet access log: the dashboard's routine polls are logged at DEBUG.

The dashboard asks for the same few things every few seconds (the bell's
notifications, the events list, the health check of a start script or a
banner). At ``LOG_LEVEL=INFO`` uvicorn would write a line for each, burying
everything else. :class:`RoutinePollFilter`, on the ``uvicorn.access`` logger,
turns those lines into DEBUG records: they are shown only when the logger is
at DEBUG. A poll that failed (status 400 and up) keeps its level, so trouble
stays visible.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"

# (method, path) of the requests the dashboard and the start script repeat on a
# timer (frontend: notifications-provider.tsx polls the notifications, the
# events view refreshes its list; scripts/run.sh waits on /health).
ROUTINE_POLLS: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/health"),
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/events"),
    }
)


def _access_fields(record: logging.LogRecord) -> tuple[str, str, int] | None:
    """(method, path without query, status) of a uvicorn access record."""
    args = record.args
    if not isinstance(args, tuple) or len(args) != 5:
        return None
    _client, method, path, _http_version, status = args
    if not isinstance(method, str) or not isinstance(path, str) or not isinstance(status, int):
        return None
    return method.upper(), path.split("?", 1)[0], status


class RoutinePollFilter(logging.Filter):
    """Lower successful routine polls to DEBUG; drop them unless DEBUG is on."""

    def __init__(self, routes: frozenset[tuple[str, str]] = ROUTINE_POLLS) -> None:
        super().__init__()
        self.routes = routes

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        fields = _access_fields(record)
        if fields is None:
            return True
        method, path, status = fields
        if (method, path) not in self.routes or status >= 400:
            return True
        record.levelno = logging.DEBUG
        record.levelname = logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_routine_polls() -> None:
    """Put the filter on uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RoutinePollFilter) for existing in logger.filters):
        logger.addFilter(RoutinePollFilter())
