"""What every command over many inputs shares: --jobs/--scheduler/--format, progress on stderr,
one stderr line per failed input, and the exit code of the first failure.

A command runs its inputs inside ``with Batch("embedding", inputs) as batch:`` and passes
``batch.done`` (and ``batch.frames``) to :mod:`gaitcli.batch`; every input is processed, every
failure is printed as it happens (``gaitcli: error: ...``), the good results are printed, and
``batch.finish()`` then exits with the first failed input's code (see docs/batch.md).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from gaitcli.batch import Failure
from gaitcli.cli import output


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


JOBS: int = typer.Option(
    1, "--jobs", "-j", min=1,
    help="Worker processes on this machine, each with its share of the cores (see docs/batch.md).")
SCHEDULER: Optional[str] = typer.Option(
    None, "--scheduler", metavar="ADDRESS",
    help="Embed on a Dask cluster: its scheduler's address, e.g. tcp://10.0.0.5:8786 (needs the extra gaitcli\\[cluster]; see docs/batch.md).")
FORMAT: Optional[OutputFormat] = typer.Option(
    None, "--format", case_sensitive=False, help="How to print the results: table (default), csv, or json (as --json).")


def output_format(fmt: OutputFormat | None, as_json: bool) -> OutputFormat:
    """The format asked for by ``--format`` and ``--json`` (refusing two different ones)."""
    if as_json and fmt not in (None, OutputFormat.json):
        raise typer.BadParameter(f"--json and --format {fmt.value} ask for two formats; give one")
    return OutputFormat.json if as_json else (fmt or OutputFormat.table)


def progress_interval() -> float | None:
    """Seconds between progress lines when stderr is not a terminal (``$GAITCLI_PROGRESS_INTERVAL``;
    0 turns them off); None when off."""
    from gaitcli.constants import PROGRESS_INTERVAL_S

    try:
        seconds = float(os.environ.get("GAITCLI_PROGRESS_INTERVAL", PROGRESS_INTERVAL_S))
    except ValueError:
        seconds = PROGRESS_INTERVAL_S
    return max(0.05, seconds) if seconds > 0 else None


class Batch:
    """Progress and failures of one command over ``inputs``.

    On a terminal stderr shows a rich progress bar; otherwise a line every few seconds
    (:func:`progress_interval`) while the batch runs. ``done(index, outcome)`` counts an input
    (a :class:`~gaitcli.batch.Failure` is printed at once as one line); ``fail(index, failure)``
    records a failure found later; ``finish()`` exits with the code of the failed input that
    comes first in input order, if any.
    """

    def __init__(self, what: str, inputs, *, unit: str = "inputs"):
        self.names = [str(p) for p in inputs]
        self.what, self.total, self.unit = what, len(self.names), unit
        self.failures: dict[int, Failure] = {}
        self.completed = 0
        self.current = ""
        self._started = time.monotonic()
        self._bar = None
        self._task = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- progress ------------------------------------------------------------------------------

    def __enter__(self) -> "Batch":
        self._started = time.monotonic()
        if output.err_console.is_terminal:
            self._bar = output.progress()
            self._bar.__enter__()
            self._task = self._bar.add_task(self.what, total=self.total or None)
        elif progress_interval() is not None:
            self._ticker = threading.Thread(target=self._tick, name="gaitcli-progress", daemon=True)
            self._ticker.start()
        return self

    def plan(self, inputs) -> None:
        """The inputs, once they are known (after the batch started)."""
        self.names = [str(p) for p in inputs]
        self.total = len(self.names)
        if self._bar is not None:
            self._bar.update(self._task, total=self.total)

    def __exit__(self, *exc_info) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc_info)
            self._bar = None
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None

    def _tick(self) -> None:
        interval = progress_interval()
        while not self._stop.wait(interval):
            if self.total:
                sys.stderr.write(f"gaitcli: {self.status()}\n")
                sys.stderr.flush()

    def status(self) -> str:
        """``embedding: 3 of 16 inputs done, 1 failed, 0:42 elapsed (now: walk.mp4, frame 120 of 400)``."""
        seconds = int(time.monotonic() - self._started)
        text = f"{self.what}: {self.completed} of {self.total} {self.unit} done"
        if self.failures:
            text += f", {len(self.failures)} failed"
        text += f", {seconds // 60}:{seconds % 60:02d} elapsed"
        return text + (f" (now: {self.current})" if self.current and self.completed < self.total else "")

    def frames(self, index: int, done: int, total: int | None) -> None:
        """Frames read so far of the input being processed in this process."""
        self.current = f"{Path(self.names[index]).name}, frame {done}" + (f" of {total}" if total else "")
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.what} ({self.current})")

    def done(self, index: int, outcome: Any) -> None:
        """Input ``index`` is finished with ``outcome`` (a Failure is reported now)."""
        if isinstance(outcome, Failure):
            self.fail(index, outcome)
        self.completed += 1
        self.current = ""
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=self.what)

    # --- failures --------------------------------------------------------------------------------

    def fail(self, index: int, failure: Failure) -> None:
        """Report ``failure`` of input ``index`` as one line on stderr (its traceback with --debug)."""
        output.error_line(failure.error)
        if output.DEBUG and failure.detail:
            sys.stderr.write(failure.detail)
        self.failures.setdefault(index, failure)

    @property
    def exit_code(self) -> int:
        """The code of the failed input that comes first in input order; 0 when none failed."""
        return self.failures[min(self.failures)].exit_code if self.failures else 0

    def finish(self) -> None:
        """Exit with :attr:`exit_code` when any input failed."""
        if self.failures:
            raise typer.Exit(self.exit_code)
