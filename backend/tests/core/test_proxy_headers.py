"""Uvicorn as ``make run`` starts it believes no ``X-Forwarded-For``: a client
cannot reset its rate limits by claiming another address (issue 12, item 2)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from app.core.config import BACKEND_DIR, REPO_ROOT
from tests.conftest import free_port
from tests.deploy.processes import wait_serving

PASSWORD = "fake-proxy-test-admin-pass-1"


def _run_sh_uvicorn_flags() -> list[str]:
    """The options scripts/run.sh gives uvicorn (after ``app.main:app``), ports filled in later."""
    text = (REPO_ROOT / "scripts" / "run.sh").read_text().replace("\\\n", " ")  # join continued lines
    line = next(line for line in text.splitlines() if "uvicorn app.main:app" in line)
    command = re.search(r"uvicorn app\.main:app(.*?)\)", line)
    assert command is not None, line
    words = shlex.split(command.group(1).replace('"$API_PORT"', "PORT"))
    flags, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in {"--host", "--port"}:
            skip = True
            continue
        flags.append(word)
    return flags


def test_make_run_starts_uvicorn_without_proxy_headers() -> None:
    assert "--no-proxy-headers" in _run_sh_uvicorn_flags()


@pytest.mark.slow
def test_a_spoofed_forwarded_for_does_not_reset_the_sign_in_limit(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV_FILE": str(tmp_path / "none.env"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ADMIN_USERNAME": "owner",
        "ADMIN_PASSWORD": PASSWORD,
        "LOG_LEVEL": "WARNING",
    }
    for name in ("TRUSTED_PROXIES", "ENCRYPTION_KEY_FILE", "ENCRYPTION_KEYS_PREVIOUS", "RATE_LIMIT_STORAGE_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*command, *_run_sh_uvicorn_flags()], cwd=BACKEND_DIR, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_serving(base, exited=lambda: f"exit {proc.returncode}" if proc.poll() is not None else None)
        with httpx.Client(base_url=base, timeout=15, trust_env=False) as client:
            # Failed sign-ins under fresh usernames: only the address can tie them together.
            answers = [
                client.post(
                    "/api/v1/auth/login",
                    json={"username": f"guess-{i}", "password": "fake-wrong-password-0"},
                    headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                ).status_code
                for i in range(6)
            ]
        assert answers[:5] == [401] * 5
        assert answers[5] == 429  # the 6th failure in a minute from this address, whatever it claims
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
