"""Why a path that does not lead to a file is unusable, when it is a symbolic link: a loop or a broken link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

LOOP = "is a symbolic link loop"


def link_problem(path: str | os.PathLike) -> str | None:
    """:data:`LOOP` or ``"is a broken symbolic link (to TARGET)"`` for such a path; None for
    anything else (a missing path is the caller's own words)."""
    p = Path(path)
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LOOP
        if p.is_symlink():
            return f"is a broken symbolic link (to {os.readlink(p)})"
    return None
