"""Faults, from the outside: a real server process, the CLI, the database files.

* The database full during a write (the SQLite file on a tiny tmpfs of the
  server's own mount namespace, filled up from outside): a clear JSON error,
  never a traceback, nothing half-written, and writes work again once there is room.
* The database locked during a rotation (another connection holds the write
  lock): ``rotate-key`` waits or stops with one clear line; a rerun finishes.
* The backend killed (SIGKILL) while webhooks are being delivered to a
  receiver that stalls: after a restart every webhook arrives at least once,
  none more often than the attempts in flight at the kill, the delivery state
  settles, and no secret is in any log.
* The key file changed or unreadable under a running process: a new start is
  refused with its one line; the running process keeps its loaded key.
* PostgreSQL cut off (a TCP forwarder of the test's own between the app and
  the server, cut and restored): requests fail cleanly with a message and
  recover without restarting the backend (skipped without ``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.fakes import fake_rtsp
from tests.fakes.webhook_receiver import run_receiver
from tests.proof.harness import Canaries, Scanner, Server, base_env, run_cli

ADMIN_PASSWORD_LABEL = "admin-password"


def _admin(server: Server, c: Canaries) -> httpx.Client:
    password = c.new(ADMIN_PASSWORD_LABEL) if ADMIN_PASSWORD_LABEL not in c.values else c.values[ADMIN_PASSWORD_LABEL]
    setup = httpx.post(f"{server.base}/api/v1/auth/setup", json={"username": "admin", "password": password}, timeout=30)
    if setup.status_code == 409:
        setup = httpx.post(
            f"{server.base}/api/v1/auth/login", json={"username": "admin", "password": password}, timeout=30
        )
    assert setup.status_code in (200, 201), setup.text
    return httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {setup.json()['access_token']}"}, timeout=30
    )


def _clear_error(response: httpx.Response) -> None:
    """A JSON error with a message a person can act on: no traceback, no bare 500."""
    assert response.status_code in (409, 503, 507), (response.status_code, response.text)
    body = response.json()
    assert isinstance(body.get("detail"), str) and len(body["detail"]) > 10, body
    assert "Traceback" not in response.text and "sqlite3." not in response.text and "sqlalchemy" not in response.text


# -- the database full during a write -----------------------------------------------------------


def _can_unshare_mounts() -> str | None:
    if os.geteuid() != 0:
        return "needs root for a mount namespace with a tiny tmpfs"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if probe.returncode == 0 else f"unshare -m / mount tmpfs not allowed: {probe.stderr.strip()[:200]}"


def test_a_full_database_gives_a_clear_error_and_nothing_half_written(tmp_path: Path) -> None:
    reason = _can_unshare_mounts()
    if reason:
        pytest.skip(f"database-full test skipped: {reason}")
    c = Canaries()
    data = tmp_path / "data"
    data.mkdir()
    db = data / "app.db"
    env = base_env(
        tmp_path, ENCRYPTION_KEY=c.add("key", Fernet.generate_key().decode()), DATABASE_URL=f"sqlite:///{db}"
    )
    # The server runs in a mount namespace of its own where data/ is an 8 MB tmpfs.
    server = Server(env, tmp_path / "server.log")
    launcher = ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size=8m tmpfs "{data}" && exec "$@"', "sh"]
    with ExitStack() as stack:
        stack.callback(server.stop)
        server.start(wait=False, prefix=launcher)
        server.wait_ready()
        inside = Path(f"/proc/{server.popen.pid if server.popen else 0}/root") / str(data).lstrip("/")
        api = stack.enter_context(_admin(server, c))
        first = api.post("/api/v1/cameras", json={"name": "Before", "type": "usb", "device_index": 0})
        assert first.status_code == 201, first.text
        # Fill the tmpfs from outside, through the server's own view of it.
        filler = inside / "filler"
        with filler.open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:
                pass
        password = c.new("cam-password")
        names = [f"Full {i}" for i in range(20)]
        answers = []
        for name in names:  # a few writes, so one needs new pages whatever the free list held
            answers.append(
                api.post(
                    "/api/v1/cameras",
                    json={
                        "name": name,
                        "type": "rtsp",
                        "rtsp_url": "rtsp://127.0.0.1:8554/s",
                        "username": "u",
                        "password": password * 4,
                    },
                )
            )
        failed = [a for a in answers if a.status_code != 201]
        assert failed, "no write failed on a full disk (the tmpfs did not fill?)"
        for answer in failed:
            _clear_error(answer)
        stored_names = {cam["name"] for cam in api.get("/api/v1/cameras").json()}
        created = {a.json()["name"] for a in answers if a.status_code == 201}
        assert stored_names == {"Before"} | created, "a failed write left something behind"
        # Room again: writes work, without a restart.
        filler.unlink()
        again = api.post("/api/v1/cameras", json={"name": "After", "type": "usb", "device_index": 1})
        assert again.status_code == 201, again.text
        assert server.popen is not None and server.popen.poll() is None
        server.stop()
    log = server.log()
    assert "Traceback" not in log, log[-4000:]
    scan = Scanner(c)
    scan.bytes("server log", log)
    scan.assert_clean()


# -- the database locked during a rotation ------------------------------------------------------


def _seed(tmp_path: Path, c: Canaries, key: str, *, cameras: int = 3) -> tuple[dict[str, str], Path]:
    db = tmp_path / "app.db"
    env = base_env(tmp_path, ENCRYPTION_KEY=key, DATABASE_URL=f"sqlite:///{db}")
    server = Server(env, tmp_path / "seed.log").start()
    try:
        with _admin(server, c) as api:
            for i in range(cameras):
                made = api.post(
                    "/api/v1/cameras",
                    json={
                        "name": f"C{i}",
                        "type": "rtsp",
                        "rtsp_url": f"rtsp://127.0.0.1:{8554 + i}/s",
                        "username": "u",
                        "password": c.new(f"seed-{i}"),
                    },
                )
                assert made.status_code == 201, made.text
    finally:
        server.stop()
    return env, db


def test_a_locked_database_during_rotation_stops_cleanly_and_a_rerun_finishes(tmp_path: Path) -> None:
    c = Canaries()
    old, new = c.add("old-key", Fernet.generate_key().decode()), c.add("new-key", Fernet.generate_key().decode())
    env, db = _seed(tmp_path, c, old)
    rotate_env = dict(env, ENCRYPTION_KEY=new, ENCRYPTION_KEYS_PREVIOUS=old)
    scan = Scanner(c)
    holder = sqlite3.connect(db, timeout=1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # nobody else may read or write until it ends
    started = time.monotonic()
    try:
        locked = run_cli("rotate-key", env=rotate_env, timeout=180)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    waited = time.monotonic() - started
    scan.bytes("rotate-key under a lock: stdout", locked.stdout)
    scan.bytes("rotate-key under a lock: stderr", locked.stderr)
    assert "Traceback" not in locked.stderr + locked.stdout, locked.stderr[-3000:]
    if locked.returncode != 0:
        lines = [line for line in locked.stderr.splitlines() if line.strip()]
        assert lines and "lock" in lines[-1].lower(), locked.stderr[-2000:]
    rerun = run_cli("rotate-key", env=rotate_env)
    scan.bytes("rotate-key rerun", rerun.stdout + rerun.stderr)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    status = run_cli("encryption-status", env=dict(env, ENCRYPTION_KEY=new))
    assert status.returncode == 0, status.stdout + status.stderr
    check = run_cli("check-key", env=dict(env, ENCRYPTION_KEY=new))
    assert check.returncode == 0, check.stdout + check.stderr
    scan.bytes("status", status.stdout + status.stderr + check.stdout + check.stderr)
    scan.file(db)
    scan.assert_clean()
    print(f"rotate-key under an exclusive lock: exit {locked.returncode} after {waited:.1f} s")


# -- the backend killed during webhook delivery ------------------------------------------------


def test_a_kill_during_webhook_delivery_loses_nothing_and_repeats_only_in_flight(tmp_path: Path) -> None:
    c = Canaries()
    key = c.add("key", Fernet.generate_key().decode())
    db = tmp_path / "app.db"
    env = base_env(tmp_path, ENCRYPTION_KEY=key, DATABASE_URL=f"sqlite:///{db}")
    events = 6
    with ExitStack() as stack:
        rx = stack.enter_context(run_receiver())
        server = Server(env, tmp_path / "first.log").start()
        stack.callback(server.stop)
        api = stack.enter_context(_admin(server, c))
        camera = api.post("/api/v1/cameras", json={"name": "USB", "type": "usb", "device_index": 0}).json()
        token, bearer = c.new("path-token"), c.new("bearer")
        rule = api.post(
            "/api/v1/alert-rules",
            json={
                "name": "hook",
                "cooldown_minutes": 0,
                "conditions": {"object_types": ["person"]},
                "actions": {
                    "dashboard_notification": False,
                    "webhook": {"url": f"{rx.url}/hook/{token}", "headers": {"Authorization": f"Bearer {bearer}"}},
                },
            },
        )
        assert rule.status_code == 201, rule.text
        rx.delay = 30.0  # the receiver stalls: deliveries are in flight when the server dies
        ids = []
        for i in range(events):
            made = api.post(
                "/api/v1/events",
                json={
                    "camera_id": camera["id"],
                    "confidence": 90,
                    "objects_detected": ["person"],
                    "description": f"e{i}",
                },
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        rx.wait_for(1, timeout=30)
        time.sleep(0.5)
        in_flight = len(rx.requests)
        server.kill()
        rx.delay = 0.0
        restarted = Server(env, tmp_path / "second.log").start()
        stack.callback(restarted.stop)
        deadline = time.monotonic() + 120  # a lease taken by the killed process runs out first (60 s)
        while True:
            with sqlite3.connect(db, timeout=30) as conn:
                states = conn.execute("SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status").fetchall()
            if dict(states).get("pending", 0) == 0:
                break
            assert time.monotonic() < deadline, f"deliveries did not settle after the restart: {states}"
            time.sleep(1)
        restarted.stop()
    assert dict(states) == {"delivered": events}, states
    per_event: dict[Any, int] = {}
    for request in rx.requests:
        body = request.json()
        event_id = body.get("event", {}).get("id") if isinstance(body.get("event"), dict) else body.get("event_id")
        per_event[event_id] = per_event.get(event_id, 0) + 1
    assert set(ids) <= set(per_event), f"some events were never delivered: {sorted(set(ids) - set(per_event))}"
    extra = sum(n - 1 for n in per_event.values())
    assert extra <= in_flight, f"{extra} repeats, but only {in_flight} sends were in flight at the kill"
    scan = Scanner(c)
    scan.bytes("first server log", server.log())
    scan.bytes("restarted server log", restarted.log())
    scan.file(db)
    scan.assert_clean()


# -- the key file changed or unreadable under a running process -------------------------------


def test_a_changed_key_file_refuses_a_new_start_and_the_running_process_keeps_its_key(tmp_path: Path) -> None:
    c = Canaries()
    key_file = tmp_path / "encryption_key"
    key_file.write_text(c.add("key", Fernet.generate_key().decode()) + "\n")
    key_file.chmod(0o600)
    db = tmp_path / "app.db"
    env = base_env(tmp_path, ENCRYPTION_KEY_FILE=str(key_file), DATABASE_URL=f"sqlite:///{db}")
    scan = Scanner(c)
    password = c.new("cam-password")
    with ExitStack() as stack:
        camera = stack.enter_context(fake_rtsp.start_in_thread(password=password))
        running = Server(env, tmp_path / "running.log").start()
        stack.callback(running.stop)
        api = stack.enter_context(_admin(running, c))
        made = api.post(
            "/api/v1/cameras",
            json={"name": "C", "type": "rtsp", "rtsp_url": camera.rtsp_url, "username": "admin", "password": password},
        )
        assert made.status_code == 201, made.text
        # The file now holds another key: a new start is refused, the running process is unmoved.
        key_file.write_text(c.add("other-key", Fernet.generate_key().decode()) + "\n")
        changed = Server(env, tmp_path / "changed.log").start(wait=False)
        assert changed.wait_exit(60) == 1
        assert "does not match" in changed.log(), changed.log()[-2000:]
        tested = api.post(f"/api/v1/cameras/{made.json()['id']}/test")
        assert tested.status_code == 200 and tested.json()["success"] is True, tested.text
        # The file gone (unreadable: a folder in its place): refused with its own line; still serving.
        key_file.unlink()
        key_file.mkdir()
        unreadable = Server(env, tmp_path / "unreadable.log").start(wait=False)
        assert unreadable.wait_exit(60) == 1
        lines = [line for line in unreadable.log().splitlines() if line.strip()]
        assert lines and "ENCRYPTION_KEY_FILE" in lines[-1], unreadable.log()[-2000:]
        assert "Traceback" not in unreadable.log() + changed.log()
        again = api.post(f"/api/v1/cameras/{made.json()['id']}/test")
        assert again.json()["success"] is True, again.text
        assert api.post("/api/v1/cameras", json={"name": "D", "type": "usb", "device_index": 0}).status_code == 201
        running.stop()
    for server in (running, changed, unreadable):
        scan.bytes(server.log_path.name, server.log())
    scan.file(db)
    scan.assert_clean()


# -- PostgreSQL cut off under load ------------------------------------------------------------------


class Forwarder:
    """A TCP forwarder on 127.0.0.1 that can cut every connection and refuse new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.open = True
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def start(self) -> Forwarder:
        self._thread.start()
        self._ready.wait(10)
        return self

    def cut(self) -> None:
        """Refuse new connections and reset the open ones (as a restarting server does)."""

        def close_all() -> None:
            self.open = False
            for writer in list(self._writers):
                writer.transport.abort()

        self._loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "open", True)

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def test_postgres_cut_off_fails_cleanly_and_recovers_without_a_restart(tmp_path: Path, pg_url: str) -> None:
    parts = urlsplit(pg_url)
    forwarder = Forwarder(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    netloc = f"{parts.username}@127.0.0.1:{forwarder.port}" if parts.username else f"127.0.0.1:{forwarder.port}"
    url = urlunsplit(parts._replace(netloc=netloc))
    c = Canaries()
    env = base_env(tmp_path, ENCRYPTION_KEY=c.add("key", Fernet.generate_key().decode()), DATABASE_URL=url)
    server = Server(env, tmp_path / "server.log")
    try:
        server.start()
        api = _admin(server, c)
        camera = api.post("/api/v1/cameras", json={"name": "USB", "type": "usb", "device_index": 0}).json()

        def ingest(i: int) -> httpx.Response:
            return api.post(
                "/api/v1/events", json={"camera_id": camera["id"], "confidence": 50, "description": f"e{i}"}
            )

        assert all(ingest(i).status_code == 201 for i in range(5))
        forwarder.cut()
        during = [ingest(100 + i) for i in range(5)]
        for response in during:
            _clear_error(response)
        forwarder.restore()
        deadline = time.monotonic() + 30
        while ingest(200).status_code != 201:
            assert time.monotonic() < deadline, "the API did not recover after PostgreSQL came back"
            time.sleep(0.5)
        assert all(ingest(300 + i).status_code == 201 for i in range(5))
        assert server.popen is not None and server.popen.poll() is None, "the backend restarted"
        listed = api.get("/api/v1/events", params={"limit": 100}).json()
        descriptions = {item["description"] for item in listed["items"]}
        assert not {f"e{100 + i}" for i in range(5)} & descriptions, "a failed request left a row"
        api.close()
    finally:
        server.stop()
        forwarder.stop()
    log = server.log()
    assert "Traceback" not in log, log[-4000:]
    scan = Scanner(c)
    scan.bytes("server log", log)
    scan.assert_clean()
