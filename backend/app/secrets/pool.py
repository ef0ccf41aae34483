"""Helper processes for key rotation: they open and re-encrypt stored values a
few batches ahead of the process that writes them (they never see the database).

The pool lives with the rotation, not the CLI: it is part of how a rotation
spreads its CPU work (the benchmark and any caller of
:func:`app.secrets.rotation.rotate_all` choose ``workers``), and only stored
values and keys cross to it.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from app.core import encryption

logger = logging.getLogger(__name__)

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


# Below this many rows the helpers would cost more to start than they save.
PARALLEL_MIN_ROWS = 20_000
# Helpers chosen automatically: each costs about 20 MB (bench/bench_rotation.py).
MAX_WORKERS = 2
# With helpers every value is opened twice (the pre-check, then the re-encryption
# a few batches ahead of the writes) besides the writes in this process: on fewer
# CPUs than this, one process alone is faster (measured on 2: 0.58x of bare
# MultiFernet.rotate alone, 0.42x with two helpers).
MIN_CPUS_FOR_HELPERS = 4


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose_workers(requested: int | None, rows: int) -> int:
    """``requested`` (``--workers``), or automatically: one per CPU (at most
    ``MAX_WORKERS``) for a large database on a machine with at least
    ``MIN_CPUS_FOR_HELPERS`` CPUs, none (this process only) otherwise."""
    if requested is not None:
        return max(1, requested)
    if rows < PARALLEL_MIN_ROWS or available_cpus() < MIN_CPUS_FOR_HELPERS:
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
