"""Shared by the migration and rotation tests: a plaintext-era database with a
secret in every place, independent readers of what is stored, key rings, and
running the CLI in a real subprocess.

The readers here deliberately do not use app.secrets (the
code under test): they read the rows with plain SQL and know the seeded shape.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.core import encryption
from app.core.config import BACKEND_DIR
from app.core.db import make_engine
from app.core.secret_fields import (
    camera_password_context,
    setting_context,
    webhook_header_context,
    webhook_signing_secret_context,
    webhook_url_context,
)
from tests.conftest import make_settings

Canary = Callable[[str], str]

# Header names the seed uses, and whether the app treats them as secret.
SECRET_HEADER = "Authorization"  # secret by its name
MARKED_HEADER = "X-Custom"  # secret because the rule lists it in secret_headers
PLAIN_HEADER = "Content-Type"  # not secret: stays as it is


def new_key() -> str:
    return Fernet.generate_key().decode()


@dataclass
class Seeded:
    """What was stored: every secret's plaintext by its encryption context, and non-secrets."""

    plaintexts: dict[str, str] = field(default_factory=dict)
    camera_ids: list[int] = field(default_factory=list)
    rule_ids: list[int] = field(default_factory=list)
    setting_keys: list[str] = field(default_factory=list)
    plain_setting: tuple[str, str] = ("ai_primary_provider", '"openai"')

    def secrets(self) -> list[str]:
        return list(self.plaintexts.values())


def seed_rows(
    conn: sa.Connection,
    canary: Canary,
    *,
    cameras: int = 6,
    webhook_url: str | None = None,
    second_webhook_url: str | None = None,
    camera_rtsp_url: str | None = None,
    first_camera_password: str | None = None,
    signing_secret: bool | str = True,
    first_id: int = 1,
) -> Seeded:
    """Insert plaintext secrets in every place (columns of the 0001_initial schema)."""
    seeded = Seeded()
    for offset in range(cameras):
        camera_id = first_id + offset
        password = (offset == 0 and first_camera_password) or canary(f"camera-{camera_id}")
        conn.execute(
            sa.text(
                "INSERT INTO cameras (id, name, type, rtsp_url, username, password) "
                "VALUES (:id, :name, 'rtsp', :url, 'admin', :password)"
            ),
            {
                "id": camera_id,
                "name": f"Camera {camera_id}",
                "url": camera_rtsp_url or f"rtsp://192.0.2.{camera_id % 250 + 1}:554/stream1",
                "password": password,
            },
        )
        seeded.camera_ids.append(camera_id)
        seeded.plaintexts[camera_password_context(camera_id)] = password
    # A camera without a password, and one with an empty one: no secret, left alone.
    conn.execute(
        sa.text(
            "INSERT INTO cameras (id, name, type, password) VALUES (:a, 'USB', 'usb', NULL), (:b, 'Empty', 'rtsp', '')"
        ),
        {"a": first_id + cameras, "b": first_id + cameras + 1},
    )

    for key in ("ai_api_key_openai", "ai_api_key_anthropic"):
        value = canary(key)
        conn.execute(sa.text("INSERT INTO system_settings (key, value) VALUES (:k, :v)"), {"k": key, "v": value})
        seeded.setting_keys.append(key)
        seeded.plaintexts[setting_context(key)] = value
    conn.execute(
        sa.text("INSERT INTO system_settings (key, value) VALUES (:k, :v)"),
        {"k": seeded.plain_setting[0], "v": seeded.plain_setting[1]},
    )

    rule_id = first_id
    url = webhook_url or f"https://hooks.example.test/{canary('webhook-path')}"
    authorization = "Bearer " + canary("webhook-token")
    custom = canary("webhook-custom")
    webhook: dict[str, Any] = {
        "url": url,
        "headers": {SECRET_HEADER: authorization, MARKED_HEADER: custom, PLAIN_HEADER: "application/json"},
        "secret_headers": [MARKED_HEADER],
    }
    seeded.plaintexts[webhook_url_context(rule_id)] = url
    seeded.plaintexts[webhook_header_context(rule_id, SECRET_HEADER)] = authorization
    seeded.plaintexts[webhook_header_context(rule_id, MARKED_HEADER)] = custom
    if signing_secret:
        signing = signing_secret if isinstance(signing_secret, str) else canary("signing-secret")
        webhook["signing_secret"] = signing
        seeded.plaintexts[webhook_signing_secret_context(rule_id)] = signing
    rules = [
        (rule_id, {"dashboard_notification": True, "webhook": webhook}),
        (rule_id + 1, {"dashboard_notification": True, "webhook": None}),
    ]
    second_url = second_webhook_url or f"https://hooks.example.test/second/{canary('webhook-path-2')}"
    rules.append((rule_id + 2, {"dashboard_notification": False, "webhook": {"url": second_url, "headers": {}}}))
    seeded.plaintexts[webhook_url_context(rule_id + 2)] = second_url
    for rid, actions in rules:
        conn.execute(
            sa.text("INSERT INTO alert_rules (id, name, actions) VALUES (:id, :name, :actions)"),
            {"id": rid, "name": f"Rule {rid}", "actions": json.dumps(actions)},
        )
        seeded.rule_ids.append(rid)
    return seeded


def seed_plaintext_database(url: str, canary: Canary, *, revision: str = "0001_initial", **kwargs: Any) -> Seeded:
    """A database at ``revision`` (0001_initial: the plaintext era) holding plaintext secrets everywhere."""
    from app.core import migrations

    migrations.upgrade(url, revision)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            return seed_rows(conn, canary, **kwargs)
    finally:
        engine.dispose()


# -- reading back, independently of the code under test -----------------------------------


def stored_secrets(url: str) -> dict[str, str]:
    """Every stored secret value (as stored) by encryption context."""
    engine = make_engine(url)
    found: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            for camera_id, password in conn.execute(sa.text("SELECT id, password FROM cameras")):
                if password:
                    found[camera_password_context(camera_id)] = password
            for key, value in conn.execute(sa.text("SELECT key, value FROM system_settings")):
                if key.startswith("ai_api_key_") and value:
                    found[setting_context(key)] = value
            for rule_id, actions in conn.execute(sa.text("SELECT id, actions FROM alert_rules")):
                webhook = (json.loads(actions) or {}).get("webhook")
                if not webhook:
                    continue
                found[webhook_url_context(rule_id)] = webhook["url"]
                for name in (SECRET_HEADER, MARKED_HEADER):
                    if name in webhook.get("headers", {}):
                        found[webhook_header_context(rule_id, name)] = webhook["headers"][name]
                if webhook.get("signing_secret"):
                    found[webhook_signing_secret_context(rule_id)] = webhook["signing_secret"]
    finally:
        engine.dispose()
    return found


TABLES = (
    ("cameras", "id"),
    ("system_settings", "key"),
    ("alert_rules", "id"),
    ("app_meta", "key"),
)


def dump_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables that hold secrets (for byte-for-byte comparisons)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            return {
                table: [tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {pk}"))]  # noqa: S608
                for table, pk in TABLES
                if table in tables
            }
    finally:
        engine.dispose()


def plain_header_values(url: str) -> dict[int, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for rule_id, actions in conn.execute(sa.text("SELECT id, actions FROM alert_rules")):
                webhook = (json.loads(actions) or {}).get("webhook") or {}
                if PLAIN_HEADER in webhook.get("headers", {}):
                    out[rule_id] = webhook["headers"][PLAIN_HEADER]
            return out
    finally:
        engine.dispose()


# -- keys ---------------------------------------------------------------------------------


def use_keys(url: str, primary: str, previous: Sequence[str] = ()) -> None:
    """Make this process encrypt with ``primary`` and also decrypt with ``previous``."""
    encryption.load_keys(make_settings(url, encryption_key=primary, encryption_keys_previous=list(previous)))


@contextmanager
def keys(url: str, primary: str, previous: Sequence[str] = ()) -> Iterator[None]:
    use_keys(url, primary, previous)
    try:
        yield
    finally:
        encryption.reset_keys()


def assert_all_under(url: str, seeded: Seeded, primary: str, *, previous: Sequence[str] = ()) -> None:
    """Every seeded secret is stored encrypted under ``primary`` (of ``primary`` + ``previous``)
    and decrypts, exactly once, to its original plaintext."""
    stored = stored_secrets(url)
    assert set(stored) == set(seeded.plaintexts)
    with keys(url, primary, previous):
        for context, plaintext in seeded.plaintexts.items():
            value = stored[context]
            assert encryption.is_encrypted(value), f"{context} is not encrypted"
            assert encryption.key_status(value, context=context) == "primary", f"{context} not under the primary key"
            assert encryption.decrypt(value, context=context) == plaintext, f"{context} does not decrypt to its value"


def key_check_state(url: str, primary: str, previous: Sequence[str] = ()) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT value FROM app_meta WHERE key = 'encryption_key_check'")).scalar()
    finally:
        engine.dispose()
    if stored is None:
        return None
    with keys(url, primary, previous):
        return encryption.verify_key_check(stored)


# -- the CLI in a real subprocess ------------------------------------------------------------


def cli_env(tmp_path: Path, url: str, key: str | None, previous: Sequence[str] = (), **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DATABASE_URL": url,
        "APP_ENV_FILE": str(tmp_path / "subprocess.env"),
        "ENCRYPTION_KEYS_PREVIOUS": ",".join(previous),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    if key is not None:
        env["ENCRYPTION_KEY"] = key
    env.update(extra)
    return env


def _cli_module(env: dict[str, str]) -> str:
    """``app.cli``, or with ``APP_TEST_ROTATION_HOOK`` set the same CLI with that
    fault injected from outside (tests/rotation_faults.py)."""
    return "tests.rotation_faults" if "APP_TEST_ROTATION_HOOK" in env else "app.cli"


def run_cli(args: Sequence[str], env: dict[str, str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return _run_module(_cli_module(env), args, env, timeout=timeout)


def run_alembic(args: Sequence[str], env: dict[str, str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return _run_module("alembic", args, env, timeout=timeout)


def _run_module(
    module: str, args: Sequence[str], env: dict[str, str], *, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", _cli_module(env), *args],
        cwd=BACKEND_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen[str], needle: str, *, timeout: float = 60) -> list[str]:
    """Read the process's stdout until a line containing ``needle``; the lines read.

    A reader thread does the blocking reads, so a line already buffered by the
    pipe's file object is never missed.
    """
    import queue
    import threading

    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line)
            if needle in line:
                return
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    try:
        while True:
            line = lines.get(timeout=timeout)
            if line is None:
                break
            seen.append(line)
            if needle in line:
                return seen
    except queue.Empty:
        pass
    raise AssertionError(f"{needle!r} not seen; process output: {''.join(seen)!r}, exit {proc.poll()}")


@contextmanager
def paused_rotation(args: Sequence[str], env: dict[str, str], point: str) -> Iterator[subprocess.Popen[str]]:
    """``rotate-key`` paused by the injected fault (tests/rotation_faults.py) at ``point`` (e.g. ``after-commit:3``);
    yields the process, then kills it with SIGKILL (it must die of that signal)."""
    proc = start_cli(args, {**env, "APP_TEST_ROTATION_HOOK": f"pause@{point}"})
    try:
        wait_for_line(proc, f"test hook paused at {point.replace(':', ' ')}")
        yield proc
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
