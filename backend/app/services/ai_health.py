"""How each stored AI provider key is doing: the outcome of its last use.

A provider's *key health* is ``{"outcome", "message", "at"}`` for the key that
is stored now, or ``None`` when that key was never tested. It is written by
the key test of the stored key and by every description attempt that used
it, so a key revoked at the provider shows as failing after the next event.
It is never a secret: outcomes and messages are the product's own words.
Rows live in ``system_settings`` under ``ai_key_health_<provider>`` as JSON,
written with an upsert so that two requests recording at once cannot collide.
Removing or replacing a key forgets its health. Services only flush.

Testing a key *before* saving it ("Save & test") stores nothing: the result is
kept in this process's memory for :data:`PENDING_FOR`, under an HMAC of the
key with a random per-process key (the key itself is not kept). When that same
key is saved through this process in time, its health is that result; any
other new key starts untested. (With several workers a save may reach another
one: the key then shows as untested, never as a result it did not get.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.core.jsontext import dumps_compact, loads_object
from app.core.secret_fields import AI_PROVIDERS, setting_context
from app.models.system_setting import SystemSetting
from app.services.ai_providers.outcomes import Outcome

PENDING_FOR = timedelta(minutes=30)
_HEALTH = "ai_key_health_"
HEALTH_ROW_KEYS: tuple[str, ...] = tuple(_HEALTH + p for p in AI_PROVIDERS)


class KeyHealth(TypedDict):
    outcome: str
    message: str
    at: str


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _entry(outcome: Outcome | str, message: str) -> KeyHealth:
    # A description that worked proves the key as a key test does.
    value = Outcome.VALID if outcome == Outcome.SUCCESS else Outcome(outcome)
    return {"outcome": str(value), "message": message, "at": _now()}


@dataclass(frozen=True)
class _Pending:
    tag: bytes
    entry: KeyHealth
    expires: float


_TAG_KEY = secrets.token_bytes(32)
_pending: dict[str, _Pending] = {}
_pending_lock = threading.Lock()


def _tag(provider: str, api_key: str) -> bytes:
    message = setting_context(f"ai_api_key_{provider}").encode() + b"\x00" + api_key.encode()
    return hmac.new(_TAG_KEY, message, hashlib.sha256).digest()


def _upsert(session: Session, key: str, value: dict[str, Any]) -> None:
    text = dumps_compact(value)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SystemSetting).values(key=key, value=text)
    statement = statement.on_conflict_do_update(index_elements=[SystemSetting.key], set_={"value": text})
    session.execute(statement)


def _delete(session: Session, *keys: str) -> None:
    session.execute(delete(SystemSetting).where(SystemSetting.key.in_(keys)))


def record(session: Session, *, provider: str, outcome: Outcome | str, message: str) -> None:
    """The stored key of ``provider`` was just used: remember how it went."""
    _upsert(session, _HEALTH + provider, dict(_entry(outcome, message)))


def record_unsaved_test(*, provider: str, api_key: str, outcome: Outcome, message: str) -> None:
    """A key that is not stored was tested: keep the result (in memory) for when it is saved."""
    pending = _Pending(
        _tag(provider, api_key), _entry(outcome, message), time.monotonic() + PENDING_FOR.total_seconds()
    )
    with _pending_lock:
        _pending[provider] = pending


def key_saved(session: Session, *, provider: str, api_key: str) -> None:
    """A new key was stored for ``provider``: its health is the recent pending
    test of this same key, if there is one, else unknown (never tested)."""
    with _pending_lock:
        pending = _pending.pop(provider, None)
    _delete(session, _HEALTH + provider)
    if (
        pending is not None
        and time.monotonic() < pending.expires
        and hmac.compare_digest(pending.tag, _tag(provider, api_key))
    ):
        _upsert(session, _HEALTH + provider, dict(pending.entry))


def key_removed(session: Session, *, provider: str) -> None:
    with _pending_lock:
        _pending.pop(provider, None)
    _delete(session, _HEALTH + provider)


def read_all(session: Session, stored: set[str]) -> dict[str, KeyHealth | None]:
    """Provider → health of its stored key (``None``: no key, or never tested)."""
    keys = [_HEALTH + p for p in AI_PROVIDERS]
    rows = {
        row.key: row.value
        for row in session.execute(select(SystemSetting.key, SystemSetting.value).where(SystemSetting.key.in_(keys)))
    }
    result: dict[str, KeyHealth | None] = {}
    for provider in AI_PROVIDERS:
        entry = loads_object(rows.get(_HEALTH + provider)) if provider in stored else {}
        if {"outcome", "message", "at"} <= entry.keys():
            result[provider] = {
                "outcome": str(entry["outcome"]),
                "message": str(entry["message"]),
                "at": str(entry["at"]),
            }
        else:
            result[provider] = None
    return result
