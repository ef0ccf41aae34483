"""Which services ``docker-compose [--profile P] up [SERVICE...]`` would start.

Run by the Python that runs Debian's docker-compose (it imports its ``compose``
package): ``python3 compose_services.py PROJECT_DIR FILE ENV_FILE PROFILES TARGETS``
(comma-separated, may be empty). Prints a JSON list of service names. The
selection (profiles, dependencies pulled in, refusals) is compose's own.
"""

import json
import sys

import docker.errors
from compose.config import config
from compose.config.environment import Environment
from compose.project import Project


class NoEngine:
    """No Docker engine runs here: every network and volume is "not created yet"."""

    def inspect_network(self, name, *args, **kwargs):
        raise docker.errors.NotFound(f"network {name} not created (no engine)")

    def inspect_volume(self, name, *args, **kwargs):
        raise docker.errors.NotFound(f"volume {name} not created (no engine)")


def main() -> None:
    project_dir, file, env_file, profiles, targets = sys.argv[1:6]
    environment = Environment.from_env_file(project_dir, env_file)
    data = config.load(config.find(project_dir, [file], environment))
    enabled = [p for p in profiles.split(",") if p]
    project = Project.from_config("loac", data, NoEngine(), enabled_profiles=enabled)
    names = [t for t in targets.split(",") if t] or None
    print(json.dumps([s.name for s in project.get_services(names, include_deps=True)]))


if __name__ == "__main__":
    main()
