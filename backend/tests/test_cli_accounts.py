"""``python -m app.cli create-admin`` and the key fingerprint, as a user runs them."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from app.core import migrations
from app.main import create_app
from tests.conftest import SESSION_KEY, make_settings
from tests.migration.helpers import BACKEND_DIR, cli_env, run_cli


def _create_admin(env: dict[str, str], stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "create-admin", *args],
        cwd=BACKEND_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _login(url: str, username: str, password: str) -> int:
    app = create_app(make_settings(url))
    with TestClient(app) as client:
        return client.post("/api/v1/auth/login", json={"username": username, "password": password}).status_code


def test_create_admin_reads_stdin_creates_then_resets(tmp_path: Path, canary) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrations.upgrade(url)
    env = cli_env(tmp_path, url, SESSION_KEY)
    first = canary("cli-admin")
    done = _create_admin(env, first + "\n", "--username", "owner")
    assert done.returncode == 0, done.stderr
    assert "Created the admin account 'owner'" in done.stdout
    assert _login(url, "owner", first) == 200

    second = canary("cli-admin-reset")
    reset = _create_admin(env, second + "\n", "--username", "Owner")
    assert reset.returncode == 0, reset.stderr
    assert "Reset 'owner'" in reset.stdout
    assert _login(url, "owner", first) == 401
    assert _login(url, "owner", second) == 200
    for result in (done, reset):
        assert first not in result.stdout + result.stderr and second not in result.stdout + result.stderr
    db = (tmp_path / "app.db").read_bytes()
    assert first.encode() not in db and second.encode() not in db


def test_create_admin_refuses_weak_passwords_and_argv_passwords(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrations.upgrade(url)
    env = cli_env(tmp_path, url, SESSION_KEY)
    weak = _create_admin(env, "password1234\n")
    assert weak.returncode == 1 and weak.stderr.startswith("error: password refused")
    empty = _create_admin(env, "")
    assert empty.returncode == 1 and "no password given" in empty.stderr
    argv = _create_admin(env, "", "--password", "fake-argv-password-1")
    assert argv.returncode == 2 and "unrecognized arguments" in argv.stderr


def test_check_key_prints_the_contracts_fingerprint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrations.upgrade(url)
    expected = hashlib.sha256(base64.urlsafe_b64decode(SESSION_KEY)).hexdigest()[:12]
    result = run_cli(["check-key"], cli_env(tmp_path, url, SESSION_KEY))
    assert result.returncode == 0, result.stderr
    assert f"Key fingerprint: {expected}" in result.stdout
    status = run_cli(["encryption-status", "--json"], cli_env(tmp_path, url, SESSION_KEY))
    assert f'"fingerprint": "{expected}"' in status.stdout
