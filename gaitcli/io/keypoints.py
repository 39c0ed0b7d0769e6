"""Keypoint files -> one person's 16-joint sequence, and gaitcli's own pose JSON.

:func:`load_keypoints` reads, detecting the format from the content:

* **COCO-17 keypoint results** (AlphaPose, MMPose, Detectron2) — :mod:`gaitcli.io.keypoints_coco`;
* **OpenPose JSON** (a folder of per-frame ``*_keypoints.json``, BODY_25 or COCO-18, or one such
  file) — :mod:`gaitcli.io.keypoints_openpose`;
* **gaitcli pose JSON**, ``"format": "gaitcli.pose/1"`` (what ``gaitcli pose --json`` and
  :func:`write_pose_json` write)::

      {"format": "gaitcli.pose/1", "joint_names": [16 names], "fps": 30.0 | null,
       "pose_engine": "blazepose, flip-averaged" (optional: what found the joints),
       "frames": [{"index": i, "source": str, "width": W, "height": H,
                   "people": [{"score": s, "box": [x0, y0, x1, y1], "joints": [[x, y, p] x 16]}]}]}

Other skeletons are mapped onto the 16 seed joints as :mod:`gaitcli.io.skeletons` documents.
When a frame holds several people, :class:`gaitcli.tracking.Tracker` links them over time and
the main walker (:func:`gaitcli.tracking.choose_main_track`) is kept, unless a track id is
asked for; one person a tool listed twice in a frame is kept once
(:func:`gaitcli.tracking.without_duplicates`). The sequence has one row per frame of the file; frames where the chosen person is
not seen have probability 0 throughout.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gaitcli.atomic import atomic_output
from gaitcli.constants import JOINT_NAMES, MAX_KEYPOINT_RESULTS, MAX_PEOPLE_PER_FRAME, NUM_JOINTS, POSE_ENGINE_SETTINGS
from gaitcli.errors import InputError, NoPersonError
from gaitcli.io import keypoints_coco, keypoints_openpose
from gaitcli.io.paths import link_problem
from gaitcli.io.video import check_fps
from gaitcli.io.keypoint_frames import (
    EXPECTED_FORMATS,
    KeypointFrame,
    box_values,
    check_frame_number,
    image_dimension,
    keypoint_array,
    number,
    read_json,
)
from gaitcli.tracking import Detection, Track, Tracker, TrackSummary, choose_main_track, without_duplicates

POSE_FORMAT = "gaitcli.pose/1"
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass
class KeypointSequence:
    """One person's 16 joints over the frames of an input (seed joint order, image pixels).

    Arrays have one row per frame: ``coords_y``, ``coords_x``, ``probs`` (T, 16), ``scores``
    (T,) detection scores, ``boxes`` (T, 4) ``(x0, y0, x1, y1)``. Where the person is not seen
    ``probs`` and ``scores`` are 0 (see :attr:`present`).
    """

    coords_y: np.ndarray
    coords_x: np.ndarray
    probs: np.ndarray
    frame_indices: np.ndarray  # (T,) frame numbers in the source
    scores: np.ndarray
    boxes: np.ndarray
    fps: float | None = None
    image_size: tuple[int, int] | None = None  # (width, height)
    source_format: str = ""
    track_id: int | None = None  # the track these joints follow
    tracks: list[TrackSummary] = field(default_factory=list)  # every person found
    sources: list[str] = field(default_factory=list)  # per frame: file name, image id, ...
    frames_read: int | None = None  # frames of the source read, when the rows are only some of them
    pose_engine: str | None = None  # what found the joints, where a gaitcli pose file records it

    @property
    def num_frames(self) -> int:
        return int(self.probs.shape[0])

    @property
    def present(self) -> np.ndarray:
        """(T,) bool: frames where the person has at least one joint."""
        return self.probs.max(axis=1) > 0 if self.num_frames else np.zeros(0, dtype=bool)


def sequence_from_frames(
    frames: Sequence[KeypointFrame],
    *,
    source_format: str,
    name: str,
    fps: float | None = None,
    track_id: int | None = None,
    **tracker_options,
) -> KeypointSequence:
    """Track the people of ``frames`` and keep one: ``track_id``, or else the main walker.

    Raises :class:`NoPersonError` when no frame holds anybody and :class:`InputError` for an
    unknown ``track_id``.
    """
    tracker = Tracker(**tracker_options)
    for frame in frames:
        if len(frame.detections) > MAX_PEOPLE_PER_FRAME:
            raise InputError(f"{name}: frame {frame.index} holds {len(frame.detections)} people; gaitcli follows "
                             f"at most {MAX_PEOPLE_PER_FRAME} per frame")
        tracker.update(frame.index, without_duplicates(frame.detections))  # a tool's double report of one person
    sizes = Counter((f.width, f.height) for f in frames if f.width and f.height)
    return sequence_from_tracks(
        tracker.tracks, [f.index for f in frames], source_format=source_format, name=name, fps=fps,
        track_id=track_id, image_size=sizes.most_common(1)[0][0] if sizes else None, sources=[f.source for f in frames],
    )  # fmt: skip


def sequence_from_tracks(
    tracks: Sequence[Track],
    frame_indices: Sequence[int],
    *,
    source_format: str,
    name: str,
    fps: float | None = None,
    track_id: int | None = None,
    image_size: tuple[int, int] | None = None,
    sources: Sequence[str] | None = None,
) -> KeypointSequence:
    """One of ``tracks`` over ``frame_indices`` (one row each): ``track_id``, or else the main walker.

    Raises :class:`NoPersonError` when there is no track and :class:`InputError` for an unknown
    ``track_id``.
    """
    if not tracks:
        raise NoPersonError(f"no person in any of the {len(frame_indices)} frames of {name}")
    if track_id is None:
        chosen = choose_main_track(tracks)
    else:
        chosen = next((tr for tr in tracks if tr.id == track_id), None)
        if chosen is None:
            ids = ", ".join(str(tr.id) for tr in tracks)
            raise InputError(f"{name} has no track {track_id}; its tracks are {ids} (see --list-tracks)")
    t = len(frame_indices)
    ys, xs, ps = np.zeros((t, NUM_JOINTS)), np.zeros((t, NUM_JOINTS)), np.zeros((t, NUM_JOINTS))
    scores, boxes = np.zeros(t), np.zeros((t, 4))
    for i, index in enumerate(frame_indices):
        det = chosen.detection_at(index)
        if det is None:
            continue
        scores[i], boxes[i] = det.score, det.box
        if det.has_pose:
            ys[i], xs[i], ps[i] = det.coords_y, det.coords_x, det.probabilities
    return KeypointSequence(
        coords_y=ys, coords_x=xs, probs=ps,
        frame_indices=np.asarray(frame_indices, dtype=np.int64),
        scores=scores, boxes=boxes, fps=fps, image_size=image_size,
        source_format=source_format, track_id=chosen.id,
        tracks=[tr.summary() for tr in tracks],
        sources=list(sources) if sources is not None else [f"frame {i}" for i in frame_indices],
    )  # fmt: skip


def looks_like_keypoints(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a keypoint input (a ``.json`` file, or a folder of JSON and no images)."""
    p = Path(path)
    if p.is_file():
        return p.suffix.lower() == ".json"
    if p.is_dir():
        suffixes = {q.suffix.lower() for q in p.iterdir() if q.is_file()}
        return ".json" in suffixes and not (suffixes & _IMAGE_SUFFIXES)
    return False


def load_keypoints(path: str | os.PathLike, *, track_id: int | None = None) -> KeypointSequence:
    """Read a keypoint file or OpenPose folder (format detected from the content) as one person's sequence.

    Unusable files raise :class:`InputError` (naming the formats gaitcli reads); a file without
    any person raises :class:`NoPersonError`.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p} {link_problem(p) or 'does not exist'}")
    fps = engine = None
    if p.is_dir():
        frames, fmt = keypoints_openpose.read_openpose_folder(p)
    else:
        data = read_json(p)
        if isinstance(data, dict) and "format" in data:
            engine = data.get("pose_engine")
            if engine is not None and engine not in POSE_ENGINE_SETTINGS:
                raise InputError(f"{p}: \"pose_engine\" is {str(engine)[:40]!r}; expected one of {', '.join(POSE_ENGINE_SETTINGS)} (or null)")
            frames, fps = _read_gaitcli(data, str(p))
            fmt = POSE_FORMAT
        elif keypoints_openpose.is_openpose(data):
            frames, fmt = keypoints_openpose.single_frame(data, p)
        elif keypoints_coco.is_coco(data):
            frames, fmt = keypoints_coco.read_coco(data, str(p)), keypoints_coco.FORMAT
        elif data in ([], {}):
            raise InputError(f"{p} holds no keypoints; expected {EXPECTED_FORMATS}")
        else:
            raise InputError(f"{p} is not a keypoint file gaitcli knows; expected {EXPECTED_FORMATS}")
    sequence = sequence_from_frames(frames, source_format=fmt, name=str(p), fps=fps, track_id=track_id)
    sequence.pose_engine = engine
    return sequence


def _read_gaitcli(data: dict, name: str) -> tuple[list[KeypointFrame], float | None]:
    from gaitcli.gallery.vectors import VECTORS_FORMAT

    if data["format"] == VECTORS_FORMAT:
        vectors = name[: -len(".json")] if name.endswith(".json") else "its .npy"
        raise InputError(f"{name} is the metadata of the vectors in {vectors} (written by `gaitcli embed --out`); give {vectors} instead")
    if data["format"] != POSE_FORMAT:
        raise InputError(f"{name} is {str(data['format'])[:40]!r} pose JSON; this gaitcli reads {POSE_FORMAT!r}")
    names = data.get("joint_names")
    if names is not None and names != list(JOINT_NAMES):
        raise InputError(f"{name}: joint_names differ from gaitcli's 16 joints ({', '.join(JOINT_NAMES)})")
    raw = data.get("frames")
    if not isinstance(raw, list):
        raise InputError(f"{name} has no \"frames\" list")
    if not raw:
        raise InputError(f"{name} holds no frames")
    fps = data.get("fps")
    fps = check_fps(number(fps, f"{name}: fps"), f"{name}: \"fps\"") if fps is not None else None
    frames, people = [], 0
    numbered = sum(isinstance(fr, dict) and "index" in fr for fr in raw)
    if 0 < numbered < len(raw):  # a frame without a number among numbered ones: its place and the gaps are unknown
        n = next(n for n, fr in enumerate(raw) if not (isinstance(fr, dict) and "index" in fr))
        raise InputError(f"{name}: frame {n} has no \"index\" while other frames have one; number every frame or none")
    for n, fr in enumerate(raw):
        where = f"{name}: frame {n}"
        if not isinstance(fr, dict) or not isinstance(fr.get("people", []), list):
            raise InputError(f"{where} is not a frame object with a \"people\" list")
        index = fr.get("index", n)
        if not isinstance(index, int) or isinstance(index, bool):
            raise InputError(f"{name}: frame indices must be integers")
        check_frame_number(index, where)
        people += len(fr.get("people", []))
        if people > MAX_KEYPOINT_RESULTS:
            raise InputError(f"{name} holds more than {MAX_KEYPOINT_RESULTS:,} people over its frames; split it into shorter walks")
        detections = []
        for k, person in enumerate(fr.get("people", [])):
            detections.extend(_gaitcli_person(person, f"{where}, person {k}"))
        frames.append(KeypointFrame(
            index=index, source=str(fr.get("source", "")), detections=detections,
            width=image_dimension(fr.get("width"), f"{where}: width"), height=image_dimension(fr.get("height"), f"{where}: height"),
        ))  # fmt: skip
    frames.sort(key=lambda f: f.index)
    if len({f.index for f in frames}) != len(frames):  # e.g. several images, each its frame 0
        for position, f in enumerate(frames):
            f.index = position
    return frames, fps


def _gaitcli_person(person: Any, where: str) -> list[Detection]:
    joints = person.get("joints") if isinstance(person, dict) else None
    if not isinstance(joints, list) or len(joints) != NUM_JOINTS or not all(isinstance(j, list) and len(j) == 3 for j in joints):
        raise InputError(f"{where}: \"joints\" must be {NUM_JOINTS} x [x, y, p]")
    arr = keypoint_array([v for joint in joints for v in joint], NUM_JOINTS, where, "gaitcli pose JSON")
    box = person.get("box")
    if box is not None:
        box = np.array(box_values(box, where, "[x0, y0, x1, y1]"))
    probs = np.clip(np.nan_to_num(arr[:, 2]), 0.0, 1.0)
    try:
        return [Detection.from_joints(arr[:, 1], arr[:, 0], probs, score=number(person.get("score", 1.0), f"{where}: score"), box=box)]
    except ValueError:  # no joint seen and no box: nobody there
        return []


def write_pose_json(path: str | os.PathLike, sequence: KeypointSequence, *, pose_engine: str | None = None) -> Path:
    """Write ``sequence`` as gaitcli pose JSON (one frame entry per row), atomically; ``pose_engine``
    (default: the sequence's own) names what found the joints, so that walks embedded from the file
    keep the pose engine setting a gallery checks.

    The file appears complete or not at all: it is written beside ``path`` under a temporary
    name and renamed over it. Returns the path written.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"cannot write pose JSON to {p}: it is a folder")
    if not p.parent.is_dir():
        raise InputError(f"cannot write pose JSON to {p}: folder {p.parent} does not exist")
    width, height = sequence.image_size or (None, None)
    present = sequence.present
    frames = []
    for i in range(sequence.num_frames):
        people = []
        if present[i]:
            joints = np.stack([sequence.coords_x[i], sequence.coords_y[i], sequence.probs[i]], axis=1)
            people.append({
                "score": round(float(sequence.scores[i]), 4),
                "box": [round(float(v), 2) for v in sequence.boxes[i]],
                "joints": [[round(float(x), 2), round(float(y), 2), round(float(q), 4)] for x, y, q in joints],
            })  # fmt: skip
        frames.append({
            "index": int(sequence.frame_indices[i]),
            "source": sequence.sources[i] if i < len(sequence.sources) else "",
            "width": width, "height": height, "people": people,
        })  # fmt: skip
    engine = pose_engine or sequence.pose_engine
    doc = {"format": POSE_FORMAT, "joint_names": list(JOINT_NAMES), "fps": sequence.fps,
           **({"pose_engine": engine} if engine else {}), "frames": frames}
    with atomic_output(p) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
    return p
