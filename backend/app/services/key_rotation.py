"""Key rotation and the encryption report: ``python -m app.cli rotate-key`` and
``python -m app.cli encryption-status``.

Rotation, with the new key as ``ENCRYPTION_KEY`` and the old one(s) in
``ENCRYPTION_KEYS_PREVIOUS`` (the API, restarted with the same two variables,
keeps serving meanwhile):

1. refuse unless the schema is at head, the configured keys open the key check,
   and every stored secret opens with some configured key (the refusal names
   the places, never the values);
2. re-encrypt, batch by batch, every secret not under the primary key (with
   ``--workers``/a large database, in helper processes: :func:`helper_pool`); each
   batch is one commit, and every write is compare-and-swap, so a crash loses
   nothing, a rerun continues (values already under the primary key are
   skipped, not rewritten), and a value the API wrote meanwhile is never
   overwritten;
3. pass again until a pass finds nothing left under an old key (catches a write
   the API made from a value it had read before the rotation reached it);
4. last, rewrite the key check under the primary key, so the app then starts
   with the new key alone.

``APP_TEST_ROTATION_HOOK`` is for the test-suite only: it kills or pauses the
process at a chosen batch so that interruption tests are deterministic.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy import insert as sa_insert

from app.core import encryption, migrations
from app.core.config import Settings, load_settings
from app.core.db import core_table, make_engine, utcnow
from app.models.audit import AuditEntry
from app.services import secret_inventory as inv
from app.services.secret_inventory import (
    DEFAULT_BATCH_SIZE,
    PLACES,
    SECRET_COLUMNS,
    SECRET_STATES,
    BatchInfo,
    Census,
    Outcome,
    RewriteResult,
    Secret,
    SecretColumn,
)

logger = logging.getLogger(__name__)

# Passes after the main one, to catch values written under an old key meanwhile.
MAX_CATCH_UP_PASSES = 3

TEST_HOOK_ENV = "APP_TEST_ROTATION_HOOK"


class RotationRefused(inv.SecretInventoryError):
    """The rotation did not begin (or could not finish); the message says why and what to do."""


# -- the transform ------------------------------------------------------------------


class KeyStates:
    """Which configured key opens each stored value, remembered for this run.

    The pre-check, the main pass and the catch-up passes all need to know
    whether a value is under the primary key. For a given place and exact stored
    token the answer cannot change while the keys stay the same, so it is worked
    out once and remembered by a 16-byte digest of (context, value). The
    pre-check opens every value once (verifying its context) and, for a value
    under an old key, keeps the token re-encrypted under the primary key, so the
    main pass only writes it (when the row still holds the value that was
    checked; otherwise it re-encrypts what the row holds now). A kept token is
    itself the record that the value is under an old key; other states are
    remembered apart. At most ``MAX_PREPARED`` re-encrypted tokens are kept
    (about 25 MB per 100,000); past that they are re-encrypted again in the main
    pass. No plaintext is kept.

    With ``helpers`` (helper processes, see :func:`helper_pool`) the pre-check
    runs there and only checks; the main pass then has the helpers re-encrypt
    each batch (:func:`rotate_rows`) a few batches ahead of the writes, and
    nothing is kept in between. Only stored values cross to the helpers and
    back.
    """

    MAX_PREPARED = 200_000

    def __init__(self, helpers: Helpers | None = None, *, prepare: bool = True) -> None:
        self._known: dict[bytes, inv.SecretState] = {}
        self._prepared: dict[bytes, str] = {}
        self._last_was_old = False  # try the key that opened the last value first
        self._helpers = helpers
        self._prepare = prepare and helpers is None  # keep re-encrypted values for the main pass
        # Digests of the row values this run wrote: a catch-up pass skips a row still
        # holding one (nobody changed it since), without parsing or classifying it again.
        self._written: set[bytes] = set()

    def remember_written(self, value: str) -> None:
        self._written.add(_value_digest(value))

    def wrote(self, value: str) -> bool:
        return _value_digest(value) in self._written

    @staticmethod
    def _digest(context: str, value: str) -> bytes:
        return hashlib.blake2b(f"{context}\0{value}".encode(), digest_size=16).digest()

    @staticmethod
    def open_all(
        found: list[Secret], memo: list[tuple[bytes, inv.SecretState, str | None]], *, seal: bool
    ) -> list[inv.SecretState]:
        """Open every secret of a batch once; append ``(digest, state,
        re-encrypted)`` to ``memo``: values under an old key only with ``seal``
        (re-encrypted), the others always (cheap to keep; spares the catch-up
        pass opening them again)."""
        todo = [(secret.context, secret.value) for secret in found if inv.looks_encrypted(secret.value)]
        opened = iter(encryption.reencrypt_many(todo, seal=seal))
        states: list[inv.SecretState] = []
        for secret in found:
            if not inv.looks_encrypted(secret.value):
                states.append("plaintext")
                continue
            state, new = next(opened)
            if seal or state != "previous":
                memo.append((KeyStates._digest(secret.context, secret.value), state, new))
            states.append(state)
        return states

    def map_batches(self, batches: inv.RowBatches) -> Iterator[inv.Census]:
        """The pre-check (``take_census``'s ``map_batches``): every value opened
        once, batch by batch, in order.

        In this process, values under an old key are re-encrypted right away
        and kept for the main pass. With helper processes, the pre-check only
        checks, and the helpers re-encrypt again during the main pass
        (:func:`rotate_rows`): more work in all, but spread over the CPUs, and
        nothing kept in the meantime.
        """
        seal = self._prepare
        jobs = ((None, (SECRET_COLUMNS.index(column), rows, seal)) for column, rows in batches)
        mapped = (
            self._helpers.map(precheck_rows, jobs) if self._helpers is not None else in_process(precheck_rows, jobs)
        )
        known, prepared = self._known, self._prepared
        for _tag, (part, memo) in mapped:
            for digest, state, new in memo:
                if state != "previous":
                    known[digest] = state
                elif new is not None and len(prepared) < self.MAX_PREPARED:
                    prepared[digest] = new  # being here says "previous"; past the cap, worked out again when written
            yield part

    def _lookup(self, secret: Secret, digest: bytes) -> tuple[inv.SecretState, str | None]:
        """The state of a stored value and, under an old key, the value re-encrypted."""
        new = self._prepared.pop(digest, None)
        if new is not None:
            return "previous", new
        state = self._known.get(digest)
        if state is not None:
            return state, None
        try:
            new = encryption.reencrypt(secret.value, context=secret.context, old_first=self._last_was_old)
        except encryption.DecryptionError:
            self._known[digest] = "undecryptable"  # a wrong key, tampering, another place's token, a malformed token
            return "undecryptable", None
        self._last_was_old = new is not None
        if new is None:
            self._known[digest] = "primary"
            return "primary", None
        return "previous", new

    def rotate(self, secret: Secret) -> Outcome:
        """Bring one secret under the primary key; already there: unchanged, not rewritten."""
        if not inv.looks_encrypted(secret.value):
            return "encrypted", encryption.encrypt(secret.value, context=secret.context)
        state, new = self._lookup(secret, self._digest(secret.context, secret.value))
        if state == "primary":
            return "unchanged", None
        if state == "undecryptable":  # appeared after the pre-check (tampering): left as is, reported
            return "undecryptable", None
        # The value written needs no entry here: a catch-up pass skips rows still
        # holding a value this run wrote (``remember_written`` / ``wrote``).
        return "rotated", new


def _value_digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode(), digest_size=16).digest()


def precheck_rows(
    column_index: int, rows: list[tuple[Any, str]], seal: bool
) -> tuple[inv.Census, list[tuple[bytes, inv.SecretState, str | None]]]:
    """The pre-check of one batch of rows of ``SECRET_COLUMNS[column_index]``:
    its census and, with ``seal``, what :class:`KeyStates` remembers of it
    (digest, state, re-encrypted token). Runs in a helper process (module
    level, so it pickles by name) or here; takes and returns stored values
    only, never a plaintext."""
    memo: list[tuple[bytes, inv.SecretState, str | None]] = []
    part = inv.census_of_rows(
        SECRET_COLUMNS[column_index], rows, lambda found: KeyStates.open_all(found, memo, seal=seal)
    )
    return part, memo


def _rotate_afresh(secret: Secret) -> Outcome:
    """The main pass's transform in a helper process: no memory of the pre-check."""
    if not inv.looks_encrypted(secret.value):
        return "encrypted", encryption.encrypt(secret.value, context=secret.context)
    try:
        new = encryption.reencrypt(secret.value, context=secret.context, old_first=True)
    except encryption.DecryptionError:
        return "undecryptable", None  # appeared after the pre-check (tampering): left as is, reported
    return ("unchanged", None) if new is None else ("rotated", new)


def rotate_rows(column_index: int, rows: list[tuple[Any, str]]) -> list[tuple[list[tuple[str, str]], str | None]]:
    """The main pass's new values of one batch of rows, in a helper process:
    per row its outcomes and new value (``None``: unchanged). Stored values in
    and out, never a plaintext."""
    column = SECRET_COLUMNS[column_index]
    return [column.rewrite(pk, raw, _rotate_afresh) for pk, raw in rows]


T = TypeVar("T")
R = TypeVar("R")


def in_process(func: Callable[..., R], jobs: Iterable[tuple[T, tuple[Any, ...]]]) -> Iterator[tuple[T, R]]:
    for tag, args in jobs:
        yield tag, func(*args)


class Helpers:
    """Helper processes that run batch functions a few batches ahead of this
    process, results in order. When a helper dies, or a job fails there, the
    job runs here instead (so an error is raised here, as without helpers)."""

    def __init__(self, pool: Executor, *, ahead: int) -> None:
        self._pool: Executor | None = pool
        self._ahead = max(1, ahead)

    def map(self, func: Callable[..., R], jobs: Iterable[tuple[T, tuple[Any, ...]]]) -> Iterator[tuple[T, R]]:
        pending: deque[tuple[T, tuple[Any, ...], Future[R] | None]] = deque()
        for tag, args in jobs:
            pending.append((tag, args, self._submit(func, args)))
            while len(pending) > self._ahead:
                yield self._collect(func, *pending.popleft())
        while pending:
            yield self._collect(func, *pending.popleft())

    def _submit(self, func: Callable[..., R], args: tuple[Any, ...]) -> Future[R] | None:
        if self._pool is None:
            return None
        try:
            return self._pool.submit(func, *args)
        except (BrokenExecutor, RuntimeError, OSError):
            self._pool = None  # the helpers are gone: go on in this process
            return None

    def _collect(self, func: Callable[..., R], tag: T, args: tuple[Any, ...], future: Future[R] | None) -> tuple[T, R]:
        if future is not None:
            try:
                return tag, future.result()
            except (BrokenExecutor, OSError):
                self._pool = None  # a helper died: this job (and the rest) here
            except Exception as exc:  # redone here, where it raises with its real type
                logger.debug("rotate-key: a helper job failed (%s); redoing it here", type(exc).__name__)
        return tag, func(*args)


def _helper_init(keys: tuple[bytes, ...], parent: int) -> None:
    """In each helper: the command's keys, and an exit if the command dies
    (killed, it cannot stop its helpers; they must not wait forever)."""
    encryption.install_keys(keys)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="rotate-key-parent-watch", daemon=True).start()


# -- progress ---------------------------------------------------------------------------


class ProgressReporter(Protocol):
    def start(self, column: SecretColumn, total: int) -> None: ...

    def advance(self, info: BatchInfo) -> None: ...

    def stop(self) -> None: ...


class PlainProgress:
    """One line per batch (when stdout is not a terminal: logs, CI, pipes)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._done = 0
        self._total = 0

    def start(self, column: SecretColumn, total: int) -> None:
        self._done, self._total = 0, total
        print(f"rotate-key: {column.table_name}.{column.column_name}: {total} row(s) to check", file=self.out)

    def advance(self, info: BatchInfo) -> None:
        self._done += info.rows
        print(
            f"rotate-key: {info.column.table_name}.{info.column.column_name}: batch {info.number} committed, "
            f"{self._done}/{max(self._total, self._done)} rows, {info.changed} rewritten",
            file=self.out,
            flush=True,
        )

    def stop(self) -> None:
        self.out.flush()


class RichProgress:
    """A progress bar per column (rich), when stdout is a terminal.

    The display (and its refresh thread) starts with the first column, after
    the pre-check, whose helper processes are best forked from a process
    without threads.
    """

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
        )
        self._tasks: dict[str, Any] = {}
        self._started = False

    def start(self, column: SecretColumn, total: int) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        name = f"{column.table_name}.{column.column_name}"
        self._tasks[name] = self._progress.add_task(name, total=max(total, 1))

    def advance(self, info: BatchInfo) -> None:
        self._progress.advance(self._tasks[f"{info.column.table_name}.{info.column.column_name}"], info.rows)

    def stop(self) -> None:
        if not self._started:
            return
        for task in self._tasks.values():
            self._progress.update(task, completed=self._progress.tasks[task].total)
        self._progress.stop()


class SilentProgress:
    def start(self, column: SecretColumn, total: int) -> None:
        pass

    def advance(self, info: BatchInfo) -> None:
        pass

    def stop(self) -> None:
        pass


# -- the test hook ---------------------------------------------------------------------


@dataclass(frozen=True)
class TestHook:
    """``APP_TEST_ROTATION_HOOK=<kill|pause>@<point>[:<batch>]``, points ``before-write``,
    ``before-commit``, ``after-commit`` (batch numbers count across all columns of the
    main pass) and ``before-key-check``. ``pause`` prints a line and waits for one on stdin."""

    __test__ = False  # not a pytest test class

    action: str
    point: str
    batch: int | None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> TestHook | None:
        spec = (environ if environ is not None else dict(os.environ)).get(TEST_HOOK_ENV, "").strip()
        if not spec:
            return None
        action, _, rest = spec.partition("@")
        point, _, number = rest.partition(":")
        if action not in ("kill", "pause") or point not in (
            "before-write",
            "before-commit",
            "after-commit",
            "before-key-check",
        ):
            raise ValueError(f"{TEST_HOOK_ENV} is not understood")
        return cls(action=action, point=point, batch=int(number) if number else None)

    def fire(self, point: str, batch: int | None = None) -> None:
        if point != self.point or (self.batch is not None and batch != self.batch):
            return
        if self.action == "kill":
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        print(f"rotate-key: test hook paused at {point} {batch or ''}".rstrip(), flush=True)
        sys.stdin.readline()


# -- checks before anything is written ---------------------------------------------------


def check_schema(engine: Engine, database_url: str) -> None:
    current = migrations.current_revision(engine)
    head = migrations.head_revision(database_url)
    if current != head:
        raise RotationRefused(
            f"The database schema is not up to date (revision {current or 'none'}, this version needs {head}). "
            "Run: alembic upgrade head (or start the app once with AUTO_MIGRATE=true), then rotate."
        )


def check_key_check(conn: Connection) -> inv.SecretState | None:
    state = inv.key_check_state(conn)
    if state == "undecryptable":
        raise RotationRefused(
            "None of the configured keys opens this database's key check: the keys do not belong to this database. "
            "Set ENCRYPTION_KEY to the new key and ENCRYPTION_KEYS_PREVIOUS to the key the data is encrypted with."
        )
    return state


def refuse_if_unreadable(census: Census) -> None:
    if census.problem_total:
        error = inv.UnreadableSecretsError(
            census.problems,
            census.problem_total,
            action="rotate-key refused to begin",
            hint=(
                "Nothing was changed. Add the key they were encrypted with to ENCRYPTION_KEYS_PREVIOUS, "
                "or clear those values and enter them again; then rerun."
            ),
        )
        raise RotationRefused(str(error))


# -- helper processes ------------------------------------------------------------------

# Below this many rows the helpers would cost more to start than they save.
PARALLEL_MIN_ROWS = 20_000
# Helpers chosen automatically: each costs about 20 MB (bench/bench_rotation.py).
MAX_WORKERS = 2


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose_workers(requested: int | None, rows: int) -> int:
    """``requested`` (``--workers``), or automatically: one per CPU (at most
    ``MAX_WORKERS``) for a large database, none (this process only) for a small
    one or a single CPU."""
    if requested is not None:
        return max(1, requested)
    if rows < PARALLEL_MIN_ROWS:
        return 1
    return min(MAX_WORKERS, available_cpus())


@contextmanager
def helper_pool(workers: int, *, ahead: int = 2) -> Iterator[Helpers | None]:
    """Helper processes that open and re-encrypt stored values, or ``None`` for
    ``workers <= 1`` or when processes cannot be started.

    They get the command's keys from the initializer: inherited memory when
    forked (only from a process without threads, where forking is safe), the
    pipe to the child otherwise (``spawn``). They never see the database.
    """
    if workers <= 1:
        yield None
        return
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_helper_init,
            initargs=(encryption.loaded_keys(), os.getpid()),
        )
    except (OSError, ValueError, NotImplementedError):
        yield None
        return
    if method == "fork":
        # Forked helpers share this process's memory until they write to it; the
        # garbage collector's bookkeeping would write to every object it tracks.
        gc.freeze()
    try:
        yield Helpers(pool, ahead=ahead)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if method == "fork":
            gc.unfreeze()


# -- the rotation ------------------------------------------------------------------------


@dataclass
class RotationSummary:
    before: Census
    result: RewriteResult = field(default_factory=RewriteResult)
    passes: int = 0
    key_check_updated: bool = False
    key_check_state: inv.SecretState | None = None
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
    hook: TestHook | None = None,
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
            rows = sum(inv.count_rows(conn, column) for column in SECRET_COLUMNS)
            helpers = stack.enter_context(helper_pool(choose_workers(workers, rows)))
            states = KeyStates(helpers, prepare=not dry_run)
            census = inv.take_census(conn, batch_size=batch_size, map_batches=states.map_batches)
            conn.rollback()
        refuse_if_unreadable(census)
        summary = RotationSummary(before=census, key_check_state=key_state, dry_run=dry_run)
        if dry_run:
            return summary
        _rotate(engine, summary, states, helpers, batch_size=batch_size, progress=progress, hook=hook)
    return _catch_up(engine, summary, states, batch_size=batch_size, hook=hook)


def _rotate(
    engine: Engine,
    summary: RotationSummary,
    states: KeyStates,
    helpers: Helpers | None,
    *,
    batch_size: int,
    progress: ProgressReporter,
    hook: TestHook | None,
) -> None:
    """The main pass: every column, batch by batch, one commit per batch."""

    batch_counter = 0
    with engine.connect() as conn, inv.zero_replaced_values(conn):

        def before_write(info: BatchInfo) -> None:
            if hook is not None:
                hook.fire("before-write", batch_counter + 1)

        def after_batch(info: BatchInfo) -> None:
            nonlocal batch_counter
            batch_counter += 1
            if hook is not None:
                hook.fire("before-commit", batch_counter)
            conn.commit()
            if hook is not None:
                hook.fire("after-commit", batch_counter)
            progress.advance(info)

        try:
            for column in SECRET_COLUMNS:
                progress.start(column, inv.count_rows(conn, column))
                conn.commit()
                summary.result.merge(
                    inv.rewrite_column(
                        conn,
                        column,
                        states.rotate,
                        batch_size=batch_size,
                        before_write=before_write,
                        after_batch=after_batch,
                        on_written=states.remember_written,
                        map_rows=None if helpers is None else _rows_mapper(helpers),
                    )
                )
            summary.passes = 1
        finally:
            progress.stop()


def _rows_mapper(helpers: Helpers) -> inv.RowsMapper:
    def map_rows(
        column: SecretColumn, batches: Iterable[list[tuple[Any, str]]]
    ) -> Iterator[tuple[list[tuple[Any, str]], list[tuple[list[tuple[str, str]], str | None]]]]:
        index = SECRET_COLUMNS.index(column)
        return helpers.map(rotate_rows, ((rows, (index, rows)) for rows in batches))

    return map_rows


def _catch_up(
    engine: Engine, summary: RotationSummary, states: KeyStates, *, batch_size: int, hook: TestHook | None
) -> RotationSummary:
    """Pass again until nothing is left under an old key; then the key check."""
    with engine.connect() as conn, inv.zero_replaced_values(conn):
        # Catch-up passes: values the API wrote under an old key meanwhile (from a value it had read
        # before this rotation reached it). Stop at the first pass that finds nothing to do.
        settled = False
        for _ in range(MAX_CATCH_UP_PASSES):
            catch_up = RewriteResult()
            for column in SECRET_COLUMNS:
                catch_up.merge(
                    inv.rewrite_column(
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
            left = inv.take_census(conn, batch_size=batch_size)
            conn.commit()
            if left.problem_total or left.total("previous") or left.total("plaintext"):
                summary.leftover = left
        if summary.leftover is None:
            if hook is not None:
                hook.fire("before-key-check")
            summary.key_check_updated = inv.write_key_check(conn)
            conn.commit()
            summary.key_check_state = "primary"
    return summary


# -- output ------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(widths[0]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _key_check_text(state: inv.SecretState | None) -> str:
    return {
        None: "none yet (written when the app starts)",
        "primary": "opens with the primary key",
        "previous": "opens with a previous key (rotate-key rewrites it last)",
        "undecryptable": "does NOT open with any configured key",
    }.get(state, str(state))


def format_census(census: Census) -> str:
    rows = [[place, *(census.counts[place][state] for state in SECRET_STATES)] for place in PLACES]
    rows.append(["total", *(census.total(state) for state in SECRET_STATES)])
    return _table(["place", "primary", "previous", "plaintext", "undecryptable"], rows)


def format_plan(census: Census) -> str:
    rows = [
        [
            place,
            census.counts[place]["previous"],
            census.counts[place]["plaintext"],
            census.counts[place]["primary"],
            census.counts[place]["undecryptable"],
        ]
        for place in PLACES
    ]
    return _table(["place", "re-encrypt", "encrypt (plaintext)", "already primary", "undecryptable"], rows)


def format_summary(summary: RotationSummary) -> str:
    result = summary.result
    rows = [
        [place, result.count("rotated", place), result.count("encrypted", place), result.count("unchanged", place)]
        for place in PLACES
    ]
    lines = [
        _table(["place", "re-encrypted", "encrypted (was plaintext)", "already primary"], rows),
        f"rows rewritten: {result.rows_changed}; concurrent writes detected and re-read: {result.conflicts}; "
        f"passes: {summary.passes}",
    ]
    if summary.complete:
        lines.append(
            "Key check "
            + ("rewritten under the primary key" if summary.key_check_updated else "already under the primary key")
            + ". Every stored secret is now under the primary key: the app starts with ENCRYPTION_KEY alone. "
            "Verify with `python -m app.cli encryption-status`, then remove the old key from "
            "ENCRYPTION_KEYS_PREVIOUS and restart the API."
        )
    else:
        left = summary.leftover
        counts = ""
        if left is not None:
            counts = (
                f" Left: {left.total('previous')} under a previous key, {left.total('plaintext')} plaintext, "
                f"{left.problem_total} unreadable" + (f" ({'; '.join(left.problems)})" if left.problems else "") + "."
            )
        lines.append(
            "The rotation is NOT complete: the key check was left as it was, so keep ENCRYPTION_KEYS_PREVIOUS."
            f"{counts} Rerun rotate-key (if the API writes heavily, rerun when it is quieter)."
        )
    return "\n".join(lines)


# -- commands ---------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _settings_and_engine(settings: Settings | None = None) -> tuple[Settings, Engine]:
    settings = settings or load_settings()
    encryption.load_keys(settings)  # KeyConfigError: the CLI prints its one line
    return settings, make_engine(settings.database_url)


def collect_status(engine: Engine, *, batch_size: int = DEFAULT_BATCH_SIZE) -> tuple[Census, inv.SecretState | None]:
    with engine.connect() as conn:
        columns = inv.existing_columns(conn)
        census = inv.take_census(conn, columns, batch_size=batch_size)
        key_state = inv.key_check_state(conn) if inv.has_table(conn, "app_meta") else None
        conn.rollback()
    return census, key_state


def cmd_encryption_status(args: argparse.Namespace) -> int:
    _settings, engine = _settings_and_engine()
    try:
        census, key_state = collect_status(engine, batch_size=args.batch_size)
    finally:
        engine.dispose()
    healthy = census.total("plaintext") == 0 and census.problem_total == 0 and key_state != "undecryptable"
    if args.json:
        report = {
            "places": {place: {state: census.counts[place][state] for state in SECRET_STATES} for place in PLACES},
            "totals": {state: census.total(state) for state in SECRET_STATES},
            "unreadable": census.problem_total,
            "unreadable_places": census.problems,
            "key_check": key_state or "absent",
            "fingerprint": encryption.fingerprint(),
            "ok": healthy,
        }
        print(json.dumps(report, indent=2))
        return 0 if healthy else 1
    print(f"key fingerprint: {encryption.fingerprint()}")
    print(format_census(census))
    print(f"key check: {_key_check_text(key_state)}")
    if census.problems:
        more = census.problem_total - len(census.problems)
        print("cannot be read: " + "; ".join(census.problems) + (f"; and {more} more" if more else ""))
    if census.total("plaintext"):
        print(
            "PLAINTEXT secrets found: run `alembic upgrade head` (or `python -m app.cli rotate-key`) to encrypt them."
        )
    if census.total("previous") and healthy:
        print("Some secrets are under a previous key: run `python -m app.cli rotate-key` to finish the rotation.")
    if healthy and not census.total("previous"):
        print("OK: every stored secret is encrypted with the primary key.")
    return 0 if healthy else 1


def _remember_rotation(engine: Engine, action: str, *, outcome: str = "ok") -> None:
    """Note a rotation's start or end for the key health report and the audit trail (best effort)."""
    from app.services import encryption_status

    try:
        with engine.begin() as conn:
            if action == "rotation_start":
                encryption_status.write_meta(conn, encryption_status.ROTATION_STARTED, encryption_status.now_iso())
            elif outcome == "ok":
                encryption_status.write_meta(conn, encryption_status.ROTATION_FINISHED, encryption_status.now_iso())
            if inv.has_table(conn, "audit_log"):
                conn.execute(
                    sa_insert(core_table(AuditEntry)).values(
                        at=utcnow(), actor="cli", address=None, action=action, target="all secrets", outcome=outcome
                    )
                )
    except Exception as exc:  # a locked or old database must not stop the rotation itself
        logger.warning("Could not record %s: %s", action, type(exc).__name__)


def cmd_rotate_key(args: argparse.Namespace) -> int:
    settings, engine = _settings_and_engine()
    hook = TestHook.from_env()
    progress: ProgressReporter
    if args.dry_run:
        progress = SilentProgress()
    elif sys.stdout.isatty():
        progress = RichProgress()
    else:
        progress = PlainProgress(sys.stdout)
    if not args.dry_run:
        _remember_rotation(engine, "rotation_start")
    try:
        try:
            summary = rotate_all(
                engine,
                settings.database_url,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                progress=progress,
                hook=hook,
                workers=args.workers,
            )
        except RotationRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            if not args.dry_run:
                _remember_rotation(engine, "rotation_end", outcome="refused")
            return 1
        if not summary.dry_run:
            _remember_rotation(engine, "rotation_end", outcome="ok" if summary.complete else "failed")
    finally:
        engine.dispose()
    if summary.dry_run:
        print("rotate-key --dry-run: nothing was changed. Would do:")
        print(format_plan(summary.before))
        state = summary.key_check_state
        print(
            "key check: "
            + ("already under the primary key" if state == "primary" else "would be rewritten under the primary key")
        )
        return 0
    print(format_summary(summary))
    return 0 if summary.complete else 1


def register_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Called by app.cli: adds ``encryption-status`` and ``rotate-key``."""
    status = subparsers.add_parser(
        "encryption-status",
        help="count stored secrets per place: primary key, previous key, plaintext, undecryptable",
        description="Count stored secrets per place. Exit status 1 when any is plaintext or undecryptable.",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE, help="rows read at a time")
    status.set_defaults(func=cmd_encryption_status)

    rotate = subparsers.add_parser(
        "rotate-key",
        help="re-encrypt every stored secret under the primary key",
        description=(
            "Re-encrypt every stored secret under ENCRYPTION_KEY; old keys go in ENCRYPTION_KEYS_PREVIOUS. "
            "Batched and resumable: rerun after an interruption."
        ),
    )
    rotate.add_argument("--dry-run", action="store_true", help="report per place what would change; write nothing")
    rotate.add_argument(
        "--batch-size",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per commit (default {DEFAULT_BATCH_SIZE})",
    )
    rotate.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help=(
            "processes that check and re-encrypt values before anything is written (default: one per CPU, "
            f"up to {MAX_WORKERS}, from {PARALLEL_MIN_ROWS:,} rows on; 1 = this process only)"
        ),
    )
    rotate.set_defaults(func=cmd_rotate_key)
