"""Properties of the encryption boundary, over generated input (Hypothesis).

Nothing here opens a connection: the inputs are strings and tokens only.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.core import encryption
from tests.conftest import SESSION_KEY

# Text as the API takes it: any Unicode a UTF-8 body can carry (no lone surrogates).
plaintexts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
contexts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
COMMON = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _keys() -> None:
    encryption.install_keys([SESSION_KEY.encode()])


@COMMON
@given(plaintexts, contexts)
def test_any_string_round_trips_under_its_context(plaintext: str, context: str) -> None:
    token = encryption.encrypt(plaintext, context=context)
    assert token.startswith("encrypted:") and encryption.is_encrypted(token)
    assert encryption.decrypt(token, context=context) == plaintext


@COMMON
@given(plaintexts, contexts, contexts)
def test_a_token_opens_nowhere_else(plaintext: str, context: str, other: str) -> None:
    assume(context != other)
    token = encryption.encrypt(plaintext, context=context)
    with pytest.raises(encryption.DecryptionError) as caught:
        encryption.decrypt(token, context=other)
    # The message names the place asked for, never the value (a short value may
    # occur in any text by chance, and one inside the place's own name is named).
    if len(plaintext) >= 8 and plaintext not in other:
        assert plaintext not in str(caught.value)


@COMMON
@given(plaintexts, contexts, st.data())
def test_any_single_byte_change_to_a_token_fails(plaintext: str, context: str, data: st.DataObject) -> None:
    token = encryption.encrypt(plaintext, context=context)
    raw = bytearray(base64.urlsafe_b64decode(token[len("encrypted:") :]))
    index = data.draw(st.integers(0, len(raw) - 1), label="byte")
    flip = data.draw(st.integers(1, 255), label="xor")
    raw[index] ^= flip
    tampered = "encrypted:" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt(tampered, context=context)


@COMMON
@given(plaintexts, st.integers(0, 8))
def test_masking_never_reveals_more_than_its_rule(value: str, show: int) -> None:
    masked = encryption.mask_sensitive(value, show_chars=show)
    assert masked.startswith("****")
    revealed = masked[len("****") :]
    # At most `show` characters, only the value's own tail, and only when the value is long enough.
    assert len(revealed) <= show
    if revealed:
        assert value.endswith(revealed) and len(value) >= 3 * show
    # Never enough to reconstruct the value.
    assert len(revealed) < len(value) or not value


@COMMON
@given(plaintexts)
def test_a_plaintext_is_never_taken_for_an_encrypted_value(value: str) -> None:
    assume(not value.startswith("encrypted:"))
    assert not encryption.is_encrypted(value)
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt(value, context="cameras.password:1")
