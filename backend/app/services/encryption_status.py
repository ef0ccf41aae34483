"""The key's health in one report, shared by ``GET /api/v1/encryption/status``
and ``python -m app.cli encryption-status``: where the key comes from (never
the key), its fingerprint, previous keys, when the key check was written, the
last rotation, the owner's backup confirmation, and the per-place census.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from app.core import encryption
from app.core.config import Settings
from app.core.db import core_table, utcnow
from app.core.keys import key_source
from app.models.app_meta import AppMeta
from app.models.audit import AuditEntry
from app.schemas.auth import iso_utc
from app.secrets.census import take_census
from app.secrets.columns import PLACES, SECRET_STATES, existing_columns
from app.secrets.inventory import has_table, key_check_state, read_key_check

BACKUP_CONFIRMED = "key_backup_confirmed_at"


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value.replace(microsecond=0)) if value is not None else None


def rotation_state(conn: Connection) -> dict[str, Any]:
    """The last rotation, from the audit trail that ``rotate-key`` writes."""
    if not has_table(conn, "audit_log"):
        return {"started_at": None, "finished_at": None, "in_progress": False}
    table = core_table(AuditEntry)

    def last(action: str, *outcomes: str) -> Any:
        query = select(table.c.at, table.c.outcome).where(table.c.action == action)
        if outcomes:
            query = query.where(table.c.outcome.in_(outcomes))
        return conn.execute(query.order_by(table.c.at.desc(), table.c.id.desc()).limit(1)).first()

    started, ended, finished = last("rotation_start"), last("rotation_end"), last("rotation_end", "ok")
    in_progress = started is not None and (ended is None or ended.at < started.at or ended.outcome == "failed")
    return {
        "started_at": _iso(started.at if started else None),
        "finished_at": _iso(finished.at if finished else None),
        "in_progress": in_progress,
    }


def read_meta(conn: Connection, key: str) -> str | None:
    table = core_table(AppMeta)
    return conn.execute(select(table.c.value).where(table.c.key == key)).scalar()


def write_meta(conn: Connection, key: str, value: str) -> None:
    table = core_table(AppMeta)
    updated = conn.execute(table.update().where(table.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(table.insert().values(key=key, value=value))


def now_iso() -> str:
    return iso_utc(utcnow().replace(microsecond=0))


def report(engine: Engine, settings: Settings) -> dict[str, Any]:
    source = key_source(settings)
    with engine.connect() as conn:
        census = take_census(conn, existing_columns(conn))
        key_state = key_check_state(conn) if has_table(conn, "app_meta") else None
        check_time = encryption.written_at(read_key_check(conn)) if key_state else None
        rotation = rotation_state(conn)
        backup = read_meta(conn, BACKUP_CONFIRMED)
        conn.rollback()
    places = [{"place": place, **{state: census.counts[place][state] for state in SECRET_STATES}} for place in PLACES]
    return {
        "key_source": source.kind,
        "key_location": source.location,
        "fingerprint": encryption.fingerprint(),
        "previous_keys": len(encryption.loaded_keys()) - 1,
        "key_check": key_state or "absent",
        "key_check_at": (
            datetime.fromtimestamp(check_time, UTC).isoformat().replace("+00:00", "Z") if check_time else None
        ),
        "rotation": rotation,
        "backup_confirmed_at": backup or None,
        "places": places,
        "totals": {state: census.total(state) for state in SECRET_STATES},
        "unreadable_places": census.problems,
    }
