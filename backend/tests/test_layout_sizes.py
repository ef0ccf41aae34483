"""The backend stays in rooms a newcomer can read: no function in app/ over
MAX_FUNCTION_LINES lines, and no file over MAX_FILE_LINES lines unless a
``# size: <reason>`` line near its top says why."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP_DIR = Path(__file__).resolve().parents[1] / "app"
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 400
REASON_WITHIN = 15  # the "# size:" line must be among the first lines of the file

def _sources() -> list[Path]:
    return sorted(APP_DIR.rglob("*.py"))


def long_functions(source: str, *, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """``(name, first line, length)`` of every function or method longer than ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > limit:
                found.append((node.name, first, length))
    return found


def has_size_reason(source: str) -> bool:
    return any(line.startswith("# size:") for line in source.splitlines()[:REASON_WITHIN])


def test_the_scan_sees_a_long_function_and_a_missing_reason() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}\n") == [("f", 1, MAX_FUNCTION_LINES + 1)]
    assert long_functions(f"def f():\n{body}\n", limit=MAX_FUNCTION_LINES + 1) == []
    assert not has_size_reason('"""doc"""\nx = 1\n')
    assert has_size_reason('"""doc"""\n# size: one table of data\n')


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(APP_DIR).as_posix())
def test_no_function_over_the_limit(path: Path) -> None:
    assert long_functions(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(APP_DIR).as_posix())
def test_no_long_file_without_a_reason(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    assert lines <= MAX_FILE_LINES or has_size_reason(source), f"{lines} lines and no '# size:' reason at the top"
