"""Bounded input types shared by every schema and route: the one place where
integers, text and dates from a client are kept within what the rest of the
product (Python's C-level conversions, SQLite, PostgreSQL, UTF-8) can hold.

* :data:`Id` — a row id (path, query or body): 1 to :data:`MAX_ID`, the
  largest value of the ``INTEGER`` id columns on PostgreSQL (32-bit).
* :data:`Offset` — a paging offset: 0 to :data:`MAX_ID`.
* :data:`InputTimestamp` — a date-time string from a client (a number of
  seconds or a bare date is refused): an offset is honoured, a naive value is
  taken as UTC; after conversion it must lie between
  :data:`MIN_TIMESTAMP` and :data:`MAX_TIMESTAMP` (a conversion that would
  leave the calendar, such as ``9999-12-31T23:59:59-23:59``, is refused too).
* :data:`UtcDatetime` — a date-time in a response: always with its offset
  (RFC 3339, UTC, ``...Z``), stored values being naive UTC.
* :class:`InputModel` — the base of every request body model: it refuses text
  that cannot be encoded as UTF-8 (a lone surrogate such as ``\\ud800``, which
  JSON's ``\\uXXXX`` escapes can carry), in any field, list item, dict key or
  value, at any depth. Each such value is a 422 naming the field.

Out-of-range values are 422 with a message, like any other invalid input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    field_validator,
    model_validator,
)

MAX_ID = 2**31 - 1
MIN_TIMESTAMP = datetime(1, 1, 1, tzinfo=UTC)
MAX_TIMESTAMP = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

UNENCODABLE_MESSAGE = "contains characters that are not valid Unicode text (a lone surrogate such as \\ud800)"
_RANGE_MESSAGE = "is out of range: date-times run from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"


Id = Annotated[int, Ge(1), Le(MAX_ID)]
Offset = Annotated[int, Ge(0), Le(MAX_ID)]


_DATE_TIME_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_LAX_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
_FORMAT_MESSAGE = "must be a date-time such as 2026-06-01T10:00:00Z (RFC 3339; without an offset it is taken as UTC)"


def _parse_timestamp(value: Any) -> datetime:
    """A date-time string as the schema says (``format: date-time``): not a
    number of seconds, not a bare date."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_TIME_START.match(value.strip()):
        raise ValueError(_FORMAT_MESSAGE)
    try:
        return _LAX_DATETIME.validate_python(value.strip())
    except ValueError:
        raise ValueError(_FORMAT_MESSAGE) from None


def _bounded_utc(value: datetime) -> datetime:
    try:
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(_RANGE_MESSAGE) from None
    if not MIN_TIMESTAMP <= aware <= MAX_TIMESTAMP:
        raise ValueError(_RANGE_MESSAGE)
    return aware


InputTimestamp = Annotated[datetime, BeforeValidator(_parse_timestamp), AfterValidator(_bounded_utc)]


def as_utc(value: datetime) -> datetime:
    """Stored datetimes are naive UTC: answer them as aware UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# Aware UTC serialises as RFC 3339 with ``Z``; the schema keeps ``format: date-time``.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unencodable(value: Any) -> str | None:
    """The path (``a.b.0``) of the first text in ``value`` that UTF-8 cannot
    encode, ``""`` for ``value`` itself, or ``None`` when all of it can.
    Iterative: deeply nested input cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _unencodable(item):
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and _unencodable(key):
                    return path or "(a key)"
                stack.append((name, inner))
        elif isinstance(item, list | tuple):
            items: Iterable[tuple[int, Any]] = enumerate(item)
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in items)
    return None


class InputModel(BaseModel):
    """Base of request bodies: values of the type the schema states, and no
    text UTF-8 cannot encode.

    Strict: ``0`` is not ``false`` and ``"5"`` is not ``5`` (a body that
    breaks its schema is refused, as the schema promises). The Unicode check
    runs before every other validator (so no secret registration, parsing or
    database work sees such text) and never echoes the value.
    """

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _encodable_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(isinstance(key, str) and _unencodable(key) for key in data):
            raise ValueError(f"a field name {UNENCODABLE_MESSAGE}")
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _encodable(cls, value: Any) -> Any:
        where = first_unencodable(value)
        if where is not None:
            raise ValueError(f"{where} {UNENCODABLE_MESSAGE}" if where else UNENCODABLE_MESSAGE)
        return value
