"""Where the bundled sample clips are: ``gaitcli/samples/`` in an installed wheel, the
repository's ``sample_videos/`` in a checkout (an editable install or ``PYTHONPATH``).

The clips are kept once, in ``sample_videos/``; the wheel maps that folder to
``gaitcli/samples/`` (``pyproject.toml``), so ``gaitcli demo`` finds them from any folder.
"""

from __future__ import annotations

from pathlib import Path

from gaitcli.errors import InputError

_PACKAGE = Path(__file__).resolve().parent


def sample_folder() -> Path:
    """The folder of the bundled ``<person>_walk<k>.mp4`` clips and their README."""
    for folder in (_PACKAGE / "samples", _PACKAGE.parent / "sample_videos"):
        if (folder / "README.md").is_file():
            return folder
    raise InputError("the bundled sample clips are not installed; reinstall gaitcli or give a folder of clips")
