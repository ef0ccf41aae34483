"""Start-up refusals and first-run set-up, run as real subprocesses."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from app.core import encryption
from app.core.config import BACKEND_DIR
from tests.conftest import register_canary

PY = sys.executable


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENCRYPTION_", "DATABASE_URL", "APP_ENV_FILE"))}
    env.update(
        {
            "APP_ENV_FILE": str(tmp_path / ".env"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(BACKEND_DIR),
        }
    )
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], timeout: float = 90.0) -> tuple[int, str, bool]:
    """Start uvicorn; return (exit code or -1 if still serving, stderr, health ok).

    The limit is generous: the loop ends as soon as the process is healthy or
    exits, and a loaded machine (parallel tests) may take long to import the app."""
    port = _free_port()
    proc = subprocess.Popen(
        [PY, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BACKEND_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    healthy = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
                if r.status_code == 200 and r.json()["status"] == "ok":
                    healthy = True
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            code = -1
        else:
            code = proc.returncode
        _, err = proc.communicate(timeout=10)
    return code, err, healthy


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "app.cli", *args], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def _assert_one_line_refusal(code: int, err: str, *, contains: str, secrets: tuple[str, ...] = ()) -> None:
    assert code == 1, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert "Traceback" not in err
    assert contains.lower() in lines[0].lower()
    for secret in secrets:
        assert secret not in err


def _init_db_with_secret(tmp_path: Path, key: str) -> None:
    """A database with the key check and one encrypted secret."""
    env = _env(tmp_path, ENCRYPTION_KEY=key)
    result = _cli(env, "init")
    assert result.returncode == 0, result.stderr
    import sqlite3

    from tests.conftest import make_settings

    encryption.load_keys(make_settings("sqlite://", encryption_key=key))
    token = encryption.encrypt(
        register_canary(f"fake-startup-{tmp_path.name}"), context="system_settings:ai_api_key_openai"
    )
    with sqlite3.connect(tmp_path / "app.db") as conn:
        conn.execute("INSERT INTO system_settings (key, value) VALUES ('ai_api_key_openai', ?)", (token,))


def test_malformed_key_refused(tmp_path: Path) -> None:
    bad = "not-a-real-key-but-secretish-value-1234567"
    code, err, healthy = _serve(_env(tmp_path, ENCRYPTION_KEY=bad))
    assert not healthy
    _assert_one_line_refusal(code, err, contains="ENCRYPTION_KEY is malformed", secrets=(bad,))


def test_key_and_key_file_differ_refused(tmp_path: Path) -> None:
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    key_file = tmp_path / "encryption_key"
    key_file.write_text(key_b + "\n")
    code, err, healthy = _serve(_env(tmp_path, ENCRYPTION_KEY=key_a, ENCRYPTION_KEY_FILE=str(key_file)))
    assert not healthy
    _assert_one_line_refusal(code, err, contains="both set and differ", secrets=(key_a, key_b))


def test_missing_key_file_refused(tmp_path: Path) -> None:
    code, err, _ = _serve(_env(tmp_path, ENCRYPTION_KEY_FILE=str(tmp_path / "missing")))
    _assert_one_line_refusal(code, err, contains="does not exist")


def test_no_key_with_encrypted_data_refused_and_nothing_generated(tmp_path: Path) -> None:
    _init_db_with_secret(tmp_path, Fernet.generate_key().decode())
    (tmp_path / ".env").unlink(missing_ok=True)
    code, err, healthy = _serve(_env(tmp_path))
    assert not healthy
    _assert_one_line_refusal(code, err, contains="already holds encrypted values")
    assert not (tmp_path / ".env").exists(), "a key must never be generated over existing encrypted data"
    result = _cli(_env(tmp_path), "init")
    assert result.returncode == 1
    assert "already holds encrypted values" in result.stderr
    assert not (tmp_path / ".env").exists()


def test_wrong_key_refused(tmp_path: Path) -> None:
    right = Fernet.generate_key().decode()
    _init_db_with_secret(tmp_path, right)
    wrong = Fernet.generate_key().decode()
    code, err, healthy = _serve(_env(tmp_path, ENCRYPTION_KEY=wrong))
    assert not healthy
    _assert_one_line_refusal(code, err, contains="the key does not match this database", secrets=(wrong, right))
    check = _cli(_env(tmp_path, ENCRYPTION_KEY=wrong), "check-key")
    assert check.returncode == 1
    assert "does not match this database" in check.stderr
    assert _cli(_env(tmp_path, ENCRYPTION_KEY=right), "check-key").returncode == 0


def test_previous_key_still_accepted_during_rotation(tmp_path: Path) -> None:
    old = Fernet.generate_key().decode()
    _init_db_with_secret(tmp_path, old)
    new = Fernet.generate_key().decode()
    env = _env(tmp_path, ENCRYPTION_KEY=new, ENCRYPTION_KEYS_PREVIOUS=old)
    check = _cli(env, "check-key")
    assert check.returncode == 0, check.stderr
    assert "previous key" in check.stdout


def test_right_key_serves_health(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    _init_db_with_secret(tmp_path, key)
    _code, err, healthy = _serve(_env(tmp_path, ENCRYPTION_KEY=key))
    assert healthy, err
    assert key not in err


def test_key_from_docker_secret_file(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    key_file = tmp_path / "encryption_key"
    key_file.write_text(key + "\n")
    _init_db_with_secret(tmp_path, key)
    _code, err, healthy = _serve(_env(tmp_path, ENCRYPTION_KEY_FILE=str(key_file)))
    assert healthy, err


def test_init_writes_key_0600_and_keeps_it(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = _cli(env, "init")
    assert first.returncode == 0, first.stderr
    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    content = env_file.read_text()
    key_lines = [line for line in content.splitlines() if line.startswith("ENCRYPTION_KEY=")]
    assert len(key_lines) == 1
    key = key_lines[0].split("=", 1)[1]
    assert len(key) == 44 and Fernet(key.encode())
    assert str(env_file) in first.stdout and "BACK IT UP" in first.stdout
    assert key not in first.stdout + first.stderr

    second = _cli(env, "init")
    assert second.returncode == 0, second.stderr
    assert env_file.read_text() == content, "a second init must keep the key"
    assert _cli(env, "check-key").returncode == 0


def test_init_fills_empty_key_line_and_keeps_other_lines(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# mine\nLOG_LEVEL=INFO\nENCRYPTION_KEY=\n")
    env_file.chmod(0o644)
    result = _cli(_env(tmp_path), "init")
    assert result.returncode == 0, result.stderr
    lines = env_file.read_text().splitlines()
    assert lines[0] == "# mine" and lines[1] == "LOG_LEVEL=INFO"
    assert lines[2].startswith("ENCRYPTION_KEY=") and len(lines[2]) == len("ENCRYPTION_KEY=") + 44
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_first_start_generates_key_and_serves(tmp_path: Path) -> None:
    _code, err, healthy = _serve(_env(tmp_path))
    assert healthy, err
    assert (tmp_path / ".env").exists()
    key = (tmp_path / ".env").read_text().split("ENCRYPTION_KEY=", 1)[1].strip()
    assert "Back it up" in err
    assert key not in err


def test_generate_key_prints_a_key(tmp_path: Path) -> None:
    result = _cli(_env(tmp_path), "generate-key")
    assert result.returncode == 0
    key = result.stdout.strip()
    assert Fernet(key.encode())
    again = _cli(_env(tmp_path), "generate-key").stdout.strip()
    assert again != key


def test_check_key_without_key(tmp_path: Path) -> None:
    result = _cli(_env(tmp_path), "check-key")
    assert result.returncode == 1
    assert "No encryption key" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_key_env_counts_as_unset(tmp_path: Path, value: str) -> None:
    result = _cli(_env(tmp_path, ENCRYPTION_KEY=value), "check-key")
    assert result.returncode == 1
    assert "No encryption key" in result.stderr


# -- at rest, on the machine (issue 12, item 10) ------------------------------------


def test_sqlite_folder_and_files_are_the_owner_s_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"  # does not exist yet: the app creates it
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{data / 'app.db'}")
    old_umask = os.umask(0o022)  # the usual umask: files 0644 unless the app says otherwise
    try:
        result = _cli(env, "init")
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    # a connection in WAL mode, kept open, so -wal and -shm exist
    import sqlite3

    from app.core.db import make_engine

    engine = make_engine(f"sqlite:///{data / 'app.db'}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS mode_probe (x)")
            conn.exec_driver_sql("INSERT INTO mode_probe VALUES (1)")
            conn.commit()
            files = {name: data / name for name in ("app.db", "app.db-wal", "app.db-shm")}
            assert all(p.exists() for p in files.values()), sorted(os.listdir(data))
            modes = {name: stat.S_IMODE(p.stat().st_mode) for name, p in files.items()}
            assert modes == dict.fromkeys(files, 0o600), modes
    finally:
        engine.dispose()
    assert sqlite3.connect(data / "app.db").execute("SELECT count(*) FROM mode_probe").fetchone() == (1,)


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    from app.core.db import make_engine

    path = tmp_path / "old.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").write_bytes(b"")
        os.chmod(f"{path}{suffix}", 0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert {stat.S_IMODE(Path(f"{path}{s}").stat().st_mode) for s in ("", "-wal", "-shm")} == {0o600}


def test_init_refuses_a_symlinked_env_file(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("# someone else's file\n")
    os.chmod(target, 0o644)
    (tmp_path / ".env").symlink_to(target)
    result = _cli(_env(tmp_path), "init")
    _assert_one_line_refusal(result.returncode, result.stderr, contains="symbolic link")
    assert target.read_text() == "# someone else's file\n", "the key must not land in the link's target"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert (tmp_path / ".env").is_symlink()


def test_init_writes_the_env_file_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key goes to a 0600 temporary file renamed over .env: a failed write
    leaves the old file whole and no temporary behind."""
    from app.core import keys

    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=INFO\n")
    seen: list[tuple[str, int]] = []
    real_replace = os.replace

    def spying_replace(src: str, dst: object) -> None:
        seen.append((Path(src).name, stat.S_IMODE(os.stat(src).st_mode)))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(keys.os, "replace", spying_replace)
    written = keys.write_key_to_env_file(env_file, Fernet.generate_key().decode())
    assert written.created and len(seen) == 1
    assert seen[0][0].startswith("..env.") and seen[0][0].endswith(".tmp") and seen[0][1] == 0o600
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file.read_text().startswith("LOG_LEVEL=INFO\nENCRYPTION_KEY=")

    def failing_replace(src: str, dst: object) -> None:
        raise OSError("disk full")

    other = tmp_path / "other.env"
    other.write_text("KEEP=1\n")
    monkeypatch.setattr(keys.os, "replace", failing_replace)
    with pytest.raises(OSError):
        keys.write_key_to_env_file(other, Fernet.generate_key().decode())
    assert other.read_text() == "KEEP=1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", "other.env"]


def test_settings_repr_hides_database_and_redis_passwords() -> None:
    from app.core.config import Settings

    db_pw, redis_pw = register_canary("fake-db-pw-repr"), register_canary("fake-redis-pw-repr")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"postgresql+psycopg://app:{db_pw}@127.0.0.1:5432/app",
        rate_limit_storage_url=f"redis://:{redis_pw}@127.0.0.1:6379/0",
    )
    for shown in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert db_pw not in shown and redis_pw not in shown
    assert "postgresql+psycopg://app:***@127.0.0.1:5432/app" in repr(settings)
    # callers still get the plain URLs
    assert settings.database_url == f"postgresql+psycopg://app:{db_pw}@127.0.0.1:5432/app"
    assert settings.rate_limit_storage_url == f"redis://:{redis_pw}@127.0.0.1:6379/0"
    assert not settings.is_sqlite
    # and the process holds the passwords: a log line naming them is masked
    from app.core.logging import redact

    assert redact(f"retrying with {db_pw} / {redis_pw.upper()}") == "retrying with **** / ****"


def test_a_postgresql_server_that_is_down_is_one_line(tmp_path: Path) -> None:
    password = register_canary("fake-pg-down-pw")
    url = f"postgresql+psycopg://app:{password}@127.0.0.1:{_free_port()}/app"
    env = _env(tmp_path, DATABASE_URL=url, ENCRYPTION_KEY=Fernet.generate_key().decode())
    code, err, healthy = _serve(env)
    assert not healthy
    _assert_one_line_refusal(code, err, contains="connection was refused", secrets=(password,))
    assert "DATABASE_URL" in err and "127.0.0.1" in err
    for command in ("init", "check-key"):
        result = _cli(env, command)
        _assert_one_line_refusal(
            result.returncode, result.stderr, contains="connection was refused", secrets=(password,)
        )
