"""The key's health report (``GET /api/v1/encryption/status``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class PlaceCount(BaseModel):
    place: str
    primary: int
    previous: int
    plaintext: int
    undecryptable: int


class Totals(BaseModel):
    primary: int
    previous: int
    plaintext: int
    undecryptable: int


class RotationState(BaseModel):
    started_at: str | None
    finished_at: str | None
    in_progress: bool


class EncryptionStatus(BaseModel):
    key_source: Literal["environment", "env_file", "key_file"]
    key_location: str | None
    fingerprint: str
    previous_keys: int
    key_check: Literal["primary", "previous", "undecryptable", "absent"]
    key_check_at: str | None
    rotation: RotationState
    backup_confirmed_at: str | None
    places: list[PlaceCount]
    totals: Totals
    unreadable_places: list[str]


class BackupConfirmed(BaseModel):
    backup_confirmed_at: str
