"""Where secrets live: the columns that hold them, the places inside each column,
and the encryption context that binds each value to its place.

The places (a *column* may hold several places)::

    cameras.password                        one secret per row      cameras.password:<id>
    system_settings.value                   the credential keys     system_settings:<key>
    alert_rules.actions.webhook.url         JSON inside actions     alert_rules.webhook_url:<id>
    alert_rules.actions.webhook.headers     secret header values    alert_rules.webhook_header.<name>:<id>
    alert_rules.actions.webhook.signing_secret  (optional)          alert_rules.webhook_signing_secret:<id>

The contexts come from :mod:`app.core.secret_fields`, the same builders the
services use. Everything is SQLAlchemy Core (``sqlalchemy.table()`` /
``column()``), not ORM models, so the Alembic revisions that use it stay valid
as the models evolve.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.sql.expression import ColumnElement, TableClause

from app.core import encryption
from app.core.jsontext import dumps_compact
from app.core.secret_fields import (
    SECRET_SETTINGS_KEYS,
    camera_password_context,
    camera_snapshot_key_context,
    event_image_key_context,
    is_secret_header,
    setting_context,
    webhook_header_context,
    webhook_signing_secret_context,
    webhook_url_context,
)
from app.secrets.errors import MalformedRowError

SecretState = encryption.KeyStatus
SECRET_STATES: tuple[SecretState, ...] = ("primary", "previous", "plaintext", "undecryptable")

PLACE_CAMERA_PASSWORD = "cameras.password"  # noqa: S105  # nosec B105: a place name, not a password
PLACE_SETTINGS = "system_settings.value"
PLACE_WEBHOOK_URL = "alert_rules.actions.webhook.url"
PLACE_WEBHOOK_HEADERS = "alert_rules.actions.webhook.headers"
PLACE_WEBHOOK_SIGNING = "alert_rules.actions.webhook.signing_secret"
PLACE_EVENT_IMAGE_KEY = "event_images.data_key"
PLACE_CAMERA_SNAPSHOT_KEY = "camera_snapshots.data_key"


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


def _json_string(holder: dict[str, Any], key: str, where: str) -> str | None:
    value = holder.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedRowError(where, "is not a string")
    return value


def parse_webhook_actions(pk: Any, raw: str | None, row: str) -> tuple[dict[str, Any] | None, list[_JsonSecret]]:
    """The one reader of the ``alert_rules.actions`` JSON in this package: the
    parsed actions and each secret in them, with the object holding it (so a
    rewrite can replace it in place). Raises :class:`MalformedRowError`."""
    if not raw or not raw.strip():
        return None, []
    where = f"{row} field actions"
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
    url = _json_string(webhook, "url", f"{where}.webhook.url")
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
            value = _json_string(headers, name, header_where)
            if value is not None:
                secret = Secret(PLACE_WEBHOOK_HEADERS, header_where, webhook_header_context(pk, name), value)
                found.append(_JsonSecret(secret, headers, name))
    signing = _json_string(webhook, "signing_secret", f"{where}.webhook.signing_secret")
    if signing is not None:
        secret = Secret(
            PLACE_WEBHOOK_SIGNING, f"{where}.webhook.signing_secret", webhook_signing_secret_context(pk), signing
        )
        found.append(_JsonSecret(secret, webhook, "signing_secret"))
    return actions, found


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

    def secrets(self, pk: Any, raw: str | None) -> list[Secret]:
        return [item.secret for item in parse_webhook_actions(pk, raw, self.row_location(pk))[1]]

    def rewrite(self, pk: Any, raw: str | None, transform: Transform) -> tuple[list[tuple[str, str]], str | None]:
        actions, found = parse_webhook_actions(pk, raw, self.row_location(pk))
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
        return outcomes, dumps_compact(actions)


SECRET_COLUMNS: tuple[SecretColumn, ...] = (
    ScalarSecretColumn("cameras", "id", "password", PLACE_CAMERA_PASSWORD, camera_password_context),
    ScalarSecretColumn(
        "system_settings", "key", "value", PLACE_SETTINGS, setting_context, only_keys=lambda: SECRET_SETTINGS_KEYS
    ),
    WebhookActionsColumn(),
    ScalarSecretColumn("event_images", "event_id", "data_key", PLACE_EVENT_IMAGE_KEY, event_image_key_context),
    ScalarSecretColumn(
        "camera_snapshots", "camera_id", "data_key", PLACE_CAMERA_SNAPSHOT_KEY, camera_snapshot_key_context
    ),
)
PLACES: tuple[str, ...] = tuple(place for column in SECRET_COLUMNS for place in column.places)


def existing_columns(conn: Connection) -> list[SecretColumn]:
    """The secret columns whose table exists in this database."""
    tables = set(sa.inspect(conn).get_table_names())
    return [column for column in SECRET_COLUMNS if column.table_name in tables]
