"""Crash-safe file writes and the exclusive lock around a gallery's read-modify-write.

* :func:`atomic_write` writes to a temporary file in the target's folder, fsyncs it, renames
  it over the target and fsyncs the folder: a reader (or a crash at any moment) sees either
  the old file or the new one, never a mix.
* :func:`exclusive_lock` holds ``fcntl.flock`` on a sidecar ``<file>.lock``. The lock file is
  never deleted (deleting it would let two processes lock two different inodes); the kernel
  releases the lock when its holder exits, even by SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def atomic_write(path: str | os.PathLike, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably; the file gets ``mode``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: str | os.PathLike) -> int:
    """Delete temporary files that a killed :func:`atomic_write` of ``path`` left behind.

    Only safe while holding :func:`exclusive_lock` on ``path`` (no other writer is running).
    Returns how many were removed.
    """
    path = Path(path)
    removed = 0
    for leftover in path.parent.glob(_temp_prefix(path) + "*.tmp"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def lock_path(path: str | os.PathLike) -> Path:
    """The sidecar lock file of ``path``: ``<file>.lock``."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


@contextmanager
def exclusive_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``<path>.lock`` (blocking until other holders are done)."""
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."
