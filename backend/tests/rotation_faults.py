"""``python -m tests.rotation_faults COMMAND ...``: ``python -m app.cli`` with a
fault injected into ``rotate-key`` from outside the app, so that interruption
tests are deterministic and the app ships no test hook.

``APP_TEST_ROTATION_HOOK=<kill|pause>@<point>[:<batch>]``, points
``before-write``, ``before-commit``, ``after-commit`` (batch numbers count
across all columns of the main pass) and ``before-key-check``. ``kill`` sends
the process SIGKILL there; ``pause`` prints a line and waits for one on stdin
(the test then kills it from outside).

The points are found by wrapping the rotation's own steps: the main pass is
every :func:`app.secrets.inventory.rewrite_column` call without ``settled``
(the catch-up passes pass it), its writes are
:func:`~app.secrets.inventory.write_batch_if_unchanged`, its commit is the
``after_batch`` callback, and the last step is
:func:`~app.secrets.inventory.write_key_check`.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from typing import Any

from app import cli
from app.secrets import inventory

HOOK_ENV = "APP_TEST_ROTATION_HOOK"
POINTS = ("before-write", "before-commit", "after-commit", "before-key-check")


@dataclass(frozen=True)
class Fault:
    __test__ = False  # not a pytest test class

    action: str
    point: str
    batch: int | None

    @classmethod
    def parse(cls, spec: str) -> Fault:
        action, _, rest = spec.partition("@")
        point, _, number = rest.partition(":")
        if action not in ("kill", "pause") or point not in POINTS or (number and not number.isdigit()):
            raise ValueError(f"{HOOK_ENV} is not understood")
        return cls(action=action, point=point, batch=int(number) if number else None)

    def fire(self, point: str, batch: int | None = None) -> None:
        if point != self.point or (self.batch is not None and batch != self.batch):
            return
        if self.action == "kill":
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        print(f"rotate-key: test hook paused at {point} {batch or ''}".rstrip(), flush=True)
        sys.stdin.readline()


def install(fault: Fault) -> None:
    """Wrap the rotation's steps (module attributes, looked up at call time)."""
    rewrite_column = inventory.rewrite_column
    write_batch = inventory.write_batch_if_unchanged
    write_key_check = inventory.write_key_check
    state = {"main_pass": False, "committed": 0}

    def faulty_rewrite_column(*args: Any, **kwargs: Any) -> inventory.RewriteResult:
        after_batch = kwargs.get("after_batch")
        if kwargs.get("settled") is not None or after_batch is None:
            return rewrite_column(*args, **kwargs)

        def commit(info: inventory.BatchInfo) -> None:
            state["committed"] += 1
            fault.fire("before-commit", state["committed"])
            after_batch(info)
            fault.fire("after-commit", state["committed"])

        state["main_pass"] = True
        try:
            return rewrite_column(*args, **{**kwargs, "after_batch": commit})
        finally:
            state["main_pass"] = False

    def faulty_write_batch(*args: Any, **kwargs: Any) -> set[Any]:
        if state["main_pass"]:
            fault.fire("before-write", state["committed"] + 1)
        return write_batch(*args, **kwargs)

    def faulty_write_key_check(*args: Any, **kwargs: Any) -> bool:
        fault.fire("before-key-check")
        return write_key_check(*args, **kwargs)

    inventory.rewrite_column = faulty_rewrite_column  # type: ignore[assignment]
    inventory.write_batch_if_unchanged = faulty_write_batch  # type: ignore[assignment]
    inventory.write_key_check = faulty_write_key_check  # type: ignore[assignment]


def main() -> int:
    spec = os.environ.get(HOOK_ENV, "").strip()
    if spec:
        try:
            install(Fault.parse(spec))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
