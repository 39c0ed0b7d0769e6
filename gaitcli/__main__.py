"""``python -m gaitcli``: the ``gaitcli`` command (for environments whose scripts folder is not on PATH)."""

from gaitcli.cli.main import main

if __name__ == "__main__":
    main()
