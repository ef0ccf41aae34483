"""docker-compose.yml run as local processes: what an engine would run, without one.

Everything a service runs comes from the files themselves: the compose model
(``docker-compose config``, which resolves anchors, profiles and defaults), the
services ``up`` selects (compose's own selection), and the Dockerfile's final
stage (``ENV``, ``WORKDIR``, ``ENTRYPOINT``, ``CMD``, ``HEALTHCHECK``; for the
dashboard also the ``RUN`` lines of its build stages). What differs between a
container and this machine is mapped, and only that:

* paths: ``/run/secrets/NAME`` → the secret's file (made by ``make secrets`` in
  a temporary folder); a volume's mount point → a temporary folder; the image's
  ``WORKDIR`` → the build context in the repository (``/app`` → ``backend/``);
  the image's virtualenv (``/opt/venv``) → the repository's ``backend/.venv``;
  the image has no ``.env`` file, so neither do the processes (``APP_ENV_FILE``
  points at a file that does not exist);
* network: each service name's ``host:port`` → ``127.0.0.1`` and the port its
  local process listens on; ``0.0.0.0`` → ``127.0.0.1``; a container port after
  ``--port`` → a free local port; the published dashboard port → the same;
* images this repository does not build (``postgres``, ``redis``) → the local
  PostgreSQL (a private schema) and Redis, after checking that the URL the API
  is given names that service and its database and user.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.core.config import REPO_ROOT
from tests.conftest import free_port
from tests.deploy.composefile import (
    Stage,
    context_files,
    exec_form,
    healthcheck_argv,
    service_dockerfile,
    stages,
)
from tests.deploy.processes import Proc, start

VENV = Path(sys.prefix)
IMAGE_VENV = "/opt/venv"
SECRETS_MOUNT = "/run/secrets"


@dataclass
class Mapping:
    """Container paths and addresses → this machine's."""

    paths: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)  # "backend:8000" → "127.0.0.1:41234"
    urls: dict[str, str] = field(default_factory=dict)  # whole values replaced (database, redis)

    def value(self, text: str) -> str:
        if text in self.urls:
            return self.urls[text]
        if self.paths:  # one pass, longest path first: /app/data before /app
            keys = sorted(self.paths, key=len, reverse=True)
            pattern = "|".join(re.escape(k) for k in keys)
            text = re.sub(f"({pattern})(?=/|$|[\\s:;,'\"])", lambda m: self.paths[m.group(1)], text)
        if self.hosts:
            pattern = "|".join(re.escape(k) for k in self.hosts)
            text = re.sub(f"(?<![\\w.-])({pattern})(?![\\w.-])", lambda m: self.hosts[m.group(1)], text)
        return text.replace("0.0.0.0", "127.0.0.1")


@dataclass
class Service:
    name: str
    config: dict[str, Any]
    port: int | None = None  # local port of the container's main port
    proc: Proc | None = None
    health: list[str] = field(default_factory=list)
    health_env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


def _container_port(final: Stage) -> int:
    expose = final.last("EXPOSE")
    assert expose is not None, "the image EXPOSEs its port"
    return int(expose.value[0].split("/")[0])


def _argv_ports(argv: list[str], container_port: int, local_port: int) -> list[str]:
    mapped = list(argv)
    for index, word in enumerate(mapped[:-1]):
        if word in ("--port", "-p") and mapped[index + 1] == str(container_port):
            mapped[index + 1] = str(local_port)
    return mapped


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


class LocalCompose:
    """Start the services ``up`` would start, in compose's order, as local processes."""

    def __init__(
        self,
        config: dict[str, Any],
        order: list[str],
        *,
        workdir: Path,
        secrets_dir: Path,
        external: dict[str, Callable[[Service, Mapping], None]],
        ports: dict[str, int] | None = None,
    ) -> None:
        self.config = config
        self.ports = ports or {}  # a service's local port chosen by the caller (else a free one)
        self.order = order
        self.workdir = workdir
        self.secrets_dir = secrets_dir
        self.external = external
        self.services: dict[str, Service] = {}
        self.mapping = Mapping()
        self.volumes = workdir / "volumes"

    # -- mapping ------------------------------------------------------------------

    def _service_paths(self, config: dict[str, Any], final: Stage | None, context: Path | None) -> dict[str, str]:
        paths: dict[str, str] = {}
        for secret in config.get("secrets", []):
            source = secret["source"] if isinstance(secret, dict) else secret
            target = secret.get("target", source) if isinstance(secret, dict) else source
            file = Path(self.config["secrets"][source]["file"])
            paths[f"{SECRETS_MOUNT}/{target}"] = str(self.secrets_dir / file.name)
        for volume in config.get("volumes", []):
            source, target = (
                (volume.split(":")[:2]) if isinstance(volume, str) else (volume["source"], volume["target"])
            )
            local = self.volumes / source
            local.mkdir(parents=True, exist_ok=True)
            local.chmod(0o700)
            paths[target] = str(local)
        if final is not None and context is not None:
            paths[final.workdir()] = str(context)
            paths[IMAGE_VENV] = str(VENV)
        return paths

    def _env(self, config: dict[str, Any], final: Stage | None, mapping: Mapping) -> dict[str, str]:
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir / "home"),
            "LANG": "C.UTF-8",
            "APP_ENV_FILE": str(self.workdir / "no-env-file-in-the-image" / ".env"),
        }
        (self.workdir / "home").mkdir(exist_ok=True)
        env = dict(base)
        if final is not None:
            for key, value in final.env().items():
                env[key] = mapping.value(_expand(value, env))
        for key, value in (config.get("environment") or {}).items():
            env[key] = mapping.value("" if value is None else str(value))
        return env

    # -- running --------------------------------------------------------------------

    def up(
        self, *, build: Callable[[Service, Stage, list[Stage], Mapping, dict[str, str]], Path] | None = None
    ) -> None:
        # every address first (a backend's PUBLIC_URL names the dashboard's published port)
        for name in self.order:
            config = self.config["services"][name]
            service = Service(name=name, config=config)
            self.services[name] = service
            if "build" not in config:
                continue
            service.port = self.ports.get(name) or free_port()
            container_port = _container_port(stages(service_dockerfile(config)[1])[-1])
            self.mapping.hosts[f"{name}:{container_port}"] = f"127.0.0.1:{service.port}"
            for published in config.get("ports", []):
                host_port = published["published"] if isinstance(published, dict) else published.split(":")[-2]
                self.mapping.hosts[f"127.0.0.1:{host_port}"] = f"127.0.0.1:{service.port}"
                self.mapping.hosts[f"localhost:{host_port}"] = f"localhost:{service.port}"
        for name in self.order:
            service = self.services[name]
            config = service.config
            if "build" not in config:
                self.external[name](service, self.mapping)
                continue
            context, dockerfile_path = service_dockerfile(config)
            all_stages = stages(dockerfile_path)
            final = all_stages[-1]
            container_port = _container_port(final)
            assert service.port is not None
            mapping = Mapping(
                paths={**self.mapping.paths, **self._service_paths(config, final, context)},
                hosts=dict(self.mapping.hosts),
                urls=dict(self.mapping.urls),
            )
            env = self._env(config, final, mapping)
            cwd = context
            if build is not None:
                cwd = build(service, final, all_stages, mapping, env)
                mapping.paths[final.workdir()] = str(cwd)
                env = self._env(config, final, mapping)
            service.cwd = cwd
            entrypoint = config.get("entrypoint") or exec_form(final.last("ENTRYPOINT"))
            command = config.get("command") or exec_form(final.last("CMD"))
            argv = [mapping.value(word) for word in [*entrypoint, *command]]
            argv = _argv_ports(argv, container_port, service.port)
            if "/" in argv[0] and not os.path.isabs(argv[0]):
                argv[0] = str(cwd / argv[0])  # relative to WORKDIR, as in the image
            check = final.last("HEALTHCHECK")
            assert check is not None, f"{name}: no HEALTHCHECK"
            service.health = [
                mapping.value(w).replace(f"127.0.0.1:{container_port}", f"127.0.0.1:{service.port}")
                for w in healthcheck_argv(check)
            ]
            service.health_env = env
            service.proc = start(argv, env=env, cwd=cwd)
            self.wait_healthy(service)

    def wait_healthy(self, service: Service, timeout: float = 120.0) -> None:
        """Run the image's own HEALTHCHECK command until it passes (the ``service_healthy`` condition)."""
        assert service.proc is not None
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if service.proc.popen.poll() is not None:
                raise AssertionError(f"{service.name} exited ({service.proc.popen.returncode}):\n{service.proc.log()}")
            result = subprocess.run(
                service.health,
                env=service.health_env,
                cwd=service.cwd,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if result.returncode == 0:
                return
            last = result.stderr[-500:]
            time.sleep(0.5)
        raise AssertionError(f"{service.name} never healthy: {last}\n{service.proc.log()}")

    def down(self) -> None:
        for name in reversed(list(self.services)):
            proc = self.services[name].proc
            if proc is not None:
                proc.stop()

    def logs(self) -> str:
        return "\n".join(s.proc.log() for s in self.services.values() if s.proc is not None)


@contextmanager
def local_compose(*args: Any, **kwargs: Any) -> Iterator[LocalCompose]:
    build = kwargs.pop("build", None)
    deployment = LocalCompose(*args, **kwargs)
    try:
        deployment.up(build=build)
        yield deployment
    finally:
        deployment.down()


# -- the dashboard's image, built here -------------------------------------------------


def build_node_image(
    service: Service, final: Stage, all_stages: list[Stage], mapping: Mapping, env: dict[str, str], *, root: Path
) -> Path:
    """Run the Dockerfile's build stages (their ``RUN`` lines, with the build ``ARG``s
    from the compose file) in a copy of the build context, then lay out the final
    stage from its ``COPY --from`` lines. Returns the final stage's folder."""
    context, _ = service_dockerfile(service.config)
    args = {k: mapping.value(str(v)) for k, v in (service.config["build"].get("args") or {}).items()}
    stage_dirs: dict[str, Path] = {}
    for stage in all_stages[:-1]:
        assert stage.name, "every build stage is named"
        used = {a.value[0].partition("=")[0]: args.get(a.value[0].partition("=")[0]) for a in stage.all("ARG")}
        # like Docker's layer cache: a stage with the same instructions and arguments is reused
        cache_key = repr(([i.original for i in stage.instructions], used, sorted(stage_dirs)))
        folder = root / f"{stage.name}-{hashlib.sha256(cache_key.encode()).hexdigest()[:12]}"
        if (folder / ".stage-done").exists():
            stage_dirs[stage.name] = folder
            continue
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        # a build sees the image's ENV and the build arguments, not this test's environment
        stage_env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        for arg in stage.all("ARG"):
            name, _, default = arg.value[0].partition("=")
            stage_env[name] = args.get(name, default)
        for key, value in stage.env().items():
            stage_env[key] = _expand(value, stage_env)
        stage_env["npm_config_prefer_offline"] = "true"  # the npm cache make's frontend-setup filled
        for instruction in stage.instructions:
            if instruction.cmd == "COPY":
                _copy(instruction, context, folder, stage_dirs)
            elif instruction.cmd == "RUN":
                result = subprocess.run(
                    ["/bin/sh", "-c", instruction.value[0]],
                    cwd=folder,
                    env=stage_env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=False,
                )
                assert result.returncode == 0, f"{stage.name}: {instruction.original}\n{result.stdout[-3000:]}"
        (folder / ".stage-done").write_text(cache_key)
        stage_dirs[stage.name] = folder
    run_dir = root / service.name / "final"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    for instruction in final.instructions:
        if instruction.cmd == "COPY":
            _copy(instruction, context, run_dir, stage_dirs)
    return run_dir


def _copy(instruction: Any, context: Path, dest: Path, stage_dirs: dict[str, Path]) -> None:
    from_stage = [f.split("=", 1)[1] for f in instruction.flags if f.startswith("--from=")]
    *sources, target = list(instruction.value)
    if from_stage:
        root = stage_dirs[from_stage[0]]
        for source in sources:
            src = root / Path(source).relative_to("/app") if source.startswith("/app/") else root / source
            _place(src, dest, target, many=len(sources) > 1)
        return
    sent = context_files(context)
    for source in sources:
        if source == ".":
            for rel in sorted(sent):
                src = context / rel
                if src.is_file():
                    out = dest / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, out)
            continue
        assert source in sent, f"{source} is not in the build context"
        _place(context / source, dest, target, many=len(sources) > 1)


def _place(src: Path, dest: Path, target: str, *, many: bool) -> None:
    target_path = dest / target.removeprefix("/app/").removeprefix("./") if target not in ("./", ".") else dest
    if src.is_dir():  # hard links: a stage's later RUN lines remove files, never rewrite them in place
        shutil.copytree(src, target_path, symlinks=True, dirs_exist_ok=True, copy_function=os.link)
    else:
        if target.endswith("/") or many or target in (".", "./"):
            target_path.mkdir(parents=True, exist_ok=True)
            target_path = target_path / src.name
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target_path)


def postgres_url_for(compose_url: str, service_env: dict[str, Any], local_url: str) -> str:
    """Check the API's URL names the postgres service, its database and user, then give the local one."""
    parts = urlsplit(compose_url)
    assert parts.hostname == "postgres" and parts.port == 5432, compose_url
    assert parts.username == service_env["POSTGRES_USER"] and parts.password is None, compose_url
    assert parts.path.lstrip("/") == service_env["POSTGRES_DB"], compose_url
    return local_url


def redis_url_for(compose_url: str, local_url: str) -> str:
    parts = urlsplit(compose_url)
    assert parts.scheme == "redis" and parts.hostname == "redis" and parts.port == 6379, compose_url
    return local_url


__all__ = ["REPO_ROOT", "LocalCompose", "Mapping", "Service", "build_node_image", "local_compose"]
