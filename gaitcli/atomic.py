"""Never lose or corrupt a user's file: crash-safe writes and the lock around a read-modify-write.

* :func:`atomic_output` yields a temporary path in the target's folder; when the block ends
  without an exception the file is fsynced, given its permissions, renamed over the target
  and the folder fsynced. A reader (or a crash at any moment) sees either the old file or the
  new one, never a mix; on any exception the temporary file is removed and the old file is
  left untouched. :func:`atomic_write` does the same for bytes already in memory.
* :func:`exclusive_lock` holds an OS file lock (``filelock``: ``flock`` on POSIX, ``msvcrt``
  locking on Windows) on a sidecar ``<file>.lock``. The lock file stays on POSIX (deleting it
  would let two processes lock two different inodes); the operating system releases the lock
  when its holder exits, even by SIGKILL.

Temporary files are named ``.<file name>.<random><suffix>`` beside the target, so a killed
writer's leftovers can be found again (:func:`remove_stale_temps`).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_output(
    path: str | os.PathLike, *, mode: int | None = None, suffix: str = ".tmp", replace: bool = True
) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; publish it as ``path`` on success.

    On leaving the block normally the temporary file is fsynced, chmodded to ``mode`` and
    renamed over ``path`` (then the folder is fsynced). On any exception it is removed and
    ``path`` is left as it was. ``mode=None`` gives what a plain ``open(path, "w")`` would: an
    existing file's permission bits, else ``0o666`` less the umask. The temporary file is
    created ``0o600``, so nothing is readable by others before the final ``chmod``.

    ``suffix`` ends the temporary name (writers that choose a format by extension need it).
    With ``replace=False`` an existing ``path`` is never overwritten: the file is hard-linked
    into place and :class:`FileExistsError` is raised if ``path`` already exists.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, _plain_mode(path) if mode is None else mode)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write(path: str | os.PathLike, data: bytes, *, mode: int | None = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably; the file gets ``mode`` (see :func:`atomic_output`)."""
    with atomic_output(path, mode=mode) as tmp:
        tmp.write_bytes(data)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    _fsync(folder)


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
    """Hold an exclusive OS lock on ``<path>.lock`` (blocking until other holders are done)."""
    from filelock import FileLock

    with FileLock(lock_path(path), mode=0o600):
        yield


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _fsync(path: str | os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _plain_mode(path: Path) -> int:
    """The permission bits ``open(path, "w")`` would leave: the existing file's, else 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:  # no such file (yet)
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
