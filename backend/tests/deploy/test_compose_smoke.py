"""The compose-equivalent smoke test: docker-compose.yml's own services, commands,
environment and health checks, run as local processes (see ``local_compose``),
on SQLite (the default) and on PostgreSQL + Redis (profile ``postgres``).

Then, as a user would through the published dashboard port: sign in as the first
admin (created at start from ADMIN_USERNAME and the ADMIN_PASSWORD_FILE secret),
store a camera password, an AI key and a webhook header (each a unique canary),
and find none of them in the database (the SQLite file, or a ``pg_dump``), nor
in any process's output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import REPO_ROOT
from tests.conftest import free_port, make_canary, register_canary
from tests.deploy.composefile import PROFILE, compose_config, enabled_services
from tests.deploy.local_compose import (
    LocalCompose,
    Mapping,
    Service,
    build_node_image,
    local_compose,
    postgres_url_for,
    redis_url_for,
)
from tests.deploy.ports import reserved_free_port

FRONTEND = REPO_ROOT / "frontend"

# The two runs share the build stages and the backend's port: one after the other, in one
# process (``make pytest`` runs ``--dist loadfile``).


@pytest.fixture(scope="session")
def image_build_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build stages shared by the two runs (a stage with the same instructions and arguments is
    cached like a layer). ``DASHBOARD_IMAGE_DIR`` (a fresh folder of each ``make test``: stages
    are cached by instructions and arguments, not by the sources) keeps them for the end-to-end
    run afterwards, which serves the dashboard built here (see scripts/e2e.sh)."""
    if not (FRONTEND / "package.json").exists():
        pytest.skip("frontend/ is not present: the dashboard image cannot be built")
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("Node.js and npm are needed to build the dashboard image here")
    shared = os.environ.get("DASHBOARD_IMAGE_DIR")
    if shared:
        Path(shared).mkdir(parents=True, exist_ok=True)
        return Path(shared)
    return tmp_path_factory.mktemp("images")


@pytest.fixture(scope="session")
def backend_port(image_build_root: Path) -> int:
    """The API's local port in both runs: the dashboard's rewrites (fixed at build time) then
    name the same address, so its build stage is built once. Kept in the build folder for the
    end-to-end run's backend."""
    saved = image_build_root / "backend-port"
    if saved.exists():
        return int(saved.read_text())
    port = reserved_free_port()  # the e2e backend may take it beside pytest (tests/deploy/ports.py)
    saved.write_text(str(port))
    return port


def _make_secrets(folder: Path) -> dict[str, str]:
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "make-secrets.sh"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SECRETS_OWNER": ""},
    )
    assert result.returncode == 0, result.stderr
    values = {p.name: p.read_text().strip() for p in folder.iterdir()}
    for value in values.values():
        register_canary(value)  # the key and passwords must never appear in a log either
    return values


def _local_postgres(pg_url: str, config: dict[str, Any]) -> Any:
    pg_env = config["services"]["postgres"]["environment"]

    def start(service: Service, mapping: Mapping) -> None:
        # the API's URL must name this service, its database and user; the local server stands in
        for other in config["services"].values():
            url = (other.get("environment") or {}).get("DATABASE_URL", "")
            if "@postgres:" in url:
                mapping.urls[url] = postgres_url_for(url, pg_env, pg_url)
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": "5432"}
        check = service.config["healthcheck"]["test"][1:]  # ["CMD", ...]: the file's own health check
        result = subprocess.run(check, env=env, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0, f"{check}: {result.stdout} {result.stderr}"

    return start


def _local_redis(redis_url: str, config: dict[str, Any]) -> Any:
    def start(service: Service, mapping: Mapping) -> None:
        for other in config["services"].values():
            url = (other.get("environment") or {}).get("RATE_LIMIT_STORAGE_URL", "")
            if url.startswith("redis://redis:"):
                mapping.urls[url] = redis_url_for(url, redis_url)
        check = service.config["healthcheck"]["test"][1:]
        result = subprocess.run(check, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0 and "PONG" in result.stdout, result

    return start


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    return tmp_path / "secrets"


def _deployment(
    tmp_path: Path,
    secrets_dir: Path,
    image_build_root: Path,
    backend_port: int,
    profile: str | None,
    externals: dict[str, Any],
) -> Iterator[tuple[LocalCompose, dict[str, str]]]:
    secrets = _make_secrets(secrets_dir)
    config = compose_config(profile=profile)
    target, backend = ("frontend-pg", "backend-pg") if profile else ("frontend", "backend")
    order = enabled_services(target, profile=profile)

    def build(service: Service, final: Any, all_stages: Any, mapping: Mapping, env: dict[str, str]) -> Path:
        if service.name.startswith("frontend"):
            return build_node_image(service, final, all_stages, mapping, env, root=image_build_root)
        return REPO_ROOT / service.config["build"]["context"]

    ext = {name: make(config) for name, make in externals.items()}
    with local_compose(
        config,
        order,
        workdir=tmp_path,
        secrets_dir=secrets_dir,
        external=ext,
        build=build,
        ports={backend: backend_port},
    ) as up:
        yield up, secrets


@pytest.fixture
def sqlite_deployment(
    tmp_path: Path, secrets_dir: Path, image_build_root: Path, backend_port: int
) -> Iterator[tuple[LocalCompose, dict[str, str]]]:
    yield from _deployment(tmp_path, secrets_dir, image_build_root, backend_port, None, {})


@pytest.fixture
def postgres_deployment(
    tmp_path: Path, secrets_dir: Path, image_build_root: Path, backend_port: int, pg_url: str, redis_url: str
) -> Iterator[tuple[LocalCompose, dict[str, str]]]:
    externals = {
        "postgres": lambda config: _local_postgres(pg_url, config),
        "redis": lambda config: _local_redis(redis_url, config),
    }
    yield from _deployment(tmp_path, secrets_dir, image_build_root, backend_port, PROFILE, externals)


# -- what a user does -----------------------------------------------------------------


def _store_three_secrets(up: LocalCompose, secrets: dict[str, str], frontend: str, backend: str) -> list[str]:
    """Through the dashboard's port, with its session cookie: sign in, then store three secrets."""
    fe = up.services[frontend]
    api_env = up.services[backend].health_env
    public_url = api_env["PUBLIC_URL"]
    base = f"http://127.0.0.1:{fe.port}"
    assert public_url == base, "PUBLIC_URL is the published dashboard address"
    camera_password = make_canary("camera-password")
    ai_key = make_canary("openai-key")
    header_value = make_canary("webhook-header")
    with httpx.Client(base_url=base, timeout=30, headers={"Origin": public_url}) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": api_env["ADMIN_USERNAME"], "password": secrets["admin_password"]}
        )
        assert login.status_code == 200, login.text
        assert login.json()["user"]["role"] == "admin"
        assert "loac_session" in client.cookies
        assert client.get("/api/v1/auth/me").json()["username"] == api_env["ADMIN_USERNAME"]
        camera = client.post(
            "/api/v1/cameras",
            json={
                "name": "porch",
                "type": "rtsp",
                "rtsp_url": f"rtsp://127.0.0.1:{free_port()}/stream",
                "username": "viewer",
                "password": camera_password,
            },
        )
        assert camera.status_code == 201, camera.text
        assert camera.json()["password"] == "****"
        settings = client.put("/api/v1/settings", json={"ai_api_key_openai": ai_key})
        assert settings.status_code == 200, settings.text
        assert settings.json()["ai_api_key_openai"] == "****" + ai_key[-4:]
        rule = client.post(
            "/api/v1/alert-rules",
            json={
                "name": "porch person",
                "is_enabled": True,
                "cooldown_minutes": 5,
                "conditions": {"object_types": ["person"]},
                "actions": {
                    "dashboard_notification": True,
                    "webhook": {
                        "url": f"http://127.0.0.1:{free_port()}/hook",
                        "headers": {"Authorization": f"Bearer {header_value}"},
                    },
                },
            },
        )
        assert rule.status_code == 201, rule.text
        for response in (login, camera, settings, rule):
            for secret in (camera_password, ai_key, header_value):
                assert secret not in response.text
        without_cookie = httpx.get(f"{base}/api/v1/cameras", timeout=30)
        assert without_cookie.status_code == 401
    return [camera_password, ai_key, header_value]


def _assert_nowhere(needles: list[str], haystack: bytes, what: str) -> None:
    for needle in needles:
        assert needle.encode() not in haystack, f"a stored secret appears in {what}"


def _sqlite_bytes(up: LocalCompose) -> bytes:
    folder = up.volumes / "sqlite-data"
    files = sorted(p for p in folder.iterdir() if p.is_file())
    assert any(p.name == "app.db" for p in files), files
    return b"".join(p.read_bytes() for p in files)


@pytest.mark.slow
def test_compose_sqlite_smoke(sqlite_deployment: tuple[LocalCompose, dict[str, str]]) -> None:
    up, secrets = sqlite_deployment
    assert list(up.services) == ["backend", "frontend"]
    stored = _store_three_secrets(up, secrets, "frontend", "backend")
    data = _sqlite_bytes(up)
    assert data.count(b"encrypted:") >= 3, "the three secrets were stored, encrypted"
    _assert_nowhere(stored, data, "the SQLite file")
    logs = up.logs()
    assert "Database is up to date" in logs, "the entrypoint (prestart.sh) ran the migrations"
    _assert_nowhere([*stored, *secrets.values()], logs.encode(), "a process's output")
    # the data folder of the volume stays private
    assert (up.volumes / "sqlite-data").stat().st_mode & 0o077 == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_compose_postgres_smoke(postgres_deployment: tuple[LocalCompose, dict[str, str]], pg_url: str) -> None:
    up, secrets = postgres_deployment
    assert list(up.services) == ["postgres", "redis", "backend-pg", "frontend-pg"]
    stored = _store_three_secrets(up, secrets, "frontend-pg", "backend-pg")
    logs = up.logs()
    workers = int(up.services["backend-pg"].health_env["WEB_CONCURRENCY"])
    assert workers >= 2 and logs.count("Application startup complete") == workers, logs
    schema = pg_url.split("search_path%3D", 1)[1]
    base_url = pg_url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--schema", schema, "--dbname", base_url],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert dump.returncode == 0, dump.stderr
    assert dump.stdout.count(b"encrypted:") >= 3, "the three secrets were stored, encrypted"
    _assert_nowhere(stored, dump.stdout, "the pg_dump")
    _assert_nowhere([*stored, *secrets.values()], logs.encode(), "a process's output")
