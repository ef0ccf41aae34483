"""Alembic environment: the URL comes from Settings unless the caller set one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic.util import CommandError

import app.models  # noqa: F401  (registers every table on Base.metadata)
from alembic import context
from app.core.config import get_settings
from app.core.db import Base, make_engine
from app.core.encryption import EncryptionError, KeyConfigError
from app.core.logging import install_redaction

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
    install_redaction()

target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """The ``alembic`` command prints a ``CommandError`` as one line, without a
    traceback: a data revision's refusal (app.secrets' errors name places,
    never values) becomes one there. Called from the app (``app.core.migrations``),
    the errors stay what they are, so the app reports them in its own words."""
    try:
        yield
    except (EncryptionError, KeyConfigError) as exc:
        if config.cmd_opts is None:
            raise
        raise CommandError(str(exc)) from None


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with _one_line_errors(), context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with _one_line_errors(), context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with _one_line_errors(), context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
