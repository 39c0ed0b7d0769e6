"""Shared terminal output for the commands: rich consoles, JSON, progress bars."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

#: Human-readable output (tables, summaries).
console = Console()
#: Messages and progress go to stderr so that stdout stays clean for --json and pipes.
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """Write ``data`` as JSON on stdout (machine-readable output only)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default) + "\n")
    sys.stdout.flush()


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
