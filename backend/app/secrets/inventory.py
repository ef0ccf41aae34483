"""Reading and rewriting stored secrets safely, and the key check.

Both the Alembic data migrations (:mod:`app.secrets.migration`) and the CLI
(``encryption-status``, ``rotate-key``: :mod:`app.secrets.rotation`) walk the
database through this package, so they can never disagree with each other or
with the app about which values are secrets (:mod:`app.secrets.columns`).

Rows are read by primary key in batches (keyset pagination), so memory stays
flat however many rows there are. Writes are compare-and-swap: ``UPDATE ...
WHERE pk = :pk AND column = :old``, so a value the running API wrote meanwhile
is never overwritten; such a row is read again and transformed afresh.

No message built here contains a stored value, a token or a key: only places
(table, row, field) and counts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core import encryption
from app.secrets.columns import SecretColumn, SecretState, Transform

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000

_APP_META = sa.table("app_meta", sa.column("key"), sa.column("value"))


# -- reading ---------------------------------------------------------------------------


def count_rows(conn: Connection, column: SecretColumn) -> int:
    query = sa.select(sa.func.count()).select_from(column.table).where(column.row_filter())
    return int(conn.execute(query).scalar_one())


def iter_batches(conn: Connection, column: SecretColumn, batch_size: int) -> Iterator[list[tuple[Any, str]]]:
    """``(pk, value)`` rows that may hold secrets, ``batch_size`` at a time, by primary key.

    Keyset pagination (``pk > last``): each batch is a fresh query, so the
    caller may commit between batches.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    last: Any = None
    while True:
        query = sa.select(column.pk, column.col).where(column.row_filter()).order_by(column.pk).limit(batch_size)
        if last is not None:
            query = query.where(column.pk > last)
        rows: list[tuple[Any, str]] = list(map(tuple, conn.execute(query).all()))
        if not rows:
            return
        yield rows
        last = rows[-1][0]
        if len(rows) < batch_size:
            return


def read_value(conn: Connection, column: SecretColumn, pk: Any) -> tuple[bool, str | None]:
    """``(found, value)`` of one row."""
    row = conn.execute(sa.select(column.col).where(column.pk == pk)).first()
    return (False, None) if row is None else (True, row[0])


# -- writing: compare-and-swap ---------------------------------------------------------


def write_if_unchanged(conn: Connection, column: SecretColumn, pk: Any, old: str | None, new: str) -> bool:
    """``UPDATE ... SET col = :new WHERE pk = :pk AND col = :old``; True when the row was written."""
    query = sa.update(column.table).where(column.pk == pk, column.col == old).values({column.column_name: new})
    return conn.execute(query).rowcount == 1


def _placeholder(paramstyle: str) -> str:
    """The positional parameter marker of a DB-API driver."""
    if paramstyle == "qmark":
        return "?"
    if paramstyle in ("format", "pyformat"):
        return "%s"
    raise ValueError(f"unsupported DB-API paramstyle {paramstyle!r}")


def write_batch_if_unchanged(
    conn: Connection, column: SecretColumn, changes: Sequence[tuple[Any, str, str]]
) -> set[Any]:
    """Compare-and-swap many ``(pk, old, new)`` rows in one round trip.

    Returns the primary keys that were *not* written because their value
    changed meanwhile (or the row is gone).
    """
    if not changes:
        return set()
    # Straight to the driver's executemany: at 100,000 rows, SQLAlchemy's
    # per-row parameter processing costs several times the UPDATEs themselves.
    # The names are this module's own constants, quoted by the dialect.
    quote = conn.dialect.identifier_preparer.quote
    mark = _placeholder(conn.dialect.paramstyle)
    table, pk_name, col = quote(column.table_name), quote(column.pk_name), quote(column.column_name)
    # nosec B608: the identifiers are SECRET_COLUMNS' fixed names, quoted by the dialect; the values are bound.
    statement = f"UPDATE {table} SET {col} = {mark} WHERE {pk_name} = {mark} AND {col} = {mark}"  # noqa: S608  # nosec B608
    written = conn.exec_driver_sql(statement, [(new, pk, old) for pk, old, new in changes]).rowcount
    if written == len(changes) and conn.dialect.supports_sane_multi_rowcount:
        return set()
    # Some rows were not swapped: find them (a fresh value differs from what we wrote).
    wanted = {pk: new for pk, _old, new in changes}
    current = {
        row[0]: row[1]
        for row in conn.execute(sa.select(column.pk, column.col).where(column.pk.in_(list(wanted.keys()))))
    }
    return {pk for pk, new in wanted.items() if current.get(pk) != new}


@contextmanager
def zero_replaced_values(conn: Connection) -> Iterator[None]:
    """On SQLite, overwrite the space a replaced value leaves with zeros.

    Without ``PRAGMA secure_delete`` an UPDATE leaves the old bytes (a plaintext
    secret, or a token under a retired key) in the file's free space, readable
    by whoever copies the file. PostgreSQL keeps old row versions until VACUUM
    (see SETUP.md).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = int(conn.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete = {previous}")


def scrub_free_space(conn: Connection) -> None:
    """SQLite: rebuild the file (``VACUUM``) and fold the WAL into it.

    After plaintext was replaced, old copies may still sit in free pages that
    were freed before ``secure_delete`` was on (e.g. by the table rebuilds of
    revision 0002). Must run outside a transaction (Alembic: ``autocommit_block``).
    """
    if conn.dialect.name != "sqlite":
        return
    try:
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except sa.exc.OperationalError as exc:  # busy, or no room for the copy: the data is already safe
        logger.warning(
            "Could not VACUUM the SQLite database after encrypting (%s). Old plaintext copies may remain in "
            "free pages: stop the app and run `sqlite3 <database file> VACUUM`.",
            type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
        )


# -- rewriting a whole column --------------------------------------------------------


@dataclass(frozen=True)
class BatchInfo:
    """Passed to ``after_batch``: which batch of which column."""

    column: SecretColumn
    number: int  # 1-based within this column
    rows: int
    changed: int


@dataclass
class RewriteResult:
    """What one pass over the columns did; ``outcomes`` counts ``(place, label)``."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    rows_seen: int = 0
    rows_changed: int = 0
    conflicts: int = 0  # compare-and-swap lost to a concurrent write, row re-read
    vanished: int = 0  # rows deleted meanwhile
    unresolved: list[str] = field(default_factory=list)  # rows still contended after retries

    def merge(self, other: RewriteResult) -> None:
        self.outcomes.update(other.outcomes)
        self.rows_seen += other.rows_seen
        self.rows_changed += other.rows_changed
        self.conflicts += other.conflicts
        self.vanished += other.vanished
        self.unresolved.extend(other.unresolved)

    def absorb_catch_up(self, other: RewriteResult) -> None:
        """Add a later pass over the same rows: only what it changed counts again."""
        self.outcomes.update({key: n for key, n in other.outcomes.items() if key[1] not in ("unchanged",)})
        self.rows_changed += other.rows_changed
        self.conflicts += other.conflicts
        self.vanished += other.vanished
        self.unresolved = list(other.unresolved)

    def count(self, label: str, place: str | None = None) -> int:
        return sum(n for (p, lab), n in self.outcomes.items() if lab == label and (place is None or p == place))


BatchHook = Callable[[BatchInfo], None]
# Batches of rows in; each batch back with, per row, its outcomes and new value
# (None: unchanged), in order. rotate-key computes them in helper processes.
RowRewrites = list[tuple[list[tuple[str, str]], str | None]]
RowsMapper = Callable[
    [SecretColumn, Iterable[list[tuple[Any, str]]]], Iterator[tuple[list[tuple[Any, str]], RowRewrites]]
]


def rewrite_column(
    conn: Connection,
    column: SecretColumn,
    transform: Transform,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: BatchHook | None = None,
    max_attempts: int = 5,
    settled: Callable[[str], bool] | None = None,
    on_written: Callable[[str], None] | None = None,
    map_rows: RowsMapper | None = None,
) -> RewriteResult:
    """Apply ``transform`` to every secret of ``column``, batch by batch.

    Per batch: read the rows, compute the new values,
    compare-and-swap the changed rows in one statement, re-read and redo rows a
    concurrent writer changed meanwhile, then ``after_batch`` (the CLI commits
    there; inside Alembic the migration's transaction commits at the end).
    ``settled(raw)`` may say a stored value needs no look (a catch-up pass skips
    values this run wrote itself); ``on_written(new)`` hears of each value written.
    ``map_rows`` may compute the new values of the batches instead of ``transform``
    (reading a few batches ahead); rows that changed meanwhile are redone with
    ``transform``.
    """
    result = RewriteResult()
    rewrite = column.rewrite
    batches = iter_batches(conn, column, batch_size)
    mapped: Iterable[tuple[list[tuple[Any, str]], RowRewrites | None]] = (
        ((rows, None) for rows in batches) if map_rows is None else map_rows(column, batches)
    )
    for number, (rows, rewrites) in enumerate(mapped, start=1):
        pending: list[tuple[Any, str, str, list[tuple[str, str]]]] = []
        kept: list[tuple[str, str]] = []  # outcomes of rows left as they are
        for i, (pk, raw) in enumerate(rows):
            if settled is not None and raw is not None and settled(raw):
                continue
            outcomes, new = rewrites[i] if rewrites is not None else rewrite(pk, raw, transform)
            if new is None:
                kept += outcomes
            else:
                pending.append((pk, raw, new, outcomes))
        result.outcomes.update(kept)
        info = BatchInfo(column=column, number=number, rows=len(rows), changed=len(pending))
        failed = write_batch_if_unchanged(conn, column, [(pk, old, new) for pk, old, new, _ in pending])
        done: list[tuple[str, str]] = []
        for pk, _old, new_value, outcomes in pending:
            if pk not in failed:
                done += outcomes
                result.rows_changed += 1
                if on_written is not None:
                    on_written(new_value)
        result.outcomes.update(done)
        for pk in sorted(failed, key=str):
            result.conflicts += 1
            _redo_row(conn, column, pk, transform, result, max_attempts)
        result.rows_seen += len(rows)
        if after_batch is not None:
            after_batch(info)
    return result


def _redo_row(
    conn: Connection, column: SecretColumn, pk: Any, transform: Transform, result: RewriteResult, max_attempts: int
) -> None:
    """A row changed under us: read it again and transform the fresh value."""
    for _attempt in range(max_attempts):
        found, raw = read_value(conn, column, pk)
        if not found:
            result.vanished += 1
            return
        outcomes, new = column.rewrite(pk, raw, transform)
        if new is None:
            result.outcomes.update(outcomes)
            return
        if write_if_unchanged(conn, column, pk, raw, new):
            result.outcomes.update(outcomes)
            result.rows_changed += 1
            return
        result.conflicts += 1
    result.unresolved.append(column.row_location(pk))


# -- the key check ------------------------------------------------------------------


def has_table(conn: Connection, name: str) -> bool:
    return bool(sa.inspect(conn).has_table(name))


def read_key_check(conn: Connection) -> str | None:
    return conn.execute(sa.select(_APP_META.c.value).where(_APP_META.c.key == encryption.KEY_CHECK)).scalar()


def key_check_state(conn: Connection) -> SecretState | None:
    """``None`` when the database has no key check yet."""
    stored = read_key_check(conn)
    if stored is None:
        return None
    state = encryption.verify_key_check(stored)
    return state if state in ("primary", "previous") else "undecryptable"


def write_key_check(conn: Connection) -> bool:
    """Make the key check one written with the primary key (compare-and-swap).

    Returns False when it already was, or a concurrent writer changed it.
    """
    stored = read_key_check(conn)
    if stored is None:
        conn.execute(sa.insert(_APP_META).values(key=encryption.KEY_CHECK, value=encryption.make_key_check()))
        return True
    if encryption.verify_key_check(stored) == "primary":
        return False
    query = (
        sa.update(_APP_META)
        .where(_APP_META.c.key == encryption.KEY_CHECK, _APP_META.c.value == stored)
        .values(value=encryption.make_key_check())
    )
    return conn.execute(query).rowcount == 1
