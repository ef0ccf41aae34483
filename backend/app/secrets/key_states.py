"""Which configured key opens each stored value, remembered for one rotation
(:class:`KeyStates`), and the batch functions that run in helper processes
(:func:`precheck_rows`, :func:`rotate_rows`: module level, so they pickle by name)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from app.core import encryption
from app.secrets.census import Census, RowBatches, census_of_rows
from app.secrets.columns import SECRET_COLUMNS, Outcome, Secret, SecretState, looks_encrypted
from app.secrets.pool import Helpers, in_process


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
        self._known: dict[bytes, SecretState] = {}
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
        found: list[Secret], memo: list[tuple[bytes, SecretState, str | None]], *, seal: bool
    ) -> list[SecretState]:
        """Open every secret of a batch once; append ``(digest, state,
        re-encrypted)`` to ``memo``: values under an old key only with ``seal``
        (re-encrypted), the others always (cheap to keep; spares the catch-up
        pass opening them again)."""
        todo = [(secret.context, secret.value) for secret in found if looks_encrypted(secret.value)]
        opened = iter(encryption.reencrypt_many(todo, seal=seal))
        states: list[SecretState] = []
        for secret in found:
            if not looks_encrypted(secret.value):
                states.append("plaintext")
                continue
            state, new = next(opened)
            if seal or state != "previous":
                memo.append((KeyStates._digest(secret.context, secret.value), state, new))
            states.append(state)
        return states

    def map_batches(self, batches: RowBatches) -> Iterator[Census]:
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

    def _lookup(self, secret: Secret, digest: bytes) -> tuple[SecretState, str | None]:
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
        if not looks_encrypted(secret.value):
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
) -> tuple[Census, list[tuple[bytes, SecretState, str | None]]]:
    """The pre-check of one batch of rows of ``SECRET_COLUMNS[column_index]``:
    its census and, with ``seal``, what :class:`KeyStates` remembers of it
    (digest, state, re-encrypted token). Runs in a helper process (module
    level, so it pickles by name) or here; takes and returns stored values
    only, never a plaintext."""
    memo: list[tuple[bytes, SecretState, str | None]] = []
    part = census_of_rows(SECRET_COLUMNS[column_index], rows, lambda found: KeyStates.open_all(found, memo, seal=seal))
    return part, memo


def _rotate_afresh(secret: Secret) -> Outcome:
    """The main pass's transform in a helper process: no memory of the pre-check."""
    if not looks_encrypted(secret.value):
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
