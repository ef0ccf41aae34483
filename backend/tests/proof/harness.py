"""What the proof tests share: canaries in every encoding, a scanner, real processes.

The proof drives the product from the outside only: HTTP against a uvicorn
subprocess, ``python -m app.cli`` as a subprocess, the database files on disk.
Nothing here imports the app's services, so the tests hold however the inside
is arranged.

* :class:`Canaries`: unique, obviously fake secrets, each known by a label;
  every one is registered with the session-wide log check of ``conftest``.
* :class:`Scanner`: looks for each canary in every form it could leak in (as
  is, in any case; its random core; percent-encoded; base64 in both
  alphabets, with and without padding) in bytes from anywhere, and records
  where it found what (by label and form: a report never prints a secret).
* :class:`Server`: ``uvicorn app.main:app`` in its own process group, its
  stdout and stderr in one log file; stop by SIGTERM, or kill by SIGKILL.
* :func:`run_cli`: one ``python -m app.cli`` command, its output kept for the scan.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from tests.conftest import free_port, register_canary
from tests.deploy.processes import APP_VARS, uvicorn_argv, wait_serving

BACKEND = Path(__file__).resolve().parents[2]
PY = sys.executable
_HEX_CORE = re.compile(r"[0-9a-f]{32}")


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    """This process's environment without anything the app reads, plus a
    throw-away ``.env`` path, DEBUG logs, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_VARS)}
    env.update(
        {
            "APP_ENV_FILE": str(tmp / "app.env"),
            "LOG_LEVEL": "DEBUG",
            "RATE_LIMIT_STORAGE_URL": "memory://",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


# -- canaries and the scan ----------------------------------------------------------------


def forms_of(value: str) -> list[tuple[str, bytes, bool]]:
    """``(form name, needle, case-insensitive)`` for every way ``value`` may leak."""
    raw = value.encode()
    found: list[tuple[str, bytes, bool]] = [("as is", raw, True)]
    core = _HEX_CORE.search(value)
    if core and core.group(0) != value:
        found.append(("random core", core.group(0).encode(), True))
    for name, encoded in (("percent-encoded", quote(value, safe="")), ("form-encoded", quote_plus(value))):
        if encoded != value:
            found.append((name, encoded.encode(), True))
    for name, b64 in (("base64", base64.b64encode(raw)), ("url-safe base64", base64.urlsafe_b64encode(raw))):
        found.append((name, b64, False))
        if b64.rstrip(b"=") != b64:
            found.append((name + " unpadded", b64.rstrip(b"="), False))
    return found


@dataclass
class Canaries:
    """Labelled secrets for one proof run."""

    values: dict[str, str] = field(default_factory=dict)

    def new(self, label: str, *, prefix: str = "fake-", suffix: str = "") -> str:
        value = f"{prefix}{label}-{uuid.uuid4().hex}{suffix}"
        return self.add(label, value)

    def add(self, label: str, value: str) -> str:
        assert label not in self.values, f"two canaries labelled {label}"
        self.values[label] = register_canary(value)
        return value

    def __iter__(self) -> Any:
        return iter(self.values.items())


@dataclass
class Hit:
    label: str
    form: str
    where: str

    def __str__(self) -> str:
        return f"{self.label} ({self.form}) in {self.where}"


class Scanner:
    """Scans everything it is given for every canary; remembers what it scanned."""

    def __init__(self, canaries: Canaries) -> None:
        self.canaries = canaries
        self.hits: list[Hit] = []
        self.scanned: list[tuple[str, int]] = []

    def bytes(self, where: str, data: bytes | str | None, *, allow: Iterable[str] = ()) -> None:
        """Scan ``data``; ``allow``: labels whose plain value may rightly be here
        (the answer that issues a token carries that token)."""
        if data is None:
            return
        blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        lowered = blob.lower()
        allowed = set(allow)
        self.scanned.append((where, len(blob)))
        for label, value in self.canaries:
            if label in allowed:
                continue
            for form, needle, fold in forms_of(value):
                if (needle.lower() in lowered) if fold else (needle in blob):
                    self.hits.append(Hit(label, form, where))

    def response(self, where: str, response: httpx.Response, *, allow: Iterable[str] = ()) -> httpx.Response:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        self.bytes(f"{where} -> {response.status_code} body", response.content, allow=allow)
        self.bytes(f"{where} -> {response.status_code} headers", headers, allow=allow)
        return response

    def file(self, path: Path) -> None:
        """A file and its SQLite companions (``-wal``, ``-shm``, ``-journal``)."""
        for candidate in [path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))]:
            if candidate.exists():
                self.bytes(f"file {candidate.name}", candidate.read_bytes())

    def assert_clean(self) -> None:
        report = "\n".join(sorted({str(h) for h in self.hits}))
        assert not self.hits, f"{len(self.hits)} leak(s):\n{report}"


class ScannedClient:
    """An httpx client whose every answer goes through the scanner."""

    def __init__(self, base: str, scanner: Scanner, *, headers: Mapping[str, str] | None = None) -> None:
        self.scanner = scanner
        self.http = httpx.Client(base_url=base, headers=dict(headers or {}), timeout=30)

    def request(self, method: str, path: str, *, allow: Iterable[str] = (), **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        return self.scanner.response(f"{method} {path}", response, allow=allow)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        self.http.close()


# -- processes -------------------------------------------------------------------------------


@dataclass
class Server:
    """``uvicorn app.main:app`` on 127.0.0.1 in its own process group."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, timeout: float = 60.0, prefix: Iterable[str] = ()) -> Server:
        """Start it (``prefix``: a launcher that ends by exec'ing the server, e.g.
        ``unshare -m sh -c '... && exec "$@"' sh``: the pid stays the server's)."""
        command = [*prefix, *uvicorn_argv(self.port)]
        with self.log_path.open("ab") as out:
            self.popen = subprocess.Popen(
                command, cwd=BACKEND, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        popen = self.popen
        assert popen is not None
        wait_serving(
            self.base, exited=lambda: self.log()[-3000:] if popen.poll() is not None else None, timeout=timeout
        )

    def wait_exit(self, timeout: float = 60.0) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM to the process group, then wait (SIGKILL if it hangs)."""
        return self._signal(signal.SIGTERM, timeout)

    def kill(self) -> int | None:
        return self._signal(signal.SIGKILL, 10.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
        return self.popen.returncode


def run_cli(
    *args: str, env: Mapping[str, str], timeout: float = 120.0, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "app.cli", *args],
        cwd=BACKEND,
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sqlite_path(url: str) -> Path:
    assert url.startswith("sqlite:///"), url
    return Path(url[len("sqlite:///") :])
