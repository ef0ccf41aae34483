"""System settings: key/value rows in ``system_settings``.

* Secret settings (``SECRET_SETTINGS_KEYS``: the AI provider keys) are stored
  ``encrypted:`` bound to ``setting_context(key)``; they leave this module only
  as their masked form, or through :func:`decrypt_provider_key` at the moment of
  a provider call.
* Every other setting is stored as JSON text under its key; a missing row means
  the default. :func:`get_setting` is the typed reader other services use,
  e.g. ``get_setting(session, "webhook_block_private_networks") -> bool``.

Services only flush; the request's session commits.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.encryption import DecryptionError, decrypt, encrypt, mask_sensitive
from app.core.secret_fields import AI_PROVIDERS, SECRET_SETTINGS_KEYS, setting_context
from app.models.system_setting import SystemSetting
from app.schemas.secrets import is_masked_hint
from app.schemas.settings import SecretStatus, SettingsBase, SettingsRead, SettingsUpdate
from app.services import ai_health

logger = logging.getLogger("app.settings")

NON_SECRET_KEYS: tuple[str, ...] = tuple(SettingsBase.model_fields)
_DEFAULTS: dict[str, Any] = SettingsBase().model_dump()


def provider_key_name(provider: str) -> str:
    if provider not in AI_PROVIDERS:
        raise ValueError("unknown AI provider")
    return f"ai_api_key_{provider}"


def default_setting(key: str) -> Any:
    if key not in _DEFAULTS:
        raise KeyError(f"unknown non-secret setting {key!r}")
    value = _DEFAULTS[key]
    return list(value) if isinstance(value, list) else value


def _parse(key: str, raw: str | None) -> Any:
    """A stored value, validated against the setting's type; the default when
    it is missing or unusable (logged without the value)."""
    if raw is None:
        return default_setting(key)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw  # a bare string written before values were JSON
    try:
        return getattr(SettingsBase.model_validate({key: value}), key)
    except ValidationError:
        logger.warning("Stored setting %s is not valid; using its default", key)
        return default_setting(key)


def _rows(session: Session, keys: tuple[str, ...] | list[str]) -> dict[str, SystemSetting]:
    rows = session.scalars(select(SystemSetting).where(SystemSetting.key.in_(list(keys)))).all()
    return {row.key: row for row in rows}


def get_setting(session: Session, key: str) -> Any:
    """The value of one non-secret setting (parsed JSON), or its default.

    Raises ``KeyError`` for an unknown key and for secret keys (those are read
    through :func:`load_encrypted_key` and decrypted at the point of use).
    """
    if key in SECRET_SETTINGS_KEYS:
        raise KeyError(f"{key} is a secret setting: it is not readable through get_setting")
    if key not in _DEFAULTS:
        raise KeyError(f"unknown non-secret setting {key!r}")
    row = session.get(SystemSetting, key)
    return _parse(key, row.value if row is not None else None)


def get_settings_values(session: Session) -> SettingsBase:
    """Every non-secret setting in one read."""
    rows = _rows(session, NON_SECRET_KEYS)
    values = {key: _parse(key, rows[key].value if key in rows else None) for key in NON_SECRET_KEYS}
    return SettingsBase.model_validate(values)


# -- secrets ---------------------------------------------------------------------


@dataclass(frozen=True)
class SecretView:
    masked: str | None
    status: SecretStatus


def _secret_view(key: str, stored: str | None) -> SecretView:
    if not stored:
        return SecretView(None, "unset")
    try:
        plaintext = decrypt(stored, context=setting_context(key))
    except DecryptionError:
        return SecretView("****", "undecryptable")
    return SecretView(mask_sensitive(plaintext), "set")


def load_encrypted_key(session: Session, *, provider: str) -> str | None:
    """The stored ``encrypted:`` value of a provider's key (not decrypted), or None."""
    row = session.get(SystemSetting, provider_key_name(provider))
    return row.value if row is not None and row.value else None


def load_encrypted_keys(session: Session) -> dict[str, str]:
    """Provider → stored ``encrypted:`` value, for the providers that have one."""
    rows = _rows(session, SECRET_SETTINGS_KEYS)
    result: dict[str, str] = {}
    for provider in AI_PROVIDERS:
        row = rows.get(provider_key_name(provider))
        if row is not None and row.value:
            result[provider] = row.value
    return result


def decrypt_provider_key(stored: str, *, provider: str) -> str:
    """Decrypt a provider key for one call. Raises ``DecryptionError``."""
    return decrypt(stored, context=setting_context(provider_key_name(provider)))


@dataclass
class _Writer:
    session: Session
    rows: dict[str, SystemSetting] = field(default_factory=dict)

    def put(self, key: str, value: str) -> None:
        row = self.rows.get(key)
        if row is None:
            row = SystemSetting(key=key, value=value)
            self.session.add(row)
            self.rows[key] = row
        else:
            row.value = value

    def delete(self, key: str) -> None:
        row = self.rows.pop(key, None)
        if row is not None:
            self.session.delete(row)


# -- read and update ---------------------------------------------------------------


def read_settings(session: Session) -> SettingsRead:
    rows = _rows(session, list(NON_SECRET_KEYS) + list(SECRET_SETTINGS_KEYS))
    values: dict[str, Any] = {key: _parse(key, rows[key].value if key in rows else None) for key in NON_SECRET_KEYS}
    status: dict[str, SecretStatus] = {}
    for key in SECRET_SETTINGS_KEYS:
        view = _secret_view(key, rows[key].value if key in rows else None)
        values[key] = view.masked
        status[key] = view.status
    values["secret_status"] = status
    values["key_health"] = ai_health.read_all(
        session, {k.removeprefix("ai_api_key_") for k, v in status.items() if v != "unset"}
    )
    return SettingsRead.model_validate(values)


def update_settings(session: Session, *, changes: SettingsUpdate) -> SettingsRead:
    """Apply a partial update (validated already by the schema)."""
    given = changes.model_fields_set - {"secret_status", "key_health"}
    writer = _Writer(session, _rows(session, sorted(given | {"ai_primary_provider"})))
    saved: list[str] = []
    for key in sorted(given):
        value = getattr(changes, key)
        if key in SECRET_SETTINGS_KEYS:
            if _apply_secret(writer, key, value.get_secret_value() if value is not None else None):
                saved.append(key.removeprefix("ai_api_key_"))
        elif value is None:
            writer.delete(key)  # back to the default
        else:
            writer.put(key, json.dumps(value))
    if "ai_primary_provider" not in given:
        _first_key_becomes_primary(writer, saved)
    session.flush()
    logger.info("Settings updated: %s", ", ".join(sorted(given)) or "nothing")
    return read_settings(session)


def _first_key_becomes_primary(writer: _Writer, saved: list[str]) -> None:
    """The first key saved while no primary provider is chosen makes its provider primary."""
    current = writer.rows.get("ai_primary_provider")
    if len(saved) != 1 or (current is not None and _parse("ai_primary_provider", current.value) is not None):
        return
    writer.session.flush()
    if list(load_encrypted_keys(writer.session)) == saved:
        writer.put("ai_primary_provider", json.dumps(saved[0]))


def _apply_secret(writer: _Writer, key: str, plaintext: str | None) -> bool:
    """Store, keep or remove one key; True when a new key was stored."""
    provider = key.removeprefix("ai_api_key_")
    if plaintext is None or plaintext == "":
        writer.delete(key)
        ai_health.key_removed(writer.session, provider=provider)
        return False
    if is_masked_hint(plaintext):
        return False  # the masked form sent back: keep what is stored
    writer.put(key, encrypt(plaintext, context=setting_context(key)))
    ai_health.key_saved(writer.session, provider=provider, api_key=plaintext)
    return True
