"""A free local port the kernel never hands out by itself.

``make test`` runs the browser tests beside pytest, on ports chosen before either starts (the
dashboard's rewrites name the API's port at build time). A port below the kernel's ephemeral
range cannot be given to a test that asks for a free one (bind to port 0), so nothing in pytest
can take it meanwhile. ``python -m tests.deploy.ports`` prints one.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 20000


def reserved_free_port() -> int:
    """A port in [20000, start of the ephemeral range) that nothing listens on now."""
    first = int(EPHEMERAL_RANGE.read_text().split()[0]) if EPHEMERAL_RANGE.exists() else 32768
    for port in random.sample(range(LOWEST, max(first, LOWEST + 200)), 200):  # nosec B311: not a secret
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port between {LOWEST} and {first}")


if __name__ == "__main__":
    print(reserved_free_port())
