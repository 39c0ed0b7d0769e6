"""What native decoders (libjpeg, libpng, OpenCV, FFmpeg) write to stderr, captured instead of shown.

The C libraries under OpenCV print their warnings straight to file descriptor 2, past
Python's ``sys.stderr``: a damaged JPEG decodes with "Corrupt JPEG data: ..." lines before
gaitcli's own message, or none. :func:`captured_stderr` points descriptor 2 at a temporary
file while a decoder runs and hands back what was written, so the caller can judge it (a
damaged JPEG is refused, :mod:`gaitcli.io.images`) and the terminal keeps gaitcli's one line;
:func:`quiet_stderr` simply discards it (OpenCV's AVI reader, around every video call).

Descriptor 2 belongs to the whole process: captures are serialised by a lock, and anything
another thread prints during one is captured with it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator

_LOCK = threading.Lock()


@contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Redirect descriptor 2 while the block runs; the yielded list holds the text written once it ends."""
    captured: list[str] = []
    with _LOCK, tempfile.TemporaryFile() as sink:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed or broken stderr: nothing to keep apart
            pass
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read(64 * 1024).decode("utf-8", "replace"))


_DEVNULL: int | None = None


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Discard what is written to descriptor 2 while the block runs (cheap enough for every frame)."""
    global _DEVNULL
    with _LOCK:
        if _DEVNULL is None:
            _DEVNULL = os.open(os.devnull, os.O_WRONLY)
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        saved = os.dup(2)
        os.dup2(_DEVNULL, 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
