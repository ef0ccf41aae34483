"""Application settings: one pydantic-settings ``Settings`` for every variable in the contract.

Values come from the process environment and from the repo-root ``.env`` file
(the environment wins). Secrets are typed ``SecretStr`` so that ``repr()`` and
logging never show them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parents[2]
REPO_ROOT = BACKEND_DIR.parent
DEFAULT_SQLITE_PATH = BACKEND_DIR / "data" / "app.db"


def env_file_path() -> Path:
    """The ``.env`` file read at start and written by ``app.cli init``.

    ``APP_ENV_FILE`` overrides the location (tests use it to keep the real
    repo-root ``.env`` untouched).
    """
    override = os.environ.get("APP_ENV_FILE")
    return Path(override) if override else REPO_ROOT / ".env"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    encryption_key: SecretStr | None = None
    encryption_key_file: Path | None = None
    encryption_keys_previous: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    rate_limit_storage_url: str = "memory://"

    ai_openai_base_url: str = "https://api.openai.com/v1"
    ai_anthropic_base_url: str = "https://api.anthropic.com/v1"
    ai_google_base_url: str = "https://generativelanguage.googleapis.com/v1beta"
    ai_grok_base_url: str = "https://api.x.ai/v1"

    auto_migrate: bool = True
    log_level: str = "INFO"

    # The first admin, created at start when no user exists (headless installs).
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    admin_password_file: Path | None = None

    # Accounts and sessions.
    public_url: str = "http://127.0.0.1:3000"
    session_idle_minutes: int = Field(default=720, ge=5, le=525_600)
    session_max_hours: int = Field(default=720, ge=1, le=87_600)
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Extra host names the API answers to (beyond IPs, localhost, single-label names and PUBLIC_URL's host).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    auth_proxy_header: str | None = None
    audit_retention_days: int = Field(default=90, ge=1, le=3650)

    # Addresses of reverse proxies whose X-Forwarded-For header is trusted
    # (comma-separated IPs or CIDR ranges). Empty: the connection address is
    # the client.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("encryption_keys_previous", mode="before")
    @classmethod
    def _split_previous(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("trusted_proxies", "cors_allow_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("encryption_key", "admin_password", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("encryption_key_file", "admin_password_file", "auth_proxy_header", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_origin(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("PUBLIC_URL must be an http(s) address such as http://127.0.0.1:3000")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def provider_base_url(self, provider: str) -> str:
        return str(getattr(self, f"ai_{provider}_base_url")).rstrip("/")


def load_settings() -> Settings:
    """Build settings from the environment and the ``.env`` file."""
    return Settings(_env_file=env_file_path())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
