"""Schemathesis against the live API, inside a network namespace with only loopback.

Fuzzed input makes the product connect to addresses the fuzzer invents
(camera tests, webhooks), so the run never happens on the machine's own
network: the test re-executes itself under ``unshare -n`` (after
``ip link set lo up``) and, inside, refuses to start unless ``lo`` is the only
interface. Where ``unshare`` is not allowed it is skipped with the reason.

Inside: the API runs in a uvicorn subprocess on 127.0.0.1 over a fresh SQLite
database. The first admin is set up, a viewer added, and the fuzzer signs
every request with an admin API token (``tests/fuzz/hooks.py``). Secrets are
stored through the API first (a camera password, the
four AI keys, a webhook URL token, secret headers and a signing secret, the
account passwords and tokens, each a unique canary), with a fake RTSP camera on loopback to test against. Then
``schemathesis run`` tests every operation of ``/api/openapi.json`` with
every check (no 5xx, status codes, content types, headers and bodies as the
schema says, negative data rejected, ``Allow`` on 405 and OPTIONS, ...; all but
``positive_data_acceptance``, see below) plus
``tests/fuzz/hooks.py``'s check that no canary is in any response. Afterwards
the server's DEBUG log and the database file must not hold a canary, and the
log no traceback.

``positive_data_acceptance`` (a request the schema allows must be accepted) is
left out: the API has rules a JSON Schema cannot state — a ``camera_id`` must
name an existing camera, a USB camera needs ``device_index``, a webhook URL
must be ``http(s)://``, an image must not be empty — and answers those 422
with a message, as it should.

Bounded: ``LOAC_FUZZ_EXAMPLES`` examples per operation (default 10), seed
``LOAC_FUZZ_SEED`` (default fixed, so a failure reproduces).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import free_port, register_canary
from tests.deploy.processes import uvicorn_argv, wait_serving
from tests.fakes.fake_rtsp import start_in_thread

BACKEND = Path(__file__).resolve().parents[2]
IN_NAMESPACE = "LOAC_FUZZ_IN_NETNS"
EXAMPLES = int(os.environ.get("LOAC_FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("LOAC_FUZZ_SEED", "20261201")
TEST_ID = f"{Path(__file__).relative_to(BACKEND)}::test_api_fuzz_in_a_loopback_only_namespace"


def _interfaces() -> list[str]:
    """The network interfaces of this process's namespace (``/proc/self/net`` is per namespace)."""
    lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    return sorted(line.split(":", 1)[0].strip() for line in lines)


def _run_in_namespace() -> None:
    if os.geteuid() != 0:
        pytest.skip("API fuzzing needs root to enter a loopback-only network namespace (unshare -n)")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("API fuzzing needs unshare and ip (util-linux, iproute2) for a loopback-only namespace")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not allowed here, API fuzzing skipped: {probe.stderr.strip()[:200]}")
    command = [
        "unshare",
        "-n",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--show-capture=no",
        TEST_ID,
    ]
    env = {**os.environ, IN_NAMESPACE: "1"}
    result = subprocess.run(command, cwd=BACKEND, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    print(output[-6000:])
    assert result.returncode == 0, output[-12000:]


def test_api_fuzz_in_a_loopback_only_namespace(tmp_path: Path) -> None:
    if os.environ.get(IN_NAMESPACE) != "1":
        _run_in_namespace()
        return
    assert _interfaces() == ["lo"], f"refusing to fuzz outside a loopback-only namespace: {_interfaces()}"
    _fuzz(tmp_path)


# -- inside the namespace ------------------------------------------------------------


def _canary(label: str) -> str:
    return register_canary(f"fake-{label}-{uuid.uuid4().hex}")


@contextmanager
def _server(tmp_path: Path, env: dict[str, str], port: int) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "server.log"
    command = uvicorn_argv(port, "--no-access-log")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=BACKEND, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_serving(base, exited=lambda: log.read_text()[-3000:] if process.poll() is not None else None)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _sign_in(base: str) -> tuple[str, int, list[str]]:
    """The first admin (through setup), a viewer, and an admin API token for the fuzzer."""
    admin_password, viewer_password = _canary("admin-password"), _canary("viewer-password")
    setup = httpx.post(f"{base}/api/v1/auth/setup", json={"username": "admin", "password": admin_password})
    assert setup.status_code == 201, setup.text
    headers = {"Authorization": f"Bearer {setup.json()['access_token']}"}
    viewer = httpx.post(
        f"{base}/api/v1/users",
        json={"username": "viewer", "password": viewer_password, "role": "viewer"},
        headers=headers,
    )
    assert viewer.status_code == 201, viewer.text
    token = httpx.post(f"{base}/api/v1/tokens", json={"name": "fuzz", "role": "admin"}, headers=headers)
    assert token.status_code == 201, token.text
    secret = register_canary(token.json()["token"])
    return secret, int(token.json()["id"]), [admin_password, viewer_password, secret, setup.json()["access_token"]]


def _store_secrets(base: str, auth: dict[str, str], camera_url: str, camera_password: str, dead_port: int) -> list[str]:
    keys = {p: _canary(f"key-{p}") for p in ("openai", "anthropic", "google", "grok")}
    token, bearer, api_key = _canary("url-token"), _canary("bearer"), _canary("x-api-key")
    signing = "whsec_" + base64.b64encode(uuid.uuid4().bytes * 2).decode()
    register_canary(signing)
    with httpx.Client(base_url=base, timeout=10, headers=auth) as client:
        camera = client.post(
            "/api/v1/cameras",
            json={
                "name": "Front door",
                "type": "rtsp",
                "rtsp_url": camera_url,
                "username": "admin",
                "password": camera_password,
            },
        )
        assert camera.status_code == 201, camera.text
        usb = client.post("/api/v1/cameras", json={"name": "Desk", "type": "usb", "device_index": 0})
        assert usb.status_code == 201, usb.text
        settings = client.put("/api/v1/settings", json={f"ai_api_key_{p}": k for p, k in keys.items()})
        assert settings.status_code == 200, settings.text
        rule = client.post(
            "/api/v1/alert-rules",
            json={
                "name": "Person",
                "cooldown_minutes": 0,
                "conditions": {"object_types": ["person"]},
                "actions": {
                    "dashboard_notification": True,
                    "webhook": {
                        "url": f"http://127.0.0.1:{dead_port}/hook/{token}?sig={token}",
                        "headers": {"Authorization": f"Bearer {bearer}", "X-Api-Key": api_key},
                        "signing_secret": signing,
                    },
                },
            },
        )
        assert rule.status_code == 201, rule.text
        event = client.post(
            "/api/v1/events",
            json={"camera_id": camera.json()["id"], "confidence": 90, "objects_detected": ["person"]},
        )
        assert event.status_code == 201, event.text
        tested = client.post(f"/api/v1/cameras/{camera.json()['id']}/test")
        assert tested.json()["success"] is True, tested.text
    return [*keys.values(), token, bearer, api_key, signing, camera_password]


def _fuzz(tmp_path: Path) -> None:
    port, dead = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENCRYPTION_KEY", "DATABASE_URL", "AI_"))}
    env.update(
        {
            "APP_ENV_FILE": str(tmp_path / "app.env"),
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
            "LOG_LEVEL": "DEBUG",
            "RATE_LIMIT_STORAGE_URL": "memory://",
            "PYTHONUNBUFFERED": "1",
            **{f"AI_{p}_BASE_URL": f"http://127.0.0.1:{dead}/v1" for p in ("OPENAI", "ANTHROPIC", "GOOGLE", "GROK")},
        }
    )
    camera_password = _canary("camera")
    with start_in_thread(password=camera_password) as camera, _server(tmp_path, env, port) as (base, log):
        api_token, token_id, account_secrets = _sign_in(base)
        auth = {"Authorization": f"Bearer {api_token}"}
        canaries = account_secrets + _store_secrets(base, auth, camera.rtsp_url, camera_password, dead)
        canary_file = tmp_path / "canaries.txt"
        canary_file.write_text("\n".join(canaries) + "\n")
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{base}/api/openapi.json",
            "--checks",
            "all",
            # Schema-valid requests may rightly be refused by rules no JSON Schema
            # states: a referenced camera must exist, a USB camera needs its
            # device_index, a webhook URL is http(s), an image is not empty.
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            SEED,
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--request-timeout",
            "20",
            "--suppress-health-check",
            "all",
            "--no-shrink",
            "--max-failures",
            "30",
        ]
        fuzz_env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
            "LOAC_FUZZ_CANARIES": str(canary_file),
            "LOAC_FUZZ_TOKEN": api_token,
            "LOAC_FUZZ_TOKEN_ID": str(token_id),
            "PYTHONPATH": str(BACKEND),
            "NO_COLOR": "1",
        }
        started = time.monotonic()
        result = subprocess.run(
            command, cwd=tmp_path, env=fuzz_env, capture_output=True, text=True, timeout=600, check=False
        )
        elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    if os.environ.get("LOAC_FUZZ_REPORT"):  # for a look afterwards: the run's output, log and database
        report = Path(os.environ["LOAC_FUZZ_REPORT"])
        report.write_text(output)
        shutil.copyfile(log, report.with_suffix(".server.log"))
        shutil.copyfile(tmp_path / "app.db", report.with_suffix(".db"))
    print(f"schemathesis: {EXAMPLES} examples per operation, seed {SEED}, {elapsed:.0f} s")
    print(output[-4000:])
    assert result.returncode == 0, output[-15000:]
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log and "Unhandled error" not in server_log, server_log[-5000:]
    _assert_nowhere(canaries, server_log, output, tmp_path / "app.db")


def _assert_nowhere(canaries: list[str], *places: Any) -> None:
    for place in places:
        if isinstance(place, Path):
            data = b"".join(p.read_bytes() for p in place.parent.glob(place.name + "*"))
        else:
            data = str(place).encode()
        where = place if isinstance(place, Path) else "the output"
        for canary in canaries:
            assert canary.encode() not in data, f"a stored secret leaked into {where}"
