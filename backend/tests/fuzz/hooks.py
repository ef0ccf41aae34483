"""Schemathesis hooks for the API fuzz run (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``).

* Signed in: every request carries the admin API token from
  ``LOAC_FUZZ_TOKEN`` (an API token: a fuzzed ``POST /auth/logout`` cannot
  end it), and a fuzzed ``DELETE /tokens/{id}`` never targets that token's
  own id (``LOAC_FUZZ_TOKEN_ID``), so the run stays signed in throughout.
* One extra check: no stored secret (the canaries of the run, one a line in
  the file named by ``LOAC_FUZZ_CANARIES``) appears in any response body or
  header, as is, percent-encoded or in base64.
* ``ast.parse`` serialised across the run's worker threads (see below).
"""

from __future__ import annotations

import ast
import base64
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import schemathesis

# CPython 3.11 counts the AST constructor's recursion depth per interpreter, not per
# thread, and can leave the count off after an error (python/cpython#106905). Hypothesis
# parses lambdas' source to describe strategies, and with two schemathesis workers two
# parses can interleave: the run then stops with "SystemError: AST constructor recursion
# depth mismatch" (seen once in CI). One parse at a time avoids it.
_parse = ast.parse
_parse_lock = threading.RLock()


def _one_parse_at_a_time(*args: Any, **kwargs: Any) -> Any:
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _one_parse_at_a_time


@cache
def _canaries() -> tuple[bytes, ...]:
    """Each canary as is, percent-encoded and in base64 (both alphabets, unpadded too)."""
    path = os.environ.get("LOAC_FUZZ_CANARIES", "")
    if not path:
        return ()
    forms: set[bytes] = set()
    for line in Path(path).read_text().splitlines():
        if line:
            raw = line.encode()
            forms |= {raw, quote(line, safe="").encode()}
            for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
                forms |= {encoded, encoded.rstrip(b"=")}
    return tuple(sorted(forms))


@schemathesis.check
def no_canary_in_response(ctx: Any, response: Any, case: Any) -> bool | None:
    headers = "\n".join(f"{name}: {', '.join(values)}" for name, values in response.headers.items()).encode()
    for canary in _canaries():
        if canary in response.content or canary in headers:
            raise AssertionError(f"A stored secret appeared in the response to {case.method} {case.path}")
    return None


@schemathesis.auth(refresh_interval=None)
class AdminToken:
    def get(self, case: Any, context: Any) -> str:
        return os.environ["LOAC_FUZZ_TOKEN"]

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Every phase passes here (filters only see generated data): a revocation
    aimed at the run's own token goes to an id that does not exist."""
    own = os.environ.get("LOAC_FUZZ_TOKEN_ID", "")
    params = case.path_parameters
    if own and params and str(params.get("token_id")) == own:
        params["token_id"] = int(own) + 1_000_000
