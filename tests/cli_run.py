"""Running `gaitcli` in-process from a test, as `main()` runs it (its one error handler included)."""

from __future__ import annotations

import pytest

from gaitcli.cli.main import main


def run_cli(args: list[str]) -> int:
    """Run `gaitcli ARGS` in this process; its exit code (output is left to ``capsys``)."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code or 0
