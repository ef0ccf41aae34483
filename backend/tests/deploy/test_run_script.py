"""scripts/run.sh (``make run``), run for real on a copy of the repository's layout:
the real script, the real API (uvicorn), and a stand-in for npm/npx (a fake
``npm run build`` that writes ``.next/BUILD_ID``, a fake ``next start`` that is a
plain HTTP server), so no real dashboard build runs but the script's own
build-stamp logic does."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from app.core import encryption
from app.core.config import BACKEND_DIR, REPO_ROOT
from tests.conftest import free_port
from tests.deploy.processes import PY, clean_env

RUN_SH = REPO_ROOT / "scripts" / "run.sh"

FAKE_NPM = """#!/bin/sh
echo "npm $*" >> "$FAKE_NPM_LOG"
if [ "$1" = run ] && [ "$2" = build ]; then
  mkdir -p .next && echo fake-build > .next/BUILD_ID
fi
"""

# `npx next start -H 127.0.0.1 -p PORT`: any HTTP server on that port stands in for the dashboard.
FAKE_NPX = f"""#!/bin/sh
echo "npx $*" >> "$FAKE_NPM_LOG"
while [ "$#" -gt 0 ]; do
  case "$1" in -p) port="$2"; shift ;; esac
  shift
done
exec {PY} -m http.server --bind 127.0.0.1 "$port"
"""


@dataclass
class Layout:
    root: Path
    env: dict[str, str]
    npm_log: Path
    key: str
    key_file: Path
    api_port: int
    web_port: int

    def builds(self) -> int:
        if not self.npm_log.exists():
            return 0
        return self.npm_log.read_text().splitlines().count("npm run build")


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(RUN_SH, root / "scripts" / "run.sh")
    (root / "backend").symlink_to(BACKEND_DIR)
    front = root / "frontend"
    (front / "app").mkdir(parents=True)
    (front / "package.json").write_text('{"name": "fake-dashboard", "private": true}\n')
    (front / "app" / "page.tsx").write_text("export default function Page() { return null; }\n")
    (front / "node_modules").mkdir()  # never part of the source hash
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "npm", FAKE_NPM)
    _executable(bin_dir / "npx", FAKE_NPX)
    key = Fernet.generate_key().decode()
    key_file = tmp_path / "encryption.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    api_port, web_port = free_port(), free_port()
    while web_port == api_port:
        web_port = free_port()
    npm_log = tmp_path / "npm.log"
    env = clean_env(
        API_PORT=str(api_port),
        WEB_PORT=str(web_port),
        ENCRYPTION_KEY_FILE=str(key_file),
        APP_ENV_FILE=str(tmp_path / "absent.env"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        FAKE_NPM_LOG=str(npm_log),
    )
    env.pop("BACKEND_URL", None)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return Layout(root, env, npm_log, key, key_file, api_port, web_port)


class Run:
    """scripts/run.sh in its own session; its output (stdout and stderr) in a file."""

    def __init__(self, layout: Layout, **env: str) -> None:
        self.out = layout.root.parent / f"run-{time.monotonic_ns()}.log"
        with self.out.open("wb") as sink:
            self.proc = subprocess.Popen(
                ["bash", str(layout.root / "scripts" / "run.sh")],
                cwd=layout.root,
                env={**layout.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if needle in text:
                return text
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not printed (exit {self.proc.poll()}):\n{self.text()}")

    def wait_for_dashboard(self, layout: Layout, timeout: float = 20.0) -> None:
        """Until the (fake) dashboard answers: its build, if any, is done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                httpx.get(f"http://127.0.0.1:{layout.web_port}/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the dashboard did not start (exit {self.proc.poll()}):\n{self.text()}")

    def stop(self) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the script's process group, which
        holds the script alone (each server has its own): it must stop them itself."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(timeout=15)
        finally:
            _kill_session(self.proc.pid)


def _kill_session(sid: int) -> None:
    """Whatever the script left behind in its session (the test's own processes only)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == sid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue


@pytest.fixture
def runs(layout: Layout) -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        run.stop()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_free(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_free(port):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("variable", ["API_PORT", "WEB_PORT"])
def test_a_taken_port_gives_one_line_naming_its_variable(layout: Layout, variable: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            ["bash", str(layout.root / "scripts" / "run.sh")],
            cwd=layout.root,
            env={**layout.env, variable: str(taken)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 1
    assert len(lines) == 1, lines
    assert variable in lines[0] and str(taken) in lines[0]
    assert layout.builds() == 0  # nothing started
    other = "WEB_PORT" if variable == "API_PORT" else "API_PORT"
    assert other not in lines[0]


def test_a_port_that_is_no_number_is_refused_in_one_line(layout: Layout) -> None:
    result = subprocess.run(
        ["bash", str(layout.root / "scripts" / "run.sh")],
        cwd=layout.root,
        env={**layout.env, "WEB_PORT": "http"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert (result.stdout + result.stderr).splitlines() == ["error: WEB_PORT='http' is not a port number (1-65535)"]


def test_one_summary_when_both_answer_then_no_rebuild_of_an_unchanged_dashboard(
    layout: Layout, runs: list[Run]
) -> None:
    api = f"http://127.0.0.1:{layout.api_port}"
    web = f"http://127.0.0.1:{layout.web_port}"

    first = Run(layout)
    runs.append(first)
    first.wait_for("Ctrl-C stops both.")
    # Both answer now, and a request that is not a routine poll shows in the access log.
    assert httpx.get(f"{api}/health", timeout=5).json()["status"] == "ok"
    assert httpx.get(f"{api}/api/v1/auth/status", timeout=5).status_code == 200
    assert httpx.get(f"{web}/", timeout=5).status_code == 200
    text = first.wait_for('"GET /api/v1/auth/status HTTP/1.1" 200')
    time.sleep(1.0)  # the poller has finished: nothing more is printed for it
    text = first.text()

    assert text.count("Ready.") == 1, text
    assert f"Dashboard:  {web}" in text and f"API:        {api}" in text
    fingerprint = encryption.fingerprint(layout.key.encode())
    assert f"the file {layout.key_file} (ENCRYPTION_KEY_FILE), fingerprint {fingerprint}" in text
    assert "Backup:" in text
    assert layout.key not in text  # the key itself is never printed
    # The readiness polls (GET /health, several) left no INFO access line.
    assert '"GET /health' not in text
    assert text.count("Building the dashboard") == 1
    assert layout.builds() == 1
    assert (layout.root / "frontend" / ".next" / ".source-hash").is_file()

    assert first.stop() == 130
    assert _wait_free(layout.api_port) and _wait_free(layout.web_port), "the script left a server running"

    second = Run(layout)
    runs.append(second)
    second.wait_for_dashboard(layout)
    assert "Building the dashboard" not in second.text()
    assert layout.builds() == 1


def test_a_changed_source_file_or_backend_url_rebuilds(layout: Layout, runs: list[Run]) -> None:
    front = layout.root / "frontend"
    (front / ".next").mkdir()
    (front / ".next" / "BUILD_ID").write_text("old\n")

    def build_once(**env: str) -> None:
        # The build is decided before the dashboard starts: no need to wait for the API.
        run = Run(layout, **env)
        runs.append(run)
        run.wait_for_dashboard(layout)
        run.stop()
        assert _wait_free(layout.api_port) and _wait_free(layout.web_port)

    build_once()  # a build without a stamp is not trusted
    assert layout.builds() == 1
    (front / "node_modules" / "dep.js").write_text("changed\n")  # not a source
    (front / ".next" / "cache.bin").write_text("written by a build\n")
    (front / "next-env.d.ts").write_text("/// written by next build\n")
    build_once()
    assert layout.builds() == 1
    (front / "app" / "page.tsx").write_text("export default function Page() { return 'changed'; }\n")
    build_once()
    assert layout.builds() == 2
    build_once(BACKEND_URL="http://127.0.0.1:1")  # rewrites are fixed at build time
    assert layout.builds() == 3


@pytest.mark.parametrize("variable", ["API_PORT", "WEB_PORT"])
def test_make_run_on_a_taken_port_stops_before_any_set_up_with_one_line(variable: str) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        # -n: even were the check to pass, make would only print the set-up commands, not run them.
        result = subprocess.run(
            ["make", "-n", "run", f"{variable}={taken}"],
            cwd=REPO_ROOT,
            # as from a shell: not a sub-make of `make test` (which would print "Entering directory")
            env={k: v for k, v in clean_env().items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert f"port {taken} ({variable}) is in use" in lines[0]
