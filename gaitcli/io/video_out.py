"""Writing videos: the input drawn over with what gaitcli found (``gaitcli embed --list-tracks --save-video``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from gaitcli.atomic import atomic_output
from gaitcli.errors import InputError

#: File suffix -> OpenCV fourcc of the codec written (both in every OpenCV build).
CODECS = {".mp4": "mp4v", ".avi": "MJPG"}


def check_video_target(path: str | os.PathLike, *, force: bool = False, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """``path`` if a video may be written there: a known suffix, a folder that exists, not an
    input, not an existing file unless ``force``. Raises :class:`InputError` otherwise."""
    p = Path(path)
    if p.suffix.lower() not in CODECS:
        raise InputError(f"{p}: annotated videos are written as {' or '.join(CODECS)}; give a file name ending in one of them")
    if p.is_dir():
        raise InputError(f"{p} is a folder; give a video file name")
    if not p.parent.is_dir():
        raise InputError(f"cannot write {p}: folder {p.parent} does not exist")
    if any(p.resolve() == Path(i).resolve() for i in inputs):
        raise InputError(f"{p} is one of the inputs; choose another output file")
    if p.exists() and not force:
        raise InputError(f"{p} already exists; pass --force to overwrite it")
    return p


def write_video(path: str | os.PathLike, frames: Iterator[np.ndarray], fps: float, size: tuple[int, int],
                on_frame: Callable[[int], None] | None = None) -> int:
    """Write RGB uint8 ``frames`` of ``size`` (width, height) at ``fps`` to ``path`` (atomically:
    the file appears complete or not at all). Returns the number of frames written."""
    import cv2

    p = Path(path)
    written = 0
    with atomic_output(p, suffix=p.suffix) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*CODECS[p.suffix.lower()]), float(fps), tuple(size))
        if not writer.isOpened():
            raise InputError(f"cannot write {p}: OpenCV has no {CODECS[p.suffix.lower()]} encoder here")
        try:
            for frame in frames:
                writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
                written += 1
                if on_frame:
                    on_frame(written)
        finally:
            writer.release()
    return written
