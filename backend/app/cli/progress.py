"""rotate-key's progress: a line per committed batch when stdout is not a
terminal (logs, CI, pipes), a bar per column (rich) when it is."""

from __future__ import annotations

from typing import Any, TextIO

from app.secrets.columns import SecretColumn
from app.secrets.inventory import BatchInfo


class PlainProgress:
    """One line per batch (when stdout is not a terminal: logs, CI, pipes)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._done = 0
        self._total = 0

    def start(self, column: SecretColumn, total: int) -> None:
        self._done, self._total = 0, total
        print(f"rotate-key: {column.table_name}.{column.column_name}: {total} row(s) to check", file=self.out)

    def advance(self, info: BatchInfo) -> None:
        self._done += info.rows
        print(
            f"rotate-key: {info.column.table_name}.{info.column.column_name}: batch {info.number} committed, "
            f"{self._done}/{max(self._total, self._done)} rows, {info.changed} rewritten",
            file=self.out,
            flush=True,
        )

    def stop(self) -> None:
        self.out.flush()


class RichProgress:
    """A progress bar per column (rich), when stdout is a terminal.

    The display (and its refresh thread) starts with the first column, after
    the pre-check, whose helper processes are best forked from a process
    without threads.
    """

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
        )
        self._tasks: dict[str, Any] = {}
        self._started = False

    def start(self, column: SecretColumn, total: int) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        name = f"{column.table_name}.{column.column_name}"
        self._tasks[name] = self._progress.add_task(name, total=max(total, 1))

    def advance(self, info: BatchInfo) -> None:
        self._progress.advance(self._tasks[f"{info.column.table_name}.{info.column.column_name}"], info.rows)

    def stop(self) -> None:
        if not self._started:
            return
        for task in self._tasks.values():
            self._progress.update(task, completed=self._progress.tasks[task].total)
        self._progress.stop()
