"""Every stored secret, in one place: where it lives, how to read it in
batches, how to rewrite it safely.

Both the Alembic data migration (``0003_encrypt_secrets``) and the CLI
(``encryption-status``, ``rotate-key``) walk the database through this module,
so they can never disagree with each other or with the app about which values
are secrets and which encryption context binds each one: the contexts come from
:mod:`app.core.secret_fields`, the same builders the services use.

Everything here is SQLAlchemy Core on a :class:`~sqlalchemy.Connection` with
lightweight ``sqlalchemy.table()`` / ``column()`` constructs, not ORM models, so
the Alembic revision that imports it stays valid as the models evolve.

The places (a *column* may hold several places)::

    cameras.password                        one secret per row      cameras.password:<id>
    system_settings.value                   the credential keys     system_settings:<key>
    alert_rules.actions.webhook.url         JSON inside actions     alert_rules.webhook_url:<id>
    alert_rules.actions.webhook.headers     secret header values    alert_rules.webhook_header.<name>:<id>
    alert_rules.actions.webhook.signing_secret  (optional)          alert_rules.webhook_signing_secret:<id>

Rows are read by primary key in batches (keyset pagination), so memory stays
flat however many rows there are. Writes are compare-and-swap: ``UPDATE ...
WHERE pk = :pk AND column = :old``, so a value the running API wrote meanwhile
is never overwritten; such a row is read again and transformed afresh.

No message built here contains a stored value, a token or a key: only places
(table, row, field) and counts.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from alembic.util import CommandError
from sqlalchemy import Connection
from sqlalchemy.sql.expression import ColumnElement, TableClause

from app.core import encryption
from app.core.secret_fields import (
    SECRET_SETTINGS_KEYS,
    camera_password_context,
    event_image_key_context,
    is_secret_header,
    setting_context,
    webhook_header_context,
    webhook_signing_secret_context,
    webhook_url_context,
)

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000
# At most this many places are named in one message; the rest are counted.
MAX_LISTED_PLACES = 20

SecretState = Literal["primary", "previous", "plaintext", "undecryptable"]
SECRET_STATES: tuple[SecretState, ...] = ("primary", "previous", "plaintext", "undecryptable")

PLACE_CAMERA_PASSWORD = "cameras.password"  # noqa: S105 - a place name, not a password
PLACE_SETTINGS = "system_settings.value"
PLACE_WEBHOOK_URL = "alert_rules.actions.webhook.url"
PLACE_WEBHOOK_HEADERS = "alert_rules.actions.webhook.headers"
PLACE_WEBHOOK_SIGNING = "alert_rules.actions.webhook.signing_secret"
PLACE_EVENT_IMAGE_KEY = "event_images.data_key"

# The key check row in app_meta (see app.models.app_meta.KEY_CHECK; a test keeps them equal).
KEY_CHECK_KEY = "encryption_key_check"
_APP_META = sa.table("app_meta", sa.column("key"), sa.column("value"))


# -- errors ----------------------------------------------------------------------


class SecretInventoryError(encryption.EncryptionError):
    """Base class: something about the stored secrets stops the operation."""


class UnreadableSecretsError(SecretInventoryError):
    """Stored secrets that no configured key opens, or rows whose shape is broken.

    ``locations`` names the places (table, row, field); never the values.
    """

    def __init__(self, problems: Sequence[str], total: int, *, action: str, hint: str) -> None:
        self.locations = list(problems)
        self.total = total
        listed = "; ".join(self.locations)
        more = f"; and {total - len(self.locations)} more" if total > len(self.locations) else ""
        super().__init__(f"{action}: {total} stored secret(s) cannot be read: {listed}{more}. {hint}")


class MalformedRowError(SecretInventoryError):
    """A row that should hold secrets has a shape this code cannot read (e.g. invalid JSON)."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location} {reason}")


class MigrationStopped(SecretInventoryError, CommandError):
    """Stops the Alembic data migration.

    An :class:`~app.core.encryption.EncryptionError`, so the app reports it as
    "Database migration stopped: ..."; a ``CommandError``, so the ``alembic``
    command prints the message without a traceback.
    """


class MigrationKeyMissing(encryption.KeyConfigError, CommandError):
    """No usable key for the data migration: the same message the app gives."""


# -- what a secret is ---------------------------------------------------------------


class RowField(tuple[str, str, Any, str]):
    """``(table, pk name, pk, field)``: a location, formatted only when a message needs it."""

    __slots__ = ()

    def __str__(self) -> str:
        table, pk_name, pk, field_name = self
        return f"{table} {pk_name}={pk} field {field_name}"


@dataclass(frozen=True, slots=True)
class Secret:
    """One stored secret value and where it lives."""

    place: str  # e.g. "cameras.password"
    where: str | RowField  # e.g. "cameras id=12 field password" (never the value)
    context: str  # the encryption context it is bound to
    value: str

    @property
    def location(self) -> str:
        return self.where if isinstance(self.where, str) else str(self.where)

    def __repr__(self) -> str:
        return f"Secret(location={self.location!r}, value=***)"


def looks_encrypted(value: str) -> bool:
    """True for anything carrying the ``encrypted:`` prefix, well-formed or not.

    Such a value is never encrypted again: when no configured key opens it, it
    is reported as undecryptable instead.
    """
    return value.startswith(encryption.PREFIX)


def classify(secret: Secret) -> SecretState:
    """Which configured key opens the secret; ``plaintext`` needs no key."""
    if not looks_encrypted(secret.value):
        return "plaintext"
    status = encryption.key_status(secret.value, context=secret.context)
    if status == "primary" or status == "previous":
        return status
    return "undecryptable"  # a wrong key, tampering, another place's token, or a malformed token


# An outcome label for each secret of a row, and the new value (None: unchanged).
Outcome = tuple[str, str | None]
Transform = Callable[[Secret], Outcome]


def _clean_name(name: str) -> str:
    """A header name fit for a message (names are not secret; keep them short and printable)."""
    printable = "".join(ch if ch.isprintable() else "?" for ch in name)
    return printable[:100]


# -- the columns that hold secrets -----------------------------------------------


class SecretColumn:
    """One table column holding secrets, read and written by primary key."""

    table_name: str
    pk_name: str
    column_name: str
    places: tuple[str, ...]

    def __init__(self, table_name: str, pk_name: str, column_name: str, places: tuple[str, ...]) -> None:
        self.table_name = table_name
        self.pk_name = pk_name
        self.column_name = column_name
        self.places = places
        self.table: TableClause = sa.table(table_name, sa.column(pk_name), sa.column(column_name))

    @property
    def pk(self) -> ColumnElement[Any]:
        return self.table.c[self.pk_name]

    @property
    def col(self) -> ColumnElement[Any]:
        return self.table.c[self.column_name]

    def row_filter(self) -> ColumnElement[bool]:
        """Rows that may hold a secret."""
        return sa.and_(self.col.is_not(None), self.col != "")

    def row_location(self, pk: Any) -> str:
        return f"{self.table_name} {self.pk_name}={pk}"

    def secrets(self, pk: Any, raw: str | None) -> list[Secret]:
        """Every secret stored in this row's value. Raises :class:`MalformedRowError`."""
        raise NotImplementedError

    def rewrite(self, pk: Any, raw: str | None, transform: Transform) -> tuple[list[tuple[str, str]], str | None]:
        """Apply ``transform`` to every secret of the row.

        Returns the ``(place, outcome)`` of each secret and the row's new value,
        or ``None`` when nothing changed (the row must then not be written).
        """
        raise NotImplementedError


class ScalarSecretColumn(SecretColumn):
    """A column whose whole value is one secret (or NULL / empty)."""

    def __init__(
        self,
        table_name: str,
        pk_name: str,
        column_name: str,
        place: str,
        context: Callable[[Any], str],
        only_keys: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        super().__init__(table_name, pk_name, column_name, (place,))
        self._context = context
        self._only_keys = only_keys

    def row_filter(self) -> ColumnElement[bool]:
        condition = super().row_filter()
        if self._only_keys is not None:
            condition = sa.and_(condition, self.pk.in_(list(self._only_keys())))
        return condition

    def secrets(self, pk: Any, raw: str | None) -> list[Secret]:
        if not raw:
            return []
        where = RowField((self.table_name, self.pk_name, pk, self.column_name))
        return [Secret(self.places[0], where, self._context(pk), raw)]

    def rewrite(self, pk: Any, raw: str | None, transform: Transform) -> tuple[list[tuple[str, str]], str | None]:
        found = self.secrets(pk, raw)
        if not found:
            return [], None
        label, new = transform(found[0])
        return [(found[0].place, label)], new


@dataclass
class _JsonSecret:
    secret: Secret
    holder: dict[str, Any]  # the JSON object holding the value
    key: str  # its key in ``holder``


def _dump_json(value: Any) -> str:
    """The app's JSON text form (webhook_service / alert_engine write actions this way)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class WebhookActionsColumn(SecretColumn):
    """``alert_rules.actions``: JSON whose ``webhook.url``, secret header values and
    ``webhook.signing_secret`` are secrets (format: app/models/alert_rule.py).

    A header is secret when :func:`app.core.secret_fields.is_secret_header`
    says so (every name but a few known-plain ones, unless listed in
    ``webhook.plain_headers``), or when its value is stored encrypted.
    """

    def __init__(self) -> None:
        super().__init__(
            "alert_rules", "id", "actions", (PLACE_WEBHOOK_URL, PLACE_WEBHOOK_HEADERS, PLACE_WEBHOOK_SIGNING)
        )

    @staticmethod
    def _string(holder: dict[str, Any], key: str, where: str) -> str | None:
        value = holder.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise MalformedRowError(where, "is not a string")
        return value

    def _parse(self, pk: Any, raw: str | None) -> tuple[dict[str, Any] | None, list[_JsonSecret]]:
        if not raw or not raw.strip():
            return None, []
        where = f"{self.row_location(pk)} field actions"
        try:
            actions = json.loads(raw)
        except ValueError:
            raise MalformedRowError(where, "is not valid JSON") from None
        if not isinstance(actions, dict):
            raise MalformedRowError(where, "is not a JSON object")
        webhook = actions.get("webhook")
        if webhook is None:
            return actions, []
        if not isinstance(webhook, dict):
            raise MalformedRowError(f"{where}.webhook", "is not a JSON object")
        found: list[_JsonSecret] = []
        url = self._string(webhook, "url", f"{where}.webhook.url")
        if url is not None:
            secret = Secret(PLACE_WEBHOOK_URL, f"{where}.webhook.url", webhook_url_context(pk), url)
            found.append(_JsonSecret(secret, webhook, "url"))
        headers = webhook.get("headers")
        if headers is not None:
            if not isinstance(headers, dict):
                raise MalformedRowError(f"{where}.webhook.headers", "is not a JSON object")
            marked = webhook.get("secret_headers") or []
            if not isinstance(marked, list) or not all(isinstance(m, str) for m in marked):
                raise MalformedRowError(f"{where}.webhook.secret_headers", "is not a list of header names")
            plain = webhook.get("plain_headers") or []
            if not isinstance(plain, list) or not all(isinstance(m, str) for m in plain):
                raise MalformedRowError(f"{where}.webhook.plain_headers", "is not a list of header names")
            for name, raw_value in headers.items():
                # A value stored encrypted is a secret whatever its name (the app decrypts any such value).
                stored_encrypted = isinstance(raw_value, str) and looks_encrypted(raw_value)
                if not stored_encrypted and not is_secret_header(name, marked, plain=plain):
                    continue
                header_where = f"{where}.webhook.headers.{_clean_name(name)}"
                value = self._string(headers, name, header_where)
                if value is not None:
                    secret = Secret(PLACE_WEBHOOK_HEADERS, header_where, webhook_header_context(pk, name), value)
                    found.append(_JsonSecret(secret, headers, name))
        signing = self._string(webhook, "signing_secret", f"{where}.webhook.signing_secret")
        if signing is not None:
            secret = Secret(
                PLACE_WEBHOOK_SIGNING, f"{where}.webhook.signing_secret", webhook_signing_secret_context(pk), signing
            )
            found.append(_JsonSecret(secret, webhook, "signing_secret"))
        return actions, found

    def secrets(self, pk: Any, raw: str | None) -> list[Secret]:
        return [item.secret for item in self._parse(pk, raw)[1]]

    def rewrite(self, pk: Any, raw: str | None, transform: Transform) -> tuple[list[tuple[str, str]], str | None]:
        actions, found = self._parse(pk, raw)
        outcomes: list[tuple[str, str]] = []
        changed = False
        for item in found:
            label, new = transform(item.secret)
            outcomes.append((item.secret.place, label))
            if new is None or new == item.secret.value:
                continue
            changed = True
            item.holder[item.key] = new
        if not changed:
            return outcomes, None
        return outcomes, _dump_json(actions)


SECRET_COLUMNS: tuple[SecretColumn, ...] = (
    ScalarSecretColumn("cameras", "id", "password", PLACE_CAMERA_PASSWORD, camera_password_context),
    ScalarSecretColumn(
        "system_settings", "key", "value", PLACE_SETTINGS, setting_context, only_keys=lambda: SECRET_SETTINGS_KEYS
    ),
    WebhookActionsColumn(),
    ScalarSecretColumn("event_images", "event_id", "data_key", PLACE_EVENT_IMAGE_KEY, event_image_key_context),
)
PLACES: tuple[str, ...] = tuple(place for column in SECRET_COLUMNS for place in column.places)


def existing_columns(conn: Connection) -> list[SecretColumn]:
    """The secret columns whose table exists in this database."""
    tables = set(sa.inspect(conn).get_table_names())
    return [column for column in SECRET_COLUMNS if column.table_name in tables]


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
    statement = f"UPDATE {table} SET {col} = {mark} WHERE {pk_name} = {mark} AND {col} = {mark}"  # noqa: S608
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
    """Passed to the batch hooks: which batch of which column."""

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
    before_write: BatchHook | None = None,
    after_batch: BatchHook | None = None,
    max_attempts: int = 5,
    settled: Callable[[str], bool] | None = None,
    on_written: Callable[[str], None] | None = None,
    map_rows: RowsMapper | None = None,
) -> RewriteResult:
    """Apply ``transform`` to every secret of ``column``, batch by batch.

    Per batch: read the rows, compute the new values, ``before_write``,
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
        if before_write is not None:
            before_write(info)
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


# -- census: what is stored, under which key ---------------------------------------------


@dataclass
class Census:
    """Counts per place and state, and the places that cannot be read."""

    counts: dict[str, Counter[SecretState]] = field(default_factory=lambda: {p: Counter() for p in PLACES})
    rows: Counter[str] = field(default_factory=Counter)  # rows read per table
    problems: list[str] = field(default_factory=list)  # at most MAX_LISTED_PLACES locations
    problem_total: int = 0

    def total(self, state: SecretState) -> int:
        return sum(counter[state] for counter in self.counts.values())

    @property
    def secrets(self) -> int:
        return sum(sum(counter.values()) for counter in self.counts.values())

    def _problem(self, location: str) -> None:
        self.problem_total += 1
        if len(self.problems) < MAX_LISTED_PLACES:
            self.problems.append(location)

    def merge(self, other: Census) -> None:
        for place, counter in other.counts.items():
            self.counts.setdefault(place, Counter()).update(counter)
        self.rows.update(other.rows)
        self.problems.extend(other.problems[: max(0, MAX_LISTED_PLACES - len(self.problems))])
        self.problem_total += other.problem_total


def census_of_rows(
    column: SecretColumn,
    rows: Sequence[tuple[Any, str | None]],
    classify_many: Callable[[list[Secret]], list[SecretState]],
) -> Census:
    """The census of one batch of rows of ``column``; ``classify_many`` classifies
    the batch's secrets in one call (in order)."""
    census = Census()
    census.rows[column.table_name] += len(rows)
    found: list[Secret] = []
    for pk, raw in rows:
        try:
            found += column.secrets(pk, raw)
        except MalformedRowError as exc:
            census._problem(f"{exc.location} ({exc.reason})")
    states = classify_many(found)
    for (place, state), n in Counter(zip((secret.place for secret in found), states, strict=True)).items():
        census.counts[place][state] += n
    if "undecryptable" in states:
        for secret, state in zip(found, states, strict=True):
            if state == "undecryptable":
                census._problem(secret.location)
    return census


# Batches of rows in, one census per batch out, in order (rotate-key works on them in helper processes).
RowBatches = Iterable[tuple[SecretColumn, list[tuple[Any, str]]]]
CensusMapper = Callable[[RowBatches], Iterator[Census]]


def take_census(
    conn: Connection,
    columns: Sequence[SecretColumn] | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    classify_secret: Callable[[Secret], SecretState] = classify,
    map_batches: CensusMapper | None = None,
) -> Census:
    """Read every secret and classify it. Needs the key only for encrypted values.

    ``map_batches``, when given, turns the batches of rows (read lazily from
    ``conn``) into their censuses; otherwise each secret goes through
    ``classify_secret``, here.
    """
    batches = (
        (column, rows)
        for column in (existing_columns(conn) if columns is None else columns)
        for rows in iter_batches(conn, column, batch_size)
    )
    if map_batches is None:

        def classify_many(found: list[Secret]) -> list[SecretState]:
            return [classify_secret(secret) for secret in found]

        parts: Iterable[Census] = (census_of_rows(column, rows, classify_many) for column, rows in batches)
    else:
        parts = map_batches(batches)
    census = Census()
    for part in parts:
        census.merge(part)
    return census


# -- the key check ------------------------------------------------------------------


def has_table(conn: Connection, name: str) -> bool:
    return bool(sa.inspect(conn).has_table(name))


def read_key_check(conn: Connection) -> str | None:
    return conn.execute(sa.select(_APP_META.c.value).where(_APP_META.c.key == KEY_CHECK_KEY)).scalar()


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
        conn.execute(sa.insert(_APP_META).values(key=KEY_CHECK_KEY, value=encryption.make_key_check()))
        return True
    if encryption.verify_key_check(stored) == "primary":
        return False
    query = (
        sa.update(_APP_META)
        .where(_APP_META.c.key == KEY_CHECK_KEY, _APP_META.c.value == stored)
        .values(value=encryption.make_key_check())
    )
    return conn.execute(query).rowcount == 1


# -- the one-time migration (used by alembic/versions/0003_encrypt_secrets.py) ------------------

_MIGRATION_HINT = (
    "Nothing was changed. Set ENCRYPTION_KEY to the key these values were encrypted with "
    "(older keys go in ENCRYPTION_KEYS_PREVIOUS), or clear the damaged values and enter them again."
)


def _require_key() -> None:
    try:
        encryption.get_encryption_key()
    except encryption.KeyConfigError as exc:
        raise MigrationKeyMissing(str(exc)) from None


def _migration_census(conn: Connection, batch_size: int, action: str) -> Census:
    try:
        census = take_census(conn, batch_size=batch_size)
    except encryption.KeyConfigError as exc:  # an encrypted value, and no key to read it
        raise MigrationKeyMissing(str(exc)) from None
    if census.problem_total:
        raise MigrationStopped(
            str(UnreadableSecretsError(census.problems, census.problem_total, action=action, hint=_MIGRATION_HINT))
        )
    return census


def _encrypt_plaintext(secret: Secret) -> Outcome:
    if looks_encrypted(secret.value):  # the census made sure a configured key opens it
        return "unchanged", None
    return "encrypted", encryption.encrypt(secret.value, context=secret.context)


def _decrypt_to_plaintext(secret: Secret) -> Outcome:
    if not looks_encrypted(secret.value):
        return "unchanged", None
    return "decrypted", encryption.decrypt(secret.value, context=secret.context)


def refuse_offline(revision: str, offline: bool) -> None:
    """A data revision cannot be rendered as SQL (``alembic upgrade --sql``)."""
    if offline:
        raise MigrationStopped(
            f"Revision {revision} encrypts stored data and cannot be rendered as SQL (--sql); "
            "run it against the database."
        )


def encrypt_in_migration(conn: Connection, autocommit_block: Callable[[], AbstractContextManager[object]]) -> None:
    """The data revisions' upgrade: encrypt every plaintext secret; on SQLite,
    when any was replaced, leave no old copy in the file's free pages."""
    result = encrypt_plaintext_secrets(conn)
    if result.count("encrypted") and conn.dialect.name == "sqlite":
        with autocommit_block():
            scrub_free_space(conn)


def encrypt_plaintext_secrets(conn: Connection, *, batch_size: int = DEFAULT_BATCH_SIZE) -> RewriteResult:
    """Encrypt every plaintext secret in place, bound to its place. Idempotent.

    First every secret is read: a value that looks encrypted but no configured
    key opens stops everything before a single write (:class:`MigrationStopped`,
    naming the places). Values already encrypted are left byte for byte. The key
    is needed only when there is a secret: without one, :class:`MigrationKeyMissing`.
    Writes a key check when the database has none, so the app recognises the key.
    """
    census = _migration_census(conn, batch_size, "The encryption migration stopped")
    result = RewriteResult()
    if census.secrets == 0:
        return result
    _require_key()
    state = key_check_state(conn) if has_table(conn, "app_meta") else None
    if state == "undecryptable":
        raise MigrationStopped(
            "The encryption migration stopped: the encryption key does not match this database's key check. "
            "Set ENCRYPTION_KEY to the key this database was created with (older keys go in ENCRYPTION_KEYS_PREVIOUS)."
        )
    with zero_replaced_values(conn):
        for column in existing_columns(conn):
            result.merge(rewrite_column(conn, column, _encrypt_plaintext, batch_size=batch_size))
    if state is None and has_table(conn, "app_meta"):
        write_key_check(conn)
    logger.info(
        "Encryption migration: %d secret(s) encrypted, %d already encrypted",
        result.count("encrypted"),
        result.count("unchanged"),
    )
    return result


def decrypt_all_secrets(conn: Connection, *, batch_size: int = DEFAULT_BATCH_SIZE) -> RewriteResult:
    """The way back: decrypt every secret to plaintext (the downgrade of the migration)."""
    census = _migration_census(conn, batch_size, "The decryption (downgrade) stopped")
    result = RewriteResult()
    if census.total("primary") + census.total("previous") == 0:
        return result
    for column in existing_columns(conn):
        result.merge(rewrite_column(conn, column, _decrypt_to_plaintext, batch_size=batch_size))
    logger.info("Encryption migration downgrade: %d secret(s) decrypted", result.count("decrypted"))
    return result
