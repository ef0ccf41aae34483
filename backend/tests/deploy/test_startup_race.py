"""First-run key generation, migrations and the key check with several processes
starting at once: one wins, the others use its key or refuse. Real processes."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from app.core.config import BACKEND_DIR
from tests.conftest import free_port, register_canary
from tests.deploy.processes import PY, clean_env, running, uvicorn_argv

PROCESSES = 4


def _start_together(envs: list[dict[str, str]], *args: str) -> list[subprocess.CompletedProcess[str]]:
    """Run ``python -m app.cli ARGS`` once per env, all at the same time."""
    procs = [
        subprocess.Popen(
            [PY, "-m", "app.cli", *args],
            cwd=BACKEND_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _keys_in(env_file: Path) -> list[str]:
    return re.findall(r"^ENCRYPTION_KEY=(\S+)$", env_file.read_text(), flags=re.MULTILINE)


def test_workers_sharing_an_env_file_agree_on_one_key_sqlite(tmp_path: Path) -> None:
    env = clean_env(APP_ENV_FILE=str(tmp_path / ".env"), DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}")
    results = _start_together([env] * PROCESSES, "init")
    assert [r.returncode for r in results] == [0] * PROCESSES, [r.stderr for r in results]
    generated = [r for r in results if "Generated a new encryption key" in r.stdout]
    assert len(generated) == 1, [r.stdout for r in results]
    keys = _keys_in(tmp_path / ".env")
    assert len(keys) == 1 and Fernet(keys[0].encode())
    check = subprocess.run(
        [PY, "-m", "app.cli", "check-key"], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr


def test_replicas_with_their_own_env_files_one_wins_the_rest_refuse_postgres(tmp_path: Path, pg_url: str) -> None:
    envs = []
    for index in range(PROCESSES):
        (tmp_path / str(index)).mkdir()
        envs.append(clean_env(APP_ENV_FILE=str(tmp_path / str(index) / ".env"), DATABASE_URL=pg_url))
    results = _start_together(envs, "init")
    winners = [i for i, r in enumerate(results) if r.returncode == 0]
    assert len(winners) == 1, [(r.returncode, r.stdout, r.stderr) for r in results]
    for index, result in enumerate(results):
        if index in winners:
            continue
        assert result.returncode == 1
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "already holds encrypted values" in lines[0], result.stderr
        assert "Traceback" not in result.stderr
    # the database's key check opens with the winner's key, and only with it
    winner_key = _keys_in(tmp_path / str(winners[0]) / ".env")[0]
    for index, env in enumerate(envs):
        keyed = {**env, "ENCRYPTION_KEY": winner_key}
        check = subprocess.run(
            [PY, "-m", "app.cli", "check-key"], cwd=BACKEND_DIR, env=keyed, capture_output=True, text=True, timeout=60
        )
        assert check.returncode == 0, (index, check.stderr)
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            checks = conn.execute(text("SELECT count(*) FROM app_meta WHERE key = 'encryption_key_check'")).scalar()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert checks == 1 and revision


def test_two_uvicorn_workers_first_start_one_key_postgres(tmp_path: Path, pg_url: str) -> None:
    """uvicorn --workers 2 on a brand-new database with no key: one key, one admin, both workers serve."""
    password_file = tmp_path / "admin_password"
    password = register_canary(f"fake-admin-{tmp_path.name}-password")
    password_file.write_text(password)
    env = clean_env(
        APP_ENV_FILE=str(tmp_path / ".env"),
        DATABASE_URL=pg_url,
        ADMIN_USERNAME="first-admin",
        ADMIN_PASSWORD_FILE=str(password_file),
    )
    port = free_port()
    with running(uvicorn_argv(port, "--workers", "2"), env=env, health=f"http://127.0.0.1:{port}/health") as proc:
        # both workers got through start-up (each prints its own "Application startup complete")
        for _ in range(100):
            if proc.log().count("Application startup complete") >= 2:
                break
            time.sleep(0.2)
        log = proc.log()
    assert log.count("Application startup complete") == 2, log
    assert "error:" not in log, log
    keys = _keys_in(tmp_path / ".env")
    assert len(keys) == 1, keys
    assert keys[0] not in log and password not in log
    assert log.count("Created the admin account") == 1, log
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            users = conn.execute(text("SELECT username, role FROM users")).all()
    finally:
        engine.dispose()
    assert [tuple(u) for u in users] == [("first-admin", "admin")]
    check = subprocess.run(
        [PY, "-m", "app.cli", "check-key"], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_startup_lock_excludes_a_second_holder(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    """The lock itself: while one process holds it, another waits (and gives up with one clear line)."""
    from app.core import keys
    from app.core.db import make_engine

    url = request.getfixturevalue("pg_url") if backend == "postgres" else f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    code = (
        "import sys\n"
        "from app.core import keys\n"
        "from app.core.db import make_engine\n"
        "try:\n"
        f"    with keys.startup_lock(make_engine({url!r}), timeout=1.0):\n"
        "        print('got it')\n"
        "except keys.StartupError as exc:\n"
        "    print(exc, file=sys.stderr); sys.exit(1)\n"
    )
    try:
        with keys.startup_lock(engine):
            held = subprocess.run(
                [PY, "-c", code], cwd=BACKEND_DIR, env=clean_env(), capture_output=True, text=True, timeout=60
            )
        free = subprocess.run(
            [PY, "-c", code], cwd=BACKEND_DIR, env=clean_env(), capture_output=True, text=True, timeout=60
        )
    finally:
        engine.dispose()
    assert held.returncode == 1 and "Another process has been starting up" in held.stderr, held
    assert free.returncode == 0 and "got it" in free.stdout, free
