"""docker-compose.yml and the Dockerfiles, checked without a Docker engine:
the compose file validates (a real compose implementation, with and without the
profile), and every path, build context, Dockerfile, script and command they
name exists; the images run as non-root, have health checks, pinned bases, and
no secret can get into a layer."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from app.core.config import BACKEND_DIR, REPO_ROOT, Settings
from tests.deploy.composefile import (
    COMPOSE_FILE,
    PROFILE,
    compose_config,
    compose_variables,
    context_files,
    enabled_services,
    exec_form,
    healthcheck_argv,
    run_compose,
    service_dockerfile,
    stages,
)

DEFAULT_SERVICES = {"backend", "frontend"}
PROFILE_SERVICES = {"postgres", "redis", "backend-pg", "frontend-pg"}
BUILT = {"backend": "backend", "frontend": "frontend", "backend-pg": "backend", "frontend-pg": "frontend"}


@pytest.fixture(scope="module")
def default_config() -> dict[str, Any]:
    return compose_config()


@pytest.fixture(scope="module")
def profile_config() -> dict[str, Any]:
    return compose_config(profile=PROFILE)


# -- (a) validation ----------------------------------------------------------------------


def test_compose_file_validates_without_and_with_the_profile(
    default_config: dict[str, Any], profile_config: dict[str, Any]
) -> None:
    assert set(default_config["services"]) == DEFAULT_SERVICES | PROFILE_SERVICES
    assert set(profile_config["services"]) == DEFAULT_SERVICES | PROFILE_SERVICES
    # what `up` starts, as compose selects it
    assert set(enabled_services()) == DEFAULT_SERVICES
    assert set(enabled_services(profile=PROFILE)) == DEFAULT_SERVICES | PROFILE_SERVICES
    # the documented PostgreSQL command starts no SQLite backend
    assert set(enabled_services("frontend-pg", profile=PROFILE)) == PROFILE_SERVICES
    # and the default dashboard pulls in only the SQLite backend
    assert set(enabled_services("frontend")) == DEFAULT_SERVICES


def test_compose_file_validates_with_the_documented_env_file() -> None:
    for profile in (None, PROFILE):
        config = compose_config(profile=profile, env_file=REPO_ROOT / ".env.example")
        assert "frontend" in config["services"]


def test_the_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    """The check can fail: the same file with an unknown dependency and a bad key is refused."""
    text = COMPOSE_FILE.read_text()
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace("condition: service_healthy", "condition: service_sleepy", 1))
    assert run_compose("config", "-q", compose_file=broken).returncode != 0
    broken.write_text(
        text.replace("    restart: unless-stopped\n", "    restart: unless-stopped\n    restrat: no\n", 1)
    )
    assert run_compose("config", "-q", compose_file=broken).returncode != 0


# -- the compose model -------------------------------------------------------------------


def test_only_the_dashboard_port_is_published(profile_config: dict[str, Any]) -> None:
    published = {name: s.get("ports", []) for name, s in profile_config["services"].items() if s.get("ports")}
    assert set(published) == {"frontend", "frontend-pg"}, published
    for ports in published.values():
        assert len(ports) == 1
        port = ports[0]
        text = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port['published']}:{port['target']}"
        assert re.fullmatch(r"127\.0\.0\.1:3000:3000(/tcp)?", text), text


def test_secrets_come_from_files_and_reach_the_app_through_file_variables(profile_config: dict[str, Any]) -> None:
    services = profile_config["services"]
    for name in ("backend", "backend-pg"):
        env = services[name]["environment"]
        mounted = {s["source"] if isinstance(s, dict) else s for s in services[name]["secrets"]}
        assert {"encryption_key", "admin_password"} <= mounted
        assert env["ENCRYPTION_KEY_FILE"] == "/run/secrets/encryption_key"
        assert env["ADMIN_PASSWORD_FILE"] == "/run/secrets/admin_password"
        assert env["ADMIN_USERNAME"] and env["PUBLIC_URL"]
        for forbidden in ("ENCRYPTION_KEY", "ADMIN_PASSWORD", "ENCRYPTION_KEYS_PREVIOUS", "POSTGRES_PASSWORD"):
            assert forbidden not in env, f"{name}: {forbidden} must come from a secret file"
        assert "restart" in services[name]
    pg = services["postgres"]["environment"]
    assert pg["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password" and "POSTGRES_PASSWORD" not in pg
    assert services["backend-pg"]["environment"]["PGPASSFILE"] == "/run/secrets/pgpass"
    for secret in profile_config["secrets"].values():
        path = Path(secret["file"])
        assert path.parent == REPO_ROOT / "secrets", path


def test_secrets_folder_is_git_ignored_and_nothing_secret_in_the_file(profile_config: dict[str, Any]) -> None:
    for secret in profile_config["secrets"].values():
        ignored = subprocess.run(["git", "check-ignore", "-q", secret["file"]], cwd=REPO_ROOT, check=False)
        assert ignored.returncode == 0, f"{secret['file']} is not git-ignored"
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"[A-Za-z0-9_-]{43}=", text), "a Fernet key in docker-compose.yml"
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET|TOKEN|_KEY)\w*\s*:", line) and "_FILE" not in line:
            assert re.search(r":\s*(\$\{\w+:-\}|/run/secrets/)", line), f"secret-looking value: {line.strip()}"
    url = profile_config["services"]["backend-pg"]["environment"]["DATABASE_URL"]
    assert "@" in url and ":" not in url.split("://", 1)[1].split("@", 1)[0], "no password in DATABASE_URL"


def test_profile_points_the_api_at_postgres_and_redis(profile_config: dict[str, Any]) -> None:
    services = profile_config["services"]
    api = services["backend-pg"]
    env = api["environment"]
    pg_env = services["postgres"]["environment"]
    assert env["DATABASE_URL"] == (
        f"postgresql+psycopg://{pg_env['POSTGRES_USER']}@postgres:5432/{pg_env['POSTGRES_DB']}"
    )
    assert env["RATE_LIMIT_STORAGE_URL"].startswith("redis://redis:6379/")
    assert {k: v["condition"] for k, v in api["depends_on"].items()} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    assert int(env["WEB_CONCURRENCY"]) >= 2
    assert services["frontend-pg"]["build"]["args"]["BACKEND_URL"] == "http://backend-pg:8000"
    for name in ("postgres", "redis"):
        service = services[name]
        assert service["image"].split(":")[0] in ("postgres", "redis") and ":" in service["image"]
        assert service["healthcheck"]["test"][0] == "CMD"
        assert any(str(v).split(":")[0] in profile_config["volumes"] for v in service["volumes"])
    assert services["backend"]["environment"]["DATABASE_URL"] == "sqlite:////app/data/app.db"
    assert any(str(v).startswith("sqlite-data:/app/data") for v in services["backend"]["volumes"])


def test_every_healthy_dependency_has_a_health_check(profile_config: dict[str, Any]) -> None:
    services = profile_config["services"]
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            assert how["condition"] == "service_healthy", (name, dependency)
            target = services[dependency]
            if "healthcheck" in target:
                continue
            _context, dockerfile_path = service_dockerfile(target)
            assert stages(dockerfile_path)[-1].last("HEALTHCHECK") is not None, dependency


def test_every_variable_the_file_reads_is_documented() -> None:
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE))
    missing = compose_variables(COMPOSE_FILE.read_text()) - documented
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_every_variable_given_to_the_api_is_one_it_reads(profile_config: dict[str, Any]) -> None:
    """A misspelt variable would be ignored silently: each must be a setting (or read by a tool)."""
    # A field's environment name is its validation alias when it has one (e.g. DATABASE_URL).
    fields = {
        (field.validation_alias if isinstance(field.validation_alias, str) else name).upper()
        for name, field in Settings.model_fields.items()
    }
    others = {"PGPASSFILE": "libpq", "WEB_CONCURRENCY": "uvicorn", "TZ": "the C library (local time)"}
    for name in ("backend", "backend-pg"):
        unknown = set(profile_config["services"][name]["environment"]) - fields - set(others)
        assert not unknown, f"{name}: {sorted(unknown)} are read by nothing"


# -- (b) every path and command exists ----------------------------------------------------


@pytest.mark.parametrize("service", sorted(BUILT))
def test_build_context_and_dockerfile_exist(profile_config: dict[str, Any], service: str) -> None:
    context, dockerfile_path = service_dockerfile(profile_config["services"][service])
    assert context == REPO_ROOT / BUILT[service] and context.is_dir()
    assert dockerfile_path.is_file()
    assert (context / ".dockerignore").is_file()


@pytest.mark.parametrize("folder", ["backend", "frontend"])
def test_dockerfile_is_multi_stage_slim_pinned_non_root_with_health_check(folder: str) -> None:
    all_stages = stages(REPO_ROOT / folder / "Dockerfile")
    assert len(all_stages) >= 2, "multi-stage"
    for stage in all_stages:
        name, _, tag = stage.image.partition(":")
        assert name in ("python", "node") and tag and tag != "latest", stage.image
        assert "slim" in tag and "bookworm" in tag, stage.image
    final = all_stages[-1]
    user = final.last("USER")
    assert user is not None and user.value[0].split(":")[0] not in ("root", "0"), "runs as non-root"
    assert final.last("HEALTHCHECK") is not None
    assert exec_form(final.last("CMD")), "CMD in exec form"


@pytest.mark.parametrize("folder", ["backend", "frontend"])
def test_every_copied_path_is_in_the_build_context(folder: str) -> None:
    context = REPO_ROOT / folder
    sent = context_files(context)
    all_stages = stages(context / "Dockerfile")
    names = {s.name for s in all_stages if s.name}
    for stage in all_stages:
        for copy in stage.all("COPY"):
            from_stage = [f.split("=", 1)[1] for f in copy.flags if f.startswith("--from=")]
            sources = list(copy.value[:-1])
            if from_stage:
                assert from_stage[0] in names, copy.original
                continue
            for source in sources:
                if folder == "frontend" and source == ".":
                    continue
                assert (context / source).exists(), f"{copy.original}: {source} does not exist"
                assert source in sent, f"{copy.original}: {source} is excluded by .dockerignore"


@pytest.mark.parametrize("folder", ["backend", "frontend"])
def test_no_secret_can_enter_a_layer(folder: str, tmp_path: Path) -> None:
    """The context, with decoys planted, never carries a .env, a key, a database or node_modules."""
    context = tmp_path / folder
    shutil.copytree(
        REPO_ROOT / folder,
        context,
        ignore=shutil.ignore_patterns("node_modules", ".next", ".next-e2e", ".venv", "__pycache__", "data"),
    )
    decoys = [".env", ".env.local", "app/.env", "secrets.key", "data/app.db", "data/app.db-wal", "x/.env.production"]
    if folder == "backend":
        decoys += [".venv/bin/python", "tests/fakes/x.py"]
    else:
        decoys += ["node_modules/a/index.js", ".next/server/app.js"]
    for decoy in decoys:
        (context / decoy).parent.mkdir(parents=True, exist_ok=True)
        (context / decoy).write_text("fake-decoy")
    sent = context_files(context)
    assert not set(decoys) & sent, sorted(set(decoys) & sent)
    for instruction in stages(context / "Dockerfile"):
        for env_like in instruction.all("ENV") + instruction.all("ARG"):
            for word in env_like.value:
                assert not re.search(r"(KEY|PASSWORD|SECRET|TOKEN)", word.split("=")[0]), env_like.original


def test_backend_image_runs_the_repository_prestart_script_then_uvicorn() -> None:
    final = stages(BACKEND_DIR / "Dockerfile")[-1]
    assert final.workdir() == "/app"
    entrypoint = exec_form(final.last("ENTRYPOINT"))
    assert entrypoint == ["/app/scripts/prestart.sh"]
    script = BACKEND_DIR / entrypoint[0].removeprefix("/app/")
    assert script.is_file() and script.stat().st_mode & stat.S_IXUSR
    # the same script make setup (and so make run) uses
    makefile = (REPO_ROOT / "Makefile").read_text()
    setup = makefile.split("\nsetup:", 1)[1].split("\n\n", 1)[0]
    assert "backend/scripts/prestart.sh" in setup
    cmd = exec_form(final.last("CMD"))
    assert cmd[0] == "uvicorn" and "uvicorn" in (BACKEND_DIR / "requirements.txt").read_text()
    module, _, attribute = cmd[1].partition(":")
    assert (BACKEND_DIR / (module.replace(".", "/") + ".py")).is_file() and attribute == "app"
    assert "--no-proxy-headers" in cmd or "--forwarded-allow-ips" in " ".join(cmd)
    for copy in final.all("COPY"):
        if not copy.flags:
            target = copy.value[-1]
            assert target.startswith("./") or target.startswith("/app"), copy.original
    health = healthcheck_argv(final.last("HEALTHCHECK"))  # type: ignore[arg-type]
    assert health[0] == "python" and "/health" in " ".join(health)


def test_frontend_image_builds_with_the_backend_url_and_serves_next() -> None:
    all_stages = stages(REPO_ROOT / "frontend" / "Dockerfile")
    build = next(s for s in all_stages if s.name == "build")
    assert any(a.value[0].startswith("BACKEND_URL") for a in build.all("ARG"))
    assert build.env().get("BACKEND_URL") == "${BACKEND_URL}"
    config = (REPO_ROOT / "frontend" / "next.config.ts").read_text()
    assert "process.env.BACKEND_URL" in config
    final = all_stages[-1]
    cmd = exec_form(final.last("CMD"))
    assert cmd[0] == "node_modules/.bin/next" and cmd[1] == "start"
    package = (REPO_ROOT / "frontend" / "package.json").read_text()
    import json

    # the runtime keeps production dependencies only (npm prune --omit=dev): next must be one
    assert "next" in json.loads(package)["dependencies"]
    health = healthcheck_argv(final.last("HEALTHCHECK"))  # type: ignore[arg-type]
    assert health[0] == "node"


def test_make_secrets_creates_every_compose_secret_0600_and_keeps_them(
    tmp_path: Path, profile_config: dict[str, Any]
) -> None:
    folder = tmp_path / "secrets"
    run = ["bash", str(REPO_ROOT / "scripts" / "make-secrets.sh"), str(folder)]
    first = subprocess.run(
        run,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SECRETS_OWNER": ""},
    )
    assert first.returncode == 0, first.stderr
    expected = {Path(s["file"]).name for s in profile_config["secrets"].values()}
    assert {p.name for p in folder.iterdir()} == expected
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    key = (folder / "encryption_key").read_text().strip()
    assert Fernet(key.encode())
    password = (folder / "admin_password").read_text()
    assert len(password) >= 12 and password == password.strip()
    pg_password = (folder / "postgres_password").read_text()
    assert (folder / "pgpass").read_text() == f"postgres:5432:loac:loac:{pg_password}\n"
    for secret in (key, password, pg_password):
        assert secret not in first.stdout + first.stderr
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    second = subprocess.run(
        run,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SECRETS_OWNER": ""},
    )
    assert second.returncode == 0 and {p.name: p.read_bytes() for p in folder.iterdir()} == before
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "scripts/make-secrets.sh" in makefile.split("\nsecrets:", 1)[1].split("\n\n", 1)[0]


def test_compose_file_parses_as_plain_yaml_with_the_documented_header() -> None:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert "version" not in data, "the compose specification has no version key"
