"""Machine-readable results: each benchmark writes bench/results/<name>.json.

``record(bench, rows)`` writes one file per benchmark (overwriting the last
run's) and prints one ``BENCH-RESULT {...}`` line per row, so a run can be read
from its output too. A row is one figure against one target::

    Row(figure="throughput ratio (app / bare Fernet)", value="1.12x", target="<= 1.3x",
        met=True, runs=[1.1, 1.12, 1.15])

``bench/summary.py`` reads every file and prints the table.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    figure: str
    value: str
    target: str
    met: bool
    runs: list[float] = field(default_factory=list)


def record(bench: str, rows: list[Row]) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    data = {
        "bench": bench,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "rows": [asdict(row) for row in rows],
    }
    (RESULTS_DIR / f"{bench}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    for row in rows:
        print("BENCH-RESULT " + json.dumps({"bench": bench, **asdict(row)}))


def ratio(value: float) -> str:
    return f"{value:.2f}x"
