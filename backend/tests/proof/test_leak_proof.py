"""Leak proof, end to end: a canary in every secret place, every path driven, zero hits.

One run of the real product (a uvicorn subprocess at DEBUG over a fresh SQLite
database) with the fakes on 127.0.0.1: the fake AI provider, fake RTSP
cameras, webhook receivers (some echo what they are sent), and a closed
loopback port. A unique canary goes into every secret place through the API:

* three camera passwords (one in the password field, one pasted inside the
  ``rtsp_url``, percent-encoded, one for a camera that echoes credentials) and
  a wrong one for a camera that must refuse it;
* the four AI provider keys (each ending in what makes the fake answer with an
  error body that echoes it: 401, 529, 429, and a description that repeats it);
* webhook URL tokens in the path and in the query, the four kinds of secret
  header (``Authorization``, ``X-Api-Key``, ``Cookie``, a custom
  ``X-Passcode``), a Standard Webhooks signing secret;
* an admin password, a second account's old and new passwords, a wrong
  password typed at login, a password typed into the username field;
* the session tokens and an API token the product issues, and both Fernet keys.

Then every endpoint is driven, failing paths included: 422s that carry a
secret in the rejected body, provider 401/429/5xx bodies and a timeout,
webhook failures with retries (to a closed port, and 500s that echo the
headers), camera auth failures and timeouts, a tampered row (a stored token
changed in the SQLite file), a wrong key at start (the refusal line), a key
rotation with ``ENCRYPTION_KEYS_PREVIOUS`` and a restart under the new key.

Scanned for each canary in every form (:func:`tests.proof.harness.forms_of`):
every response body and header, every line the server wrote (its DEBUG log,
uvicorn's, FFmpeg's: all of the process's stdout and stderr), the stdout and
stderr of every CLI command, the SQLite files with ``-wal`` and ``-shm``, the
webhook delivery log and the audit log (read through the API). Zero hits.

``test_pg_dump_holds_no_secret`` does the storing part on PostgreSQL and scans a
``pg_dump`` of its schema (skipped, with the reason, without ``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import free_port
from tests.fakes import fake_provider, fake_rtsp
from tests.fakes.webhook_receiver import run_receiver
from tests.proof.harness import Canaries, ScannedClient, Scanner, Server, base_env, run_cli

PROVIDERS = ("openai", "anthropic", "google", "grok")
# What each stored key makes the fake provider answer (its body echoes the key).
STORED_KEY_SUFFIX = {"openai": "-bad", "anthropic": "-error", "google": "-ratelimit", "grok": "-echo"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 50
ISSUED = ("session-setup", "session-login", "session-ops", "api-token")


def _signing_secret(canaries: Canaries) -> str:
    """``whsec_`` + base64 of 32 bytes whose text is a canary (so every form is scanned)."""
    raw = f"fake-sign-{uuid.uuid4().hex[:22]}".encode()
    return canaries.add("signing-secret", "whsec_" + base64.b64encode(raw).decode())


def _tamper(token: str) -> str:
    """One character of the Fernet token changed: still shaped like a token, the MAC fails."""
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


class Proof:
    """The run: canaries, scanner, fakes, the server and the calls."""

    def __init__(self, tmp: Path, stack: ExitStack) -> None:
        self.tmp = tmp
        self.c = Canaries()
        self.scan = Scanner(self.c)
        self.key = self.c.add("fernet-key", Fernet.generate_key().decode())
        self.db = tmp / "app.db"
        self.provider = stack.enter_context(fake_provider.running())
        self.rx = stack.enter_context(run_receiver())
        self.rx_echo_auth = stack.enter_context(run_receiver())
        self.rx_echo_auth.echo("authorization", form="credentials", status=401)
        self.rx_echo_query = stack.enter_context(run_receiver())
        self.rx_echo_query.echo("query", form="percent", status=403)
        self.rx_echo_cookie = stack.enter_context(run_receiver())
        self.rx_echo_cookie.echo("cookie", form="cookie-values", status=400)
        self.dead_port = free_port()
        self.cam_password = self.c.new("cam-password")
        self.cam_url_password = self.c.new("cam-url/pass:word")  # '/' and ':' must be percent-encoded in a URL
        self.cam_echo_password = self.c.new("cam-echo-password")
        self.cam = stack.enter_context(fake_rtsp.start_in_thread(password=self.cam_password))
        self.cam_url = stack.enter_context(fake_rtsp.start_in_thread(password=self.cam_url_password))
        self.cam_echo = stack.enter_context(
            fake_rtsp.start_in_thread(password=self.cam_echo_password, auth="basic", echo="reason")
        )
        self.cam_silent = stack.enter_context(fake_rtsp.start_in_thread(mode="silent"))
        self.env = base_env(
            tmp,
            ENCRYPTION_KEY=self.key,
            DATABASE_URL=f"sqlite:///{self.db}",
            **{f"AI_{p.upper()}_BASE_URL": self.provider.base_url(p) for p in PROVIDERS},
        )
        self.server = Server(self.env, tmp / "server.log")
        self.pool = stack.enter_context(ThreadPoolExecutor(4))
        self.slow: list[tuple[str, Future[httpx.Response]]] = []
        self.api: ScannedClient | None = None
        self.ids: dict[str, int] = {}

    @property
    def a(self) -> ScannedClient:
        assert self.api is not None
        return self.api

    def cli(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = run_cli(*args, env=env or self.env, stdin=stdin)
        self.scan.bytes(f"cli {' '.join(args)} stdout", done.stdout)
        self.scan.bytes(f"cli {' '.join(args)} stderr", done.stderr)
        return done

    def later(self, label: str, call: Callable[[], httpx.Response]) -> None:
        """A call that takes seconds (a timeout): runs beside the others, scanned when collected."""
        self.slow.append((label, self.pool.submit(call)))

    # -- accounts -----------------------------------------------------------------------------

    def accounts(self) -> None:
        base = self.server.base
        anon = ScannedClient(base, self.scan)
        assert anon.get("/health").status_code == 200
        assert anon.get("/api/v1/auth/status").json() == {"setup_required": True}
        admin_password = self.c.new("admin-password")
        too_short = anon.post("/api/v1/auth/setup", json={"username": "admin", "password": admin_password[:6]})
        assert too_short.status_code == 422, too_short.text
        setup = anon.post(
            "/api/v1/auth/setup", json={"username": "admin", "password": admin_password}, allow=["session-setup"]
        )
        assert setup.status_code == 201, setup.text
        self.c.add("session-setup", setup.json()["access_token"])
        wrong = self.c.new("wrong-password")
        assert anon.post("/api/v1/auth/login", json={"username": "admin", "password": wrong}).status_code == 401
        typed_in_name = self.c.new("password-as-username")
        assert anon.post("/api/v1/auth/login", json={"username": typed_in_name, "password": wrong}).status_code in (
            401,
            422,
        )
        login = anon.post(
            "/api/v1/auth/login", json={"username": "admin", "password": admin_password}, allow=["session-login"]
        )
        assert login.status_code == 200, login.text
        self.c.add("session-login", login.json()["access_token"])
        session = {"Authorization": f"Bearer {login.json()['access_token']}"}
        self.api = ScannedClient(base, self.scan, headers=session)
        token = self.a.post("/api/v1/tokens", json={"name": "proof", "role": "admin"}, allow=["api-token"])
        assert token.status_code == 201, token.text
        self.c.add("api-token", token.json()["token"])
        assert self.a.get("/api/v1/tokens").status_code == 200
        by_token = ScannedClient(base, self.scan, headers={"Authorization": f"Bearer {token.json()['token']}"})
        assert by_token.get("/api/v1/auth/me").json()["username"] == "admin"
        # A second account: created, password changed by an admin and by itself.
        ops_old, ops_reset, ops_new = self.c.new("ops-password"), self.c.new("ops-reset"), self.c.new("ops-new")
        ops = self.a.post("/api/v1/users", json={"username": "ops", "password": ops_old, "role": "admin"})
        assert ops.status_code == 201, ops.text
        bad_role = self.a.post("/api/v1/users", json={"username": "x", "password": ops_old, "role": "root"})
        assert bad_role.status_code == 422, bad_role.text
        assert self.a.put(f"/api/v1/users/{ops.json()['id']}", json={"password": ops_reset}).status_code == 200
        ops_login = anon.post(
            "/api/v1/auth/login", json={"username": "ops", "password": ops_reset}, allow=["session-ops"]
        )
        assert ops_login.status_code == 200, ops_login.text
        self.c.add("session-ops", ops_login.json()["access_token"])
        ops_client = ScannedClient(
            base, self.scan, headers={"Authorization": f"Bearer {ops_login.json()['access_token']}"}
        )
        mismatch = ops_client.put("/api/v1/auth/password", json={"current_password": wrong, "new_password": ops_new})
        assert mismatch.status_code in (400, 401, 403, 422), mismatch.text
        changed = ops_client.put("/api/v1/auth/password", json={"current_password": ops_reset, "new_password": ops_new})
        assert changed.status_code in (200, 204), changed.text
        assert ops_client.post("/api/v1/auth/logout").status_code in (200, 204)
        assert ops_client.get("/api/v1/auth/me").status_code == 401
        assert anon.get("/api/v1/cameras").status_code == 401
        viewer_password = self.c.new("viewer-password")
        viewer = self.a.post("/api/v1/users", json={"username": "watch", "password": viewer_password, "role": "viewer"})
        assert viewer.status_code == 201, viewer.text
        self.ids["viewer"] = int(viewer.json()["id"])
        for client in (anon, by_token, ops_client):
            client.close()

    # -- cameras --------------------------------------------------------------------------------

    def cameras(self) -> None:
        a = self.a
        front = a.post(
            "/api/v1/cameras",
            json={
                "name": "Front",
                "type": "rtsp",
                "rtsp_url": self.cam.rtsp_url,
                "username": "admin",
                "password": self.cam_password,
            },
        )
        assert front.status_code == 201, front.text
        in_url = self.cam_url.rtsp_url.replace("rtsp://", f"rtsp://admin:{quote(self.cam_url_password, safe='')}@")
        pasted = a.post("/api/v1/cameras", json={"name": "Pasted", "type": "rtsp", "rtsp_url": in_url})
        assert pasted.status_code == 201, pasted.text
        echo = a.post(
            "/api/v1/cameras",
            json={
                "name": "Echo",
                "type": "rtsp",
                "rtsp_url": self.cam_echo.rtsp_url,
                "username": "admin",
                "password": self.cam_echo_password,
            },
        )
        assert echo.status_code == 201, echo.text
        self.ids.update(front=front.json()["id"], pasted=pasted.json()["id"], echo=echo.json()["id"])
        for name in ("front", "pasted"):
            tested = a.post(f"/api/v1/cameras/{self.ids[name]}/test")
            assert tested.status_code == 200 and tested.json()["success"] is True, tested.text
        echoed = a.post(f"/api/v1/cameras/{self.ids['echo']}/test")
        assert echoed.status_code == 200 and echoed.json()["success"] is False, echoed.text
        # Camera auth failure: a wrong password, tested before saving (nothing stored).
        wrong = self.c.new("cam-wrong-password")
        refused = a.post(
            "/api/v1/cameras/test",
            json={"type": "rtsp", "rtsp_url": self.cam.rtsp_url, "username": "admin", "password": wrong},
        )
        assert refused.status_code == 200 and refused.json()["success"] is False, refused.text
        # A camera that never answers: the connection test times out (seconds: runs beside the rest).
        silent_password = self.c.new("cam-silent-password")
        silent_body = {
            "type": "rtsp",
            "rtsp_url": self.cam_silent.rtsp_url,
            "username": "u",
            "password": silent_password,
        }
        self.later("camera timeout", lambda: a.http.post("/api/v1/cameras/test", json=silent_body))
        # Bad input that carries a secret: 422, the secret not echoed.
        bad_bodies = [
            {"name": "x" * 101, "type": "rtsp", "rtsp_url": self.cam.rtsp_url, "password": self.c.new("cam-422-name")},
            {"name": "Bad", "type": "rtsp", "rtsp_url": f"http://admin:{self.c.new('cam-422-scheme')}@127.0.0.1/"},
            {"name": "Q", "type": "rtsp", "rtsp_url": f"rtsp://127.0.0.1:1/s?token={self.c.new('cam-422-query')}"},
            {
                "name": "Odd",
                "type": "rtsp",
                "rtsp_url": self.cam.rtsp_url,
                "password": 12345,
                "extra": self.c.new("cam-422-extra"),
            },
        ]
        for body in bad_bodies:
            rejected = a.post("/api/v1/cameras", json=body)
            assert rejected.status_code == 422, rejected.text
        # Read back, write back the masked body (keeps the password), move the host without it (422).
        listed = a.get("/api/v1/cameras")
        assert listed.status_code == 200 and len(listed.json()) == 3
        shown = a.get(f"/api/v1/cameras/{self.ids['front']}").json()
        assert shown["password"] == "****"
        assert a.put(f"/api/v1/cameras/{self.ids['front']}", json=shown).status_code == 200
        moved = dict(shown, rtsp_url=self.cam_url.rtsp_url)
        assert a.put(f"/api/v1/cameras/{self.ids['front']}", json=moved).status_code == 422
        again = a.post(f"/api/v1/cameras/{self.ids['front']}/test")
        assert again.json()["success"] is True, again.text

    # -- AI keys -------------------------------------------------------------------------------------

    def ai(self) -> None:
        a = self.a
        stored = {p: self.c.new(f"key-{p}", suffix=STORED_KEY_SUFFIX[p]) for p in PROVIDERS}
        saved = a.put(
            "/api/v1/settings",
            json={
                **{f"ai_api_key_{p}": k for p, k in stored.items()},
                "ai_primary_provider": "openai",
                "ai_fallback_order": ["anthropic", "google", "grok"],
            },
        )
        assert saved.status_code == 200, saved.text
        got = a.get("/api/v1/settings")
        assert got.status_code == 200
        assert a.put("/api/v1/settings", json=got.json()).status_code == 200  # the masked body back keeps the keys
        assert a.put("/api/v1/settings", json={"ai_primary_provider": "nobody"}).status_code == 422
        # Key tests (10 a minute per client: 7 here, the rest of the budget unused).
        for provider in PROVIDERS:  # the stored keys: 401, 529, 429, echo
            tested = a.post("/api/v1/ai/test-key", json={"provider": provider})
            assert tested.status_code == 200, tested.text
        for provider, suffix in (("openai", "-noquota"), ("grok", "-bad")):  # typed keys, not stored
            tested = a.post(
                "/api/v1/ai/test-key",
                json={"provider": provider, "api_key": self.c.new(f"typed-{provider}", suffix=suffix)},
            )
            assert tested.status_code == 200 and tested.json()["valid"] is False, tested.text
        hang = self.c.new("typed-hang", suffix="-hang")  # the provider never answers: the key test times out
        self.later(
            "key test timeout",
            lambda: a.http.post("/api/v1/ai/test-key", json={"provider": "anthropic", "api_key": hang}),
        )
        bad = a.post("/api/v1/ai/test-key", json={"provider": "nobody", "api_key": self.c.new("typed-422")})
        assert bad.status_code == 422, bad.text
        # Describe: openai 401, anthropic 529, google 429, then grok answers with a description that repeats its key.
        described = a.post("/api/v1/ai/describe", files={"image": ("s.png", PNG, "image/png")})
        assert described.status_code == 200, described.text
        assert described.json()["provider"] == "grok", described.text
        # The same through an event with an image.
        event = a.post(
            "/api/v1/events",
            data={"camera_id": str(self.ids["front"]), "confidence": "80", "objects_detected": "cat"},
            files={"image": ("s.png", PNG, "image/png")},
        )
        assert event.status_code == 201, event.text

    # -- webhooks ---------------------------------------------------------------------------------------

    def _rule(self, name: str, url: str, headers: dict[str, str], **webhook: Any) -> int:
        created = self.a.post(
            "/api/v1/alert-rules",
            json={
                "name": name,
                "cooldown_minutes": 0,
                "conditions": {"object_types": ["person"]},
                "actions": {"dashboard_notification": True, "webhook": {"url": url, "headers": headers, **webhook}},
            },
        )
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    def webhooks(self) -> None:
        a, c = self.a, self.c

        def secret_headers(tag: str) -> dict[str, str]:
            return {
                "Authorization": f"Bearer {c.new(f'{tag}-bearer')}",
                "X-Api-Key": c.new(f"{tag}-x-api-key"),
                "Cookie": f"session={c.new(f'{tag}-cookie')}; theme=dark",
                "X-Passcode": c.new(f"{tag}-custom-header"),
                "Content-Type": "application/json",
            }

        def url(base: str, tag: str) -> str:
            return f"{base}/hook/{c.new(f'{tag}-path-token')}?token={c.new(f'{tag}-query-token')}&channel=1"

        self.ids["rule-main"] = self._rule(
            "main", url(self.rx.url, "main"), secret_headers("main"), signing_secret=_signing_secret(c)
        )
        self.ids["rule-dead"] = self._rule(
            "dead", url(f"http://127.0.0.1:{self.dead_port}", "dead"), secret_headers("dead")
        )
        for tag, receiver in (
            ("echo-auth", self.rx_echo_auth),
            ("echo-query", self.rx_echo_query),
            ("echo-cookie", self.rx_echo_cookie),
        ):
            self.ids[f"rule-{tag}"] = self._rule(tag, url(receiver.url, tag), secret_headers(tag))
        # Bad input with secrets in it: 422, nothing echoed.
        for webhook in (
            {"url": f"ftp://127.0.0.1/{c.new('rule-422-scheme')}", "headers": {}},
            {"url": url(self.rx.url, "rule-422-header"), "headers": {"Bad Name": c.new("rule-422-header-value")}},
            {
                "url": url(self.rx.url, "rule-422-signing"),
                "headers": {},
                "signing_secret": c.new("rule-422-signing-secret"),
            },
        ):
            rejected = a.post(
                "/api/v1/alert-rules",
                json={
                    "name": "bad",
                    "conditions": {},
                    "actions": {"dashboard_notification": False, "webhook": webhook},
                },
            )
            assert rejected.status_code == 422, rejected.text
        # The receiver answers the first two sends with a 500 and a 503 whose bodies repeat the main
        # rule's headers; the third attempt is delivered.
        main_headers = [v for k, v in c.values.items() if k.startswith("main-")]
        self.rx.reset()
        self.rx.fail_next(1, status=500, body="bad credentials: " + " | ".join(main_headers))
        self.rx.fail_next(1, status=503, body="later: " + " | ".join(main_headers))
        # Round trip of the masked body; a new origin without the URL again is refused.
        shown = a.get(f"/api/v1/alert-rules/{self.ids['rule-main']}").json()
        put_back = a.put(f"/api/v1/alert-rules/{self.ids['rule-main']}", json=shown)
        assert put_back.status_code == 200, (shown, put_back.text)
        moved = dict(shown)
        moved["actions"] = dict(
            shown["actions"], webhook=dict(shown["actions"]["webhook"], url=f"http://127.0.0.1:{self.dead_port}/****")
        )
        assert a.put(f"/api/v1/alert-rules/{self.ids['rule-main']}", json=moved).status_code == 422
        assert a.get("/api/v1/alert-rules").status_code == 200
        # An event that matches every rule: queued deliveries, with retries for the failing ones.
        event = a.post(
            "/api/v1/events", json={"camera_id": self.ids["front"], "confidence": 90, "objects_detected": ["person"]}
        )
        assert event.status_code == 201, event.text
        bad_event = a.post(
            "/api/v1/events",
            json={"camera_id": self.ids["front"], "confidence": 900, "description": c.new("event-422")},
        )
        assert bad_event.status_code == 422, bad_event.text

    def wait_for_retries(self) -> None:
        """Until the closed port has been tried three times and the main rule delivered."""
        deadline = time.monotonic() + 40
        while True:
            logs = self.a.get("/api/v1/webhooks/logs", params={"limit": 200})
            assert logs.status_code == 200, logs.text
            body = logs.json()
            items = body["items"] if isinstance(body, dict) else body
            dead = [i for i in items if i.get("rule_id") == self.ids["rule-dead"]]
            delivered = [i for i in items if i.get("rule_id") == self.ids["rule-main"] and i.get("success")]
            if len(dead) >= 3 and delivered:  # three attempts at the closed port, the third to the receiver
                return
            assert time.monotonic() < deadline, (
                f"retries did not finish: {len(dead)} dead attempts, {len(delivered)} delivered"
            )
            time.sleep(0.5)

    # -- everything else that reads ------------------------------------------------------------------

    def reads(self) -> None:
        a = self.a
        events = a.get("/api/v1/events")
        assert events.status_code == 200
        notes = a.get("/api/v1/notifications")
        assert notes.status_code == 200
        items = notes.json()["items"]
        if items:
            assert a.patch(f"/api/v1/notifications/{items[0]['id']}", json={"is_read": True}).status_code == 200
        assert a.post("/api/v1/notifications/mark-all-read").status_code == 200
        assert a.get("/api/v1/audit", params={"limit": 200}).status_code == 200
        assert a.get("/api/v1/encryption/status").status_code == 200
        assert a.post("/api/v1/encryption/backup-confirmation", json={}).status_code in (200, 201, 422)
        assert a.get("/api/v1/webhooks/logs").status_code == 200
        assert a.get("/api/openapi.json").status_code == 200
        assert a.get("/api/v1/cameras/999999").status_code == 404
        assert a.delete(f"/api/v1/users/{self.ids['viewer']}").status_code in (200, 204)

    # -- a tampered row -------------------------------------------------------------------------------------

    def tamper(self) -> None:
        with sqlite3.connect(self.db, timeout=30) as conn:
            (token,) = conn.execute("SELECT password FROM cameras WHERE id = ?", (self.ids["front"],)).fetchone()
            conn.execute("UPDATE cameras SET password = ? WHERE id = ?", (_tamper(token), self.ids["front"]))
        tested = self.a.post(f"/api/v1/cameras/{self.ids['front']}/test")
        assert tested.status_code in (200, 409, 422), tested.text
        assert tested.json().get("success") is not True, tested.text
        assert self.a.get("/api/v1/encryption/status").status_code == 200
        assert (
            self.cli(
                "rotate-key",
                env=dict(self.env, ENCRYPTION_KEY=Fernet.generate_key().decode(), ENCRYPTION_KEYS_PREVIOUS=self.key),
            ).returncode
            == 1
        )
        # The user types the password again: the row is whole again.
        shown = self.a.get(f"/api/v1/cameras/{self.ids['front']}").json()
        reentered = self.a.put(f"/api/v1/cameras/{self.ids['front']}", json=dict(shown, password=self.cam_password))
        assert reentered.status_code == 200, reentered.text
        assert self.a.post(f"/api/v1/cameras/{self.ids['front']}/test").json()["success"] is True

    def collect_slow(self) -> None:
        for label, future in self.slow:
            response = future.result(timeout=60)
            self.scan.response(label, response)
            assert response.status_code < 500 or response.status_code == 504, (label, response.text)


@pytest.fixture
def proof(tmp_path: Path) -> Iterator[Proof]:
    with ExitStack() as stack:
        run = Proof(tmp_path, stack)
        try:
            yield run
        finally:
            run.server.stop()
            if run.api is not None:
                run.api.close()


def test_no_canary_leaks_anywhere(proof: Proof) -> None:
    p = proof
    p.server.start()
    p.accounts()
    p.cameras()
    p.ai()
    p.webhooks()
    p.reads()
    p.wait_for_retries()
    p.collect_slow()
    p.tamper()
    assert p.cli("check-key").returncode in (0, 1)
    for reader in ("/api/v1/webhooks/logs", "/api/v1/audit"):
        assert p.a.get(reader, params={"limit": 200}).status_code == 200
    p.server.stop()

    # A wrong key at start: refused with one line, no secret in it.
    wrong_key = p.c.add("wrong-fernet-key", Fernet.generate_key().decode())
    refused = Server(dict(p.env, ENCRYPTION_KEY=wrong_key), p.tmp / "refused.log").start(wait=False)
    assert refused.wait_exit(60) == 1
    assert "does not match" in refused.log(), refused.log()[-2000:]
    p.scan.bytes("server start under a wrong key", refused.log())

    # Rotation to a new key, the old one as previous; then the product under the new key.
    new_key = p.c.add("new-fernet-key", Fernet.generate_key().decode())
    rotated_env = dict(p.env, ENCRYPTION_KEY=new_key, ENCRYPTION_KEYS_PREVIOUS=p.key)
    assert p.cli("rotate-key", "--dry-run", env=rotated_env).returncode in (0, 1)
    rotation = p.cli("rotate-key", env=rotated_env)
    assert rotation.returncode == 0, rotation.stdout + rotation.stderr
    assert p.cli("encryption-status", env=rotated_env).returncode == 0
    first_log = p.server.log()
    p.server = Server(dict(rotated_env, ENCRYPTION_KEYS_PREVIOUS=""), p.tmp / "server-rotated.log")
    p.server.start()
    p.a.close()
    p.api = ScannedClient(p.server.base, p.scan, headers={"Authorization": f"Bearer {p.c.values['session-login']}"})
    after = p.a.post(f"/api/v1/cameras/{p.ids['pasted']}/test")
    assert after.json()["success"] is True, after.text
    sent_before = len(p.rx_echo_auth.requests)
    event = p.a.post(
        "/api/v1/events", json={"camera_id": p.ids["pasted"], "confidence": 90, "objects_detected": ["person"]}
    )
    assert event.status_code == 201, event.text
    p.rx_echo_auth.wait_for(sent_before + 1, timeout=20)  # the webhook secrets open under the new key
    assert p.a.post("/api/v1/ai/describe", files={"image": ("s.png", PNG, "image/png")}).status_code == 200
    for reader in ("/api/v1/webhooks/logs", "/api/v1/audit", "/api/v1/settings", "/api/v1/alert-rules"):
        assert p.a.get(reader).status_code == 200
    p.server.stop()

    p.scan.bytes("server stdout+stderr (DEBUG log, uvicorn, FFmpeg)", first_log)
    p.scan.bytes("server stdout+stderr after the rotation", p.server.log())
    p.scan.file(p.db)
    assert " DEBUG " in first_log, "the server did not log at DEBUG"
    assert len(p.scan.scanned) > 150, f"too little was scanned: {len(p.scan.scanned)} places"
    p.scan.assert_clean()


def _pg_dump(url: str, schema: str) -> bytes:
    plain = url.replace("postgresql+psycopg://", "postgresql://").split("?", 1)[0]
    done = subprocess.run(
        ["pg_dump", "--no-owner", "--schema", schema, plain], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


def test_pg_dump_holds_no_secret(tmp_path: Path, pg_url: str) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed: the PostgreSQL dump scan is skipped")
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    with ExitStack() as stack:
        c = Canaries()
        scan = Scanner(c)
        key = c.add("fernet-key", Fernet.generate_key().decode())
        cam_password = c.new("pg-cam-password")
        camera = stack.enter_context(fake_rtsp.start_in_thread(password=cam_password))
        rx = stack.enter_context(run_receiver())
        env = base_env(tmp_path, ENCRYPTION_KEY=key, DATABASE_URL=pg_url)
        server = Server(env, tmp_path / "server.log").start()
        stack.callback(server.stop)
        anon = ScannedClient(server.base, scan)
        setup = anon.post(
            "/api/v1/auth/setup", json={"username": "admin", "password": c.new("pg-admin")}, allow=["pg-session"]
        )
        assert setup.status_code == 201, setup.text
        c.add("pg-session", setup.json()["access_token"])
        a = ScannedClient(server.base, scan, headers={"Authorization": f"Bearer {setup.json()['access_token']}"})
        token = a.post("/api/v1/tokens", json={"name": "pg", "role": "admin"}, allow=["pg-api-token"])
        c.add("pg-api-token", token.json()["token"])
        created = a.post(
            "/api/v1/cameras",
            json={
                "name": "PG",
                "type": "rtsp",
                "rtsp_url": camera.rtsp_url,
                "username": "admin",
                "password": cam_password,
            },
        )
        assert created.status_code == 201, created.text
        assert a.post(f"/api/v1/cameras/{created.json()['id']}/test").json()["success"] is True
        keys = {f"ai_api_key_{p}": c.new(f"pg-key-{p}", suffix="-ok") for p in PROVIDERS}
        assert a.put("/api/v1/settings", json=keys).status_code == 200
        rule = a.post(
            "/api/v1/alert-rules",
            json={
                "name": "pg",
                "conditions": {},
                "actions": {
                    "dashboard_notification": True,
                    "webhook": {
                        "url": f"{rx.url}/hook/{c.new('pg-path')}?token={c.new('pg-query')}",
                        "headers": {"Authorization": f"Bearer {c.new('pg-bearer')}", "X-Passcode": c.new("pg-custom")},
                    },
                },
            },
        )
        assert rule.status_code == 201, rule.text
        event = a.post("/api/v1/events", json={"camera_id": created.json()["id"], "confidence": 90})
        assert event.status_code == 201, event.text
        rx.wait_for(1, timeout=30)  # delivered: the stored URL and headers were opened and sent
        a.close()
        anon.close()
        dump = _pg_dump(pg_url, schema)
        assert dump.count(b"encrypted:") >= 7, "the dump does not hold the stored secrets (wrong schema?)"
        scan.bytes("pg_dump", dump)
        server.stop()
        scan.bytes("server log", server.log())
        scan.assert_clean()


def test_the_scanner_finds_every_form(tmp_path: Path) -> None:
    """The scan can fail: each form of a canary planted somewhere is found."""
    c = Canaries()
    value = c.new("scanner-self-test/+")
    raw = value.encode()
    planted = {
        "plain": raw,
        "upper": value.upper().encode(),
        "core": value.split("-")[-1].encode(),
        "percent": quote(value, safe="").encode(),
        "base64": base64.b64encode(raw),
        "urlsafe": base64.urlsafe_b64encode(raw).rstrip(b"="),
    }
    for name, blob in planted.items():
        scan = Scanner(c)
        (tmp_path / "f.db-wal").write_bytes(b"xx" + blob + b"yy")
        (tmp_path / "f.db").write_bytes(b"")
        scan.file(tmp_path / "f.db")
        assert scan.hits, f"the scanner missed the {name} form"
    clean = Scanner(c)
    clean.bytes("elsewhere", b"nothing here " + os.urandom(64).hex().encode())
    clean.assert_clean()
