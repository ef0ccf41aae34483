"""What every command prints on failure: one line on stderr, exit status 1."""

from __future__ import annotations

import sys


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1
