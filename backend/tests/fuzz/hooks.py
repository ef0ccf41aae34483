"""Schemathesis hooks for the API fuzz run (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``).

One extra check: no stored secret (the canaries of the run, listed one a line
in the file named by ``LOAC_FUZZ_CANARIES``) appears in any response body or
header.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import schemathesis


@cache
def _canaries() -> tuple[bytes, ...]:
    path = os.environ.get("LOAC_FUZZ_CANARIES", "")
    if not path:
        return ()
    return tuple(line.encode() for line in Path(path).read_text().splitlines() if line)


@schemathesis.check
def no_canary_in_response(ctx: Any, response: Any, case: Any) -> bool | None:
    headers = "\n".join(f"{name}: {', '.join(values)}" for name, values in response.headers.items()).encode()
    for canary in _canaries():
        if canary in response.content or canary in headers:
            raise AssertionError(f"A stored secret appeared in the response to {case.method} {case.path}")
    return None
