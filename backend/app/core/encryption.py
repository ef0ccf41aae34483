# size: the encryption boundary is one module on purpose (the only code that touches the key; see GUIDE).
"""The encryption boundary: the only module that touches the encryption key.

Stored format
-------------
Every secret is stored as the text ``encrypted:`` followed by a Fernet token
(url-safe base64). Fernet has no associated data, so the place a secret lives
(its *context*, e.g. ``cameras.password:12`` or
``system_settings:ai_api_key_openai``) is bound *inside* the token. The Fernet
plaintext is::

    0x01 | SHA-256(context)[:16] | UTF-8 secret

byte 0 is the payload version, the next 16 bytes identify the context. Fernet
authenticates the whole payload (HMAC-SHA256), so a token copied to another
place fails to decrypt there: the context digest does not match. Keys are the
``ENCRYPTION_KEY`` (or ``ENCRYPTION_KEY_FILE``) primary key, which encrypts,
and ``ENCRYPTION_KEYS_PREVIOUS``, which only decrypt (``MultiFernet``), so a
key can be rotated without downtime.

Errors never carry a value, a token or a key: only the context.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core import logging as app_logging
from app.core.config import Settings, get_settings

PREFIX = "encrypted:"
_PAYLOAD_VERSION = b"\x01"
_DIGEST_LEN = 16
_HEADER_LEN = 1 + _DIGEST_LEN
# Fernet token: version(1) | timestamp(8) | IV(16) | ciphertext(n*16, n>=1) | HMAC(32)
_MIN_TOKEN_BYTES = 1 + 8 + 16 + 16 + 32
# The key of the key check row in app_meta (the migrations, the CLI and start-up read it).
KEY_CHECK = "encryption_key_check"
_KEY_CHECK_CONTEXT = f"app_meta:{KEY_CHECK}"
_KEY_CHECK_PLAINTEXT = "live-object-ai-classifier key check v1"

KeyStatus = Literal["primary", "previous", "plaintext", "undecryptable"]


class EncryptionError(Exception):
    """Base class of every error raised by this module."""


class KeyConfigError(EncryptionError):
    """The key configuration is unusable (missing, malformed, conflicting)."""


class DecryptionError(EncryptionError):
    """A stored value could not be decrypted for the given context.

    The message names the context (the place), never the value or the token.
    """

    def __init__(self, context: str, reason: str = "cannot be decrypted with the configured keys"):
        self.context = context
        self.reason = reason
        super().__init__(f"The secret at {context} {reason}")


@dataclass(frozen=True)
class _KeyRing:
    primary: Fernet
    multi: MultiFernet
    fernets: tuple[Fernet, ...]  # primary first, then previous keys
    keys: tuple[bytes, ...]  # the same order

    @property
    def primary_key(self) -> bytes:
        return self.keys[0]

    @property
    def primary_first(self) -> tuple[tuple[int, Fernet], ...]:
        return self._orders[0]

    @property
    def old_first(self) -> tuple[tuple[int, Fernet], ...]:
        return self._orders[1]

    @cached_property
    def _orders(self) -> tuple[tuple[tuple[int, Fernet], ...], ...]:
        indexed = tuple(enumerate(self.fernets))
        return indexed, indexed[1:] + indexed[:1]


_lock = threading.Lock()
_keyring: _KeyRing | None = None


def _parse_key(raw: str, what: str) -> bytes:
    """Validate one Fernet key; the error message never echoes the key."""
    key = raw.strip()
    if len(key) != 44:
        raise KeyConfigError(
            f"{what} is malformed: a Fernet key is 44 url-safe base64 characters "
            f"(got {len(key)}). Generate one with: python -m app.cli generate-key"
        )
    try:
        decoded = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        decoded = b""
    if len(decoded) != 32:
        raise KeyConfigError(
            f"{what} is malformed: it is not url-safe base64 of 32 bytes. "
            "Generate one with: python -m app.cli generate-key"
        )
    return key.encode("ascii")


def _read_key_file(path_text: str) -> str:
    from pathlib import Path

    path = Path(path_text)
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise KeyConfigError(
            f"ENCRYPTION_KEY_FILE points to {path}, which does not exist. "
            "Create the secret file or unset ENCRYPTION_KEY_FILE."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyConfigError(
            f"ENCRYPTION_KEY_FILE {path} cannot be read ({type(exc).__name__}). Check the file's permissions."
        ) from None


def configured_primary_key(settings: Settings) -> bytes | None:
    """The primary key from ``ENCRYPTION_KEY`` and/or ``ENCRYPTION_KEY_FILE``.

    Returns ``None`` when neither is set. Raises :class:`KeyConfigError` when the
    key is malformed, the file is missing, or both are set and differ.
    """
    env_key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    file_key = None
    if settings.encryption_key_file is not None:
        file_key = _read_key_file(str(settings.encryption_key_file))
        if not file_key:
            raise KeyConfigError(
                f"ENCRYPTION_KEY_FILE {settings.encryption_key_file} is empty. "
                "Write the key into it or unset ENCRYPTION_KEY_FILE."
            )
    parsed_env = _parse_key(env_key, "ENCRYPTION_KEY") if env_key else None
    parsed_file = _parse_key(file_key, "The key in ENCRYPTION_KEY_FILE") if file_key else None
    if parsed_env and parsed_file and not hmac.compare_digest(parsed_env, parsed_file):
        raise KeyConfigError(
            "ENCRYPTION_KEY and ENCRYPTION_KEY_FILE are both set and differ. "
            "Set only one of them, or make them hold the same key."
        )
    return parsed_env or parsed_file


def previous_keys(settings: Settings) -> list[bytes]:
    keys = []
    for index, secret in enumerate(settings.encryption_keys_previous, start=1):
        keys.append(_parse_key(secret.get_secret_value(), f"ENCRYPTION_KEYS_PREVIOUS entry {index}"))
    return keys


def _build_keyring(settings: Settings) -> _KeyRing:
    primary_key = configured_primary_key(settings)
    if primary_key is None:
        raise KeyConfigError(
            "No encryption key is configured. Set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, or run: python -m app.cli init"
        )
    return _keyring_of([primary_key, *previous_keys(settings)])


def _keyring_of(keys: Sequence[bytes]) -> _KeyRing:
    unique: list[bytes] = []
    for key in keys:
        if key not in unique:
            unique.append(key)
    fernets = tuple(Fernet(k) for k in unique)
    app_logging.hold_secret("encryption keys", *(key.decode("ascii") for key in unique))
    return _KeyRing(
        primary=fernets[0],
        multi=MultiFernet(list(fernets)),
        fernets=fernets,
        keys=tuple(unique),
    )


def _ring() -> _KeyRing:
    ring = _keyring
    if ring is None:
        with _lock:
            ring = _keyring
            if ring is None:
                ring = _install(_build_keyring(get_settings()))
    return ring


def _install(ring: _KeyRing) -> _KeyRing:
    global _keyring
    _keyring = ring
    return ring


def load_keys(settings: Settings | None = None) -> None:
    """(Re)build the cipher from settings. Raises :class:`KeyConfigError`."""
    with _lock:
        _install(_build_keyring(settings or get_settings()))


def loaded_keys() -> tuple[bytes, ...]:
    """The loaded keys, primary first: for ``rotate-key``'s helper processes only
    (:func:`install_keys`), which must use exactly the keys of the command."""
    return _ring().keys


def install_keys(keys: Sequence[bytes]) -> None:
    """Use ``keys`` (primary first) in this process: the initializer of
    ``rotate-key``'s helper processes. Raises ``ValueError`` for a malformed key."""
    if not keys:
        raise KeyConfigError("install_keys() needs at least the primary key")
    with _lock:
        _install(_keyring_of(keys))


def reset_keys() -> None:
    """Forget the cipher; the next call builds it again from settings."""
    global _keyring
    with _lock:
        _keyring = None


def get_encryption_key() -> bytes:
    """The primary key (the one that encrypts)."""
    return _ring().primary_key


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


_digest_cache: dict[str, bytes] = {}


def _context_header(context: str) -> bytes:
    header = _digest_cache.get(context)
    if header is None:
        if not isinstance(context, str) or not context:
            raise ValueError("an encryption context is required")
        header = _PAYLOAD_VERSION + hashlib.sha256(context.encode("utf-8")).digest()[:_DIGEST_LEN]
        if len(_digest_cache) < 100_000:
            _digest_cache[context] = header
    return header


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt ``plaintext`` bound to ``context``; returns ``encrypted:<token>``."""
    if not isinstance(plaintext, str):
        raise TypeError("encrypt() takes a str")
    token = (_keyring or _ring()).primary.encrypt(_context_header(context) + plaintext.encode("utf-8"))
    return PREFIX + token.decode("ascii")


def _open(value: str, context: str, fernets: Sequence[Fernet], *, hold: bool = False) -> str:
    """The plaintext of ``value`` for ``context``, opened by the first of ``fernets`` that can."""
    if not is_encrypted(value):
        raise DecryptionError(context, "is not encrypted (plaintext where a secret must be encrypted)")
    token = value[len(PREFIX) :].encode("ascii")
    for fernet in fernets:  # MultiFernet.decrypt's order, one call less on the hot path
        try:
            payload = fernet.decrypt(token)
            break
        except InvalidToken:
            continue
    else:
        raise DecryptionError(context)
    header = _context_header(context)
    if not hmac.compare_digest(payload[:_HEADER_LEN], header):
        raise DecryptionError(context, "belongs to another place and cannot be used here")
    try:
        plaintext = payload[_HEADER_LEN:].decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError(context) from None
    if hold:  # the process now holds this plaintext: mask it in its logs (one value per place)
        app_logging.hold_secret(context, plaintext)
    return plaintext


def decrypt(value: str, *, context: str) -> str:
    """Decrypt a stored ``encrypted:`` value bound to ``context``.

    Raises :class:`DecryptionError` for plaintext, tampering, a wrong key or a
    wrong context. There is no plaintext fallback.
    """
    return _open(value, context, (_keyring or _ring()).fernets, hold=True)


def seal_blob(data: bytes, *, context: str) -> tuple[str, bytes]:
    """Encrypt a large value (an event image) with a fresh data key.

    Returns ``(wrapped_key, ciphertext)``: the ciphertext is AES-256-GCM under a
    random key with ``context`` as associated data; the key is stored like any
    secret (``encrypted:``, bound to ``context``), so a rotation re-encrypts the
    small key and never the blob.
    """
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, data, context.encode("utf-8"))
    return encrypt(base64.urlsafe_b64encode(data_key).decode("ascii"), context=context), ciphertext


def open_blob(wrapped_key: str, ciphertext: bytes, *, context: str) -> bytes:
    """The value sealed by :func:`seal_blob`. Raises :class:`DecryptionError`."""
    data_key = base64.urlsafe_b64decode(_open(wrapped_key, context, _ring().fernets))
    try:
        return AESGCM(data_key).decrypt(ciphertext[:12], ciphertext[12:], context.encode("utf-8"))
    except (InvalidTag, ValueError):
        raise DecryptionError(context) from None


def reencrypt(value: str, *, context: str, old_first: bool = False) -> str | None:
    """Re-encrypt a stored value under the primary key, or ``None`` when it already is.

    The context is verified; the plaintext is never decoded or registered: the
    authenticated payload is sealed again as it is. ``old_first`` tries the
    previous keys before the primary (cheaper while most values are old).
    Raises :class:`DecryptionError` when no configured key opens the value for
    ``context``.
    """
    ring = _ring()
    index, payload = _open_payload(value, context, ring.old_first if old_first else ring.primary_first)
    return None if index == 0 else _seal(ring, payload)


def _seal(ring: _KeyRing, payload: bytes) -> str:
    return PREFIX + ring.primary.encrypt(payload).decode("ascii")


def _open_payload(value: str, context: str, order: tuple[tuple[int, Fernet], ...]) -> tuple[int, bytes]:
    """(index of the key that opens ``value`` for ``context``, the payload). Raises :class:`DecryptionError`."""
    if not value.startswith(PREFIX):
        raise DecryptionError(context, "is not encrypted (plaintext where a secret must be encrypted)")
    try:
        token = value[len(PREFIX) :].encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionError(context) from None
    for index, fernet in order:  # Fernet itself rejects a malformed token (InvalidToken)
        try:
            payload = fernet.decrypt(token)
        except InvalidToken:
            continue
        if not hmac.compare_digest(payload[:_HEADER_LEN], _context_header(context)):
            raise DecryptionError(context, "belongs to another place and cannot be used here")
        return index, payload
    raise DecryptionError(context)


def reencrypt_many(items: Sequence[tuple[str, str]], *, seal: bool = True) -> list[tuple[KeyStatus, str | None]]:
    """:func:`reencrypt` for many ``(context, value)`` pairs, in order: per pair
    ``("primary", None)``, ``("previous", new value)`` or ``("undecryptable", None)``.
    With ``seal=False`` values are only checked: ``("previous", None)``.

    Runs in ``rotate-key``'s helper processes (a module-level function, so it
    pickles by name): only stored tokens go in and come out, never a plaintext.
    Tries first the key that opened the previous value (runs of values share a key).
    """
    ring = _ring()
    results: list[tuple[KeyStatus, str | None]] = []
    order = ring.primary_first
    for context, value in items:
        try:
            index, payload = _open_payload(value, context, order)
        except DecryptionError:
            results.append(("undecryptable", None))
            continue
        if index == 0:
            order = ring.primary_first
            results.append(("primary", None))
        else:
            order = ring.old_first
            results.append(("previous", _seal(ring, payload) if seal else None))
    return results


def key_status(value: str | None, *, context: str) -> KeyStatus | None:
    """Which configured key decrypts ``value`` (``None`` for an empty value)."""
    if value is None or value == "":
        return None
    if not is_encrypted(value):
        return "plaintext"
    return _opened_by(value, context)[0]


def _opened_by(value: str, context: str) -> tuple[KeyStatus, str | None]:
    """Which configured key opens ``value`` for ``context``, and what it opens to."""
    for index, fernet in enumerate(_ring().fernets):
        try:
            plaintext = _open(value, context, (fernet,))
        except DecryptionError:
            continue
        return ("primary" if index == 0 else "previous"), plaintext
    return "undecryptable", None


def authenticating_key(value: str | None) -> Literal["primary", "previous"] | None:
    """Which configured key's HMAC accepts the stored token, without decrypting it.

    This proves the token was made with one of our keys and not altered; no
    plaintext is produced. It does not check the context: a valid token copied
    from another place still passes here and fails in :func:`decrypt`.
    """
    if not value or not is_encrypted(value):
        return None
    token = value[len(PREFIX) :].encode("ascii")
    for index, fernet in enumerate(_ring().fernets):
        try:
            fernet.extract_timestamp(token)  # verifies the HMAC-SHA256 only
        except InvalidToken:
            continue
        return "primary" if index == 0 else "previous"
    return None


def authenticates(value: str | None) -> bool:
    """True when a configured key's HMAC accepts the stored token (see :func:`authenticating_key`)."""
    return authenticating_key(value) is not None


def keyring_generation() -> object:
    """An object that changes whenever the keys are (re)loaded: lets callers
    cache per-token facts and notice a key change."""
    return _ring()


_TOKEN_RE = re.compile(r"gAAAAA[A-Za-z0-9_\-]+={0,2}")


def is_encrypted(value: object) -> bool:
    """True when ``value`` is ``encrypted:`` followed by a well-formed Fernet token.

    This checks the structure only (it does not need the key): ``"encrypted:hello"``
    is not encrypted. A Fernet token is url-safe base64 of version byte 0x80, an
    8-byte timestamp (so it starts with ``gAAAAA``), a 16-byte IV, a whole number
    of 16-byte cipher blocks and a 32-byte HMAC.
    """
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return False
    size = len(value) - len(PREFIX)
    if size < 100 or size % 4 or _TOKEN_RE.fullmatch(value, len(PREFIX)) is None:
        return False
    padding = 2 if value.endswith("==") else 1 if value.endswith("=") else 0  # the pattern allows at most two
    return (size // 4 * 3 - padding - _MIN_TOKEN_BYTES) % 16 == 0


def mask_sensitive(value: str | None, show_chars: int = 4) -> str:
    """``****`` plus the last ``show_chars`` characters, or ``****`` alone.

    Values shorter than ``3 * show_chars`` show nothing: revealing four
    characters of an eight-character password reveals half of it.
    """
    if not value or show_chars <= 0 or len(value) < 3 * show_chars:
        return "****"
    return "****" + value[-show_chars:]


def fingerprint(key: bytes | None = None) -> str:
    """A key's short id: the first 12 hex characters of SHA-256 over its 32
    decoded bytes (the primary key when ``key`` is omitted). Safe to show."""
    raw = base64.urlsafe_b64decode(key if key is not None else get_encryption_key())
    return hashlib.sha256(raw).hexdigest()[:12]


def written_at(value: str | None) -> int | None:
    """When a stored token was written (Unix seconds, from the Fernet token), if a loaded key opens it."""
    if not value or not is_encrypted(value):
        return None
    token = value[len(PREFIX) :].encode("ascii", "ignore")
    for fernet in _ring().fernets:
        try:
            return int(fernet.extract_timestamp(token))
        except InvalidToken:
            continue
    return None


# -- key check ---------------------------------------------------------------


def make_key_check() -> str:
    """A value encrypted with the primary key, stored to recognise the key later."""
    return encrypt(_KEY_CHECK_PLAINTEXT, context=_KEY_CHECK_CONTEXT)


def verify_key_check(value: str) -> KeyStatus:
    """``primary``/``previous`` when a configured key opens the key check."""
    if not is_encrypted(value):
        return "undecryptable"
    status, plaintext = _opened_by(value, _KEY_CHECK_CONTEXT)
    return status if plaintext == _KEY_CHECK_PLAINTEXT else "undecryptable"
