"""Streaming frame sources: video files and folders of frames, one RGB ``uint8`` frame at a time.

:func:`open_frames` checks the input up front — it exists, is not empty, is a video OpenCV
can decode (its first frame is decoded right away) or a folder holding images — and returns a
:class:`FrameSource`. Iterating a source yields ``(frame_index, frame)``, frames RGB ``uint8``
shaped (H, W, 3), decoding one frame at a time so memory does not grow with the length of the
video. Every iteration starts again from the first frame.

* **Videos**: whatever OpenCV's FFmpeg backend reads (mp4, avi, mov, mkv, webm, ...). A video
  that stops decoding before the frame count its header declares is truncated or damaged:
  iterating it raises :class:`InputError` where the decoder gives up.
* **Folders**: image files (see :data:`FRAME_EXTENSIONS`; hidden files ignored) in natural
  file-name order (``frame2`` before ``frame10``), each read by
  :func:`gaitcli.io.images.load_image`; all must share the first one's size. Folders have no
  frame rate: :data:`DEFAULT_FOLDER_FPS` unless one is given.

``stride`` keeps every stride-th frame (indices stay those of the source: 0, stride, ...),
``max_frames`` stops after that many frames have been yielded.
"""

from __future__ import annotations

import math
import numbers
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterator

import numpy as np

from gaitcli.constants import MAX_FPS, MAX_IMAGE_PIXELS, MAX_WALK_FRAMES, MIN_FPS
from gaitcli.errors import InputError
from gaitcli.io.native_stderr import quiet_stderr
from gaitcli.io.natsort import natural_key
from gaitcli.io.paths import link_problem

#: Frame rate assumed for a folder of frames when none is given.
DEFAULT_FOLDER_FPS = 30.0
#: Image files a frame folder may hold (the formats gaitcli.io.images reads).
FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".pnm")
#: A video counts as truncated when more than this many of its declared frames
#: (and more than 1 % of them) cannot be decoded; container frame counts can be a frame off.
TRUNCATION_SLACK = 2

# FFmpeg prints decoder complaints ("partial file", "moov atom not found") straight to stderr;
# gaitcli reports unusable videos itself, in one line. Read by OpenCV when FFmpeg starts up.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


class FrameSource(ABC):
    """Frames of a video or a folder, streamed as ``(index, RGB uint8 frame)``.

    Attributes: ``path``, ``kind`` ("video" or "folder"), ``fps``, ``fps_is_default`` (True
    where the input has no frame rate of its own), ``frame_count`` (frames in the source, None
    when the container does not say), ``width``, ``height``, ``stride``, ``max_frames``.
    """

    kind = ""

    def __init__(self, path: Path, *, fps: float, fps_is_default: bool, frame_count: int | None,
                 width: int, height: int, stride: int, max_frames: int | None):
        self.path = path
        self.fps = fps
        self.fps_is_default = fps_is_default
        self.frame_count = frame_count
        self.width = width
        self.height = height
        self.stride = stride
        self.max_frames = max_frames

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of every frame, in pixels."""
        return self.width, self.height

    @property
    def num_frames(self) -> int | None:
        """How many frames iteration will yield (after stride and max_frames), when known."""
        if self.frame_count is None:
            return None
        n = math.ceil(self.frame_count / self.stride)
        return n if self.max_frames is None else min(n, self.max_frames)

    def frame_label(self, index: int) -> str:
        """Where frame ``index`` comes from, for reports and pose JSON ``source`` fields."""
        return f"{self.path}#{index}"

    @abstractmethod
    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(frame_index, RGB uint8 frame)`` from the first frame on."""

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({str(self.path)!r}, {self.width}x{self.height}, fps={self.fps:g}, "
                f"frames={self.frame_count}, stride={self.stride}, max_frames={self.max_frames})")


class VideoFrames(FrameSource):
    """A video file decoded by OpenCV (FFmpeg), one frame at a time."""

    kind = "video"

    def __init__(self, path: Path, *, stride: int = 1, max_frames: int | None = None, fps: float | None = None):
        cap = _open_capture(path)
        try:
            import cv2

            declared_fps = cap.get(cv2.CAP_PROP_FPS)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            # refuse giant frames from the header, before anything is decoded
            _check_frame_size(path, int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            with quiet_stderr():
                ok, first = cap.read()
        finally:
            cap.release()
        if not ok or first is None or first.size == 0:
            raise InputError(f"{path}: no frame can be decoded (the video is empty, truncated or damaged)")
        height, width = first.shape[:2]
        _check_frame_size(path, width, height)
        has_fps = math.isfinite(declared_fps) and declared_fps > 0
        if has_fps and fps is None:
            check_fps(declared_fps, f"{path} (its header's frame rate; re-encode it with the right one)")
        if count > MAX_WALK_FRAMES:
            raise InputError(f"{path}: the video has {count} frames; gaitcli reads walks of up to {MAX_WALK_FRAMES} "
                             "frames: cut it into shorter clips")
        super().__init__(
            path, fps=fps or (declared_fps if has_fps else DEFAULT_FOLDER_FPS),
            fps_is_default=fps is None and not has_fps, frame_count=count if count > 0 else None,
            width=width, height=height, stride=stride, max_frames=max_frames,
        )  # fmt: skip

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        import cv2

        cap = _open_capture(self.path)
        index = yielded = 0
        try:
            while self.max_frames is None or yielded < self.max_frames:
                if index >= MAX_WALK_FRAMES:  # a stream whose header gave no frame count
                    raise InputError(f"{self.path}: the video has more than {MAX_WALK_FRAMES} frames; gaitcli reads "
                                     "walks of up to that many: cut it into shorter clips")
                skipped = bool(index % self.stride)
                with quiet_stderr():  # OpenCV's own readers print damage reports to fd 2; gaitcli reports it
                    if skipped:
                        ok, frame = cap.grab(), None  # skipped frames are decoded but not converted
                    else:
                        ok, frame = cap.read()
                if ok and frame is not None:
                    yield index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                    yielded += 1
                if not ok:
                    self._check_complete(index)
                    return
                index += 1
        finally:
            cap.release()

    def _check_complete(self, decoded: int) -> None:
        if decoded == 0:
            raise InputError(f"{self.path}: no frame can be decoded (the video is empty, truncated or damaged)")
        expected = self.frame_count
        if expected is not None and expected - decoded > max(TRUNCATION_SLACK, 0.01 * expected):
            raise InputError(f"{self.path}: the video is truncated or damaged: decoding stopped after "
                             f"{decoded} of its {expected} frames; re-copy or re-encode it")


class FolderFrames(FrameSource):
    """A folder of image files, in natural file-name order."""

    kind = "folder"

    def __init__(self, path: Path, *, stride: int = 1, max_frames: int | None = None, fps: float | None = None):
        from gaitcli.io.images import image_size

        self.files = frame_files(path)
        if not self.files:
            raise InputError(f"{path}: the folder holds no image files ({', '.join(FRAME_EXTENSIONS)}) to read as frames, "
                             "and no videos, keypoint files or .npy vectors")
        if len(self.files) > MAX_WALK_FRAMES:
            raise InputError(f"{path}: the folder holds {len(self.files)} frames; gaitcli reads walks of up to "
                             f"{MAX_WALK_FRAMES} frames: split it into shorter walks")
        _, width, height = image_size(self.files[0])
        super().__init__(
            path, fps=fps or DEFAULT_FOLDER_FPS, fps_is_default=fps is None, frame_count=len(self.files),
            width=width, height=height, stride=stride, max_frames=max_frames,
        )  # fmt: skip

    def frame_label(self, index: int) -> str:
        return str(self.files[index])

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        from gaitcli.io.images import load_image

        indices = range(0, len(self.files), self.stride)
        if self.max_frames is not None:
            indices = indices[: self.max_frames]
        for index in indices:
            frame = load_image(self.files[index])
            if frame.shape[:2] != (self.height, self.width):
                raise InputError(f"{self.files[index]}: the frame is {frame.shape[1]}x{frame.shape[0]} but the "
                                 f"folder's first frame is {self.width}x{self.height}; frames must share one size")
            yield index, frame


def frame_files(folder: Path) -> list[Path]:
    """The image files of ``folder`` in natural name order (hidden files left out)."""
    return sorted(
        (p for p in folder.iterdir()
         if p.suffix.lower() in FRAME_EXTENSIONS and not p.name.startswith(".") and p.is_file()),
        key=lambda p: natural_key(p.name),
    )  # fmt: skip


def open_frames(path: str | os.PathLike, *, stride: int = 1, max_frames: int | None = None,
                fps: float | None = None) -> FrameSource:
    """Open a video file or a folder of frames for streaming (see the module docstring).

    ``fps`` overrides the input's frame rate (a folder's default is :data:`DEFAULT_FOLDER_FPS`).
    Anything unusable raises :class:`InputError` with a one-line message.
    """
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise InputError(f"the frame stride must be a whole number of 1 or more (got {stride!r})")
    if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1):
        raise InputError(f"the maximum number of frames must be a whole number of 1 or more (got {max_frames!r})")
    check_fps(fps, "the frame rate given")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: {link_problem(p) or 'no such file or folder'}")
    if p.is_dir():
        return FolderFrames(p, stride=stride, max_frames=max_frames, fps=fps)
    if not p.is_file():
        raise InputError(f"{p}: not a regular file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty (0 bytes)")
    if p.suffix.lower() in FRAME_EXTENSIONS:
        raise InputError(f"{p}: a single image is not a walk; give a video or a folder of frames")
    return VideoFrames(p, stride=stride, max_frames=max_frames, fps=fps)


def check_fps(fps: float | None, where: str) -> float | None:
    """``fps`` as a float when within :data:`~gaitcli.constants.MIN_FPS` .. :data:`~gaitcli.constants.MAX_FPS`
    (None stays None); otherwise :class:`InputError` naming ``where`` the frame rate comes from."""
    if fps is None:
        return None
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not MIN_FPS <= fps <= MAX_FPS:  # NaN fails too
        raise InputError(f"{where}: a frame rate of {fps!r} fps is outside the {MIN_FPS:g} to {MAX_FPS:g} fps gaitcli reads")
    return float(fps)


def _check_frame_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"{path}: frames of {width}x{height} are above the limit of "
                         f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels; downscale the video first")


def _open_capture(path: Path):
    import cv2

    try:
        with quiet_stderr():
            cap = cv2.VideoCapture(str(path))
    except cv2.error:
        cap = None
    if cap is None or not cap.isOpened():
        raise InputError(f"{path}: not a video OpenCV can read (unknown format, or the file is damaged)")
    return cap
