"""Text tables for ``encryption-status`` and ``rotate-key``."""

from __future__ import annotations

from collections.abc import Sequence

from app.secrets.census import Census
from app.secrets.columns import PLACES, SECRET_STATES, SecretState
from app.secrets.rotation import RotationSummary


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(widths[0]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def key_check_text(state: SecretState | None) -> str:
    return {
        None: "none yet (written when the app starts)",
        "primary": "opens with the primary key",
        "previous": "opens with a previous key (rotate-key rewrites it last)",
        "undecryptable": "does NOT open with any configured key",
    }.get(state, str(state))


def format_census(census: Census) -> str:
    rows = [[place, *(census.counts[place][state] for state in SECRET_STATES)] for place in PLACES]
    rows.append(["total", *(census.total(state) for state in SECRET_STATES)])
    return _table(["place", "primary", "previous", "plaintext", "undecryptable"], rows)


def format_plan(census: Census) -> str:
    rows = [
        [
            place,
            census.counts[place]["previous"],
            census.counts[place]["plaintext"],
            census.counts[place]["primary"],
            census.counts[place]["undecryptable"],
        ]
        for place in PLACES
    ]
    return _table(["place", "re-encrypt", "encrypt (plaintext)", "already primary", "undecryptable"], rows)


def format_summary(summary: RotationSummary) -> str:
    result = summary.result
    rows = [
        [place, result.count("rotated", place), result.count("encrypted", place), result.count("unchanged", place)]
        for place in PLACES
    ]
    lines = [
        _table(["place", "re-encrypted", "encrypted (was plaintext)", "already primary"], rows),
        f"rows rewritten: {result.rows_changed}; concurrent writes detected and re-read: {result.conflicts}; "
        f"passes: {summary.passes}",
    ]
    if summary.complete:
        lines.append(
            "Key check "
            + ("rewritten under the primary key" if summary.key_check_updated else "already under the primary key")
            + ". Every stored secret is now under the primary key: the app starts with ENCRYPTION_KEY alone. "
            "Verify with `python -m app.cli encryption-status`, then remove the old key from "
            "ENCRYPTION_KEYS_PREVIOUS and restart the API."
        )
    else:
        left = summary.leftover
        counts = ""
        if left is not None:
            counts = (
                f" Left: {left.total('previous')} under a previous key, {left.total('plaintext')} plaintext, "
                f"{left.problem_total} unreadable" + (f" ({'; '.join(left.problems)})" if left.problems else "") + "."
            )
        lines.append(
            "The rotation is NOT complete: the key check was left as it was, so keep ENCRYPTION_KEYS_PREVIOUS."
            f"{counts} Rerun rotate-key (if the API writes heavily, rerun when it is quieter)."
        )
    return "\n".join(lines)
