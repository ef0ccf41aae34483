"""The encryption core: round trips, tampering, keys, contexts, masking."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import encryption
from app.core.encryption import (
    PREFIX,
    DecryptionError,
    KeyConfigError,
    decrypt,
    encrypt,
    is_encrypted,
    key_status,
    mask_sensitive,
)
from tests.conftest import SESSION_KEY, make_settings

CTX = "cameras.password:1"


@pytest.fixture(autouse=True)
def _keys() -> None:
    encryption.load_keys(make_settings("sqlite://"))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_round_trip_any_text(plaintext: str) -> None:
    token = encrypt(plaintext, context=CTX)
    assert token.startswith(PREFIX)
    assert is_encrypted(token)
    assert decrypt(token, context=CTX) == plaintext


@pytest.mark.parametrize(
    "plaintext",
    ["", "a", "pässwörd-ünïcødé-密码-🔑", "x" * 10_240, "line1\nline2\x00nul", " spaced "],
)
def test_round_trip_edge_cases(plaintext: str) -> None:
    assert decrypt(encrypt(plaintext, context=CTX), context=CTX) == plaintext


def test_ciphertext_differs_each_time_and_hides_plaintext(canary) -> None:
    secret = canary("enc")
    a, b = encrypt(secret, context=CTX), encrypt(secret, context=CTX)
    assert a != b
    assert secret not in a and secret not in b


def test_tampered_token_fails_without_echoing(canary) -> None:
    secret = canary("tamper")
    token = encrypt(secret, context=CTX)
    body = token[len(PREFIX) :]
    # change one character in the middle of the token (stay within the alphabet)
    i = len(body) // 2
    swapped = "A" if body[i] != "A" else "B"
    tampered = PREFIX + body[:i] + swapped + body[i + 1 :]
    with pytest.raises(DecryptionError) as info:
        decrypt(tampered, context=CTX)
    message = str(info.value)
    assert CTX in message
    assert secret not in message and body not in message and tampered not in message


def test_wrong_key_fails() -> None:
    token = encrypt("hunter2-fake", context=CTX)
    other = Fernet.generate_key().decode()
    encryption.load_keys(make_settings("sqlite://", encryption_key=other))
    with pytest.raises(DecryptionError):
        decrypt(token, context=CTX)


def test_wrong_context_fails() -> None:
    token = encrypt("hunter2-fake", context="cameras.password:1")
    with pytest.raises(DecryptionError) as info:
        decrypt(token, context="cameras.password:2")
    assert "cameras.password:2" in str(info.value)
    with pytest.raises(DecryptionError):
        decrypt(token, context="system_settings:ai_api_key_openai")


def test_previous_key_decrypts_primary_encrypts() -> None:
    old_token = encrypt("old-secret-fake", context=CTX)
    new_key = Fernet.generate_key().decode()
    encryption.load_keys(make_settings("sqlite://", encryption_key=new_key, encryption_keys_previous=[SESSION_KEY]))
    assert decrypt(old_token, context=CTX) == "old-secret-fake"
    assert key_status(old_token, context=CTX) == "previous"
    new_token = encrypt("new-secret-fake", context=CTX)
    assert key_status(new_token, context=CTX) == "primary"
    # the new token is really under the new key: the new key alone opens it
    assert Fernet(new_key.encode()).decrypt(new_token[len(PREFIX) :].encode())
    rotated = encryption.reencrypt(old_token, context=CTX)
    assert rotated is not None
    assert key_status(rotated, context=CTX) == "primary"
    assert decrypt(rotated, context=CTX) == "old-secret-fake"


def test_plaintext_is_an_error_not_a_value() -> None:
    with pytest.raises(DecryptionError) as info:
        decrypt("plain-password", context=CTX)
    assert "not encrypted" in str(info.value)
    assert "plain-password" not in str(info.value)
    assert key_status("plain-password", context=CTX) == "plaintext"
    assert key_status(None, context=CTX) is None


def test_key_status_undecryptable() -> None:
    token = encrypt("x-fake", context=CTX)
    encryption.load_keys(make_settings("sqlite://", encryption_key=Fernet.generate_key().decode()))
    assert key_status(token, context=CTX) == "undecryptable"


def _fernet_token_with_prefix() -> str:
    return PREFIX + Fernet(Fernet.generate_key()).encrypt(b"x").decode()


@pytest.mark.parametrize(
    "value",
    [
        "encrypted:hello",
        "encrypted:",
        "hello",
        "",
        "ENCRYPTED:" + "A" * 120,
        "encrypted:" + "A" * 120,  # base64 but not a Fernet token (version byte)
        "encrypted:gAAAAA!!notbase64!!" + "A" * 100,
        "encrypted: gAAAAA" + "A" * 100,
    ],
)
def test_is_encrypted_rejects_look_alikes(value: str) -> None:
    assert not is_encrypted(value)


def test_is_encrypted_accepts_tokens_without_key() -> None:
    assert is_encrypted(_fernet_token_with_prefix())
    assert is_encrypted(encrypt("", context=CTX))
    assert not is_encrypted(None)
    assert not is_encrypted(123)


def test_is_encrypted_rejects_truncated_token() -> None:
    token = encrypt("some-secret-fake", context=CTX)
    assert not is_encrypted(token[:-4])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abcdefghijklmnop", "****mnop"),
        ("abcdefghijkl", "****ijkl"),
        ("abcdefghijk", "****"),
        ("abc", "****"),
        ("", "****"),
        (None, "****"),
        ("ünïcødé-key-wxyz", "****wxyz"),
    ],
)
def test_mask_sensitive(value: str | None, expected: str) -> None:
    assert mask_sensitive(value) == expected


def test_mask_sensitive_show_chars() -> None:
    assert mask_sensitive("abcdefghijklmnop", show_chars=2) == "****op"
    assert mask_sensitive("abcdefghijklmnop", show_chars=0) == "****"


def test_get_encryption_key_is_primary() -> None:
    assert encryption.get_encryption_key() == SESSION_KEY.encode()


@pytest.mark.parametrize(
    "bad",
    ["short", "x" * 44, "!" * 43 + "=", base64.urlsafe_b64encode(b"k" * 31).decode().ljust(44, "=")],
)
def test_malformed_key_rejected_without_echo(bad: str) -> None:
    with pytest.raises(KeyConfigError) as info:
        encryption.load_keys(make_settings("sqlite://", encryption_key=bad))
    assert bad not in str(info.value)
    assert "ENCRYPTION_KEY" in str(info.value)


def test_key_file_and_env_must_agree(tmp_path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(Fernet.generate_key().decode() + "\n")
    with pytest.raises(KeyConfigError, match="both set and differ"):
        encryption.load_keys(make_settings("sqlite://", encryption_key_file=key_file))
    key_file.write_text(SESSION_KEY + "\n")
    encryption.load_keys(make_settings("sqlite://", encryption_key_file=key_file))
    only_file = make_settings("sqlite://", encryption_key=None, encryption_key_file=key_file)
    encryption.load_keys(only_file)
    assert encryption.get_encryption_key() == SESSION_KEY.encode()


def test_missing_key_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(KeyConfigError, match="does not exist"):
        encryption.load_keys(make_settings("sqlite://", encryption_key=None, encryption_key_file=tmp_path / "nope"))


def test_no_key_is_a_config_error() -> None:
    with pytest.raises(KeyConfigError, match="No encryption key"):
        encryption.load_keys(make_settings("sqlite://", encryption_key=None))


def test_cipher_built_once() -> None:
    encrypt("a-fake", context=CTX)
    ring = encryption._keyring
    for _ in range(5):
        decrypt(encrypt("b-fake", context=CTX), context=CTX)
    assert encryption._keyring is ring


def test_empty_context_refused() -> None:
    with pytest.raises(ValueError):
        encrypt("x", context="")


def test_authenticates_without_decrypting() -> None:
    token = encrypt("auth-check-fake", context=CTX)
    assert encryption.authenticates(token)
    # a valid token from another place still authenticates (context is checked by decrypt)
    assert encryption.authenticates(encrypt("x-fake", context="cameras.password:77"))
    body = token[len(PREFIX) :]
    i = len(body) // 2
    tampered = PREFIX + body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
    assert not encryption.authenticates(tampered)
    assert not encryption.authenticates("plain")
    assert not encryption.authenticates(None)
    generation = encryption.keyring_generation()
    encryption.load_keys(make_settings("sqlite://", encryption_key=Fernet.generate_key().decode()))
    assert encryption.keyring_generation() is not generation
    assert not encryption.authenticates(token)


@pytest.mark.parametrize("length", range(0, 49))
def test_is_encrypted_reads_the_padding_of_every_token_length(length: int) -> None:
    # Fernet tokens end in "", "=" or "==" depending on the payload length: each
    # shape is accepted, and one "=" too many or too few is refused.
    token = encrypt("p" * length, context=CTX)
    assert is_encrypted(token)
    assert decrypt(token, context=CTX) == "p" * length
    assert not is_encrypted(token + "=")
    assert not is_encrypted(token.rstrip("=") + "===")
    if token.endswith("="):
        assert not is_encrypted(token[:-1])


def test_a_token_fernet_would_decode_leniently_is_still_not_encrypted() -> None:
    # base64 decoding skips characters outside its alphabet, so Fernet itself
    # opens this token; the stored format does not allow it, and decrypt refuses it.
    token = encrypt("lenient-secret-fake", context=CTX)
    bent = token[: len(PREFIX) + 20] + "\n" + token[len(PREFIX) + 20 :]
    assert Fernet(SESSION_KEY.encode()).decrypt(bent[len(PREFIX) :].encode())
    with pytest.raises(DecryptionError, match="is not encrypted"):
        decrypt(bent, context=CTX)


def test_decrypt_tries_every_previous_key_in_order() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    encryption.load_keys(make_settings("sqlite://", encryption_key=first))
    under_first = encrypt("first-secret-fake", context=CTX)
    encryption.load_keys(make_settings("sqlite://", encryption_key=second))
    under_second = encrypt("second-secret-fake", context=CTX)
    primary = Fernet.generate_key().decode()
    encryption.load_keys(make_settings("sqlite://", encryption_key=primary, encryption_keys_previous=[second, first]))
    assert decrypt(under_first, context=CTX) == "first-secret-fake"
    assert decrypt(under_second, context=CTX) == "second-secret-fake"
    encryption.load_keys(make_settings("sqlite://", encryption_key=primary))
    with pytest.raises(DecryptionError, match="cannot be decrypted with the configured keys"):
        decrypt(under_first, context=CTX)
