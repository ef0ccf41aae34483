"""Real server processes for the deployment tests: start, wait for health, stop by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.core.config import BACKEND_DIR

PY = sys.executable
VENV_BIN = Path(PY).parent


# The prefixes of every environment variable the app reads.
APP_VARS = (
    "ENCRYPTION_",
    "DATABASE_URL",
    "APP_ENV_FILE",
    "RATE_LIMIT_STORAGE_URL",
    "ADMIN_",
    "AUTO_MIGRATE",
    "TRUSTED_PROXIES",
    "PUBLIC_URL",
    "WEB_CONCURRENCY",
    "AI_",
    "LOG_LEVEL",
)


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without anything the app reads, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_VARS)}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["LOG_LEVEL"] = "INFO"
    env.update(extra)
    return env


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM to this process (and its own process group: uvicorn's workers), then wait."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=timeout)
        return self.popen.returncode


def start(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path = BACKEND_DIR) -> Proc:
    """Start ``argv`` in its own process group; stdout and stderr go to a log file."""
    log = Path(tempfile.mkstemp(prefix="loac-proc-", suffix=".log")[1])
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(popen=popen, log_path=log)


def wait_healthy(proc: Proc, url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise AssertionError(f"process exited with {proc.popen.returncode} before {url} was healthy:\n{proc.log()}")
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200 and response.json().get("status") == "ok":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not healthy after {timeout} s:\n{proc.log()}")


@contextmanager
def running(
    argv: Sequence[str], *, env: Mapping[str, str], health: str | None, cwd: Path = BACKEND_DIR, timeout: float = 60.0
) -> Iterator[Proc]:
    proc = start(argv, env=env, cwd=cwd)
    try:
        if health:
            wait_healthy(proc, health, timeout=timeout)
        yield proc
    finally:
        proc.stop()


def wait_serving(base: str, *, exited: Callable[[], str | None], timeout: float = 60.0) -> None:
    """Poll ``{base}/health`` until it answers 200. ``exited()`` says why the server
    can no longer come up (its exit and log), or ``None`` while it runs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        reason = exited()
        assert reason is None, f"the API exited: {reason}"
        assert time.monotonic() < deadline, f"the API did not start within {timeout:g} s"
        time.sleep(0.1)


def uvicorn_argv(port: int, *extra: str) -> list[str]:
    return [
        PY,
        "-m",
        "uvicorn",
        "app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-proxy-headers",
        *extra,
    ]


def sign_in(base: str, username: str, password: str) -> dict[str, str]:
    """Headers for an admin's requests: a bearer token from POST /api/v1/auth/login."""
    response = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
