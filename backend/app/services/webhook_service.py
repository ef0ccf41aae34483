"""Webhooks: the encrypted webhook settings of a rule, the persistent delivery
queue and the worker that sends it.

Stored webhook (inside ``alert_rules.actions``, see ``app/models/alert_rule.py``)::

    {"url": "encrypted:...",               # context webhook_url_context(rule_id)
     "origin": "https://hooks.example.com", # scheme://host[:port], not secret (for display)
     "headers": {"Authorization": "encrypted:...",  # webhook_header_context(rule_id, name)
                 "Content-Type": "application/json"},
     "secret_headers": ["X-Custom"],        # names the user marked secret
     "plain_headers": ["X-Title"],          # names the user marked plain (optional)
     "signing_secret": "encrypted:..."}     # optional; webhook_signing_secret_context(rule_id)

Secrets are decrypted in exactly one place, :func:`open_webhook`, called by
the worker right before a request is sent.

Delivery guarantee: **at least once**. A matching event writes a
``webhook_deliveries`` row in the same transaction as the event, so a queued
delivery survives a restart or crash. The worker claims due rows with a lease
(``locked_until``; PostgreSQL also ``FOR UPDATE SKIP LOCKED``), sends, then
records the attempt. A graceful stop waits for in-flight requests (up to
``shutdown_grace`` seconds), then releases the leases of unfinished ones so
the next start sends them at once. After a crash, a claimed row is sent again
when its lease expires (``lease_seconds``, 60 s). A request the receiver got
but whose outcome was not recorded is therefore sent again: receivers should
de-duplicate on the ``webhook-id`` header (stable across retries).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core import secret_fields
from app.core.db import core_table, utcnow
from app.core.encryption import DecryptionError, decrypt, encrypt, is_encrypted
from app.core.errors import ValidationFailed
from app.core.logging import hold_secret, redact, register_secret
from app.core.redaction import ExchangeSecrets
from app.core.secret_fields import (
    is_secret_header,
    is_valid_header_name,
    may_be_marked_plain,
    webhook_header_context,
    webhook_url_context,
)
from app.models.alert_rule import AlertRule
from app.models.webhook import WebhookDelivery, WebhookLog
from app.schemas.alert_rule import MASK, WebhookIn, WebhookRead
from app.services import outbound_policy
from app.services.outbound_policy import (
    BlockedDestination,
    PinnedNetworkBackend,
    PinnedTransport,
    ResolutionFailed,
    Resolver,
    mask_url_from_origin,
    origin_key,
    parse_webhook_url,
    url_secret_parts,
)

logger = logging.getLogger("app.webhooks")

USER_AGENT = "LiveObjectAIClassifier-Webhook/1"
MAX_HEADER_VALUE = 4096
MAX_LOGGED_BODY = 200
_READ_BODY_BYTES = 16 * 1024
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)
SIGNING_PREFIX = "whsec_"


def _signing_context(rule_id: int) -> str:
    return secret_fields.webhook_signing_secret_context(rule_id)


# -- stored webhook settings ---------------------------------------------------


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def _secret_required(fields: Sequence[str]) -> ValidationFailed:
    return ValidationFailed(
        "The webhook URL's destination (scheme, host or port) changed: enter the secret values again "
        "to send them to the new destination.",
        code="secret_required",
        fields=list(fields),
    )


def _check_header_value(name: str, value: str) -> None:
    field = f"actions.webhook.headers.{name}"
    if len(value) > MAX_HEADER_VALUE:
        raise _invalid(f"The value of header {name} is longer than {MAX_HEADER_VALUE} characters.", field)
    if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
        raise _invalid(f"The value of header {name} must not contain line breaks or control characters.", field)
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise _invalid(f"The value of header {name} must be plain ASCII/Latin-1 text.", field) from None


def signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret ``whsec_<base64>``."""
    if not secret.startswith(SIGNING_PREFIX):
        raise ValueError("missing prefix")
    key = base64.b64decode(secret[len(SIGNING_PREFIX) :], validate=True)
    if not 24 <= len(key) <= 64:
        raise ValueError("bad length")
    return key


def _stored_origin(stored: dict[str, Any], rule_id: int) -> str:
    """The stored URL's origin. Rows written before the origin was kept (the
    encrypting migration) only have the encrypted URL: it is decrypted here to
    compare origins, and nothing of it leaves this function but the origin."""
    origin = stored.get("origin")
    if isinstance(origin, str) and origin:
        return origin
    url = decrypt(str(stored.get("url", "")), context=webhook_url_context(rule_id))
    return parse_webhook_url(url, block_private=False).origin


def build_webhook(
    *, rule_id: int, incoming: WebhookIn | None, stored: dict[str, Any] | None, block_private: bool
) -> dict[str, Any] | None:
    """The stored form of ``incoming``, merged with what is stored.

    Masked values keep what is stored, but never when the URL's origin
    changes: then secrets must be entered again (422 ``secret_required``).
    """
    if incoming is None:
        return None
    stored = stored or None
    url_in = incoming.url.get_secret_value()
    masked_url = url_in == MASK or url_in.endswith("/" + MASK)
    result: dict[str, Any] = {}
    if masked_url:
        if stored is None or not stored.get("url"):
            raise _secret_required(["url"])
        try:
            stored_origin = _stored_origin(stored, rule_id)
        except (DecryptionError, ValidationFailed):
            raise _secret_required(["url"]) from None  # unreadable: it must be entered again
        if url_in != MASK:
            try:
                same = origin_key(url_in[: -len("/" + MASK)]) == origin_key(stored_origin)
            except ValueError:
                same = False
            if not same:
                raise _secret_required(["url"])
        result["url"] = stored["url"]
        result["origin"] = stored_origin
        origin_changed = False
    else:
        parsed = parse_webhook_url(url_in, block_private=block_private)
        result["url"] = encrypt(url_in, context=webhook_url_context(rule_id))
        result["origin"] = parsed.origin
        if stored is not None and stored.get("url"):
            try:
                origin_changed = origin_key(_stored_origin(stored, rule_id)) != parsed.origin_key
            except (DecryptionError, ValidationFailed):
                origin_changed = True
        else:
            origin_changed = True

    marked = _header_names(incoming.secret_headers, "secret_headers")
    plain = [
        name for name in _header_names(incoming.plain_headers, "plain_headers") if name.lower() not in _lower(marked)
    ]
    for name in plain:
        if not may_be_marked_plain(name):
            raise _invalid(
                f"The header {name} cannot be marked plain: its name says it carries a credential, "
                "so its value is always stored encrypted and shown as ****.",
                "actions.webhook.plain_headers",
            )

    stored_headers: dict[str, str] = {}
    if stored is not None and isinstance(stored.get("headers"), dict):
        stored_headers = {str(k): str(v) for k, v in stored["headers"].items()}
    stored_by_lower = {k.lower(): (k, v) for k, v in stored_headers.items()}

    headers: dict[str, str] = {}
    seen: set[str] = set()
    need_secret: list[str] = []
    for raw_name, secret_value in incoming.headers.items():
        name = raw_name.strip()
        field = f"actions.webhook.headers.{name}"
        if not is_valid_header_name(name):
            raise _invalid("A header name is not valid (letters, digits and -_. only).", "actions.webhook.headers")
        lower = name.lower()
        if lower in _RESERVED_HEADERS:
            raise _invalid(f"The header {name} is set by the server and cannot be configured.", field)
        if lower in seen:
            raise _invalid(f"The header {name} is listed twice.", field)
        seen.add(lower)
        value = secret_value.get_secret_value() if secret_value is not None else ""
        if value == "":
            continue
        secret = is_secret_header(name, marked, plain=plain)
        if value == MASK:
            previous = stored_by_lower.get(lower)
            if previous is None:
                raise _invalid(f"The header {name} has no stored value to keep: enter its value.", field)
            old_value = previous[1]
            if is_encrypted(old_value):
                if origin_changed:
                    need_secret.append(f"headers.{name}")
                    continue
                if not secret:
                    # A stored secret stays secret: marking it plain cannot reveal it
                    # (enter the value again to store it plain).
                    plain = [p for p in plain if p.lower() != lower]
                    if not is_secret_header(name, marked, plain=plain):  # a known-plain name
                        marked.append(name)
                headers[name] = old_value
            elif secret:
                headers[name] = encrypt(old_value, context=webhook_header_context(rule_id, name))
            else:
                headers[name] = old_value
            continue
        _check_header_value(name, value)
        if secret:
            register_secret(value)
            headers[name] = encrypt(value, context=webhook_header_context(rule_id, name))
        else:
            headers[name] = value

    signing: str | None = None
    stored_signing = stored.get("signing_secret") if stored else None
    if "signing_secret" not in incoming.model_fields_set:
        # Kept like a masked header: only while the destination stays the same.
        if stored_signing and origin_changed:
            need_secret.append("signing_secret")
        else:
            signing = stored_signing
    elif incoming.signing_secret is not None and incoming.signing_secret.get_secret_value() != "":
        value = incoming.signing_secret.get_secret_value()
        if value == MASK:
            if not stored_signing:
                raise _invalid(
                    "There is no stored signing secret to keep: enter one.", "actions.webhook.signing_secret"
                )
            if origin_changed:
                need_secret.append("signing_secret")
            else:
                signing = stored_signing
        else:
            try:
                signing_key(value)
            except (ValueError, binascii.Error):
                raise _invalid(
                    "The signing secret must be 'whsec_' followed by base64 of 24 to 64 random bytes.",
                    "actions.webhook.signing_secret",
                ) from None
            register_secret(value)
            signing = encrypt(value, context=_signing_context(rule_id))

    if need_secret:
        raise _secret_required(need_secret)

    result["headers"] = headers
    result["secret_headers"] = marked
    if plain:
        result["plain_headers"] = plain
    if signing:
        result["signing_secret"] = signing
    return result


def _lower(names: Sequence[str]) -> set[str]:
    return {name.lower() for name in names}


def _header_names(names: Sequence[str], what: str) -> list[str]:
    """Header names as listed in ``secret_headers``/``plain_headers``: checked, stripped, once each."""
    unique: list[str] = []
    for name in names:
        name = name.strip()
        if not is_valid_header_name(name):
            raise _invalid(f"{what} holds an invalid header name.", f"actions.webhook.{what}")
        if name.lower() not in _lower(unique):
            unique.append(name)
    return unique


def mask_webhook(stored: dict[str, Any] | None) -> WebhookRead | None:
    """The response form: origin + ``/****``, secret header values ``****``."""
    if not stored:
        return None
    origin = stored.get("origin")
    url = mask_url_from_origin(origin) if isinstance(origin, str) and origin else MASK
    marked = [str(m) for m in stored.get("secret_headers") or []]
    plain = [str(m) for m in stored.get("plain_headers") or []]
    headers: dict[str, str] = {}
    for name, value in (stored.get("headers") or {}).items():
        value = str(value)
        secret = is_encrypted(value) or is_secret_header(str(name), marked, plain=plain)
        headers[str(name)] = MASK if secret else value
    return WebhookRead(
        url=url,
        headers=headers,
        secret_headers=marked,
        plain_headers=plain,
        signing_secret=MASK if stored.get("signing_secret") else None,
    )


def masked_url(stored: dict[str, Any] | None) -> str:
    origin = (stored or {}).get("origin")
    return mask_url_from_origin(origin) if isinstance(origin, str) and origin else MASK


@dataclass(frozen=True)
class OpenedWebhook:
    """Decrypted webhook settings, alive only for one send."""

    url: str
    headers: list[tuple[str, str]]
    signing_key: bytes | None
    # every form the secrets above travel in: the receiver's answer is redacted against it
    secrets: ExchangeSecrets = field(default_factory=ExchangeSecrets)

    def __repr__(self) -> str:
        return "OpenedWebhook(url=***, headers=***, signing_key=***)"


def open_webhook(rule_id: int, stored: dict[str, Any]) -> OpenedWebhook:
    """Decrypt a rule's webhook for sending. Raises :class:`DecryptionError`."""
    url_context = webhook_url_context(rule_id)
    url = decrypt(str(stored.get("url", "")), context=url_context)
    parts = url_secret_parts(url)
    try:
        parts.append(str(httpx.URL(url)))  # as httpx writes it in its own log lines
    except (httpx.InvalidURL, ValueError):
        pass
    hold_secret(url_context + "#parts", *parts)
    forms = ExchangeSecrets().add(*parts)
    marked_plain = [str(m) for m in stored.get("plain_headers") or []]
    marked_secret = [str(m) for m in stored.get("secret_headers") or []]
    headers: list[tuple[str, str]] = []
    for name, value in (stored.get("headers") or {}).items():
        value = str(value)
        if is_encrypted(value):
            value = decrypt(value, context=webhook_header_context(rule_id, str(name)))
            forms.add_header(str(name), value)
        elif is_secret_header(str(name), marked_secret, plain=marked_plain):
            forms.add_header(str(name), value)  # stored before the rule said so: secret all the same
        headers.append((str(name), value))
    key: bytes | None = None
    if stored.get("signing_secret"):
        secret = decrypt(str(stored["signing_secret"]), context=_signing_context(rule_id))
        forms.add(secret)
        try:
            key = signing_key(secret)
        except (ValueError, binascii.Error):
            raise DecryptionError(_signing_context(rule_id), "is not a valid signing secret") from None
    return OpenedWebhook(url=url, headers=headers, signing_key=key, secrets=forms)


def sign_payload(key: bytes, *, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks signature: ``v1,`` + base64(HMAC-SHA256(id.timestamp.body))."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


# -- queue ---------------------------------------------------------------------


def enqueue(session: Session, *, rule_id: int, event_id: int | None, payload: dict[str, Any], now: datetime) -> None:
    """Queue a delivery in the caller's transaction (sent by the worker)."""
    session.connection().execute(
        _INSERT_DELIVERY,
        {
            "rule_id": rule_id,
            "event_id": event_id,
            "payload": json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        },
    )


_INSERT_DELIVERY = insert(core_table(WebhookDelivery))
_INSERT_LOG = insert(core_table(WebhookLog))  # Core executemany: the ORM's bulk path costs more than the rows


@dataclass(frozen=True)
class Job:
    """A claimed delivery, with its rule's (still encrypted) webhook settings."""

    delivery_id: int
    rule_id: int
    event_id: int | None
    payload: str
    attempt: int  # the number of the attempt about to be made (1-based)
    webhook: dict[str, Any] | None = field(repr=False)
    block_private: bool


@dataclass(frozen=True)
class Claim:
    jobs: list[Job]
    next_due: datetime | None


def lease_due(session: Session, *, limit: int, now: datetime, lease_seconds: float) -> list[Any]:
    """Lease up to ``limit`` due deliveries; returns their rows. The caller commits.

    One ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``: atomic under
    SQLite's single writer; on PostgreSQL the inner select also takes
    ``FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on or share a row.
    """
    if limit <= 0:
        return []
    table = core_table(WebhookDelivery)
    due = (
        select(table.c.id)
        .where(
            table.c.status == "pending",
            table.c.next_attempt_at <= now,
            or_(table.c.locked_until.is_(None), table.c.locked_until < now),
        )
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(locked_until=now + timedelta(seconds=lease_seconds), updated_at=now)
        .returning(table.c.id, table.c.rule_id, table.c.event_id, table.c.payload, table.c.attempts)
    )
    return sorted(session.execute(stmt).all(), key=lambda row: row.id)


def jobs_for(session: Session, rows: Sequence[Any]) -> list[Job]:
    """Leased rows with their rules' current (encrypted) webhook settings."""
    if not rows:
        return []
    block_private = outbound_policy.block_private_networks(session)
    rule_ids = sorted({row.rule_id for row in rows})
    webhooks: dict[int, dict[str, Any] | None] = {}
    for rule_id, raw in session.execute(select(AlertRule.id, AlertRule.actions).where(AlertRule.id.in_(rule_ids))):
        try:
            actions = json.loads(raw or "{}")
        except ValueError:
            actions = None
        candidate = actions.get("webhook") if isinstance(actions, dict) else None
        webhooks[rule_id] = candidate if isinstance(candidate, dict) and candidate.get("url") else None
    jobs = []
    for row in rows:
        webhook = webhooks.get(row.rule_id)
        jobs.append(
            Job(
                delivery_id=row.id,
                rule_id=row.rule_id,
                event_id=row.event_id,
                payload=row.payload,
                attempt=row.attempts + 1,
                webhook=webhook,
                block_private=block_private,
            )
        )
    return jobs


def next_due_at(session: Session, *, now: datetime) -> datetime | None:
    """When the next pending, unleased delivery is due."""
    table = core_table(WebhookDelivery)
    return session.execute(
        select(func.min(table.c.next_attempt_at)).where(
            table.c.status == "pending", or_(table.c.locked_until.is_(None), table.c.locked_until < now)
        )
    ).scalar_one_or_none()


def claim_due(session: Session, *, limit: int, now: datetime, lease_seconds: float) -> Claim:
    """Lease due deliveries and load what sending them needs, in the caller's
    transaction (the worker commits the lease first, then reads)."""
    jobs = jobs_for(session, lease_due(session, limit=limit, now=now, lease_seconds=lease_seconds))
    return Claim(jobs=jobs, next_due=next_due_at(session, now=now))


@dataclass(frozen=True)
class AttemptResult:
    job: Job
    url: str  # masked
    success: bool
    retryable: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str | None
    retry_after: float | None = None


def _short(text: str | None, limit: int = 200) -> str | None:
    if text is None:
        return None
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_attempts(
    session: Session,
    results: Sequence[AttemptResult],
    *,
    now: datetime,
    max_attempts: int,
    backoff: Callable[[int], float],
) -> None:
    """Write one ``webhook_logs`` row per attempt and move each delivery on."""
    if not results:
        return
    session.execute(
        _INSERT_LOG,
        [
            {
                "delivery_id": r.job.delivery_id,
                "rule_id": r.job.rule_id,
                "event_id": r.job.event_id,
                "url": r.url,
                "attempt": r.job.attempt,
                "status_code": r.status_code,
                "success": r.success,
                "duration_ms": r.duration_ms,
                "error": _short(r.error),
                "response_body": _short(r.response_body, MAX_LOGGED_BODY),
                "created_at": now,
            }
            for r in results
        ],
    )
    updates = []
    for r in results:
        if r.success:
            status, next_at = "delivered", now
        elif r.retryable and r.job.attempt < max_attempts:
            delay = max(0.0, backoff(r.job.attempt))
            if r.retry_after is not None:
                delay = max(delay, min(r.retry_after, 300.0))
            status, next_at = "pending", now + timedelta(seconds=delay)
        else:
            status, next_at = "failed", now
        updates.append(
            {
                "b_id": r.job.delivery_id,
                "b_status": status,
                "b_attempts": r.job.attempt,
                "b_next": next_at,
                "b_error": None if r.success else _short(r.error, 200),
                "b_now": now,
            }
        )
    table = core_table(WebhookDelivery)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            attempts=bindparam("b_attempts"),
            next_attempt_at=bindparam("b_next"),
            last_error=bindparam("b_error"),
            locked_until=None,
            updated_at=bindparam("b_now"),
        ),
        updates,
    )


def release_leases(session: Session, delivery_ids: Sequence[int]) -> None:
    """Give back claimed rows that were not sent (graceful stop)."""
    if not delivery_ids:
        return
    table = core_table(WebhookDelivery)
    session.execute(
        update(table).where(table.c.id.in_(list(delivery_ids)), table.c.status == "pending").values(locked_until=None)
    )


def default_backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt``: ~2 s, then ~8 s (±20 %)."""
    return float(2 * 4 ** (attempt - 1)) * random.uniform(0.8, 1.2)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


# -- the worker ------------------------------------------------------------------


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

    Attributes may be replaced before :meth:`start` (tests do): ``backoff``
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
        resolver: Resolver = outbound_policy.system_resolver,
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
        ids = [job.delivery_id for job in unfinished]
        try:
            await self._in_thread(self._final_cycle, results, ids)
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

    async def _dispatch_loop(self) -> None:
        assert self._dispatch_wake is not None
        while not self._stopping:
            self._dispatch_wake.clear()
            while self._buffer and len(self._inflight) < self.concurrency and not self._stopping:
                job = self._buffer.popleft()
                task = asyncio.create_task(self._deliver(job))
                self._inflight[task] = job
                task.add_done_callback(self._task_done)
            if len(self._buffer) < self._low_water and self._db_wake is not None:
                self._db_wake.set()  # running low: lease more (if any are due)
                if self._backlog and len(self._buffer) < self.concurrency and self._refill is not None:
                    self._refill.set()  # about to run dry with more waiting: do not wait out the batch window
            await self._dispatch_wake.wait()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        self._wake_dispatcher()

    # the database task

    async def _db_loop(self) -> None:
        assert self._db_wake is not None
        timeout = 0.0
        while not self._stopping:
            try:
                await asyncio.wait_for(self._db_wake.wait(), timeout=timeout)
            except TimeoutError:
                self._dirty = True  # poll: retries fall due, other processes queue
            if self._stopping:
                break
            # Gather more results and events first, unless the senders are about
            # to run dry while the queue holds more than the last lease took.
            starving = self._backlog and self._dirty and len(self._buffer) < self.concurrency
            if self.batch_window > 0 and not starving:
                assert self._refill is not None
                self._refill.clear()  # set by the dispatcher when a backlog's buffer runs low
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._refill.wait(), timeout=self.batch_window)
            self._db_wake.clear()
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
                record_attempts(session, results, now=now, max_attempts=self.max_attempts, backoff=self.backoff)
                rows = lease_due(session, limit=limit, now=now, lease_seconds=self.lease_seconds)
            jobs = jobs_for(session, rows)
            next_due = next_due_at(session, now=now) if len(rows) < limit else None
            session.rollback()
        return jobs, next_due

    def _final_cycle(self, results: list[AttemptResult], release: list[int]) -> None:
        with self.session_factory() as session, session.begin():
            record_attempts(session, results, now=utcnow(), max_attempts=self.max_attempts, backoff=self.backoff)
            release_leases(session, release)

    # one delivery

    async def _deliver(self, job: Job) -> None:
        result = await self.attempt(job)
        if result.success:
            logger.debug(
                "Webhook delivery %d (rule %d) attempt %d: HTTP %s",
                job.delivery_id,
                job.rule_id,
                job.attempt,
                result.status_code,
            )
        else:
            logger.warning(
                "Webhook delivery %d (rule %d) attempt %d failed: %s",
                job.delivery_id,
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
            backend = PinnedNetworkBackend(
                resolver=lambda host, port: self.resolver(host, port),
                block_private=lambda: block_private,
            )
            limits = httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency, keepalive_expiry=30
            )
            client = httpx.AsyncClient(
                transport=PinnedTransport(backend=backend, limits=limits),
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
            )
            self._clients[block_private] = client
        return client

    async def attempt(self, job: Job) -> AttemptResult:
        """Make one attempt. Never raises (except cancellation)."""
        url_masked = masked_url(job.webhook)
        started = time.perf_counter()
        forms = ExchangeSecrets()

        def done(*, error: str | None, response_body: str | None, **kwargs: Any) -> AttemptResult:
            duration = int((time.perf_counter() - started) * 1000)
            # The receiver's words (its body, an error carrying its text) are
            # redacted against this exchange's secrets before anything keeps them.
            return AttemptResult(
                job=job,
                url=url_masked,
                duration_ms=duration,
                error=forms.clean(error, 200),
                response_body=forms.clean(response_body, MAX_LOGGED_BODY),
                **kwargs,
            )

        if job.webhook is None:
            return done(
                success=False,
                retryable=False,
                status_code=None,
                error="The rule no longer has a webhook.",
                response_body=None,
            )
        try:
            target = open_webhook(job.rule_id, job.webhook)
        except DecryptionError:
            return done(
                success=False,
                retryable=False,
                status_code=None,
                error="The stored webhook secrets cannot be decrypted: enter them again.",
                response_body=None,
            )
        forms = target.secrets
        body = job.payload.encode("utf-8")
        headers = httpx.Headers({"Content-Type": "application/json", "User-Agent": USER_AGENT})
        for name, value in target.headers:
            headers[name] = value
        # Standard Webhooks headers: the id is the same on every attempt, so a
        # receiver can drop the duplicates at-least-once delivery may cause.
        message_id = f"msg_{job.delivery_id}"
        timestamp = int(time.time())
        headers["webhook-id"] = message_id
        headers["webhook-timestamp"] = str(timestamp)
        if target.signing_key is not None:
            headers["webhook-signature"] = sign_payload(
                target.signing_key, message_id=message_id, timestamp=timestamp, body=body
            )
        try:
            async with asyncio.timeout(self.timeout):
                client = self._client(job.block_private)
                async with client.stream("POST", target.url, content=body, headers=headers) as response:
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= _READ_BODY_BYTES:
                            break
                    status = response.status_code
                    retry_after = _retry_after(response.headers.get("retry-after"))
        except BlockedDestination as exc:
            return done(success=False, retryable=False, status_code=None, error=str(exc), response_body=None)
        except ResolutionFailed as exc:
            return done(success=False, retryable=True, status_code=None, error=str(exc), response_body=None)
        except (TimeoutError, httpx.TimeoutException):
            return done(
                success=False,
                retryable=True,
                status_code=None,
                error=f"No answer within {self.timeout:g} s.",
                response_body=None,
            )
        except httpx.ConnectError as exc:
            return done(
                success=False,
                retryable=True,
                status_code=None,
                error=f"Connection failed: {forms.redact(str(exc))[:120] or type(exc).__name__}",
                response_body=None,
            )
        except httpx.HTTPError as exc:
            return done(
                success=False, retryable=True, status_code=None, error=f"{type(exc).__name__}", response_body=None
            )
        except OSError as exc:
            return done(
                success=False,
                retryable=True,
                status_code=None,
                error=f"Network error: {type(exc).__name__}",
                response_body=None,
            )
        except Exception as exc:  # never let one delivery stop the worker
            logger.error("Webhook delivery %d: unexpected %s", job.delivery_id, type(exc).__name__)
            return done(
                success=False,
                retryable=False,
                status_code=None,
                error=f"Unexpected error: {type(exc).__name__}",
                response_body=None,
            )
        text = b"".join(chunks).decode("utf-8", "replace") or None
        if 200 <= status < 300:
            return done(success=True, retryable=False, status_code=status, error=None, response_body=text)
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed."
        else:
            error = f"HTTP {status}"
        retryable = status >= 500 or status == 429
        return done(
            success=False,
            retryable=retryable,
            status_code=status,
            error=error,
            response_body=text,
            retry_after=retry_after if status == 429 else None,
        )


# -- logs ------------------------------------------------------------------------


def list_logs(
    session: Session,
    *,
    rule_id: int | None,
    event_id: int | None,
    delivery_id: int | None,
    success: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookLog], int]:
    conditions = []
    if rule_id is not None:
        conditions.append(WebhookLog.rule_id == rule_id)
    if event_id is not None:
        conditions.append(WebhookLog.event_id == event_id)
    if delivery_id is not None:
        conditions.append(WebhookLog.delivery_id == delivery_id)
    if success is not None:
        conditions.append(WebhookLog.success.is_(success))
    total = session.execute(select(func.count(WebhookLog.id)).where(*conditions)).scalar_one()
    items = session.scalars(
        select(WebhookLog)
        .where(*conditions)
        .order_by(WebhookLog.created_at.desc(), WebhookLog.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(items), int(total)
