"""Passwords and bearer tokens: hashing, the password policy, token generation.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``, its
RFC 9106 low-memory profile). Session and API tokens are 256-bit random
values; only their SHA-256 is stored (a token is not guessable, so a slow hash
adds nothing but latency to every request).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so an unknown user and a wrong password
    cost the same time. Made by the server's start (``warm_up``), not at import: every CLI
    command would otherwise pay one argon2 hash (~0.15 s) it never uses."""
    return _hasher.hash(secrets.token_urlsafe(24))


def warm_up() -> None:
    """Make the dummy hash now, so that the first sign-in with an unknown name takes no longer
    than any other."""
    _dummy_hash()


# Token kinds: the prefix tells a session from an API token at a glance (and in
# secret scanners) without revealing anything.
SESSION_PREFIX = "loac_s_"
API_TOKEN_PREFIX = "loac_t_"  # noqa: S105  # nosec B105: a public prefix, not a secret
TOKEN_DISPLAY_CHARS = 12  # the part of an API token shown in lists

# Common passwords that pass the length rule. Short ones are already refused
# by the length; the patterns below catch repetitions and keyboard runs.
_COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456789000",
        "098765432109",
        "111111111111",
        "000000000000",
        "123123123123",
        "121212121212",
        "abc123456789",
        "abcdefghijkl",
        "abcd12345678",
        "qwertyuiopas",
        "qwertyuiop12",
        "qwerty123456",
        "qwertyqwerty",
        "asdfghjkl123",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "password1234",
        "password12345",
        "password123!",
        "passwordpassword",
        "password1password",
        "mypassword123",
        "letmein12345",
        "letmeinplease",
        "welcome12345",
        "welcome123456",
        "changeme1234",
        "changemenow!",
        "iloveyou1234",
        "iloveyouiloveyou",
        "administrator",
        "administrator1",
        "admin1234567",
        "adminadmin123",
        "adminpassword",
        "rootpassword",
        "superman1234",
        "batman123456",
        "football1234",
        "baseball1234",
        "sunshine1234",
        "princess1234",
        "starwars1234",
        "monkey123456",
        "dragon123456",
        "trustno1trustno1",
        "correcthorsebatterystaple",
        "homesecurity",
        "homesecurity1",
        "securitycamera",
        "livecamera123",
        "mycamera1234",
    }
)

_KEYBOARD_RUNS = ("1234567890", "0987654321", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")


def _is_pattern(lowered: str) -> bool:
    # The same short unit repeated ("abcabcabcabc", "aaaaaaaaaaaa").
    for size in range(1, 5):
        unit = lowered[:size]
        if unit * (len(lowered) // size) + unit[: len(lowered) % size] == lowered:
            return True
    # A slice of one keyboard row or of the alphabet, possibly with a trailing digit run.
    core = re.sub(r"[0-9!@#$%^&*]*$", "", lowered) or lowered
    return any(core in run * 2 for run in _KEYBOARD_RUNS) and len(set(core)) > 3


def password_problem(password: str, *, username: str | None = None) -> str | None:
    """Why ``password`` is refused, or ``None`` when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in _COMMON or _is_pattern(lowered):
        return "This password is too common or too easy to guess; choose another."
    if username and username.lower() in lowered and len(lowered) - len(username) < 6:
        return "The password must not be (or merely extend) the username."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check ``password``; with ``password_hash=None`` burn the same time and fail."""
    target = password_hash or _dummy_hash()
    try:
        ok = _hasher.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a session or API token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
