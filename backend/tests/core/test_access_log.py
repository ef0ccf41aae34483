"""The access log stays quiet about the dashboard's routine polls at INFO
(records made exactly as uvicorn makes them, through the real logger)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.core.access_log import ACCESS_LOGGER, RoutinePollFilter, quiet_routine_polls
from app.core.logging import setup_logging


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access() -> Iterator[tuple[logging.Logger, _Keep]]:
    logger = logging.getLogger(ACCESS_LOGGER)
    level, propagate = logger.level, logger.propagate
    keep = _Keep()
    logger.addHandler(keep)
    logger.propagate = False
    quiet_routine_polls()
    try:
        yield logger, keep
    finally:
        logger.removeHandler(keep)
        logger.setLevel(level)
        logger.propagate = propagate


def _request(logger: logging.Logger, method: str, path: str, status: int) -> None:
    # uvicorn's own call (protocols/http/h11_impl.py and httptools_impl.py)
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", method, path, "1.1", status)


def _lines(keep: _Keep) -> list[tuple[str, str]]:
    return [(record.levelname, record.getMessage()) for record in keep.records]


def test_routine_polls_leave_no_line_at_info(access: tuple[logging.Logger, _Keep]) -> None:
    logger, keep = access
    logger.setLevel(logging.INFO)
    _request(logger, "GET", "/health", 200)
    _request(logger, "GET", "/api/v1/notifications?limit=20", 200)
    _request(logger, "GET", "/api/v1/events?limit=50&offset=0", 200)
    assert keep.records == []
    # Everything else is logged as before: other routes, other methods, failed polls.
    _request(logger, "GET", "/api/v1/cameras", 200)
    _request(logger, "POST", "/api/v1/events", 201)
    _request(logger, "PATCH", "/api/v1/notifications/3", 200)
    _request(logger, "GET", "/api/v1/notifications", 500)
    _request(logger, "GET", "/health", 503)
    assert [level for level, _ in _lines(keep)] == ["INFO"] * 5
    assert '"GET /api/v1/notifications HTTP/1.1" 500' in _lines(keep)[3][1]


def test_at_debug_the_polls_show_as_debug_lines(access: tuple[logging.Logger, _Keep]) -> None:
    logger, keep = access
    logger.setLevel(logging.DEBUG)
    _request(logger, "GET", "/health", 200)
    _request(logger, "GET", "/api/v1/cameras", 200)
    assert [level for level, _ in _lines(keep)] == ["DEBUG", "INFO"]
    assert '"GET /health HTTP/1.1" 200' in _lines(keep)[0][1]


def test_records_of_another_shape_pass_untouched(access: tuple[logging.Logger, _Keep]) -> None:
    logger, keep = access
    logger.setLevel(logging.INFO)
    logger.info("GET /health")
    logger.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/health", "1.1", 200)
    assert [level for level, _ in _lines(keep)] == ["INFO", "WARNING"]


def test_app_logging_set_up_installs_the_filter_once() -> None:
    setup_logging("INFO")
    setup_logging("DEBUG")
    filters = [f for f in logging.getLogger(ACCESS_LOGGER).filters if isinstance(f, RoutinePollFilter)]
    assert len(filters) == 1
