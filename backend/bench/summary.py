"""Print one Markdown table of every benchmark's results (bench/results/*.json).

Run after the benchmarks (``make bench`` does): ``cd backend && .venv/bin/python bench/summary.py``.
Columns: benchmark, figure (the median, with what it measures), target, met.
A benchmark that wrote no file (it failed or was not run) is listed as not met.
Ends with "N of M targets met"; the exit status is 0 either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import RESULTS_DIR

BENCH_DIR = Path(__file__).resolve().parent
# A benchmark file and the result files it writes (bench_rotation also measures the migration).
EXPECTED = {"bench_rotation": ["rotation", "migration"]}


def expected_results() -> list[str]:
    names = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        names += EXPECTED.get(path.stem, [path.stem.removeprefix("bench_")])
    return names


def table() -> tuple[list[str], int, int]:
    lines = ["| benchmark | figure | value (median) | target | met |", "|---|---|---|---|---|"]
    met = total = 0
    for name in expected_results():
        path = RESULTS_DIR / f"{name}.json"
        if not path.exists():
            lines.append(f"| {name} | (no result: the benchmark failed or did not run) | n/a | n/a | **no** |")
            total += 1
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data["rows"]:
            counted = not row["target"].startswith("none")
            if counted:
                total += 1
                met += bool(row["met"])
            verdict = ("yes" if row["met"] else "**no**") if counted else "(no target)"
            lines.append(f"| {name} | {row['figure']} | {row['value']} | {row['target']} | {verdict} |")
    return lines, met, total


def main() -> int:
    lines, met, total = table()
    print("\n".join(lines))
    print(f"\n{met} of {total} targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
