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
from app.services import secret_inventory as inv
from app.services.secret_inventory import PLACES, SECRET_STATES

BACKUP_CONFIRMED = "key_backup_confirmed_at"
ROTATION_STARTED = "rotation_started_at"
ROTATION_FINISHED = "rotation_finished_at"


def _iso(value: str | None) -> str | None:
    return value if value else None


def read_meta(conn: Connection, key: str) -> str | None:
    table = core_table(AppMeta)
    return conn.execute(select(table.c.value).where(table.c.key == key)).scalar()


def write_meta(conn: Connection, key: str, value: str) -> None:
    table = core_table(AppMeta)
    updated = conn.execute(table.update().where(table.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(table.insert().values(key=key, value=value))


def now_iso() -> str:
    return utcnow().replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def report(engine: Engine, settings: Settings) -> dict[str, Any]:
    source = key_source(settings)
    with engine.connect() as conn:
        census = inv.take_census(conn, inv.existing_columns(conn))
        key_state = inv.key_check_state(conn) if inv.has_table(conn, "app_meta") else None
        check_time = encryption.written_at(inv.read_key_check(conn)) if key_state else None
        started, finished = read_meta(conn, ROTATION_STARTED), read_meta(conn, ROTATION_FINISHED)
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
        "rotation": {
            "started_at": _iso(started),
            "finished_at": _iso(finished),
            "in_progress": bool(started and (not finished or finished < started)),
        },
        "backup_confirmed_at": _iso(backup),
        "places": places,
        "totals": {state: census.total(state) for state in SECRET_STATES},
        "unreadable_places": census.problems,
    }
