"""JSON text as the app stores it in text columns (rule conditions and actions,
queued webhook payloads): compact, UTF-8 kept as is."""

from __future__ import annotations

import json
from typing import Any


def dumps_compact(value: Any) -> str:
    """``value`` as compact JSON text (no spaces, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads_object(text: str | None) -> dict[str, Any]:
    """A stored JSON object; ``{}`` when the text is empty, not JSON or not an object."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
