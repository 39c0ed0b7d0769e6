"""A labelled set of walks on disk: ``DATASET/<subject>/<walk>``.

Every folder directly inside ``DATASET`` is one subject (its name is the label). Inside a
subject folder every *walk* is one of

* a video file (``.mp4``, ``.avi``, ``.mov``, ``.mkv``, ... — anything OpenCV reads),
* a folder of frames (images directly inside it),
* a keypoint file (``.json``: COCO-17 results, gaitcli pose JSON) or an OpenPose folder
  (``*_keypoints.json`` files directly inside it),
* an identification vector written by ``gaitcli embed --out`` (``.npy``; its ``.json``
  sidecar is not a walk).

Other folders inside a subject folder group walks and are searched (up to
:data:`MAX_DEPTH` levels), so the layouts ``001/nm-01-090.avi`` and ``001/nm-01/090/``
(frames) both work. A walk's *name* is its path below the subject folder without the file
extension (``nm-01-090``, ``nm-01/090``); protocols read conditions and views from it.

Walk files or frame folders directly inside ``DATASET`` (the flat layout of CASIA-B's video
release, ``001-nm-01-090.avi``) have no subject folder; a preset reads the subject from
the name's prefix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gaitcli.errors import InputError
from gaitcli.io.walk_files import file_kind, folder_kind, is_sidecar

#: Folders nested deeper than this below a subject folder are not searched.
MAX_DEPTH = 4

EXPECTED_LAYOUT = (
    "expected one folder per subject holding its walks (DATASET/<subject>/<walk>), a walk being "
    "a video, a folder of frames, a keypoint .json file or OpenPose folder, or a .npy vector"
)


@dataclass(frozen=True)
class Walk:
    """One recording of one person walking."""

    subject: str | None  # the subject folder's name; None for a walk directly inside DATASET
    name: str  # path below the subject folder, without extension, '/'-separated
    path: Path
    kind: str  # "video" | "frames" | "keypoints" | "openpose" | "vectors"

    @property
    def label(self) -> str:
        """``subject/name`` (or just the name when the subject is not known yet)."""
        return f"{self.subject}/{self.name}" if self.subject is not None else self.name


@dataclass
class Dataset:
    """The walks found under ``root`` and the entries that were not walks."""

    root: Path
    walks: list[Walk]
    ignored: list[Path] = field(default_factory=list)

    @property
    def subjects(self) -> list[str]:
        """Names of the subject folders that hold walks, sorted."""
        return sorted({w.subject for w in self.walks if w.subject is not None})


def scan_dataset(root: str | os.PathLike, *, exclude: tuple[Path, ...] = ()) -> Dataset:
    """Find the walks of a ``DATASET/<subject>/<walk>`` tree.

    ``exclude`` lists folders to skip (the evaluation's own output folder when it lies inside
    the dataset). Hidden entries (``.name``) are skipped; files that are not walks are
    returned in :attr:`Dataset.ignored`. Raises :class:`InputError` when ``root`` is missing,
    not a folder or empty, when a subject folder holds no walk, or when two walks of one
    subject share a name.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(f"dataset folder not found: {root}")
    if not root.is_dir():
        raise InputError(f"{root} is not a folder: {EXPECTED_LAYOUT}")
    skip = {p.resolve() for p in exclude}
    walks: list[Walk] = []
    ignored: list[Path] = []
    for entry in _entries(root, skip):
        if entry.is_dir():
            kind = folder_kind(entry)
            if kind is not None:  # a frame folder directly inside DATASET (flat layout)
                walks.append(Walk(None, entry.name, entry, kind))
                continue
            found = _subject_walks(entry, skip, ignored)
            if not found:
                raise InputError(
                    f"subject folder {entry} holds no walk: expected video files, frame folders, "
                    "keypoint .json files or OpenPose folders, or .npy vectors inside it"
                )
            walks.extend(found)
        else:
            kind = file_kind(entry)
            if kind is None:
                ignored.append(entry)
            elif not is_sidecar(entry):
                walks.append(Walk(None, _strip_suffix(entry.name), entry, kind))
    if not walks:
        raise InputError(f"dataset folder {root} holds no walks: {EXPECTED_LAYOUT}")
    _check_unique(walks)
    walks.sort(key=lambda w: (w.subject or "", w.name))
    return Dataset(root=root, walks=walks, ignored=ignored)


def _entries(folder: Path, skip: set[Path]) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"cannot read folder {folder}: {exc.strerror or exc}") from None
    return [c for c in children if not c.name.startswith(".") and c.resolve() not in skip]


def _subject_walks(subject_dir: Path, skip: set[Path], ignored: list[Path]) -> list[Walk]:
    """Walks below one subject folder (grouping folders searched up to MAX_DEPTH)."""
    subject = subject_dir.name
    found: list[Walk] = []
    pending = [(subject_dir, 0)]
    while pending:
        folder, depth = pending.pop()
        for entry in _entries(folder, skip):
            rel = entry.relative_to(subject_dir).as_posix()
            if entry.is_dir():
                kind = folder_kind(entry)
                if kind is not None:
                    found.append(Walk(subject, rel, entry, kind))
                elif depth + 1 < MAX_DEPTH:
                    pending.append((entry, depth + 1))
                else:
                    ignored.append(entry)
            else:
                kind = file_kind(entry)
                if kind is None:
                    ignored.append(entry)
                elif not is_sidecar(entry):
                    found.append(Walk(subject, _strip_suffix(rel), entry, kind))
    return found


def _strip_suffix(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name.rsplit("/", 1)[-1] else name


def _check_unique(walks: list[Walk]) -> None:
    seen: dict[tuple[str | None, str], Walk] = {}
    for walk in walks:
        key = (walk.subject, walk.name)
        if key in seen:
            raise InputError(
                f"two walks named {walk.label!r}: {seen[key].path} and {walk.path}; keep one of them "
                "(a .npy vector beside the video it came from counts as a second walk)"
            )
        seen[key] = walk
