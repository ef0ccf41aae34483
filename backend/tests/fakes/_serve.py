"""What the fakes' command lines share."""

from __future__ import annotations

import time
from collections.abc import Callable


def serve_until_interrupted(stop: Callable[[], None]) -> None:
    """Wait (the fake serves in its own thread) until Ctrl-C, then ``stop()`` it."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
