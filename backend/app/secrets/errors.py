"""The errors of the secret inventory: each message names places (table, row,
field) and counts, never a stored value, a token or a key.

None of them is an Alembic type: ``alembic/env.py`` turns them into Alembic's
``CommandError`` when the ``alembic`` command runs a migration, so that command
prints the one line without a traceback; inside the app they stay what they are
(an :class:`~app.core.encryption.EncryptionError` or ``KeyConfigError``).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core import encryption


class SecretInventoryError(encryption.EncryptionError):
    """Base class: something about the stored secrets stops the operation."""


class UnreadableSecretsError(SecretInventoryError):
    """Stored secrets that no configured key opens, or rows whose shape is broken.

    ``locations`` names the places (table, row, field); never the values.
    """

    def __init__(self, problems: Sequence[str], total: int, *, action: str, hint: str) -> None:
        self.locations = list(problems)
        self.total = total
        listed = "; ".join(self.locations)
        more = f"; and {total - len(self.locations)} more" if total > len(self.locations) else ""
        super().__init__(f"{action}: {total} stored secret(s) cannot be read: {listed}{more}. {hint}")


class MalformedRowError(SecretInventoryError):
    """A row that should hold secrets has a shape this code cannot read (e.g. invalid JSON)."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location} {reason}")


class MigrationStopped(SecretInventoryError):
    """Stops the Alembic data migration.

    An :class:`~app.core.encryption.EncryptionError`, so the app reports it as
    "Database migration stopped: ..." (the ``alembic`` command: see this module's docstring).
    """


class MigrationKeyMissing(encryption.KeyConfigError):
    """No usable key for the data migration: the same message the app gives."""
