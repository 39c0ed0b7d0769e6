"""Everyone's poses in a video, kept on disk so that a second look at the same video costs nothing.

``gaitcli embed --list-tracks`` followed by ``--track N``, ``enroll --track N`` or
``--all-tracks`` run the pose engine over a video once: :func:`load` / :func:`save` keep the
:class:`~gaitcli.pose.video.People` of a video in gaitcli's cache folder
(:func:`gaitcli.pose.assets.cache_dir`, ``poses/``), one ``.npz`` per video and setting.

The key (:func:`cache_key`) is the sha256 of the video file's content, the engine settings
(flip averaging, the frames it runs on, detection cadence, smallest person, model files) and a
digest of the code that computes the poses, so an edited video, another setting or another
gaitcli version never reads a stale entry. Files hold plain arrays (read with
``allow_pickle=False``: nothing in them is executed), are written atomically, and the folder
keeps the :data:`MAX_ENTRIES` most recently used ones. ``GAITCLI_NO_POSE_CACHE=1`` turns the
cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from gaitcli.atomic import atomic_output
from gaitcli.constants import NUM_JOINTS

FORMAT = 1
MAX_ENTRIES = 64  # cached videos kept (the least recently used go first)
DISABLE_ENV = "GAITCLI_NO_POSE_CACHE"
#: Modules whose code decides the poses and tracks: any change to them is a new cache key.
_CODE = ("gaitcli.pose.video", "gaitcli.pose.person_detector", "gaitcli.pose.blazepose", "gaitcli.pose.blazepose_landmarks",
         "gaitcli.pose.blazepose_detector", "gaitcli.pose.blazepose_map", "gaitcli.pose.blazepose_roi", "gaitcli.tracking")


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() not in ("1", "true", "yes")


def folder() -> Path:
    from gaitcli.pose.assets import cache_dir

    return cache_dir() / "poses"


def file_digest(path: str | os.PathLike) -> str:
    """sha256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _code_digest() -> str:
    import importlib

    digest = hashlib.sha256()
    for name in _CODE:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    return digest.hexdigest()


def cache_key(path: str | os.PathLike, settings: dict[str, Any]) -> str:
    """The entry name for the video at ``path`` with the engine ``settings`` (JSON-able)."""
    from gaitcli import __version__

    described = json.dumps({"format": FORMAT, "version": __version__, "code": _code_digest(), "settings": settings},
                           sort_keys=True, default=str)
    return hashlib.sha256(f"{file_digest(path)}\n{described}".encode()).hexdigest()[:32]


def save(key: str, people) -> Path | None:
    """Keep ``people`` (a :class:`~gaitcli.pose.video.People`) under ``key``; None if the cache is off
    or cannot be written (a cache never stops the work)."""
    if not enabled():
        return None
    rows = [(t.id, f, d) for t in people.tracks for f, d in zip(t.frames, t.detections)]
    n = len(rows)
    joints = np.zeros((n, 3, NUM_JOINTS), dtype=np.float32)
    has_pose = np.zeros(n, dtype=bool)
    for k, (_, _, d) in enumerate(rows):
        if d.has_pose:
            has_pose[k] = True
            joints[k] = (d.coords_y, d.coords_x, d.probabilities)
    meta = {"format": FORMAT, "frames_read": people.frames_read, "fps": people.fps,
            "image_size": list(people.image_size) if people.image_size else None, "detector_runs": people.detector_runs}
    try:
        target = folder()
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{key}.npz"
        with atomic_output(path, suffix=".npz", mode=0o644) as tmp:
            np.savez_compressed(
                tmp, meta=np.array(json.dumps(meta)), frame_indices=np.asarray(people.frame_indices, dtype=np.int64),
                track_ids=np.array([r[0] for r in rows], dtype=np.int64), frames=np.array([r[1] for r in rows], dtype=np.int64),
                boxes=np.array([r[2].box for r in rows], dtype=np.float64).reshape(n, 4),
                scores=np.array([r[2].score for r in rows], dtype=np.float64), has_pose=has_pose, joints=joints,
            )
        _prune(target)
        return path
    except OSError:
        return None


def load(key: str):
    """The :class:`~gaitcli.pose.video.People` kept under ``key``, or None (absent, unreadable, another format)."""
    from gaitcli.pose.video import People
    from gaitcli.tracking import Detection, Track

    if not enabled():
        return None
    path = folder() / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                return None
            arrays = {name: data[name] for name in ("frame_indices", "track_ids", "frames", "boxes", "scores", "has_pose", "joints")}
        os.utime(path)  # recently used
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    tracks: dict[int, Track] = {}
    for k, track_id in enumerate(arrays["track_ids"].tolist()):
        track = tracks.setdefault(track_id, Track(id=track_id))
        if arrays["has_pose"][k]:
            ys, xs, ps = arrays["joints"][k].astype(np.float64)
            det = Detection(box=arrays["boxes"][k], score=float(arrays["scores"][k]), coords_y=ys, coords_x=xs, probabilities=ps)
        else:
            det = Detection(box=arrays["boxes"][k], score=float(arrays["scores"][k]))
        track.add(int(arrays["frames"][k]), det)
    size = meta.get("image_size")
    return People(sorted(tracks.values(), key=lambda t: t.id), arrays["frame_indices"].tolist(), int(meta["frames_read"]),
                  meta.get("fps"), tuple(size) if size else None, int(meta.get("detector_runs", 0)))


def _prune(target: Path) -> None:
    entries = sorted(target.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)
