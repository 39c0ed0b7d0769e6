"""gaitcli's command line: a thin Typer layer over the Python API (one module per command group)."""
