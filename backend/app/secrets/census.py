"""The census: every stored secret read and classified (primary key, previous
key, plaintext, undecryptable), counted per place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from app.secrets.columns import PLACES, Secret, SecretColumn, SecretState, classify, existing_columns
from app.secrets.errors import MalformedRowError
from app.secrets.inventory import DEFAULT_BATCH_SIZE, has_table, iter_batches, key_check_state

# At most this many places are named in one message; the rest are counted.
MAX_LISTED_PLACES = 20


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


def collect_status(engine: Engine, *, batch_size: int = DEFAULT_BATCH_SIZE) -> tuple[Census, SecretState | None]:
    """The census of every existing secret column, and the key check's state (``None``: none yet)."""
    with engine.connect() as conn:
        columns = existing_columns(conn)
        census = take_census(conn, columns, batch_size=batch_size)
        key_state = key_check_state(conn) if has_table(conn, "app_meta") else None
        conn.rollback()
    return census, key_state
