"""The delivery worker: sends queued deliveries in the background of the API
process (see :mod:`app.services.webhooks.queue` for the guarantee).

A graceful stop waits for in-flight requests (up to ``shutdown_grace``
seconds), then releases the leases of unfinished ones so the next start sends
them at once. After a crash, a leased row is sent again when its lease expires
(``lease_seconds``, 60 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

import anyio
import httpx
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import utcnow
from app.integrations.outbound.transport import Resolver, system_resolver
from app.services.webhooks import delivery
from app.services.webhooks.logs import log_attempts
from app.services.webhooks.queue import (
    AttemptResult,
    Job,
    default_backoff,
    jobs_for,
    lease_due,
    next_due_at,
    record_attempts,
    release_leases,
)

logger = logging.getLogger("app.webhooks")


class WebhookWorker:
    """Sends queued deliveries in the background of the API process.

    Two tasks: the *dispatcher* starts a send for every free slot from a
    small buffer of leased jobs (no database work), and the *database task*
    records finished attempts and leases more due rows, both in one short
    transaction, after waiting ``batch_window`` seconds to gather what
    arrives meanwhile. So the worker writes at most about 20 times a second
    (``batch_window`` 50 ms), whatever the event rate, and holds SQLite's
    write lock briefly; a webhook leaves about 50 ms after its event. A
    shorter window costs the API's own requests more (``bench/bench_ingest.py``).

    Attributes may be replaced before :meth:`start`: ``backoff``
    (attempt number → seconds), ``resolver`` (host, port → addresses),
    ``poll_interval``, ``concurrency``, ``timeout``, ``shutdown_grace``,
    ``batch_window``.
    """

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        concurrency: int = 10,
        timeout: float = 5.0,
        max_attempts: int = 3,
        backoff: Callable[[int], float] = default_backoff,
        resolver: Resolver = system_resolver,
        poll_interval: float = 1.0,
        lease_seconds: float = 60.0,
        shutdown_grace: float = 5.0,
        batch_window: float = 0.05,
    ) -> None:
        self.session_factory = session_factory
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.resolver = resolver
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds
        self.shutdown_grace = shutdown_grace
        self.batch_window = batch_window
        # Lease well ahead of the senders, and refill before the buffer runs dry,
        # so the senders never wait for a database cycle (batch window + thread hop).
        self._lease_ahead = 10 * concurrency
        self._low_water = 4 * concurrency
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatch_wake: asyncio.Event | None = None
        self._db_wake: asyncio.Event | None = None
        self._refill: asyncio.Event | None = None
        self._results: list[AttemptResult] = []
        self._inflight: dict[asyncio.Task[None], Job] = {}
        self._buffer: deque[Job] = deque()
        self._dirty = True  # deliveries may be due: lease on the next database turn
        self._backlog = True  # the last lease was full: more rows were waiting
        self._dispatcher: asyncio.Task[None] | None = None
        self._db_task: asyncio.Task[None] | None = None
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._stopping = False

    # lifecycle

    async def start(self) -> None:
        if self._dispatcher is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._dispatch_wake = asyncio.Event()
        self._db_wake = asyncio.Event()
        self._refill = asyncio.Event()
        self._stopping = False
        self._dirty = True
        self._backlog = True
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="webhook-dispatcher")
        self._db_task = asyncio.create_task(self._db_loop(), name="webhook-queue")
        self._db_wake.set()
        logger.info("Webhook worker started (concurrency %d)", self.concurrency)

    async def stop(self) -> None:
        """Stop sending: wait up to ``shutdown_grace`` for requests in flight,
        record what finished, and release the lease of everything else so the
        next start sends it at once."""
        if self._dispatcher is None:
            return
        self._stopping = True
        self._wake_dispatcher()
        await asyncio.gather(self._dispatcher, return_exceptions=True)
        unfinished = list(self._buffer)
        self._buffer.clear()
        pending = set(self._inflight)
        if pending:
            _done, still = await asyncio.wait(pending, timeout=self.shutdown_grace)
            unfinished += [self._inflight[t] for t in still if t in self._inflight]
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        if self._db_task is not None:
            self._db_task.cancel()
            await asyncio.gather(self._db_task, return_exceptions=True)
        results, self._results = self._results, []
        ids = [job.delivery_id for job in unfinished if job.delivery_id is not None]
        try:
            await self._in_thread(self._final_cycle, results, ids)
        except OperationalError as exc:
            logger.warning("Webhook worker could not record its last attempts (%s)", _first_line(exc))
        except Exception:
            logger.exception("Webhook worker could not record its last attempts")
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        self._dispatcher = self._db_task = None
        logger.info("Webhook worker stopped")

    def notify(self) -> None:
        """Deliveries were queued: lease them soon. Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake_db()
        else:
            try:
                loop.call_soon_threadsafe(self._wake_db)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def _wake_db(self) -> None:
        self._dirty = True
        if self._db_wake is not None:
            self._db_wake.set()

    def _wake_dispatcher(self) -> None:
        if self._dispatch_wake is not None:
            self._dispatch_wake.set()

    async def _in_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(func, *args)

    # the dispatcher: no database work

    def _events(self) -> tuple[asyncio.Event, asyncio.Event, asyncio.Event]:
        """The dispatcher's wake-up, the database task's wake-up and the refill signal."""
        if self._dispatch_wake is None or self._db_wake is None or self._refill is None:
            raise RuntimeError("The webhook worker's tasks run only after start().")
        return self._dispatch_wake, self._db_wake, self._refill

    async def _dispatch_loop(self) -> None:
        dispatch_wake, db_wake, refill = self._events()
        while not self._stopping:
            dispatch_wake.clear()
            while self._buffer and len(self._inflight) < self.concurrency and not self._stopping:
                job = self._buffer.popleft()
                task = asyncio.create_task(self._deliver(job))
                self._inflight[task] = job
                task.add_done_callback(self._task_done)
            if len(self._buffer) < self._low_water:
                db_wake.set()  # running low: lease more (if any are due)
                if self._backlog and len(self._buffer) < self.concurrency:
                    refill.set()  # about to run dry with more waiting: do not wait out the batch window
            await dispatch_wake.wait()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        self._wake_dispatcher()

    # the database task

    async def _db_loop(self) -> None:
        _dispatch_wake, db_wake, refill = self._events()
        timeout = 0.0
        while not self._stopping:
            try:
                await asyncio.wait_for(db_wake.wait(), timeout=timeout)
            except TimeoutError:
                self._dirty = True  # poll: retries fall due, other processes queue
            if self._stopping:
                break
            # Gather more results and events first, unless the senders are about
            # to run dry while the queue holds more than the last lease took.
            starving = self._backlog and self._dirty and len(self._buffer) < self.concurrency
            if self.batch_window > 0 and not starving:
                refill.clear()  # set by the dispatcher when a backlog's buffer runs low
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(refill.wait(), timeout=self.batch_window)
            db_wake.clear()
            results, self._results = self._results, []
            limit = 0
            if self._dirty and len(self._buffer) < self._low_water:
                limit = self._lease_ahead - len(self._buffer) - len(self._inflight)
                self._dirty = False
            timeout = self.poll_interval
            if not results and limit <= 0:
                continue
            try:
                jobs, next_due = await self._in_thread(self._cycle, results, limit)
            except OperationalError as exc:  # the database is down, full or locked: one line, then again
                logger.warning("Webhook worker: the database cannot be used right now (%s); retrying", _first_line(exc))
                self._dirty = True
                await asyncio.sleep(min(self.poll_interval, 1.0))
                continue
            except Exception:
                # Leased rows stay leased and are sent again when the lease ends.
                logger.exception("Webhook worker could not update the delivery queue")
                self._dirty = True
                await asyncio.sleep(min(self.poll_interval, 1.0))
                continue
            if results:
                self._dirty = True  # a retry may be due right away
            if limit > 0:
                self._backlog = len(jobs) == limit
                if self._backlog:
                    self._dirty = True  # more may be waiting
            if jobs:
                self._buffer.extend(jobs)
                self._wake_dispatcher()
            if self._dirty:
                timeout = 0.0
            elif next_due is not None:
                timeout = min(self.poll_interval, max(0.0, (next_due - utcnow()).total_seconds()))

    def _cycle(self, results: list[AttemptResult], limit: int) -> tuple[list[Job], datetime | None]:
        """Record results and lease up to ``limit`` rows in one short write
        transaction; then read what the leased rows need."""
        now = utcnow()
        with self.session_factory() as session:
            if not results:
                # Nothing to record: look before taking the write lock.
                due = next_due_at(session, now=now)
                session.rollback()
                if due is None or due > now:
                    return [], due
            with session.begin():
                self._record(session, results, now=now)
                rows = lease_due(session, limit=limit, now=now, lease_seconds=self.lease_seconds)
            jobs = jobs_for(session, rows)
            next_due = next_due_at(session, now=now) if len(rows) < limit else None
            session.rollback()
        return jobs, next_due

    def _final_cycle(self, results: list[AttemptResult], release: list[int]) -> None:
        with self.session_factory() as session, session.begin():
            self._record(session, results, now=utcnow())
            release_leases(session, release)

    def _record(self, session: Session, results: list[AttemptResult], *, now: datetime) -> None:
        """Log the attempts and move their deliveries on, in the caller's transaction."""
        log_attempts(session, results, now=now)
        record_attempts(session, results, now=now, max_attempts=self.max_attempts, backoff=self.backoff)

    # one delivery

    async def _deliver(self, job: Job) -> None:
        result = await self.attempt(job)
        if result.success:
            logger.debug(
                "Webhook delivery %s (rule %d) attempt %d: HTTP %s",
                job.label,
                job.rule_id,
                job.attempt,
                result.status_code,
            )
        else:
            logger.warning(
                "Webhook delivery %s (rule %d) attempt %d failed: %s",
                job.label,
                job.rule_id,
                job.attempt,
                result.error,
            )
        self._results.append(result)
        if self._db_wake is not None:
            self._db_wake.set()

    def _client(self, block_private: bool) -> httpx.AsyncClient:
        client = self._clients.get(block_private)
        if client is None:
            client = delivery.make_client(
                resolver=lambda host, port: self.resolver(host, port),  # the resolver in force when it connects
                block_private=block_private,
                concurrency=self.concurrency,
                timeout=self.timeout,
            )
            self._clients[block_private] = client
        return client

    async def attempt(self, job: Job) -> AttemptResult:
        """Make one attempt. Never raises (except cancellation)."""
        return await delivery.attempt(job, client_for=self._client, timeout=self.timeout)


async def notify_worker(state: Any) -> None:
    """Tell the application's worker (``state.webhook_worker``, if it has one)
    that deliveries were queued. Run it after the commit (a background task)."""
    worker = getattr(state, "webhook_worker", None)
    if worker is not None:
        worker.notify()


def _first_line(exc: BaseException) -> str:
    """The driver's own first line (it names the server, never a password: URLs are not in it)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
