"""Shared terminal output for the commands: rich consoles, JSON, CSV, whole tables, error lines, progress bars."""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import Any, Iterable, Sequence

from rich.console import Console

from gaitcli.errors import printable  # noqa: F401  (re-exported: user text shown in tables)

#: Human-readable output (tables, summaries).
console = Console()
#: Messages and progress go to stderr so that stdout stays clean for --json and pipes.
err_console = Console(stderr=True)


#: Set by ``gaitcli --debug``: failures of single inputs show their tracebacks too.
DEBUG = False


def error_line(message: str, *, level: str = "error") -> None:
    """One line on stderr: ``gaitcli: error: MESSAGE`` (or another ``level``, e.g. ``warning``)."""
    sys.stderr.write(f"gaitcli: {level}: {printable(' '.join(str(message).split()))}\n")
    sys.stderr.flush()


def warning(message: str) -> None:
    """``gaitcli: warning: MESSAGE`` on stderr."""
    error_line(message, level="warning")


def print_table(table) -> None:
    """Print a rich table on stdout with every cell whole: on a terminal long cells wrap inside
    their column (never cut or shortened with an ellipsis); into a pipe or file the table is as
    wide as its widest row, so that each row stays one line. A title is printed above it."""
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = False
    if table.title:  # a title is wrapped to the table's width: printed above it instead, whole
        title, table.title = table.title, None
        console.print(printable(title), soft_wrap=True, highlight=False, markup=False)
    if console.is_terminal:
        console.print(table)
        return
    width = Console(width=1_000_000).measure(table).maximum
    Console(file=sys.stdout, width=max(width, 80), highlight=False).print(table)


def print_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A header line and one line per row, as CSV on stdout."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([printable(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    sys.stdout.flush()


def print_json(data: Any) -> None:
    """Write ``data`` as JSON on stdout (machine-readable output only); NaN and infinities,
    which JSON has no words for, are written as null."""
    sys.stdout.write(json.dumps(_finite(data), indent=2, default=_default, allow_nan=False) + "\n")
    sys.stdout.flush()


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    if type(data).__module__ == "numpy":
        return _finite(_default(data))
    return data


def _default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def progress(*, disable: bool = False):
    """A rich progress bar on stderr (hidden when ``disable`` or when stderr is not a terminal)."""
    disable = disable or not err_console.is_terminal
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=disable,
    )
