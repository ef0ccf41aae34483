"""Reading docker-compose.yml and the Dockerfiles the way Docker does.

* The compose file goes through a real compose implementation (Debian's
  ``docker-compose config``): anchors, merges, profiles and ``${VAR:-default}``
  interpolation are resolved by it, not by us.
* Dockerfiles are parsed by BuildKit's own parser (the ``dockerfile`` package).
* Build contexts are filtered by ``.dockerignore`` with the Docker SDK's rules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dockerfile
import pytest
import yaml

from app.core.config import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
PROFILE = "postgres"
_EMPTY_ENV = Path(tempfile.gettempdir()) / f"loac-compose-{os.getpid()}" / "empty.env"


def compose_binary() -> str:
    found = shutil.which("docker-compose")
    if found:
        return found
    message = "docker-compose is not installed (apt-get install --no-install-recommends docker-compose)"
    if os.environ.get("CI"):
        pytest.fail(message + "; .ci/run installs it")
    pytest.skip(message)


def compose_config(
    *, profile: str | None = None, env_file: Path | None = None, compose_file: Path = COMPOSE_FILE
) -> dict[str, Any]:
    """``docker-compose config`` of the file: the model a real engine would run.

    ``env_file`` stands for the project's ``.env`` (default: an empty one, so a
    developer's own .env cannot change what is checked)."""
    result = run_compose("config", profile=profile, env_file=env_file, compose_file=compose_file)
    assert result.returncode == 0, result.stderr
    parsed = yaml.safe_load(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def run_compose(
    *args: str, profile: str | None = None, env_file: Path | None = None, compose_file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    binary = compose_binary()
    if env_file is None:
        env_file = _EMPTY_ENV
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text("")
    argv = [
        binary,
        "--project-directory",
        str(compose_file.parent),
        "-f",
        str(compose_file),
        "--env-file",
        str(env_file),
    ]
    if profile:
        argv += ["--profile", profile]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    # the variables the file reads must come from env_file alone
    for name in compose_variables(compose_file.read_text()):
        env.pop(name, None)
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=120, env=env, check=False)


def enabled_services(
    *targets: str, profile: str | None = None, env_file: Path | None = None, compose_file: Path = COMPOSE_FILE
) -> list[str]:
    """The services ``docker-compose [--profile P] up [TARGET...]`` starts, as compose selects them."""
    binary = compose_binary()
    interpreter = Path(binary).read_text(errors="replace").splitlines()[0].removeprefix("#!").split()
    if env_file is None:
        env_file = _EMPTY_ENV
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text("")
    argv = [
        *interpreter,
        "-I",
        str(Path(__file__).with_name("compose_services.py")),
        str(compose_file.parent),
        str(compose_file),
        str(env_file),
        profile or "",
        ",".join(targets),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed")
    names = json.loads(result.stdout)
    assert isinstance(names, list)
    return [str(n) for n in names]


def compose_variables(text: str) -> set[str]:
    """Names of the ``${VAR}`` / ``${VAR:-default}`` the compose file interpolates."""
    import re

    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


# -- Dockerfiles ----------------------------------------------------------------------


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[dockerfile.Command] = field(default_factory=list)

    def all(self, cmd: str) -> list[dockerfile.Command]:
        return [i for i in self.instructions if i.cmd == cmd.upper()]

    def last(self, cmd: str) -> dockerfile.Command | None:
        found = self.all(cmd)
        return found[-1] if found else None

    def workdir(self) -> str:
        last = self.last("WORKDIR")
        return last.value[0] if last else "/"

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            pairs = list(instruction.value)
            for key, value in zip(pairs[::2], pairs[1::2], strict=True):
                values[key] = value
        return values


def stages(path: Path) -> list[Stage]:
    result: list[Stage] = []
    for instruction in dockerfile.parse_file(str(path)):
        if instruction.cmd == "FROM":
            value = list(instruction.value)
            name = value[2] if len(value) >= 3 and value[1].upper() == "AS" else None
            result.append(Stage(image=value[0], name=name))
        elif result:
            result[-1].instructions.append(instruction)
    return result


def exec_form(instruction: dockerfile.Command | None) -> list[str]:
    """The argv of a CMD / ENTRYPOINT (exec form only: a shell form is refused)."""
    if instruction is None:
        return []
    assert instruction.json, f"{instruction.original}: use the exec (JSON) form"
    return list(instruction.value)


def healthcheck_argv(instruction: dockerfile.Command) -> list[str]:
    value = list(instruction.value)
    assert value[0] == "CMD", instruction.original
    return value[1:]


# -- build contexts -------------------------------------------------------------------


def context_files(context: Path) -> set[str]:
    """Relative paths Docker sends as the build context (after .dockerignore)."""
    from docker.utils.build import exclude_paths

    ignore = context / ".dockerignore"
    patterns = ignore.read_text().splitlines() if ignore.exists() else []
    patterns = [p for p in patterns if p.strip() and not p.lstrip().startswith("#")]
    return set(exclude_paths(str(context), patterns))


def service_dockerfile(service: dict[str, Any]) -> tuple[Path, Path]:
    """(context, Dockerfile) of a service built from this repository."""
    build = service["build"]
    context = Path(build["context"])
    return context, context / build.get("dockerfile", "Dockerfile")
