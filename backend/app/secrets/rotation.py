"""Key rotation: re-encrypt every stored secret under the primary key.

With the new key as ``ENCRYPTION_KEY`` and the old one(s) in
``ENCRYPTION_KEYS_PREVIOUS`` (the API, restarted with the same two variables,
keeps serving meanwhile):

1. refuse unless the schema is at head, the configured keys open the key check,
   and every stored secret opens with some configured key (the refusal names
   the places, never the values);
2. re-encrypt, batch by batch, every secret not under the primary key (with
   ``workers``/a large database, in helper processes: :mod:`app.secrets.pool`);
   each batch is one commit, and every write is compare-and-swap, so a crash
   loses nothing, a rerun continues (values already under the primary key are
   skipped, not rewritten), and a value the API wrote meanwhile is never
   overwritten;
3. pass again until a pass finds nothing left under an old key (catches a write
   the API made from a value it had read before the rotation reached it);
4. last, rewrite the key check under the primary key, so the app then starts
   with the new key alone.

The command line (``python -m app.cli rotate-key``) is :mod:`app.cli.rotation`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy import insert as sa_insert

from app.core import migrations
from app.core.db import core_table, utcnow
from app.models.audit import AuditEntry
from app.secrets import inventory
from app.secrets.census import Census, take_census
from app.secrets.columns import SECRET_COLUMNS, SecretColumn, SecretState
from app.secrets.errors import SecretInventoryError, UnreadableSecretsError
from app.secrets.inventory import (
    DEFAULT_BATCH_SIZE,
    BatchInfo,
    RewriteResult,
    RowsMapper,
    count_rows,
    has_table,
    key_check_state,
    zero_replaced_values,
)
from app.secrets.key_states import KeyStates, rotate_rows
from app.secrets.pool import Helpers, choose_workers, helper_pool

logger = logging.getLogger(__name__)

# Passes after the main one, to catch values written under an old key meanwhile.
MAX_CATCH_UP_PASSES = 3


class RotationRefused(SecretInventoryError):
    """The rotation did not begin (or could not finish); the message says why and what to do."""


class ProgressReporter(Protocol):
    """Told of each column as it starts and of each batch once it is committed."""

    def start(self, column: SecretColumn, total: int) -> None: ...

    def advance(self, info: BatchInfo) -> None: ...

    def stop(self) -> None: ...


class SilentProgress:
    def start(self, column: SecretColumn, total: int) -> None:
        pass

    def advance(self, info: BatchInfo) -> None:
        pass

    def stop(self) -> None:
        pass


# -- checks before anything is written ---------------------------------------------------


def check_schema(engine: Engine, database_url: str) -> None:
    current = migrations.current_revision(engine)
    head = migrations.head_revision(database_url)
    if current != head:
        raise RotationRefused(
            f"The database schema is not up to date (revision {current or 'none'}, this version needs {head}). "
            "Run: alembic upgrade head (or start the app once with AUTO_MIGRATE=true), then rotate."
        )


def check_key_check(conn: Connection) -> SecretState | None:
    state = key_check_state(conn)
    if state == "undecryptable":
        raise RotationRefused(
            "None of the configured keys opens this database's key check: the keys do not belong to this database. "
            "Set ENCRYPTION_KEY to the new key and ENCRYPTION_KEYS_PREVIOUS to the key the data is encrypted with."
        )
    return state


def refuse_if_unreadable(census: Census) -> None:
    if census.problem_total:
        error = UnreadableSecretsError(
            census.problems,
            census.problem_total,
            action="rotate-key refused to begin",
            hint=(
                "Nothing was changed. Add the key they were encrypted with to ENCRYPTION_KEYS_PREVIOUS, "
                "or clear those values and enter them again; then rerun."
            ),
        )
        raise RotationRefused(str(error))


# -- the rotation ------------------------------------------------------------------------


@dataclass
class RotationSummary:
    before: Census
    result: RewriteResult = field(default_factory=RewriteResult)
    passes: int = 0
    key_check_updated: bool = False
    key_check_state: SecretState | None = None
    dry_run: bool = False
    leftover: Census | None = None  # what the last pass still found under an old key / unreadable

    @property
    def complete(self) -> bool:
        """Every secret under the primary key and the key check rewritten (or a dry run)."""
        return self.dry_run or self.key_check_state == "primary"


def rotate_all(
    engine: Engine,
    database_url: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    progress: ProgressReporter | None = None,
    workers: int | None = None,
) -> RotationSummary:
    """Re-encrypt every stored secret under the primary key. See the module docstring.

    ``workers``: helper processes for the pre-check (see :func:`choose_workers`).
    """
    progress = progress or SilentProgress()
    check_schema(engine, database_url)
    with ExitStack() as stack:
        with engine.connect() as conn:
            key_state = check_key_check(conn)
            rows = sum(count_rows(conn, column) for column in SECRET_COLUMNS)
            helpers = stack.enter_context(helper_pool(choose_workers(workers, rows)))
            states = KeyStates(helpers, prepare=not dry_run)
            census = take_census(conn, batch_size=batch_size, map_batches=states.map_batches)
            conn.rollback()
        refuse_if_unreadable(census)
        summary = RotationSummary(before=census, key_check_state=key_state, dry_run=dry_run)
        if dry_run:
            return summary
        _rotate(engine, summary, states, helpers, batch_size=batch_size, progress=progress)
    return _catch_up(engine, summary, states, batch_size=batch_size)


def _rotate(
    engine: Engine,
    summary: RotationSummary,
    states: KeyStates,
    helpers: Helpers | None,
    *,
    batch_size: int,
    progress: ProgressReporter,
) -> None:
    """The main pass: every column, batch by batch, one commit per batch."""
    with engine.connect() as conn, zero_replaced_values(conn):

        def after_batch(info: BatchInfo) -> None:
            conn.commit()
            progress.advance(info)

        try:
            for column in SECRET_COLUMNS:
                progress.start(column, count_rows(conn, column))
                conn.commit()
                summary.result.merge(
                    inventory.rewrite_column(
                        conn,
                        column,
                        states.rotate,
                        batch_size=batch_size,
                        after_batch=after_batch,
                        on_written=states.remember_written,
                        map_rows=None if helpers is None else _rows_mapper(helpers),
                    )
                )
            summary.passes = 1
        finally:
            progress.stop()


def _rows_mapper(helpers: Helpers) -> RowsMapper:
    def map_rows(
        column: SecretColumn, batches: Iterable[list[tuple[Any, str]]]
    ) -> Iterator[tuple[list[tuple[Any, str]], list[tuple[list[tuple[str, str]], str | None]]]]:
        index = SECRET_COLUMNS.index(column)
        return helpers.map(rotate_rows, ((rows, (index, rows)) for rows in batches))

    return map_rows


def _catch_up(engine: Engine, summary: RotationSummary, states: KeyStates, *, batch_size: int) -> RotationSummary:
    """Pass again until nothing is left under an old key; then the key check."""
    with engine.connect() as conn, zero_replaced_values(conn):
        # Catch-up passes: values the API wrote under an old key meanwhile (from a value it had read
        # before this rotation reached it). Stop at the first pass that finds nothing to do.
        settled = False
        for _ in range(MAX_CATCH_UP_PASSES):
            catch_up = RewriteResult()
            for column in SECRET_COLUMNS:
                catch_up.merge(
                    inventory.rewrite_column(
                        conn,
                        column,
                        states.rotate,
                        batch_size=batch_size,
                        after_batch=lambda _info: conn.commit(),
                        settled=states.wrote,
                        on_written=states.remember_written,
                    )
                )
            summary.passes += 1
            summary.result.absorb_catch_up(catch_up)
            changed = catch_up.count("rotated") + catch_up.count("encrypted")
            if changed == 0:
                settled = not catch_up.unresolved and catch_up.count("undecryptable") == 0
                break
        if not settled:  # still busy after the catch-up passes: look at what is really left
            left = take_census(conn, batch_size=batch_size)
            conn.commit()
            if left.problem_total or left.total("previous") or left.total("plaintext"):
                summary.leftover = left
        if summary.leftover is None:
            summary.key_check_updated = inventory.write_key_check(conn)
            conn.commit()
            summary.key_check_state = "primary"
    return summary


def remember_rotation(engine: Engine, action: str, *, outcome: str = "ok") -> None:
    """Note a rotation's start or end in the audit trail, where the key health report reads it (best effort)."""
    try:
        with engine.begin() as conn:
            if has_table(conn, "audit_log"):
                conn.execute(
                    sa_insert(core_table(AuditEntry)).values(
                        at=utcnow(), actor="cli", address=None, action=action, target="all secrets", outcome=outcome
                    )
                )
    except Exception as exc:  # a locked or old database must not stop the rotation itself
        logger.warning("Could not record %s: %s", action, type(exc).__name__)
