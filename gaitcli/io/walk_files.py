"""Which files and folders are walks, and the walks inside a folder.

A *walk* is one of

* a video file (:data:`VIDEO_SUFFIXES`: anything OpenCV reads),
* a folder of frames (images directly inside it; it stays one walk, however many images),
* a keypoint file (``.json``: COCO-17 results, gaitcli pose JSON) or an OpenPose folder
  (``*_keypoints.json`` files directly inside it),
* identification vectors written by ``gaitcli embed --out`` (``.npy``; its ``.npy.json``
  sidecar is not a walk).

:func:`expand_inputs` replaces every folder that is not itself a walk by the walks found in
it, recursively (hidden entries skipped, natural order); :func:`known_people` reads the
``KNOWN/<person>/<walk>`` layout of ``gaitcli enroll --from-folder``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from gaitcli.io.natsort import natural_key
from gaitcli.io.video import FRAME_EXTENSIONS

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".mts", ".ts"}
)
KEYPOINT_SUFFIXES = frozenset({".json"})
VECTOR_SUFFIXES = frozenset({".npy"})
OPENPOSE_FILE_END = "_keypoints.json"


def file_kind(path: Path) -> str | None:
    """``"video"``, ``"vectors"`` or ``"keypoints"`` by the file's extension; None for other files."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in VECTOR_SUFFIXES:
        return "vectors"
    if suffix in KEYPOINT_SUFFIXES:
        return "keypoints"
    return None


def folder_kind(folder: Path) -> str | None:
    """``"frames"`` for a folder with images in it, ``"openpose"`` for an OpenPose output folder."""
    try:
        names = [n for n in os.listdir(folder) if not n.startswith(".")]
    except OSError:
        return None
    if any(os.path.splitext(n)[1].lower() in FRAME_EXTENSIONS for n in names):
        return "frames"
    jsons = [n for n in names if n.lower().endswith(".json")]
    if jsons and all(n.lower().endswith(OPENPOSE_FILE_END) for n in jsons):
        return "openpose"
    return None


def is_sidecar(path: Path) -> bool:
    """A ``.json`` beside a ``.npy`` of the same name (``walk.npy.json`` or ``walk.json``)."""
    if path.suffix.lower() != ".json":
        return False
    stem = path.name[: -len(".json")]
    if stem.lower().endswith(".npy"):
        return (path.parent / stem).is_file()
    return (path.parent / f"{stem}.npy").is_file()


def walk_kind(path: Path) -> str | None:
    """What kind of walk ``path`` is (see the module doc), or None when it is none."""
    if path.is_dir():
        return folder_kind(path)
    if path.is_file() and not is_sidecar(path):
        return file_kind(path)
    return None


def find_walks(folder: Path) -> list[Path]:
    """Every walk below ``folder``, recursively, in natural order of the path below it; a frame
    folder or OpenPose folder is one walk and is not searched further. Symbolic links to folders
    are not followed."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        base = Path(root)
        keep = []
        for name in dirs:
            if name.startswith("."):
                continue
            sub = base / name
            if folder_kind(sub) is not None:
                found.append(sub)
            else:
                keep.append(name)
        dirs[:] = keep
        found.extend(base / n for n in files if not n.startswith(".") and walk_kind(base / n) is not None)
    return sorted(found, key=lambda p: natural_key(p.relative_to(folder).as_posix()))


def expand_inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The inputs with every folder that is not a walk itself replaced by the walks inside it.

    A folder without any walk stays as given, so that using it reports what is wrong with it.
    """
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir() and folder_kind(path) is None:
            out.extend(find_walks(path) or [path])
        else:
            out.append(path)
    return out


def known_people(folder: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """``(person, walk)`` pairs of a ``KNOWN/<person>/<walk>`` folder, and the entries that are
    not walks. A sub-folder is a person (its name) holding walks at any depth — unless it is a
    frame or OpenPose folder itself, then it is one walk of the person it is named after, like a
    walk file directly in ``folder``, which is named by its stem (``alice.mp4`` is alice's). A
    person folder without walks is returned as ``(person, folder)``, so that using it reports
    what is wrong with it."""
    pairs: list[tuple[str, Path]] = []
    ignored: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if folder_kind(entry) is not None:
                pairs.append((entry.name, entry))
            else:
                pairs.extend((entry.name, walk) for walk in find_walks(entry) or [entry])
        elif walk_kind(entry) is not None:
            pairs.append((entry.stem, entry))
        elif not is_sidecar(entry):
            ignored.append(entry)
    return pairs, ignored
